"""The X/Y/Z plot axis: value syntax, validation before the first image, and every cell's value."""

import sys
from types import SimpleNamespace

import pytest

from sd_webui_clip_skip.rules.values import ClipSkipError
from sd_webui_clip_skip.rules.xyz import (
    AxisValueError,
    apply_axis_value,
    apply_schedule_axis_value,
    axis_value,
    format_axis_value,
    format_schedule_axis_value,
    parse_axis_values,
    parse_schedule_axis_values,
    schedule_axis_value,
)
from tests.fakewebui import CLIP_KEY, PROFILES, Checkpoint, FakeWebUI
from tests.fakewebui.xyz import process_axis


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("1-12", list(range(1, 13))),
        ("1-12 (+2)", [1, 3, 5, 7, 9, 11]),
        ("1-12 [4]", [1, 4, 8, 12]),
        ("2,4,6", [2, 4, 6]),
        ("1-4, 7", [1, 2, 3, 4, 7]),
        ("12-10", [12, 11, 10]),
        (" 3 ", [3]),
    ],
)
def test_the_hosts_int_range_syntax(text, values):
    assert parse_axis_values(text) == values


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0", "'0' is not a number from 1 to 12 with at most one decimal"),
        ("13", "'13'"),
        ("a", "'a'"),
        ("1.55", "'1.55'"),
        ("0,5", "'0'"),
        ("1-20", "range '1-20' includes 13"),
        ("", "at least one value"),
        ("1-12 (-1)", "never reaches its end"),
    ],
)
def test_bad_values_name_themselves_and_the_range(text, words):
    with pytest.raises(AxisValueError, match=r"X/Y/Z plot: Clip skip") as error:
        parse_axis_values(text)
    assert words in str(error.value)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("1-2 [6]", [1, 1.2, 1.4, 1.6, 1.8, 2]),
        ("1-2 [3]", [1, 1.5, 2]),
        ("2-1 [3]", [2, 1.5, 1]),
        ("1-2 [2]", [1, 2]),
        ("1-2 [1]", [1]),
        ("1-12 [12]", list(range(1, 13))),
        ("1-2 [4]", [1, 1, 1, 2]),  # 1.33 and 1.67 need two decimals: truncated as the host's int axis does
        ("1-2 (+0.5)", [1, 1.5, 2]),
        ("1.5-3 (+0.5)", [1.5, 2, 2.5, 3]),
        ("2-1 (-0.5)", [2, 1.5, 1]),
        ("1.1-1.3 (+0.1)", [1.1, 1.2, 1.3]),
        ("1-2 (+0.3)", [1, 1.3, 1.6, 1.9]),  # never past its end
        ("1-2(+0.5)", [1, 1.5, 2]),
        ("1 - 2", [1, 2]),
        ("1.-2.", [1, 2]),
        ("1.5-1.5", [1.5]),
        ("2, 2.5, 3", [2, 2.5, 3]),
        ("1.50, 2.0", [1.5, 2]),
        (" 1-2 [6] , 12", [1, 1.2, 1.4, 1.6, 1.8, 2, 12]),
    ],
)
def test_the_hosts_float_range_syntax_gives_blends(text, values):
    parsed = parse_axis_values(text)
    assert parsed == values
    assert [type(value) for value in parsed] == [type(value) for value in values]  # whole values stay ints


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1-2 (+0.05)", "range '1-2 (+0.05)': +0.05 has more than one decimal"),
        ("1.05-2", "range '1.05-2': 1.05 has more than one decimal"),
        ("1-2.55 [3]", "2.55 has more than one decimal"),
        ("1-2 [0]", "range '1-2 [0]' asks for no values"),
        ("1-2 (+0)", "never reaches its end"),
        ("1-2 (+0.0)", "never reaches its end"),
        ("2-1 (+0.5)", "never reaches its end"),
        ("1-2 (-0.5)", "never reaches its end"),
        ("0-2 (+0.5)", "range '0-2 (+0.5)' includes 0; values must be a number from 1 to 12"),
        ("0.5-1 [2]", "includes 0.5"),
        ("1-13 [3]", "includes 13"),
        ("12-13 (+0.5)", "includes 12.5"),
        ("-1-2", "includes -1"),
        ("1-2 [-1]", "value '1-2 [-1]' is not a number from 1 to 12 with at most one decimal"),
        ("1-2 [4.5]", "value '1-2 [4.5]' is not"),
        ("1-2 (0.5)", "value '1-2 (0.5)' is not"),  # the step is signed, as in the host
        ("1-1e1", "value '1-1e1' is not"),
        ("1e1", "value '1e1' is not"),
        ("nan", "value 'nan' is not"),
        ("1-2 [6], 1.55", "value '1.55' is not"),
        (" , ", "needs at least one value"),
        pytest.param("1-" + "9" * 400, "is not a number from 1 to 12", id="1-(400 nines)"),
        pytest.param("1-1000000", "includes 13", id="1-1000000"),
        pytest.param("1-12 [1000000000]", "more than 1000 values", id="a billion values"),
        pytest.param("9" * 5000, "is not", id="5000 nines"),
    ],
)
def test_bad_ranges_are_refused_before_any_image_naming_the_range(text, words):
    with pytest.raises(AxisValueError, match=r"^X/Y/Z plot: Clip skip") as error:
        parse_axis_values(text)
    assert words in str(error.value)


