import logging

import pytest

from sd_webui_clip_skip.host import CheckpointRef
from sd_webui_clip_skip.models import defaults as model_defaults
from sd_webui_clip_skip.models import metadata as model_metadata
from sd_webui_clip_skip.models.auto import AutoSource, AutoValue, resolve_auto
from sd_webui_clip_skip.models.defaults import DEFAULTS_FILENAME, ModelDefaults
from sd_webui_clip_skip.rules.values import ClipSkipError
from tests.samples.make_samples import write_safetensors


@pytest.fixture(autouse=True)
def _fresh_module_state(monkeypatch):
    monkeypatch.setattr(model_defaults, "_reported", set())
    monkeypatch.setattr(model_metadata, "_cache", model_metadata._Recent(model_metadata.CACHE_SIZE))
    monkeypatch.setattr(model_metadata, "_warned", model_metadata._Recent(model_metadata.CACHE_SIZE))


@pytest.fixture
def defaults(tmp_path):
    return ModelDefaults(tmp_path / DEFAULTS_FILENAME)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "animeModelV3.safetensors"
    write_safetensors(path, {"ss_clip_skip": "2"})
    return CheckpointRef("animeModelV3", "abc123", str(path))


def test_a_saved_default_comes_first(defaults, model):
    defaults.save("abc123", "animeModelV3", 3)
    auto = resolve_auto(model, defaults, 1)
    assert auto == AutoValue(3, AutoSource.SAVED, "animeModelV3")
    assert auto.text == "3 · saved for animeModelV3"


def test_a_saved_default_without_a_name_is_shown_with_the_checkpoint_name(defaults, model):
    defaults.save("abc123", "", 3)
    assert resolve_auto(model, defaults, 1).text == "3 · saved for animeModelV3"


def test_the_model_metadata_comes_next(defaults, model):
    defaults.save("other", "realisticV6", 4)
    auto = resolve_auto(model, defaults, 1)
    assert auto == AutoValue(2, AutoSource.METADATA, "ss_clip_skip")
    assert auto.text == "2 · from model metadata (ss_clip_skip)"


def test_the_metadata_key_is_shown(tmp_path):
    path = tmp_path / "sdxl.safetensors"
    write_safetensors(path, {"modelspec.encoder_layer": "2"})
    auto = resolve_auto(CheckpointRef("sdxl", None, str(path)), None, 1)
    assert auto.text == "2 · from model metadata (modelspec.encoder_layer)"


def test_the_global_setting_comes_last(defaults, tmp_path):
    path = tmp_path / "plain.safetensors"
    write_safetensors(path, {"ss_clip_skip": "None"})
    auto = resolve_auto(CheckpointRef("plain", "abc123", str(path)), defaults, 1)
    assert auto == AutoValue(1, AutoSource.GLOBAL)
    assert auto.text == "1 · global setting"


@pytest.mark.parametrize(
    "checkpoint",
    [
        None,
        CheckpointRef("noHash"),
        CheckpointRef("noHash", None, None),
        CheckpointRef("missing", "zzz", "/nonexistent/missing.safetensors"),
        CheckpointRef("pickle", "zzz", "/nonexistent/model.ckpt"),
    ],
)
def test_missing_hash_path_or_file_fall_back_to_the_global_setting(defaults, checkpoint):
    defaults.save("abc123", "animeModelV3", 3)
    assert resolve_auto(checkpoint, defaults, 2) == AutoValue(2, AutoSource.GLOBAL)


def test_no_store_goes_straight_to_the_metadata(model):
    assert resolve_auto(model, None, 1).source is AutoSource.METADATA


def test_a_hash_without_a_saved_default_and_no_path_uses_the_global_setting(defaults):
    assert resolve_auto(CheckpointRef("x", "abc123", None), defaults, 4) == AutoValue(4, AutoSource.GLOBAL)


def test_a_broken_store_and_a_broken_model_file_do_not_stop_generation(defaults, tmp_path, caplog):
    defaults.path.write_text("{not json", encoding="utf-8")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x04\0\0\0\0\0\0\0nope")
    assert resolve_auto(CheckpointRef("broken", "abc123", str(broken)), defaults, 1) == AutoValue(1, AutoSource.GLOBAL)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


@pytest.mark.parametrize("global_value", [0, 13, "abc", None])
def test_a_global_value_that_is_not_a_clip_skip_is_an_error(global_value):
    with pytest.raises(ClipSkipError, match="CLIP_stop_at_last_layers must be an integer from 1 to 12"):
        resolve_auto(None, None, global_value)


def test_a_global_value_is_read_as_the_webui_stores_it():
    assert resolve_auto(None, None, 2.0) == AutoValue(2, AutoSource.GLOBAL)
