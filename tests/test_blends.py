"""Blends (1.5) and schedules ([2:1:0.5]) through every host profile's real sequence."""

import pytest

from tests.fakewebui import CLIP_KEY, prompt_parser
from tests.fakewebui.infotext import NO_CHANGE, update
from tests.fakewebui.prompt_parser import Layers

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tests.fakewebui.http import fastapi_app  # noqa: E402

SCHEDULE = 5  # the schedule box's position among our args


def layer(value):
    """What the fake SD1 encoder makes at a whole Clip skip (processing.py:encode)."""
    return Layers({13 - value if value > 1 else 12: 1.0})


def blend(value):
    lower = int(value)
    share = round(value - lower, 1)
    return layer(lower) * (1 - share) + layer(lower + 1) * share


def args(value=1, schedule="", hires=None):
    return (True, value, False, hires is not None, hires or 1, schedule)


def watch_the_setting(webui):
    """Every value the live setting holds while the job encodes and samples: the host must only ever see ints."""
    seen = []
    webui.meanwhile.append(lambda: seen.append(webui.opts.data.get(CLIP_KEY)))
    return seen


def test_a_blend_is_the_weighted_sum_of_the_two_layers_and_the_infotext_stays_portable(webui):
    seen = watch_the_setting(webui)
    processed, _ = webui.txt2img(args(1.5), n_iter=2)
    assert [image[3] for image in processed.images] == [blend(1.5)] * 2
    assert all("Clip skip: 2, Clip skip blend: 1.5," in text for text in processed.infotexts)
    assert seen and all(isinstance(value, int) for value in seen)
    assert webui.global_clip_skip == 1


@pytest.mark.parametrize("value", [1.0, 2.0, 12.0])
def test_a_whole_number_written_with_a_decimal_is_that_whole_value_exactly(webui, value):
    whole, _ = webui.txt2img((True, int(value)))
    dotted, _ = webui.txt2img((True, value))
    assert dotted.images == whole.images and dotted.infotexts == whole.infotexts
    assert "blend" not in dotted.infotexts[0]


def test_the_cache_never_serves_a_blend_for_a_whole_value_or_the_reverse(webui):
    """A blend holds its nearest whole value in the setting, which is what the host's cache keys on
    (processing.py:cached_params): 1.5 and 2 share a key, so each must empty the caches."""
    first, _ = webui.txt2img(args(1.5))
    whole, _ = webui.txt2img((True, 2))
    again, _ = webui.txt2img(args(1.5))
    assert (first.images[0][3], whole.images[0][3], again.images[0][3]) == (blend(1.5), layer(2), blend(1.5))
    grid = webui.xyz_plot((True, 4), x=("Clip skip", "2, 1.5, 2"))
    assert grid.order == [(2, 0), (1.5, 0), (2, 0)]
    assert (grid.cells[(1.5, 0)].images[0][3], grid.cells[(2, 0)].images[0][3]) == (blend(1.5), layer(2))  # cell 3
    webui.opts.data[CLIP_KEY] = 2  # the global value itself at 2, the accordion off
    off, _ = webui.txt2img((False, 1))
    assert off.images[0][3] == layer(2)


def test_each_whole_value_is_encoded_once_per_pass(webui):
    webui.encode_calls.clear()
    webui.txt2img(args(schedule="[1.5:2:0.5]"), steps=4)
    assert sorted(n for _, n in webui.encode_calls) == [1, 2]


def test_a_schedule_switches_where_prompt_editing_would(webui):
    processed, _ = webui.txt2img(args(schedule="[2:1:0.5]"), steps=4)
    # [a:b:0.5] over 4 steps: a while the step is at most int(0.5 * 4) = 2 (prompt_parser.py), steps counted from 0
    assert processed.images[0][3] == (layer(2), layer(2), layer(2), layer(1))
    # quoted by the host, as every value holding ':' (infotext_utils.py:quote)
    assert 'Clip skip: 2, Clip skip schedule: "[2:1:0.5]",' in processed.infotexts[0]
    stages, _ = webui.txt2img(args(schedule="3:1, 1.5:2, 1"), steps=4)
    assert stages.images[0][3] == (layer(3), layer(3), blend(1.5), layer(1))
    assert 'Clip skip schedule: "3:1, 1.5:2, 1"' in stages.infotexts[0]
    assert webui.global_clip_skip == 1