@pytest.mark.parametrize(("value", "expected"), [("1.5", 1.5), (2.0, 2), ("12", 12), (1.1 + 0.2, 1.3)])
def test_an_axis_value_is_a_blend(value, expected):
    assert axis_value(value) == expected and type(axis_value(value)) is type(expected)


@pytest.mark.parametrize("value", [True, None, "1.55", 0, "13", "1-2"])
def test_a_bad_axis_value_is_an_axis_error_and_a_clip_skip_error(value):
    with pytest.raises(AxisValueError, match=rf"^X/Y/Z plot: Clip skip value {value!r} is not a number") as error:
        axis_value(value)
    assert isinstance(error.value, ClipSkipError)


def test_a_blend_cell_gives_the_host_its_nearest_whole_value_and_the_hooks_the_blend():
    p = SimpleNamespace(override_settings={})
    apply_axis_value(p, 1.5, [1, 1.5])
    assert p.override_settings == {"CLIP_stop_at_last_layers": 2} and p.clip_skip_axis == 1.5
    assert format_axis_value(p, None, 1.5) == "Clip skip: 1.5" and format_axis_value(p, None, 2) == "Clip skip: 2"


@pytest.mark.parametrize(
    ("text", "schedules"),
    [
        ('"[2:1:0.5]", "3:0.3, 2:0.6, 1"', ["[2:1:0.5]", "3:0.3, 2:0.6, 1"]),
        ("[2:1:0.5], 1.50", ["[2:1:0.5]", "1.5"]),
        ('"3:0.3, 1"', ["[3:1:0.3]"]),
        (' "[2:1:0.50]" ', ["[2:1:0.50]"]),
        ("[2:1:0.5],,1.5", ["[2:1:0.5]", "1.5"]),
        ('"[ 2.0 : 1 : 8 ]", 2.0', ["[2:1:8]", "2"]),
    ],
)
def test_the_schedule_axis_splits_as_the_host_splits_text_values_and_keeps_canonical_schedules(text, schedules):
    assert parse_schedule_axis_values(text) == schedules
    assert [schedule_axis_value(schedule) for schedule in schedules] == schedules


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3:0.3, 2:0.6, 1", "the last stage has no switch point, got '3:0.3'"),  # unquoted: split at its commas
        ('"[2:1]"', "[A:B:WHEN] takes three parts"),
        ("13", "value '13' must be a number from 1 to 12"),
        ('"1.55"', "value '1.55' must be"),
        ("", "needs at least one schedule, such as [2:1:0.5]"),
        ('"", ', "needs at least one schedule"),
    ],
)
def test_bad_schedules_on_the_axis_are_refused_naming_the_problem(text, words):
    with pytest.raises(AxisValueError, match=r"^X/Y/Z plot: Clip skip schedule") as error:
        parse_schedule_axis_values(text)
    assert words in str(error.value)


def test_a_very_long_quoted_schedule_is_read_or_refused_as_an_axis_error():
    text = '"' + " " * 140_000 + '1.5"'  # one quoted value past the csv module's 131072-character field limit
    try:
        schedules = parse_schedule_axis_values(text)
    except AxisValueError:
        return
    assert schedules == ["1.5"]


def test_a_schedule_cell_gives_the_host_its_first_value_whole_and_the_hooks_the_schedule():
    p = SimpleNamespace(override_settings={})
    apply_schedule_axis_value(p, "[2.5:1:0.5]", ["[2.5:1:0.5]"])
    assert p.override_settings == {"CLIP_stop_at_last_layers": 3} and p.clip_skip_axis == "[2.5:1:0.5]"
    assert format_schedule_axis_value(p, None, "[2:1:0.5]") == "Clip skip schedule: [2:1:0.5]"
    with pytest.raises(AxisValueError, match="must be a Clip skip"):
        schedule_axis_value(None)


def axis(webui):
    return next(o for o in webui.xyz_module.axis_options if o.label == "Clip skip")


def test_the_hosts_entry_is_replaced_in_place_once(webui):
    labels = [o.label for o in webui.xyz_module.axis_options]
    assert labels.count("Clip skip") == 1
    assert labels.index("Clip skip") == 5  # the host's own position, so API indexes keep working
    assert axis(webui).apply is not None and axis(webui).prepare is not None
    webui.callbacks.fire("before_ui")
    assert [o.label for o in webui.xyz_module.axis_options] == labels


def test_no_callback_is_registered_when_the_plot_loaded_first(webui):
    # each registration costs the host an inspect.stack() at startup
    assert not webui.callbacks.registered.get("before_ui")


def test_a_plot_loaded_after_the_extension_gets_the_axis_before_the_ui(request):
    webui = FakeWebUI(config={CLIP_KEY: 1})
    webui.install()
    request.addfinalizer(webui.uninstall)
    scripts_data = sys.modules["modules.scripts"].scripts_data
    plot = scripts_data.pop()
    webui.load_extension()
    scripts_data.append(plot)
    webui.callbacks.fire("before_ui")
    assert getattr(axis(webui), "clip_skip_extension", False)


