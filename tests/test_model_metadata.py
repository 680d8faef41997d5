import logging
import os
import struct
from pathlib import Path

import pytest

from sd_webui_clip_skip.models import metadata as model_metadata
from sd_webui_clip_skip.models.metadata import (
    MAX_HEADER_BYTES,
    MetadataClipSkip,
    MetadataError,
    clip_skip_from_metadata,
    model_clip_skip,
    read_safetensors_metadata,
)
from tests.samples.make_samples import write_safetensors


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    monkeypatch.setattr(model_metadata, "_cache", model_metadata._Recent(model_metadata.CACHE_SIZE))
    monkeypatch.setattr(model_metadata, "_warned", model_metadata._Recent(model_metadata.CACHE_SIZE))


def lora(tmp_path, metadata, name="lora.safetensors"):
    path = tmp_path / name
    write_safetensors(path, metadata)
    return path


def raw_file(tmp_path, data: bytes, name="broken.safetensors"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def header(raw: bytes) -> bytes:
    return struct.pack("<Q", len(raw)) + raw


def test_reads_the_metadata_of_a_safetensors_file(tmp_path):
    metadata = {"ss_clip_skip": "2", "ss_output_name": "cat", "modelspec.title": "Cat"}
    assert read_safetensors_metadata(lora(tmp_path, metadata)) == metadata


def test_a_file_without_metadata_has_none(tmp_path):
    assert read_safetensors_metadata(lora(tmp_path, None)) == {}


def test_the_extension_is_matched_in_any_case(tmp_path):
    assert read_safetensors_metadata(lora(tmp_path, {"ss_clip_skip": "2"}, "LORA.SafeTensors")) == {"ss_clip_skip": "2"}


@pytest.mark.parametrize("name", ["model.ckpt", "embedding.pt", "lora.bin", "safetensors"])
def test_other_files_are_not_read(tmp_path, name):
    assert read_safetensors_metadata(lora(tmp_path, {"ss_clip_skip": "2"}, name)) == {}


def test_a_missing_file_has_no_metadata_and_no_error(tmp_path):
    assert read_safetensors_metadata(tmp_path / "gone.safetensors") == {}


class _CountingReads:
    def __init__(self, monkeypatch):
        self.read = 0
        real_open = Path.open

        def counting_open(path, *args, **kwargs):
            file = real_open(path, *args, **kwargs)
            real_read = file.read

            def read(size=-1):
                data = real_read(size)
                self.read += len(data)
                return data

            file.read = read
            return file

        monkeypatch.setattr(Path, "open", counting_open)


def test_only_the_header_is_read_never_the_tensors(tmp_path, monkeypatch):
    path = lora(tmp_path, {"ss_clip_skip": "2"})
    with path.open("ab") as file:
        file.write(b"\0" * 1_000_000)  # tensor data
    header_size = 8 + struct.unpack("<Q", path.read_bytes()[:8])[0]
    reads = _CountingReads(monkeypatch)
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "2"}
    assert reads.read == header_size


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (b"\x02\0\0", "too short"),
        (struct.pack("<Q", 100) + b"{}", "header length 100 is longer than the file"),
        (struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{}", f"over the {MAX_HEADER_BYTES}-byte limit"),
        (struct.pack("<Q", 2**64 - 1) + b"{}", "over the"),
        (header(b"not json!"), "header is not JSON"),
        (header(b"\xff\xfe"), "header is not JSON"),
        (header(b"[]"), "header is not a JSON object"),
        (header(b'{"__metadata__": []}'), "__metadata__ is not a map of strings"),
        (header(b'{"__metadata__": {"ss_clip_skip": 2}}'), "__metadata__ is not a map of strings"),
    ],
)
def test_a_malformed_header_is_a_metadata_error_naming_the_file(tmp_path, data, message):
    path = raw_file(tmp_path, data)
    with pytest.raises(MetadataError, match=message) as caught:
        read_safetensors_metadata(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_truncated_header_is_refused(tmp_path):
    path = lora(tmp_path, {"ss_clip_skip": "2"})
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(MetadataError, match="longer than the file"):
        read_safetensors_metadata(path)


def test_an_unchanged_file_is_read_once(tmp_path, monkeypatch):
    path = lora(tmp_path, {"ss_clip_skip": "2"})
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "2"}
    monkeypatch.setattr(model_metadata, "_parse_header", pytest.fail)
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "2"}
    assert read_safetensors_metadata(tmp_path / "." / "lora.safetensors") == {"ss_clip_skip": "2"}


