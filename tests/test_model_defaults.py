import builtins
import errno
import json
import logging
import multiprocessing
import os
import threading

import pytest

from sd_webui_clip_skip.models import defaults as model_defaults
from sd_webui_clip_skip.models.defaults import (
    DEFAULTS_FILENAME,
    ModelDefaults,
    ModelDefaultsError,
    SavedDefault,
)


@pytest.fixture(autouse=True)
def _nothing_reported_yet(monkeypatch):
    monkeypatch.setattr(model_defaults, "_reported", set())


@pytest.fixture
def store(tmp_path):
    return ModelDefaults(tmp_path / DEFAULTS_FILENAME)


def write(store, content):
    store.path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")


def warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_nothing_is_saved_before_the_first_save(store):
    assert store.get("abc123") is None
    assert store.all() == {}
    assert not store.path.exists()


def test_a_saved_default_is_read_back_and_stored_in_the_versioned_shape(store):
    assert store.save("abc123", "animeModelV3", 2) == SavedDefault(2, "animeModelV3")
    assert store.get("abc123") == SavedDefault(2, "animeModelV3")
    assert json.loads(store.path.read_text(encoding="utf-8")) == {
        "version": 1,
        "models": {"abc123": {"name": "animeModelV3", "clip_skip": 2}},
    }


def test_defaults_persist_for_a_new_store_on_the_same_file(store):
    store.save("abc123", "animeModelV3", 2)
    store.save("def456", "realisticV6", 1)
    assert ModelDefaults(store.path).all() == {
        "abc123": SavedDefault(2, "animeModelV3"),
        "def456": SavedDefault(1, "realisticV6"),
    }


def test_saving_again_replaces_the_value(store):
    store.save("abc123", "animeModelV3", 2)
    store.save("abc123", "animeModelV3 (renamed)", 3)
    assert store.all() == {"abc123": SavedDefault(3, "animeModelV3 (renamed)")}


def test_hashes_are_matched_without_case_or_surrounding_spaces(store):
    store.save(" ABC123 ", "animeModelV3", 2)
    assert store.get("abc123") == SavedDefault(2, "animeModelV3")
    assert store.get("AbC123") == SavedDefault(2, "animeModelV3")


def test_a_save_by_another_store_is_seen_at_once(store):
    assert store.get("abc123") is None
    ModelDefaults(store.path).save("abc123", "animeModelV3", 2)
    assert store.get("abc123") == SavedDefault(2, "animeModelV3")
    ModelDefaults(store.path).save("abc123", "animeModelV3", 4)  # same size: a new file, so a new inode
    assert store.get("abc123") == SavedDefault(4, "animeModelV3")


@pytest.mark.parametrize("value", [0, 13, -1, 1.5, "abc", None, True])
def test_a_value_that_is_not_a_clip_skip_is_not_saved(store, value):
    with pytest.raises(ModelDefaultsError, match="The Clip skip to save must be an integer from 1 to 12"):
        store.save("abc123", "animeModelV3", value)
    assert not store.path.exists()


@pytest.mark.parametrize("checkpoint_hash", [None, "", "  "])
def test_a_checkpoint_without_a_hash_has_no_default(store, checkpoint_hash):
    assert store.get(checkpoint_hash) is None
    with pytest.raises(ModelDefaultsError, match="no hash"):
        store.save(checkpoint_hash, "animeModelV3", 2)
    with pytest.raises(ModelDefaultsError, match="no hash"):
        store.clear(checkpoint_hash)


def test_clear_forgets_one_checkpoint(store):
    store.save("abc123", "animeModelV3", 2)
    store.save("def456", "realisticV6", 1)
    assert store.clear("ABC123") is True
    assert store.clear("abc123") is False
    assert store.all() == {"def456": SavedDefault(1, "realisticV6")}


def test_clear_without_a_file_writes_nothing(store):
    assert store.clear("abc123") is False
    assert not store.path.exists()


def test_saves_leave_only_the_file_and_its_lock_behind(store):
    for n in range(3):
        store.save(f"hash{n}", "model", 2)
    assert sorted(p.name for p in store.path.parent.iterdir()) == [DEFAULTS_FILENAME, DEFAULTS_FILENAME + ".lock"]