def test_a_schedule_that_switches_at_step_0_is_its_second_value(webui):
    switched, _ = webui.txt2img(args(schedule="[2:1:0]"), steps=4)
    plain, _ = webui.txt2img((True, 1), steps=4)
    assert switched.images[0][3] == plain.images[0][3] == layer(1)


def test_the_schedule_box_outranks_the_slider_and_auto(webui):
    processed, _ = webui.txt2img((True, 7, True, False, 1, "1.5"))
    assert processed.images[0][3] == blend(1.5)


def test_hires_with_its_own_blend_or_following_the_schedule(webui):
    own, _ = webui.txt2img(args(1.5, hires=3), enable_hr=True)
    assert own.images[0][3:] == (blend(1.5), layer(3))
    assert "Clip skip: 2, Clip skip blend: 1.5, Hires clip skip: 3," in own.infotexts[0]
    fraction, _ = webui.txt2img(args(1, hires=2.5), enable_hr=True)
    assert fraction.images[0][3:] == (layer(1), blend(2.5))
    assert "Hires clip skip: 3, Hires clip skip blend: 2.5," in fraction.infotexts[0]
    # A share below 1.0 lies in the first pass: the hires pass has the schedule's last value (prompt_parser.py)
    followed, _ = webui.txt2img(args(schedule="[2:1:0.5]"), enable_hr=True, steps=4)
    assert followed.images[0][4] == layer(1)
    assert webui.global_clip_skip == 1


def test_an_xyz_float_range_gives_one_blend_per_cell_and_each_records_its_own(webui):
    grid = webui.xyz_plot((True, 4), x=("Clip skip", "1-2 [6]"))
    values = [1, 1.2, 1.4, 1.6, 1.8, 2]
    assert [cell.images[0][3] for cell in grid.cells.values()] == [blend(v) if v % 1 else layer(v) for v in values]
    texts = [cell.infotexts[0] for cell in grid.cells.values()]
    assert "Clip skip: 1," in texts[0] and "blend" not in texts[0]
    assert "Clip skip: 1, Clip skip blend: 1.2," in texts[1] and "Clip skip: 2, Clip skip blend: 1.6," in texts[3]
    assert grid.x_labels == [f"Clip skip: {v}" for v in ("1", "1.2", "1.4", "1.6", "1.8", "2")]
    assert "Clip skip blend" not in grid.infotext
    assert webui.global_clip_skip == 1


def test_the_schedule_axis(webui):
    grid = webui.xyz_plot((True, 4), x=("Clip skip schedule", '"[2:1:0.5]", 1.5'), steps=4)
    cells = list(grid.cells.values())
    assert cells[0].images[0][3] == (layer(2), layer(2), layer(2), layer(1))
    assert cells[1].images[0][3] == blend(1.5)
    assert grid.x_labels == ["Clip skip schedule: [2:1:0.5]", "Clip skip schedule: 1.5"]


@pytest.mark.parametrize("text", ["1.55", "1-2 [4.5]", "0.5-1 [2]"])
def test_an_xyz_value_with_two_decimals_stops_the_plot_before_any_image(webui, text):
    with pytest.raises(Exception, match="X/Y/Z plot: Clip skip"):
        webui.xyz_plot((True, 4), x=("Clip skip", text))
    assert webui.encode_calls == []


def test_pasting_restores_the_exact_value_or_schedule(webui):
    for wanted, job in ((args(1.5), {}), (args(schedule="[2:1:0.5]"), {"steps": 4})):
        processed, _ = webui.txt2img(wanted, **job)
        updates, overrides = webui.paste(processed.infotexts[0])
        fields = [*webui.tab_fields, *webui.txt2img_runner.infotext_fields]
        by_component = {id(component): u for (component, _), u in zip(fields, updates, strict=True)}
        controls = webui.extension().controls
        assert by_component[id(controls[SCHEDULE])] == update(wanted[SCHEDULE] or "1.5")
        assert by_component[id(controls[1])] == update(2.0)
        assert overrides == []


