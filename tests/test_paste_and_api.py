"""Paste-back and the API as the fake host runs them."""

import pytest

from tests.fakewebui import CLIP_KEY
from tests.fakewebui.api import HTTPError, script_info
from tests.fakewebui.infotext import NO_CHANGE, update

PNG_TEXT = "a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 64x64, Clip skip: {value}, Version: v1"


def our_updates(webui, text, runner=None):
    """The updates for (enabled, value, auto, hires, hires value, schedule)."""
    updates, overrides = webui.paste(text, runner)
    runner = runner or webui.txt2img_runner
    fields = [*webui.tab_fields, *runner.infotext_fields]
    by_component = {id(component): u for (component, _), u in zip(fields, updates, strict=True)}
    return [by_component[id(c)] for c in webui.extension(runner).controls], overrides


def test_pasting_clip_skip_turns_the_accordion_on_at_that_value_and_no_global_override(webui):
    (enabled, value, auto, hires, hires_value, schedule), overrides = our_updates(webui, PNG_TEXT.format(value=2))
    assert enabled == update(True)
    assert value == update(2.0)
    assert auto == update(False)  # the image's own value, not the checkpoint's
    assert (hires, hires_value) == (update(False), NO_CHANGE)  # no "Hires clip skip": the hires pass used 2 too
    assert schedule == update("")  # a whole value: the slider says it all, an old blend is cleared
    assert overrides == []  # nothing in the Override settings dropdown


def test_the_host_would_make_a_global_override_without_the_extension(webui):
    """Forge Neo drops the key instead (infotext_utils.py:parse_generation_parameters): nothing of it is pasted."""
    from tests.fakewebui.infotext import paste

    webui.callbacks.registered["infotext_pasted"].clear()  # no extension: nobody else listens
    updates, overrides = paste(webui, PNG_TEXT.format(value=2), [])
    assert overrides == ([] if webui.profile.paste_drops_clip_skip else ["Clip skip: 2"])


def test_on_forge_neo_the_paste_fields_see_clip_skip_only_through_the_extensions_callback(make_webui):
    """Neo pops "Clip skip" before any paste field reads the params, after handing the raw text to the
    infotext_pasted callbacks (3df257ae infotext_utils.py:connect_paste): the extension puts it back there."""
    from tests.fakewebui.infotext import parse_generation_parameters

    webui = make_webui(flavor="neo", config={CLIP_KEY: 1})
    assert "Clip skip" not in parse_generation_parameters(webui, PNG_TEXT.format(value=4))
    (enabled, value, auto, *_), overrides = our_updates(webui, PNG_TEXT.format(value=4))
    assert (enabled, value, auto, overrides) == (update(True), update(4.0), update(False), [])
    webui.callbacks.registered["infotext_pasted"].clear()
    (enabled, value, auto, *_), overrides = our_updates(webui, PNG_TEXT.format(value=4))
    assert (enabled, value, auto, overrides) == (NO_CHANGE, NO_CHANGE, NO_CHANGE, [])


def test_a_missing_key_means_1_as_in_the_host(webui):
    (enabled, value, _, hires, _, _), _ = our_updates(webui, "a cat\nSteps: 20, Sampler: Euler, Seed: 1")
    assert (enabled, value, hires) == (update(True), update(1.0), update(False))


@pytest.mark.parametrize("bad", ["abc", "1.55", "0", "13", "-1"])
def test_bad_values_leave_the_controls_and_the_rest_still_pastes(webui, bad, caplog):
    updates, overrides = webui.paste(PNG_TEXT.format(value=bad))
    (enabled, value, auto, _, hires_value, schedule), _ = our_updates(webui, PNG_TEXT.format(value=bad))
    assert (enabled, value, auto, hires_value, schedule) == (NO_CHANGE,) * 5
    assert updates[0] == update(20.0)  # Steps
    assert overrides == []  # handled by the extension: the host's cast never sees it
    assert "must be a number from 1 to 12 with at most one decimal" in caplog.text


@pytest.mark.parametrize("with_hires", [True, False], ids=["hires-in-infotext", "no-hires-in-infotext"])
def test_the_users_infotext_skip_pasting_setting_is_respected(webui, with_hires):
    webui.opts.data["infotext_skip_pasting"] = ["Clip skip", "Hires clip skip"]
    text = PNG_TEXT.format(value=2)
    if with_hires:
        text = text.replace("Version", "Hires clip skip: 3, Version")
    controls, _ = our_updates(webui, text)
    assert controls == [NO_CHANGE] * 6  # the hires checkbox too: a skipped key feeds no control


def test_skipping_only_hires_clip_skip_still_pastes_clip_skip(webui):
    webui.opts.data["infotext_skip_pasting"] = ["Hires clip skip"]
    (enabled, value, auto, hires, hires_value, _), _ = our_updates(webui, PNG_TEXT.format(value=2))
    assert (enabled, value, auto) == (update(True), update(2.0), update(False))
    assert (hires, hires_value) == (NO_CHANGE, NO_CHANGE)


def test_an_empty_value_is_read_as_the_webui_reads_it_as_1(webui):
    (enabled, value, auto, _, _, _), overrides = our_updates(webui, PNG_TEXT.format(value=""))
    assert (enabled, value, auto, overrides) == (update(True), update(1.0), update(False), [])