def test_dropdown_choices_and_typed_values_agree(webui):
    assert axis(webui).choices() == [str(n) for n in range(1, 13)]
    assert process_axis(axis(webui), "", ["1", "3"], csv_mode=False) == [1, 3]
    assert process_axis(axis(webui), "1-12 [4]", [], csv_mode=True) == [1, 4, 8, 12]


@pytest.mark.parametrize("accordion", [(True, 7), (False, 7)])
def test_each_cell_uses_its_own_value_with_the_accordion_on_or_off(webui, accordion):
    grid = webui.xyz_plot(accordion, x=("Clip skip", "1-4"))
    assert grid.x_labels == ["Clip skip: 1", "Clip skip: 2", "Clip skip: 3", "Clip skip: 4"]
    for value in (1, 2, 3, 4):
        processed = grid.cells[(value, 0)]
        assert {image[3] for image in processed.images} == {f"layer {13 - value}"}
        assert processed.infotexts[0].count(f"Clip skip: {value},") == 1
    assert webui.opts.data == {CLIP_KEY: 1}


def test_the_grid_infotext_claims_no_single_value(make_webui):
    webui = make_webui(config={CLIP_KEY: 2})
    grid = webui.xyz_plot((True, 7), x=("Clip skip", "1-4"))
    assert "Clip skip" not in grid.infotext.split("\n")[-1].replace("X Type: Clip skip", "")
    assert "X Type: Clip skip" in grid.infotext


def test_a_non_clip_skip_axis_keeps_the_accordion_value_on_every_cell_and_the_grid(webui):
    grid = webui.xyz_plot((True, 7), x=("Steps", "1,2,3"))
    assert all(cell.infotexts[0].count("Clip skip: 7,") == 1 for cell in grid.cells.values())
    assert "Clip skip: 7," in grid.infotext
    assert webui.opts.data == {CLIP_KEY: 1}


@pytest.mark.parametrize("flavor", sorted(PROFILES))
def test_combined_with_seed_prompt_and_checkpoint_axes_batches_and_hires(make_webui, flavor):
    webui = make_webui(flavor=flavor, config={CLIP_KEY: 1}, checkpoints=[Checkpoint("a"), Checkpoint("b")])
    for y in (("Seed", "1,2"), ("Prompt S/R", "cat,dog"), ("Checkpoint name", "a,b")):
        grid = webui.xyz_plot((True, 7), x=("Clip skip", "2,5"), y=y, batch_size=2, enable_hr=True)
        for (value, _), processed in grid.cells.items():
            assert {image[3] for image in processed.images} == {f"layer {13 - value}"}
            assert {image[4] for image in processed.images} == {f"layer {13 - value}"}
            assert all(text.count(f"Clip skip: {value},") == 1 for text in processed.infotexts)


@pytest.mark.parametrize("bad", ["0,5", "13", "a", "1.55", "1-20"])
def test_bad_values_stop_the_plot_before_any_image(webui, bad):
    with pytest.raises(AxisValueError, match="from 1 to 12"):
        webui.xyz_plot((True, 7), x=("Clip skip", bad))
    assert webui.encode_calls == []


def test_a_sweep_encodes_no_more_often_than_the_hosts_own_axis(request):
    def encodes(replace_axis):
        webui = FakeWebUI(config={CLIP_KEY: 1})
        webui.install()
        request.addfinalizer(webui.uninstall)
        if replace_axis:
            webui.load_extension()
            plot = webui.xyz_plot
        else:  # the WebUI without the extension
            from tests.fakewebui import processing, xyz

            webui.load_extension()
            webui.xyz_module.axis_options[5] = xyz.default_axis_options(webui.profile)[5]

            def plot(extension_args, **kwargs):
                p = processing.Processing(webui)
                return xyz.run_job(webui, p, webui.txt2img_runner, webui.ui_args((False, 1)), **kwargs)

        plot((False, 1), x=("Clip skip", "1-4"), y=("Seed", "1,2,3"))
        return len(webui.encode_calls)

    assert encodes(replace_axis=True) <= encodes(replace_axis=False)
    assert encodes(replace_axis=True) == 4  # once per value: seeds are the inner loop


@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 3}])
def test_a_failing_cell_or_a_fresh_install_leaves_the_global_value(make_webui, config):
    webui = make_webui(config=config)
    webui.fail_while_sampling = True
    webui.xyz_plot((True, 7), x=("Clip skip", "1-3"))
    assert len(webui.reported_xyz) == 3
    assert webui.opts.data == config


def test_api_xyz_plot_with_the_accordion_on(webui):
    """script_name "x/y/z plot" over the API runs the same Script.run with the request's args."""
    grid = webui.xyz_plot((True, 7), x=("Clip skip", "1-4"), is_api=True)
    assert [grid.cells[(v, 0)].infotexts[0].count(f"Clip skip: {v},") for v in (1, 2, 3, 4)] == [1, 1, 1, 1]
    assert webui.opts.data == {CLIP_KEY: 1}