def test_callers_cannot_change_the_cached_metadata(tmp_path):
    path = lora(tmp_path, {"ss_clip_skip": "2"})
    read_safetensors_metadata(path)["ss_clip_skip"] = "5"
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "2"}


def test_a_file_of_another_size_is_read_again(tmp_path):
    path = lora(tmp_path, {"ss_clip_skip": "2"})
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "2"}
    write_safetensors(path, {"ss_clip_skip": "3", "ss_output_name": "longer"})
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "3", "ss_output_name": "longer"}


def test_a_file_of_the_same_size_but_a_new_mtime_is_read_again(tmp_path):
    path = lora(tmp_path, {"ss_clip_skip": "2"})
    stat = path.stat()
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "2"}
    write_safetensors(path, {"ss_clip_skip": "3"})
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert read_safetensors_metadata(path) == {"ss_clip_skip": "3"}


def test_the_cache_keeps_only_the_most_recent_files(tmp_path, monkeypatch):
    monkeypatch.setattr(model_metadata, "_cache", model_metadata._Recent(2))
    paths = [lora(tmp_path, {"ss_clip_skip": str(n)}, f"{n}.safetensors") for n in (1, 2, 3)]
    parsed = []
    real_parse = model_metadata._parse_header
    monkeypatch.setattr(
        model_metadata, "_parse_header", lambda path, size: parsed.append(path.name) or real_parse(path, size)
    )
    for path in [*paths, paths[2], paths[0]]:
        read_safetensors_metadata(path)
    assert parsed == ["1.safetensors", "2.safetensors", "3.safetensors", "1.safetensors"]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"ss_clip_skip": "2"}, MetadataClipSkip(2, "ss_clip_skip")),
        ({"ss_clip_skip": "1"}, MetadataClipSkip(1, "ss_clip_skip")),
        ({"ss_clip_skip": "12"}, MetadataClipSkip(12, "ss_clip_skip")),
        ({"modelspec.encoder_layer": "2"}, MetadataClipSkip(2, "modelspec.encoder_layer")),
        ({"modelspec.encoder_layer": "3", "ss_clip_skip": "2"}, MetadataClipSkip(3, "modelspec.encoder_layer")),
        ({"modelspec.encoder_layer": "None", "ss_clip_skip": "2"}, MetadataClipSkip(2, "ss_clip_skip")),
        ({"modelspec.encoder_layer": "13", "ss_clip_skip": "2"}, MetadataClipSkip(2, "ss_clip_skip")),
        ({"ss_clip_skip": "None"}, None),
        ({"ss_clip_skip": ""}, None),
        ({"ss_clip_skip": "abc"}, None),
        ({"ss_clip_skip": "1.5"}, None),
        ({"ss_clip_skip": "0"}, None),
        ({"ss_clip_skip": "13"}, None),
        ({"ss_clip_skip": "-2"}, None),
        ({"ss_output_name": "cat"}, None),
        ({}, None),
    ],
)
def test_clip_skip_comes_from_encoder_layer_then_ss_clip_skip(metadata, expected):
    assert clip_skip_from_metadata(metadata) == expected


def test_an_ignored_value_is_logged_at_debug_with_its_key(caplog):
    caplog.set_level(logging.DEBUG, logger="sd_webui_clip_skip")
    assert clip_skip_from_metadata({"ss_clip_skip": "None"}) is None
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "Ignoring model metadata: ss_clip_skip must be an integer from 1 to 12, got 'None'.")
    ]


def test_model_clip_skip_reads_the_file(tmp_path):
    assert model_clip_skip(lora(tmp_path, {"ss_clip_skip": "2"})) == MetadataClipSkip(2, "ss_clip_skip")
    assert model_clip_skip(tmp_path / "missing.safetensors") is None
    assert model_clip_skip(tmp_path / "model.ckpt") is None


def test_model_clip_skip_warns_once_per_version_of_a_broken_file(tmp_path, caplog):
    path = raw_file(tmp_path, header(b"nope"))
    assert model_clip_skip(path) is None
    assert model_clip_skip(path) is None
    assert len(caplog.records) == 1
    assert caplog.records[0].levelno == logging.WARNING
    assert "Could not read Clip skip from the model's metadata" in caplog.text
    assert "header is not JSON" in caplog.text
    path.write_bytes(header(b"still"))
    assert model_clip_skip(path) is None
    assert len(caplog.records) == 2


def test_model_clip_skip_does_not_raise_when_the_file_cannot_be_opened(tmp_path, caplog):
    folder = tmp_path / "folder.safetensors"
    folder.mkdir()
    assert model_clip_skip(folder) is None
    assert model_clip_skip(folder) is None
    assert len(caplog.records) == 1
    assert "Is a directory" in caplog.text
