"""Clip skip defaults the user saved per checkpoint, in one small JSON file in the WebUI's data folder:

    {"version": 1, "models": {"<checkpoint hash>": {"name": "animeModelV3", "clip_skip": 2}}}

Reading never raises: it runs before every generation. Saving raises ModelDefaultsError with a
message for the UI. A save re-reads and merges under a lock, so saves from other threads and
processes are kept, and replaces the file atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import logger
from ..rules.values import ClipSkipError, parse_clip_skip

try:
    import fcntl
except ImportError:
    # Windows: saves are serialised within the WebUI process only. Two WebUI processes sharing one
    # data folder could then lose a save made at the same instant; each still writes a whole file.
    fcntl = None  # type: ignore[assignment]

DEFAULTS_FILENAME = "clip-skip-model-defaults.json"
FORMAT_VERSION = 1

_thread_lock = threading.Lock()
_reported: set[str] = set()


class ModelDefaultsError(Exception):
    """A save or clear that did not happen; the message says why, for the user."""


class _Corrupt(Exception):
    pass


@dataclass(frozen=True)
class SavedDefault:
    value: int
    name: str


class ModelDefaults:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._cached: tuple[tuple[int, int, int], dict[str, SavedDefault]] | None = None

    def get(self, checkpoint_hash: str | None) -> SavedDefault | None:
        key = _key(checkpoint_hash)
        return self.all().get(key) if key else None

    def all(self) -> dict[str, SavedDefault]:
        """Every valid saved default by checkpoint hash; unreadable parts are reported once and left out."""
        try:
            version = _version(self.path)
            if self._cached is None or self._cached[0] != version:
                self._cached = (version, self._entries(self._read()))
        except FileNotFoundError:
            return {}
        except OSError as error:
            _report_once(f"Could not read saved Clip skip defaults ({error}); using none.")
            return {}
        except _Corrupt as error:
            self._set_aside_if_unchanged(version, error)
            return {}
        return dict(self._cached[1])

    def save(self, checkpoint_hash: str | None, name: str, value: object) -> SavedDefault:
        try:
            saved = SavedDefault(parse_clip_skip(value, source="The Clip skip to save"), name)
        except ClipSkipError as error:
            raise ModelDefaultsError(str(error)) from error
        self._update(self._required_key(checkpoint_hash), {"name": name, "clip_skip": saved.value})
        return saved

    def clear(self, checkpoint_hash: str | None) -> bool:
        """Forget the checkpoint's saved default; False when there was none."""
        return self._update(self._required_key(checkpoint_hash), None)

    def _required_key(self, checkpoint_hash: str | None) -> str:
        key = _key(checkpoint_hash)
        if not key:
            raise ModelDefaultsError("This checkpoint has no hash (is --no-hashing on?), so no default can be saved.")
        return key

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as file:
                document = json.load(file)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise _Corrupt(f"not JSON: {error}") from None
        version = document.get("version") if isinstance(document, dict) else None
        if type(version) is not int or version < 1:
            raise _Corrupt("no format version")
        if version == FORMAT_VERSION and not isinstance(document.get("models"), dict):
            raise _Corrupt("no models")
        return dict(document)

    def _entries(self, document: dict[str, Any]) -> dict[str, SavedDefault]:
        if document["version"] > FORMAT_VERSION:
            _report_once(f"{self.path} was written by a newer version of the extension; its defaults are not used.")
            return {}
        entries = {}
        for checkpoint_hash, entry in document["models"].items():
            name = entry.get("name", "") if isinstance(entry, dict) else None
            try:
                if not isinstance(name, str):
                    raise ClipSkipError("is not a name and a clip_skip")
                value = parse_clip_skip(entry.get("clip_skip"), source="its clip_skip")
            except ClipSkipError as error:
                _report_once(f"Ignoring the saved default for {checkpoint_hash} in {self.path}: {error}.")
                continue
            entries[checkpoint_hash] = SavedDefault(value, name)
        return entries

    def _update(self, key: str, entry: dict[str, object] | None) -> bool:
        with self._locked(required=True):
            document = self._document_to_update()
            models = document["models"]
            if entry is not None:
                models[key] = entry
            elif models.pop(key, None) is None:
                return False
            self._write(document)
            return True

    def _document_to_update(self) -> dict[str, Any]:
        try:
            document = self._read()
        except FileNotFoundError:
            return {"version": FORMAT_VERSION, "models": {}}
        except OSError as error:
            raise ModelDefaultsError(f"Could not read {self.path} ({error.strerror}); nothing was saved.") from error
        except _Corrupt as error:
            try:
                self._set_aside(error)
            except OSError as move_error:
                raise ModelDefaultsError(
                    f"{self.path} is unreadable and could not be moved aside ({move_error.strerror})."
                ) from move_error
            return {"version": FORMAT_VERSION, "models": {}}
        if document["version"] > FORMAT_VERSION:
            raise ModelDefaultsError(f"{self.path} was written by a newer version of the extension; update it first.")
        return document

    def _write(self, document: dict[str, Any]) -> None:
        # Unique per process and thread, in the same folder so that os.replace is atomic.
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        try:
            with open(temporary, "w", encoding="utf-8") as file:
                json.dump(document, file, indent=2, sort_keys=True, ensure_ascii=False)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise ModelDefaultsError(f"Could not save to {self.path} ({error.strerror}).") from error

    def _set_aside_if_unchanged(self, version: tuple[int, int, int], reason: _Corrupt) -> None:
        with self._locked(required=False):
            try:
                if _version(self.path) != version:
                    return  # another save replaced it meanwhile: that file is not the corrupt one
                self._set_aside(reason)
            except OSError as error:
                _report_once(
                    f"Saved Clip skip defaults in {self.path} are unreadable ({reason}) and were kept as they are "
                    f"({error.strerror}); using none."
                )

    def _set_aside(self, reason: _Corrupt) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{datetime.now():%Y%m%d-%H%M%S-%f}")
        os.replace(self.path, aside)
        logger.warning(
            "Saved Clip skip defaults in %s were unreadable (%s); moved them to %s.", self.path, reason, aside
        )

    @contextmanager
    def _locked(self, *, required: bool) -> Iterator[None]:
        """The thread lock, and where there is fcntl an exclusive lock on a file beside the defaults."""
        with _thread_lock:
            if fcntl is None:
                yield
                return
            try:
                handle = open(self.path.with_name(self.path.name + ".lock"), "a")  # noqa: SIM115
            except OSError as error:
                if required:
                    raise ModelDefaultsError(f"Could not save in {self.path.parent} ({error.strerror}).") from error
                yield  # a read-only folder: nothing can be written there to race with
                return
            with handle:  # closing it releases the lock
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                yield


def _key(checkpoint_hash: str | None) -> str:
    return (checkpoint_hash or "").strip().lower()


def _version(path: Path) -> tuple[int, int, int]:
    # os.replace makes a new inode, so a rewrite within one mtime tick is still noticed.
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _report_once(message: str) -> None:
    if message not in _reported:
        _reported.add(message)
        logger.warning("%s", message)