def test_sdnext_clip_skip_pastes_and_makes_no_global_override(webui):
    text = PNG_TEXT.format(value=1).replace("Clip skip: 1", "CLiP-skip: 3")
    (enabled, value, auto, _, _, schedule), overrides = our_updates(webui, text)
    assert (enabled, value, auto, schedule, overrides) == (update(True), update(3.0), update(False), update(""), [])


def test_img2img_paste(webui):
    (enabled, value, *_), _ = our_updates(webui, PNG_TEXT.format(value=6), webui.img2img_runner)
    assert (enabled, value) == (update(True), update(6.0))


def test_send_to_another_tab_copies_the_controls_by_label(webui):
    assert webui.txt2img_runner.paste_field_names == ["Clip skip"]
    source = [c for c, key in webui.txt2img_runner.infotext_fields if key in ["Clip skip"]]
    target = [c for c, key in webui.img2img_runner.infotext_fields if key in ["Clip skip"]]
    controls = webui.extension().controls
    assert source == [*controls[:3], controls[5]]  # enabled, value, Auto, schedule; img2img has no hires pass
    img2img = webui.extension(webui.img2img_runner).controls
    assert target == [*img2img[:3], img2img[5]]


@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 1}])
def test_api_infotext_ends_with_the_same_value_as_the_ui_paste(make_webui, config):
    webui = make_webui(config=config)
    result = webui.api_txt2img({"infotext": PNG_TEXT.format(value=3)})
    assert "Clip skip: 3," in result["infotexts"][0]
    assert webui.opts.data == config


def test_api_args_by_title_case_insensitively(webui):
    for title in ("clip skip", "Clip skip", "CLIP SKIP"):
        result = webui.api_txt2img({"alwayson_scripts": {title: {"args": [True, 2]}}})
        assert "Clip skip: 2" in result["infotexts"][0]


def test_api_missing_trailing_args_keep_the_defaults(webui):
    result = webui.api_txt2img({"alwayson_scripts": {"clip skip": {"args": [True]}}})
    assert "Clip skip: 1," in result["infotexts"][0]


def test_api_args_land_in_the_extensions_slice(webui):
    extension = webui.extension()
    assert extension.args_from == 2  # after slot 0 and the other extension's checkbox
    assert extension.args_to == 8


def test_script_info_lists_labels_and_range(webui):
    info = next(entry for entry in script_info(webui) if entry["name"] == "clip skip")
    assert info["is_alwayson"] is True
    slider = {"value": 1, "minimum": 1, "maximum": 12, "step": 1}
    assert info["args"] == [
        {"label": "Clip skip", "value": False},
        {"label": "Clip skip value", **slider},
        {"label": "Auto (per model)", "value": False},
        {"label": "Hires clip skip", "value": False},
        {"label": "Hires clip skip value", **slider},
        {"label": "Exact value or schedule", "value": ""},
    ]


def test_an_unknown_title_is_the_hosts_422(webui):
    with pytest.raises(HTTPError) as error:
        webui.api_txt2img({"alwayson_scripts": {"clipskip": {"args": [True, 2]}}})
    assert error.value.status == 422


def test_ui_has_no_side_effects_when_the_api_calls_it_again(webui):
    registered = {name: len(callbacks) for name, callbacks in webui.callbacks.registered.items()}
    before = webui.extension().controls
    webui.api_default_args(webui.txt2img_runner)
    webui.api_default_args(webui.txt2img_runner)
    assert {name: len(callbacks) for name, callbacks in webui.callbacks.registered.items()} == registered
    assert webui.txt2img_runner.inputs[2:8] == before
    assert webui.opts.data == {CLIP_KEY: 1}


@pytest.mark.parametrize(
    ("recorded", "value", "schedule"),
    [
        ("Clip skip: 2, Clip skip blend: 1.5", 2.0, "1.5"),
        ('Clip skip: 2, Clip skip schedule: "[2:1:0.5]"', 2.0, "[2:1:0.5]"),
        ("CLiP-skip: 1.5", 2.0, "1.5"),  # SD.Next's blend
        ("Clip skip: 4, Dynamic clip skip: 4->2, Dynamic clip skip start: 4", 4.0, "4:1, 3:2, 2"),  # reForge's ramp
        ('Clip skip: 9, Dynamic clip skip schedule: "9,7,4"', 9.0, "9:1, 7:2, 4"),
    ],
)
def test_a_blend_or_a_schedule_pastes_into_the_schedule_box(webui, recorded, value, schedule):
    text = PNG_TEXT.format(value=1).replace("Clip skip: 1", recorded)
    (enabled, pasted_value, auto, _, _, pasted_schedule), overrides = our_updates(webui, text)
    assert (enabled, pasted_value, auto, overrides) == (update(True), update(value), update(False), [])
    assert pasted_schedule == update(schedule)


def test_a_bad_schedule_leaves_the_box_and_says_so(webui, caplog):
    text = PNG_TEXT.format(value=2).replace("Version", 'Clip skip schedule: "[2:1]", Version')
    (enabled, value, *_, schedule), _ = our_updates(webui, text)
    assert (enabled, value, schedule) == (update(True), update(2.0), NO_CHANGE)
    assert "[A:B:WHEN] takes three parts" in caplog.text
