"""Hires clip skip: the hires-fix pass encoded at its own value, the first pass untouched."""

import pytest

from sd_webui_clip_skip.webui.api_guard import ArgsGuard
from tests.fakewebui import CLIP_KEY
from tests.fakewebui.infotext import NO_CHANGE, update
from tests.fakewebui.processing import Processing

HIRES_2 = (True, 1, False, True, 2)  # first pass 1, hires pass 2
PNG_TEXT = "a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 64x64, Clip skip: 2, {hires}Version: v1"


def passes(processed):
    """(first pass layer, hires pass layer) of every image."""
    return {(image[3], image[4]) for image in processed.images}


@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 1}])
def test_the_hires_pass_is_encoded_at_its_own_value(make_webui, config):
    webui = make_webui(config=config)
    processed, _ = webui.txt2img(HIRES_2, enable_hr=True)
    assert passes(processed) == {("layer 12", "layer 11")}
    assert "Clip skip: 1, Hires clip skip: 2," in processed.infotexts[0]
    assert webui.opts.data == config
    assert webui.reported == []


@pytest.mark.parametrize(("first", "hires"), [(1, 2), (3, 2)])
def test_the_setting_is_back_before_the_next_iterations_first_pass(webui, first, hires):
    processed, _ = webui.txt2img((True, first, False, True, hires), enable_hr=True, n_iter=2, batch_size=2)
    assert passes(processed) == {(f"layer {13 - first}", f"layer {13 - hires}")}
    assert all(f"Hires clip skip: {hires}," in text for text in processed.infotexts)
    # per iteration: the host's hires conds at the first pass's value (iteration 1: its first pass too), then ours;
    # ersatzForge's cache of four pairs still holds all three in the second iteration (profiles.py:cond_cache_list)
    second = [] if webui.profile.cond_cache_list else [first, hires]
    assert [n for _, n in webui.encode_calls] == [first, first, hires, *second]
    assert webui.opts.data == {CLIP_KEY: 1}


def test_the_first_pass_may_come_from_auto_or_an_override(webui):
    processed, _ = webui.txt2img((True, 1, False, True, 4), enable_hr=True, override_settings_texts=["Clip skip: 3"])
    assert passes(processed) == {("layer 10", "layer 9")}
    assert "Clip skip: 3, Hires clip skip: 4," in processed.infotexts[0]


def test_the_same_value_as_the_first_pass_encodes_nothing_more(webui):
    processed, _ = webui.txt2img((True, 2, False, True, 2), enable_hr=True)
    assert passes(processed) == {("layer 11", "layer 11")}
    assert [n for _, n in webui.encode_calls] == [2, 2]


@pytest.mark.parametrize(
    ("args", "enable_hr"), [(HIRES_2, False), ((True, 1, False, False, 2), True), ((False, 1, False, True, 2), True)]
)
def test_no_hires_value_without_hires_fix_or_with_it_off(webui, args, enable_hr):
    processed, _ = webui.txt2img(args, enable_hr=enable_hr)
    assert "Hires clip skip" not in processed.infotexts[0]
    assert {image[4] for image in processed.images} == ({"layer 12"} if enable_hr else {None})


def test_img2img_never_has_a_hires_pass(webui):
    processed, p = webui.img2img(HIRES_2)
    assert not hasattr(p, "enable_hr")
    assert "Hires clip skip" not in processed.infotexts[0]
    assert [n for _, n in webui.encode_calls] == [1]


def test_a_failing_recompute_leaves_the_hosts_hires_conds(webui, monkeypatch, caplog):
    original = Processing.calculate_hr_conds

    def calculate_hr_conds(p):
        if p.hr_c is None and webui.opts.CLIP_stop_at_last_layers == 2:
            raise RuntimeError("out of memory")
        original(p)

    monkeypatch.setattr(Processing, "calculate_hr_conds", calculate_hr_conds)
    processed, _ = webui.txt2img(HIRES_2, enable_hr=True)
    assert "Hires clip skip 2 could not be applied" in caplog.text
    assert passes(processed) == {("layer 12", "layer 12")}  # "the hires pass used the first pass's"
    assert "Hires clip skip" not in processed.infotexts[0]
    assert webui.opts.data == {CLIP_KEY: 1}


def hires_updates(webui, text):
    updates, _ = webui.paste(text)
    fields = [*webui.tab_fields, *webui.txt2img_runner.infotext_fields]
    _, _, _, hires, value, _ = webui.extension().controls
    by_component = {id(component): u for (component, _), u in zip(fields, updates, strict=True)}
    return by_component[id(hires)], by_component[id(value)]


def test_pasting_hires_clip_skip_turns_it_on_at_that_value(webui):
    assert hires_updates(webui, PNG_TEXT.format(hires="Hires clip skip: 3, ")) == (update(True), update(3.0))


def test_pasting_an_image_without_it_turns_it_off(webui):
    assert hires_updates(webui, PNG_TEXT.format(hires="")) == (update(False), NO_CHANGE)


@pytest.mark.parametrize("bad", ["13", "abc", "0"])
def test_pasting_a_bad_value_leaves_it_and_says_so(webui, caplog, bad):
    assert hires_updates(webui, PNG_TEXT.format(hires=f"Hires clip skip: {bad}, ")) == (NO_CHANGE, NO_CHANGE)
    assert f"Pasted 'Hires clip skip' must be an integer from 1 to 12, got '{bad}'" in caplog.text


def test_api_args(webui):
    request = {"alwayson_scripts": {"clip skip": {"args": list(HIRES_2)}}, "enable_hr": True}
    result = webui.api_txt2img(request)
    assert "Clip skip: 1, Hires clip skip: 2," in result["infotexts"][0]
    assert result["images"][0][3:] == ("layer 12", "layer 11")


def test_http_refuses_a_bad_hires_value_naming_it(webui):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from tests.fakewebui.http import fastapi_app

    app = fastapi_app(webui)
    client = TestClient(app)
    body = {
        "prompt": "a cat",
        "enable_hr": True,
        "alwayson_scripts": {"clip skip": {"args": [True, 1, False, True, 13]}},
    }
    answer = client.post("/sdapi/v1/txt2img", json=body)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert (
        'args[4] (hires_clip_skip, "Hires clip skip value") must be a number from 1 to 12 with at most one decimal, '
        "got 13" in detail
    )
    assert webui.encode_calls == []
    body["alwayson_scripts"]["clip skip"]["args"][4] = 2
    assert "Hires clip skip: 2," in client.post("/sdapi/v1/txt2img", json=body).json()["infotexts"][0]
    assert [entry.cls for entry in app.user_middleware].count(ArgsGuard) == 1
