"""The Clip skip a model or LoRA file says it was trained at, read from its safetensors header only.

A safetensors file starts with an 8-byte little-endian header length and a JSON header whose
`__metadata__` maps strings to strings; the tensors follow and are never read here.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import logger
from ..rules.values import ClipSkipError, parse_clip_skip

SAFETENSORS_SUFFIX = ".safetensors"
# The safetensors library's own limit (MAX_HEADER_SIZE); a larger length is a corrupt or hostile file.
MAX_HEADER_BYTES = 100_000_000
CACHE_SIZE = 256

# SAI ModelSpec's `encoder_layer` is "clip skip" with the same numbering ("2 indicates clip_skip=2",
# ModelSpec README), and kohya sd-scripts writes both keys from its --clip_skip, which counts like A1111,
# so neither needs converting. kohya writes str(None) == "None" when --clip_skip was not given.
CLIP_SKIP_KEYS = ("modelspec.encoder_layer", "ss_clip_skip")


class MetadataError(ValueError):
    """A .safetensors file whose header cannot be read; the message names the file and the fault."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class MetadataClipSkip:
    value: int
    key: str


class _Recent:
    """A small LRU map, safe across the WebUI's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_cache = _Recent(CACHE_SIZE)
_warned = _Recent(CACHE_SIZE)


def read_safetensors_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The file's `__metadata__`, or {} for a missing file or one that is not .safetensors.

    Raises MetadataError for a malformed header and OSError when the file cannot be read.
    Results are cached per file until its size or modification time changes.
    """
    resolved = Path(path).resolve()
    if resolved.suffix.lower() != SAFETENSORS_SUFFIX:
        return {}
    try:
        stat = resolved.stat()
    except FileNotFoundError:
        return {}
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    cached = _cache.get(key)
    if not isinstance(cached, dict):
        cached = _parse_header(resolved, stat.st_size)
        _cache.put(key, cached)
    return dict(cached)


def _parse_header(path: Path, size: int) -> dict[str, str]:
    with path.open("rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise MetadataError(path, f"too short for a safetensors file ({size} bytes)")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES:
            raise MetadataError(path, f"header length {length} is over the {MAX_HEADER_BYTES}-byte limit")
        if length > size - 8:
            raise MetadataError(path, f"header length {length} is longer than the file ({size} bytes)")
        raw = file.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MetadataError(path, f"header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise MetadataError(path, "header is not a JSON object")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise MetadataError(path, "__metadata__ is not a map of strings")
    return metadata


def clip_skip_from_metadata(metadata: Mapping[str, str]) -> MetadataClipSkip | None:
    """The first usable Clip skip among CLIP_SKIP_KEYS, or None."""
    for key in CLIP_SKIP_KEYS:
        if key not in metadata:
            continue
        try:
            return MetadataClipSkip(parse_clip_skip(metadata[key], source=key), key)
        except ClipSkipError as error:
            logger.debug("Ignoring model metadata: %s.", error)
    return None


def model_clip_skip(path: str | os.PathLike[str]) -> MetadataClipSkip | None:
    """clip_skip_from_metadata for a file; a broken file is reported once per version of it, never raised."""
    try:
        return clip_skip_from_metadata(read_safetensors_metadata(path))
    except (MetadataError, OSError) as error:
        _warn_once(path, error)
        return None


def _warn_once(path: str | os.PathLike[str], error: Exception) -> None:
    try:
        stat = os.stat(path)
        key: Hashable = (os.fspath(path), stat.st_size, stat.st_mtime_ns)
    except OSError:
        key = (os.fspath(path), None, None)
    if _warned.get(key) is None:
        _warned.put(key, True)
        logger.warning("Could not read Clip skip from the model's metadata: %s", error)