# -- damaged, foreign and unreadable files -------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[]",
        '{"models": {}}',
        '{"version": "1", "models": {}}',
        '{"version": 0, "models": {}}',
        '{"version": true, "models": {}}',
        '{"version": 1}',
        '{"version": 1, "models": []}',
    ],
)
def test_a_corrupt_file_is_moved_aside_reported_once_and_read_as_empty(store, caplog, content):
    write(store, content)
    assert store.get("abc123") is None
    assert store.all() == {}
    [aside] = store.path.parent.glob(DEFAULTS_FILENAME + ".corrupt-*")
    assert aside.read_text(encoding="utf-8") == content
    assert not store.path.exists()
    [message] = warnings(caplog)
    assert "were unreadable" in message and str(aside) in message


def test_a_file_that_is_not_utf8_is_corrupt(store, caplog):
    store.path.write_bytes(b"\xff\xfe{}")
    assert store.get("abc123") is None
    assert len(list(store.path.parent.glob(DEFAULTS_FILENAME + ".corrupt-*"))) == 1
    assert len(warnings(caplog)) == 1


def test_saving_over_a_corrupt_file_keeps_it_aside_and_starts_afresh(store, caplog):
    write(store, "{not json")
    store.save("abc123", "animeModelV3", 2)
    assert store.all() == {"abc123": SavedDefault(2, "animeModelV3")}
    [aside] = store.path.parent.glob(DEFAULTS_FILENAME + ".corrupt-*")
    assert aside.read_text(encoding="utf-8") == "{not json"
    assert len(warnings(caplog)) == 1


def test_a_corrupt_file_that_cannot_be_moved_is_kept_reported_once_and_read_as_empty(store, caplog, monkeypatch):
    write(store, "{not json")

    def refuse(*args):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(model_defaults.os, "replace", refuse)
    assert store.get("abc123") is None
    assert store.get("abc123") is None
    assert store.path.read_text(encoding="utf-8") == "{not json"
    [message] = warnings(caplog)
    assert "kept as they are (Permission denied)" in message
    with pytest.raises(ModelDefaultsError, match="could not be moved aside"):
        store.save("abc123", "animeModelV3", 2)


def test_a_file_replaced_by_a_good_save_meanwhile_is_not_moved_aside(store):
    store.save("abc123", "animeModelV3", 2)
    store._set_aside_if_unchanged((0, 0, 0), model_defaults._Corrupt("seen before the save"))
    assert store.get("abc123") == SavedDefault(2, "animeModelV3")


def test_a_file_from_a_newer_version_is_left_alone(store, caplog):
    content = {"version": 2, "checkpoints": [{"hash": "abc123", "clip_skip": 2}]}
    write(store, content)
    assert store.get("abc123") is None
    assert store.get("abc123") is None
    assert len(warnings(caplog)) == 1
    assert "newer version" in caplog.text
    with pytest.raises(ModelDefaultsError, match="newer version"):
        store.save("abc123", "animeModelV3", 3)
    assert json.loads(store.path.read_text(encoding="utf-8")) == content


def test_invalid_entries_are_ignored_with_a_warning_each_and_kept_in_the_file(store, caplog):
    models = {
        "good": {"name": "animeModelV3", "clip_skip": 2},
        "nameless": {"clip_skip": 3},
        "high": {"name": "x", "clip_skip": 13},
        "text": {"name": "x", "clip_skip": "abc"},
        "missing": {"name": "x"},
        "list": [2],
        "badname": {"name": 5, "clip_skip": 2},
    }
    write(store, {"version": 1, "models": models})
    assert store.all() == {"good": SavedDefault(2, "animeModelV3"), "nameless": SavedDefault(3, "")}
    assert store.get("high") is None
    ignoring = f"Ignoring the saved default for {{}} in {store.path}: {{}}."
    out_of_range = "its clip_skip must be an integer from 1 to 12, got {}"
    assert warnings(caplog) == [
        ignoring.format("high", out_of_range.format(13)),
        ignoring.format("text", out_of_range.format("'abc'")),
        ignoring.format("missing", out_of_range.format(None)),
        ignoring.format("list", "is not a name and a clip_skip"),
        ignoring.format("badname", "is not a name and a clip_skip"),
    ]
    store.save("new", "realisticV6", 1)
    saved = json.loads(store.path.read_text(encoding="utf-8"))["models"]
    assert saved == {**models, "new": {"name": "realisticV6", "clip_skip": 1}}