def test_without_the_extension_a_blend_image_pastes_as_its_whole_value(webui):
    """What a WebUI without the extension does with the infotext: `Clip skip: 2` and an unknown key it ignores."""
    from tests.fakewebui.infotext import paste

    processed, _ = webui.txt2img(args(1.5))
    _, overrides = paste(webui, processed.infotexts[0], [])
    assert overrides == ["Clip skip: 2"]


def test_the_api_takes_blends_and_schedules_and_refuses_the_rest(webui):
    client = TestClient(fastapi_app(webui))

    def post(ours):
        return client.post("/sdapi/v1/txt2img", json={"alwayson_scripts": {"clip skip": {"args": ours}}})

    assert "Clip skip blend: 1.5" in post([True, 1.5]).json()["infotexts"][0]
    assert 'Clip skip schedule: "[2:1:0.5]"' in post([True, 1, False, False, 1, "[2:1:0.5]"]).json()["infotexts"][0]
    assert "Clip skip blend: 2.5" in client.post("/sdapi/v1/txt2img", json={"clip_skip": 2.5}).json()["infotexts"][0]
    webui.encode_calls.clear()
    for bad, words in (
        ([True, 1.55], "at most one decimal, got 1.55"),
        ([True, 1, False, False, 1, "[2:1]"], "three parts"),
    ):
        answer = post(bad)
        assert answer.status_code == 422 and words in answer.json()["detail"]
    assert webui.encode_calls == []
    assert webui.global_clip_skip == 1


def test_a_host_without_a_place_for_blends_uses_the_nearest_whole_value_and_says_so(make_webui):
    webui = make_webui(config={CLIP_KEY: 1})
    del webui.prompt_parser.get_learned_conditioning  # as if the host had no prompt_parser function to wrap
    webui.load_extension()
    webui.prompt_parser.get_learned_conditioning = prompt_parser.make_module().get_learned_conditioning
    processed, _ = webui.txt2img(args(1.5))
    assert processed.images[0][3] == layer(2)
    assert "Clip skip: 2," in processed.infotexts[0] and "blend" not in processed.infotexts[0]
    assert "This WebUI offers no place to encode Clip skip 1.5: the nearest whole value is used" in processed.comments
    assert webui.global_clip_skip == 1


def test_schedule_box_paste_leaves_it_when_nothing_is_recorded(webui):
    updates, _ = webui.paste("a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 64x64, Version: v1")
    fields = [*webui.tab_fields, *webui.txt2img_runner.infotext_fields]
    by_component = {id(component): u for (component, _), u in zip(fields, updates, strict=True)}
    # A missing Clip skip is the host's 1 (parse_generation_parameters): a whole value, so the box is cleared.
    assert by_component[id(webui.extension().controls[SCHEDULE])] in (update(""), NO_CHANGE)


def test_the_api_infotext_field_restores_the_exact_value_or_schedule(webui):
    """The API makes `Clip skip: 2` an override of its own beside the pasted 1.5 (api.py:Api.apply_infotext)."""
    for wanted, job in ((args(1.5), {}), (args(schedule="[2:1:0.5]"), {"steps": 4})):
        made = webui.api_txt2img({"alwayson_scripts": {"clip skip": {"args": list(wanted)}}, **job})
        infotext = made["infotexts"][0]
        pasted = webui.api_txt2img({"infotext": infotext, **job})
        if webui.profile.paste_drops_clip_skip:
            # Forge Neo pops `Clip skip` in parse_generation_parameters and the API calls no infotext_pasted
            # callback (api.py:Api.apply_infotext), so no paste target sees it: the host's own global value is
            # used and the infotext says nothing else.
            assert "Clip skip" not in pasted["infotexts"][0].splitlines()[-1]
            continue
        assert pasted["infotexts"][0].splitlines()[-1] == infotext.splitlines()[-1]
        assert pasted["images"] == made["images"]
    assert webui.global_clip_skip == 1
