"""Auto (per model) through the fake host: which value a generation uses, and what it leaves behind."""

import logging
from pathlib import Path

import pytest

from tests.fakewebui import CLIP_KEY, PROFILES, Checkpoint

ANIME = Checkpoint("animeModelV3", metadata={"ss_clip_skip": "2"})
PLAIN = Checkpoint("plainModel", metadata={"ss_clip_skip": "None"})  # kohya without --clip_skip
AUTO = (True, 1, True)  # on, slider at 1, Auto


@pytest.fixture(params=sorted(PROFILES))
def flavor(request):
    return request.param


@pytest.fixture
def webui(make_webui, flavor, caplog):
    caplog.set_level(logging.INFO, logger="sd_webui_clip_skip")
    return make_webui(flavor=flavor, config={CLIP_KEY: 1}, checkpoints=[ANIME, PLAIN])


def layers(processed):
    return {image[3] for image in processed.images}


def save(webui, value):
    """The Save button, as gradio runs its click event."""
    return webui.txt2img_runner.click(webui.extension().elem_id("clip_skip_save"), value)


def test_metadata_beats_the_global_value(webui, caplog):
    processed, _ = webui.txt2img(AUTO)
    assert layers(processed) == {"layer 11"}
    assert "Clip skip: 2," in processed.infotexts[0]
    assert "Clip skip 2 (auto: from model metadata (ss_clip_skip))" in caplog.text


def test_a_saved_default_beats_the_metadata(webui):
    save(webui, 3)
    processed, _ = webui.txt2img(AUTO)
    assert layers(processed) == {"layer 10"}
    assert "Clip skip: 3," in processed.infotexts[0]


def test_without_a_default_or_metadata_the_global_value_is_used(webui, caplog):
    webui.opts.data[CLIP_KEY] = 4
    webui.select_checkpoint("plainModel")
    processed, _ = webui.txt2img(AUTO)
    assert layers(processed) == {"layer 9"}
    assert "Clip skip: 4," in processed.infotexts[0]
    assert "(auto: global setting)" in caplog.text


def test_auto_off_uses_the_slider(webui):
    processed, _ = webui.txt2img((True, 5, False))
    assert layers(processed) == {"layer 8"}


@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 1}, {CLIP_KEY: 3}])
def test_the_global_settings_are_exactly_as_before(make_webui, flavor, config):
    webui = make_webui(flavor=flavor, config=config, checkpoints=[ANIME, PLAIN])
    before = dict(webui.opts.data)
    webui.txt2img(AUTO, enable_hr=True)
    webui.api_txt2img({"alwayson_scripts": {"clip skip": {"args": list(AUTO)}}, "override_settings": {}})
    assert webui.opts.data == before


def test_an_api_checkpoint_override_uses_that_checkpoints_value(webui):
    webui.select_checkpoint("plainModel")
    request = {
        "alwayson_scripts": {"clip skip": {"args": list(AUTO)}},
        "override_settings": {"sd_model_checkpoint": "animeModelV3"},
    }
    result = webui.api_txt2img(request)
    assert "Clip skip: 2," in result["infotexts"][0]
    assert webui.loaded_checkpoint.name_for_extra == "animeModelV3"  # the host did load it for the job
    assert webui.opts.sd_model_checkpoint.startswith("plainModel.safetensors")  # and put the selection back


def test_an_override_the_host_drops_does_not_steer_auto(webui):
    webui.select_checkpoint("plainModel")
    webui.opts.data[CLIP_KEY] = 4
    request = {
        "alwayson_scripts": {"clip skip": {"args": list(AUTO)}},
        "override_settings": {"sd_model_checkpoint": "anime"},
    }
    result = webui.api_txt2img(request)
    assert webui.loaded_checkpoint.name_for_extra == "plainModel"
    assert "Clip skip: 4," in result["infotexts"][0]  # plainModel's Auto value, not animeModelV3's 2


def test_an_xyz_checkpoint_axis_gives_every_cell_its_checkpoints_value(webui):
    save(webui, 6)  # for animeModelV3, the selected one
    grid = webui.xyz_plot(AUTO, x=("Checkpoint name", "plainModel,animeModelV3"))
    assert layers(grid.cells[("plainModel", 0)]) == {"layer 12"}  # global 1
    assert layers(grid.cells[("animeModelV3", 0)]) == {"layer 7"}
    assert "Clip skip: 6," in grid.cells[("animeModelV3", 0)].infotexts[0]


def test_an_xyz_clip_skip_axis_still_beats_auto(webui):
    grid = webui.xyz_plot(AUTO, x=("Clip skip", "3,4"))
    assert [layers(grid.cells[(v, 0)]) for v in (3, 4)] == [{"layer 10"}, {"layer 9"}]


def test_a_corrupt_defaults_file_still_generates_and_is_reported_once(webui, caplog):
    (Path(webui.data_path) / "clip-skip-model-defaults.json").write_text("{not json")
    first, _ = webui.txt2img(AUTO)
    second, _ = webui.txt2img(AUTO)
    assert layers(first) == layers(second) == {"layer 11"}  # the metadata's 2
    assert "Clip skip: 2," in second.infotexts[0]
    unreadable = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(unreadable) == 1
    assert webui.reported == []


def test_pasting_a_value_generates_with_that_value(webui):
    extension = webui.extension()
    updates, _ = webui.paste("a cat\nSteps: 20, Sampler: Euler, Seed: 1, Clip skip: 5, Version: v1")
    fields = [*webui.tab_fields, *webui.txt2img_runner.infotext_fields]
    state = {id(c): c.value for c in extension.controls} | {id(extension.controls[2]): True}  # Auto was on
    for (component, _), u in zip(fields, updates, strict=True):
        if id(component) in state and "value" in u:
            state[id(component)] = u["value"]
    args = [state[id(c)] for c in extension.controls]
    processed, _ = webui.txt2img(args)
    assert "Clip skip: 5," in processed.infotexts[0]