class _Refusing:
    """Stands in for `open` in model_defaults, refusing some files as a permission error would."""

    def __init__(self, monkeypatch, refuse):
        self.refuse = refuse
        monkeypatch.setattr(model_defaults, "open", self, raising=False)

    def __call__(self, file, mode="r", *args, **kwargs):
        if self.refuse(str(file), mode):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return builtins.open(file, mode, *args, **kwargs)


def test_an_unreadable_file_is_reported_once_and_never_overwritten(store, caplog, monkeypatch):
    store.save("abc123", "animeModelV3", 2)
    before = store.path.read_bytes()
    _Refusing(monkeypatch, lambda file, mode: file == str(store.path))
    assert ModelDefaults(store.path).get("abc123") is None
    assert ModelDefaults(store.path).get("abc123") is None
    [message] = warnings(caplog)
    assert "Could not read saved Clip skip defaults" in message and "Permission denied" in message
    with pytest.raises(ModelDefaultsError, match="Permission denied.*nothing was saved"):
        store.save("def456", "realisticV6", 1)
    assert store.path.read_bytes() == before


def _read_only_folder(monkeypatch, store):
    folder = str(store.path.parent)
    _Refusing(monkeypatch, lambda file, mode: file.startswith(folder) and any(m in mode for m in "wax"))


def test_saving_in_a_read_only_folder_is_a_clear_error_and_reading_still_works(store, monkeypatch):
    store.save("abc123", "animeModelV3", 2)
    _read_only_folder(monkeypatch, store)
    with pytest.raises(ModelDefaultsError, match=f"Could not save in {store.path.parent} \\(Permission denied\\)"):
        store.save("def456", "realisticV6", 1)
    assert ModelDefaults(store.path).get("abc123") == SavedDefault(2, "animeModelV3")


def test_without_fcntl_a_read_only_folder_fails_at_the_write_and_leaves_no_temporary_file(store, monkeypatch):
    monkeypatch.setattr(model_defaults, "fcntl", None)
    _read_only_folder(monkeypatch, store)
    with pytest.raises(ModelDefaultsError, match=f"Could not save to {store.path} \\(Permission denied\\)"):
        store.save("abc123", "animeModelV3", 2)
    assert list(store.path.parent.iterdir()) == []


def test_a_failed_replace_leaves_the_old_file_and_no_temporary_file(store, monkeypatch):
    store.save("abc123", "animeModelV3", 2)

    def refuse(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_defaults.os, "replace", refuse)
    with pytest.raises(ModelDefaultsError, match="No space left on device"):
        store.save("def456", "realisticV6", 1)
    assert ModelDefaults(store.path).all() == {"abc123": SavedDefault(2, "animeModelV3")}
    assert not list(store.path.parent.glob("*.tmp"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions")
def test_a_really_read_only_folder(store):
    store.save("abc123", "animeModelV3", 2)
    store.path.parent.chmod(0o555)
    try:
        with pytest.raises(ModelDefaultsError, match="Permission denied"):
            store.save("def456", "realisticV6", 1)
        assert ModelDefaults(store.path).get("abc123") == SavedDefault(2, "animeModelV3")
    finally:
        store.path.parent.chmod(0o755)


# -- concurrent saves ----------------------------------------------------------------------------


def _save_many(path, prefix, count):
    store = ModelDefaults(path)
    for n in range(count):
        store.save(f"{prefix}-{n}", f"model {prefix} {n}", n % 12 + 1)


def _saves_from_threads(store, threads=8, count=25):
    workers = [threading.Thread(target=_save_many, args=(store.path, f"t{t}", count)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {f"t{t}-{n}" for t in range(threads) for n in range(count)}


def test_concurrent_saves_from_threads_lose_nothing(store):
    expected = _saves_from_threads(store)
    assert set(ModelDefaults(store.path).all()) == expected


def test_without_fcntl_the_thread_lock_still_loses_nothing(store, monkeypatch):
    monkeypatch.setattr(model_defaults, "fcntl", None)
    expected = _saves_from_threads(store)
    assert set(ModelDefaults(store.path).all()) == expected


@pytest.mark.skipif(model_defaults.fcntl is None, reason="processes are serialised with fcntl only")
def test_concurrent_saves_from_processes_lose_nothing(store):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_save_many, args=(store.path, f"p{p}", 25)) for p in range(4)]
    for process in processes:
        process.start()
    _save_many(store.path, "parent", 25)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    expected = {f"{prefix}-{n}" for prefix in ["parent", "p0", "p1", "p2", "p3"] for n in range(25)}
    assert set(ModelDefaults(store.path).all()) == expected
