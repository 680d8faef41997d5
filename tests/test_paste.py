import logging

import pytest

from sd_webui_clip_skip.rules.infotext import RecordedExact, parameters, recorded_exact, recorded_value
from sd_webui_clip_skip.rules.paste import dropped_keys, paste_targets, pasted_clip_skip, pasted_schedule

TARGETS = paste_targets()


def test_the_targets_are_the_infotext_label_for_the_host():
    assert TARGETS.clip_skip == "Clip skip" and TARGETS.hires == "Hires clip skip"
    assert {TARGETS.enabled: 1, TARGETS.clip_skip: 1} == {"Clip skip": 1}
    assert callable(TARGETS.clip_skip)
    assert TARGETS.clip_skip({"Clip skip": "3"}) == 3
    assert TARGETS.enabled({"Clip skip": "3"}) is True
    assert TARGETS.auto({"Clip skip": "3"}) is False


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("1", 1), ("12", 12), ("2.0", 2)])
def test_valid_values_turn_on_at_that_value(text, value):
    assert TARGETS.clip_skip({"Clip skip": text}) == value
    assert TARGETS.enabled({"Clip skip": text}) is True


@pytest.mark.parametrize("text", ["abc", "1.55", "0", "13", "-2", "2e0"])
@pytest.mark.parametrize("key", ["Clip skip", "CLiP-skip"])
def test_bad_values_leave_the_controls_and_are_logged_once(text, key, caplog):
    params = {key: text} if key == "Clip skip" else {"Clip skip": "1", key: text}
    assert [target(params) for target in (TARGETS.enabled, TARGETS.clip_skip, TARGETS.auto)] == [None] * 3
    assert len(caplog.records) == 1
    assert f"Pasted '{key}' must be a number from 1 to 12 with at most one decimal" in caplog.text


def test_an_absent_or_empty_key_changes_nothing():
    for params in ({}, {"Clip skip": ""}, {"CLiP-skip": " "}):
        assert TARGETS.clip_skip(params) is None
        assert TARGETS.enabled(params) is None


# -- other WebUIs' keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "value"),
    [
        # SD.Next since f67562b91: the host fills in "Clip skip": "1" when the key is missing
        ({"Clip skip": "1", "CLiP-skip": "3"}, 3),
        ({"CLiP-skip": "2.0"}, 2),  # SD.Next writes floats
        ({"Clip skip": "2", "CLiP-skip": "3"}, 2),  # both present: Clip skip wins
        # reForge's dynamic clip skip writes its start value as Clip skip too
        ({"Clip skip": "4", "Dynamic clip skip": "4->2", "Dynamic clip skip start": "4"}, 4),
        ({"Clip skip": "1", "Dynamic clip skip": "5->2"}, 5),
        ({"Clip skip": "1", "Dynamic clip skip schedule": "6,4,2"}, 6),
        ({"Clip skip": "1", "Dynamic clip skip start": "3", "Dynamic clip skip schedule": "6,4,2"}, 3),
    ],
)
def test_other_webuis_keys_paste_through_the_same_validation(params, value):
    assert TARGETS.clip_skip(params) == value
    assert TARGETS.enabled(params) is True


def test_a_dynamic_schedule_pastes_as_a_schedule_and_is_told_in_the_console(caplog):
    caplog.set_level(logging.INFO, logger="sd_webui_clip_skip")
    params = {"Clip skip": "4", "Dynamic clip skip": "4->2"}
    assert TARGETS.clip_skip(params) == 4
    assert TARGETS.schedule(params) == "4:1, 3:2, 2"
    assert (
        "reForge's dynamic Clip skip (Dynamic clip skip: 4->2), pasted as the schedule 4:1, 3:2, 2: each stage "
        "switches one step later than in reForge" in caplog.text
    )


@pytest.mark.parametrize("bad", ["->2", "abc->2", ",", "13,2"])
def test_a_dynamic_key_without_a_usable_start_changes_nothing(bad):
    assert TARGETS.clip_skip({"Clip skip": "1", "Dynamic clip skip schedule": bad}) in (None, 1)
    assert pasted_clip_skip({"Dynamic clip skip schedule": bad}) is None


def test_the_parameters_line_is_read_as_the_webui_reads_it():
    text = 'a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CLiP-skip: 3, Dynamic clip skip schedule: "4,3,2"'
    params = parameters(text)
    assert params["CLiP-skip"] == "3" and params["Dynamic clip skip schedule"] == "4,3,2"
    assert recorded_value(params).writer == "SD.Next"
    assert parameters("a cat\nSteps: 20, Clip skip: 2") == {}  # fewer than 3 pairs: not a parameters line


# -- the user's "Infotext: skip pasting" ---------------------------------------------------------


def test_a_skipped_clip_skip_changes_no_control_even_with_another_webuis_key():
    targets = paste_targets(lambda: ["Clip skip"])
    params = {"CLiP-skip": "3", "Hires clip skip": "2"}  # the host dropped the skipped "Clip skip"
    assert [targets.enabled(params), targets.clip_skip(params), targets.auto(params)] == [None, None, None]
    assert (targets.hires(params), targets.hires_clip_skip(params)) == (True, 2)


def test_a_skipped_hires_clip_skip_leaves_the_hires_controls():
    targets = paste_targets(lambda: ["Hires clip skip"])
    assert targets.hires({"Clip skip": "2"}) is None  # not "off": the key was skipped, not missing
    assert TARGETS.hires({"Clip skip": "2"}) is False
    assert targets.hires_clip_skip({"Hires clip skip": "3"}) is None


def test_the_skip_list_is_read_at_paste_time():
    skipped: list[str] = []
    targets = paste_targets(lambda: skipped)
    assert targets.clip_skip({"Clip skip": "2"}) == 2
    skipped.append("Clip skip")
    assert targets.clip_skip({"Clip skip": "2"}) is None


# -- the exact value or schedule beside the whole Clip skip --------------------------------------


@pytest.mark.parametrize(
    ("params", "exact"),
    [
        ({"Clip skip": "2", "Clip skip blend": "1.5"}, RecordedExact("Clip skip blend", "1.5")),
        ({"Clip skip": "2", "Clip skip schedule": "[2:1:0.5]"}, RecordedExact("Clip skip schedule", "[2:1:0.5]")),
        # this extension's keys first: the schedule, then the blend, then the other WebUIs'
        (
            {"Clip skip schedule": "[2:1:0.5]", "Clip skip blend": "1.5", "CLiP-skip": "2.5"},
            RecordedExact("Clip skip schedule", "[2:1:0.5]"),
        ),
        ({"Clip skip blend": " 1.5 ", "CLiP-skip": "2.5"}, RecordedExact("Clip skip blend", "1.5")),
        ({"Clip skip schedule": "  ", "Clip skip blend": "1.5"}, RecordedExact("Clip skip blend", "1.5")),
        (
            {"Clip skip blend": "1.5", "Dynamic clip skip schedule": "4,3,2"},
            RecordedExact("Clip skip blend", "1.5"),
        ),
        # SD.Next's CLiP-skip only when it is no whole number
        ({"Clip skip": "1", "CLiP-skip": "1.5"}, RecordedExact("CLiP-skip", "1.5")),
        ({"CLiP-skip": 1.5}, RecordedExact("CLiP-skip", "1.5")),
        ({"CLiP-skip": "2"}, None),
        ({"CLiP-skip": "2.0"}, None),
        ({"CLiP-skip": " 3.00 "}, None),
        ({"CLiP-skip": 2}, None),
        (
            {"CLiP-skip": "1.5", "Dynamic clip skip schedule": "4,3,2"},
            RecordedExact("CLiP-skip", "1.5"),
        ),
        # reForge: the per-step list first, then the ramp from its start
        (
            {"Dynamic clip skip schedule": "4,3,2", "Dynamic clip skip start": "5"},
            RecordedExact("Dynamic clip skip schedule", "4,3,2"),
        ),
        ({"Dynamic clip skip": "4->2"}, RecordedExact("Dynamic clip skip", "4->2", start="4")),
        ({"Dynamic clip skip": "10 -> 2"}, RecordedExact("Dynamic clip skip", "10 -> 2", start="10")),
        (
            {"Dynamic clip skip start": "3", "Dynamic clip skip": "4->2"},
            RecordedExact("Dynamic clip skip", "4->2", start="3"),
        ),
        ({"Dynamic clip skip start": "5"}, RecordedExact("Dynamic clip skip", "5", start="5")),
        ({"Dynamic clip skip": "->2"}, None),
        ({"Clip skip": "2"}, None),
        ({"Clip skip blend": "", "Clip skip schedule": " "}, None),
        ({}, None),
    ],
)
def test_the_exact_value_is_read_from_this_extensions_keys_first(params, exact):
    assert recorded_exact(params) == exact


@pytest.mark.parametrize(
    ("params", "schedule"),
    [
        ({"Clip skip": "2", "Clip skip blend": "1.5"}, "1.5"),
        ({"Clip skip": "2", "Clip skip blend": "1.50"}, "1.5"),  # in canonical form
        ({"Clip skip": "2", "Clip skip schedule": "[2:1:0.5]"}, "[2:1:0.5]"),
        ({"Clip skip": "3", "Clip skip schedule": " 3:0.3,2:0.6,1 "}, "3:0.3, 2:0.6, 1"),
        ({"Clip skip": "1", "CLiP-skip": "1.5"}, "1.5"),
        ({"Clip skip": "9", "Dynamic clip skip schedule": "9,7,7,4"}, "9:1, 7:3, 4"),
        ({"Dynamic clip skip schedule": "4;3;2"}, "4:1, 3:2, 2"),
        ({"Dynamic clip skip start": "3", "Dynamic clip skip": "4->2"}, "[3:2:1]"),
        ({"Clip skip": "2"}, ""),  # a whole value only: the box is emptied
        ({"Clip skip": "2", "CLiP-skip": "2.0"}, ""),
        ({"CLiP-skip": "3"}, ""),
        ({}, None),  # nothing recorded: the box is left
        ({"Clip skip": "abc"}, None),
    ],
)
def test_the_schedule_box_gets_the_recorded_blend_or_schedule_or_is_emptied(params, schedule):
    assert pasted_schedule(params) == schedule
    assert TARGETS.schedule(params) == schedule


@pytest.mark.parametrize(
    ("params", "words"),
    [
        (
            {"Clip skip": "2", "Clip skip schedule": "[2:1]"},
            "Pasted 'Clip skip schedule': [A:B:WHEN] takes three parts",
        ),
        ({"Clip skip": "2", "Clip skip blend": "1.55"}, "Pasted 'Clip skip blend' '1.55': value '1.55' must be"),
        ({"Clip skip": "2", "Clip skip schedule": "[2:13:0.5]"}, "value '13' must be a number from 1 to 12"),
        ({"Clip skip": "1", "CLiP-skip": "2e0"}, "Pasted 'CLiP-skip' '2e0'"),
        ({"Dynamic clip skip schedule": "x,y"}, "Dynamic clip skip schedule 'x,y' has no values"),
        ({"Dynamic clip skip": "abc->2"}, "Dynamic clip skip start must be a number from 1 to 12"),
    ],
)
def test_a_bad_exact_value_leaves_the_box_and_is_logged_once(params, words, caplog):
    assert pasted_schedule(params) is None
    assert not caplog.records
    assert pasted_schedule(params, report=True) is None
    assert len(caplog.records) == 1 and words in caplog.text
    assert "the Clip skip controls were left as they were" in caplog.text


def test_a_skipped_clip_skip_leaves_the_schedule_box():
    params = {"Clip skip": "2", "Clip skip schedule": "[2:1:0.5]"}
    assert pasted_schedule(params, ["Clip skip"]) is None
    assert paste_targets(lambda: ["Clip skip"]).schedule(params) is None


@pytest.mark.parametrize(
    "params",
    [
        {"Clip skip schedule": "[2:1:" + "9" * 400 + "]"},
        {"Dynamic clip skip schedule": "inf"},
        {"Dynamic clip skip schedule": "4, 1e999"},
        {"CLiP-skip": "1" * 5000},
        {"Clip skip schedule": "2:1, " * 1000 + "1:2"},
        {"Clip skip schedule": ["[2:1:0.5]"], "Clip skip": "2"},
        {"Clip skip blend": None, "Clip skip": "2"},
    ],
    ids=["huge switch point", "inf", "1e999", "5000-digit CLiP-skip", "bad 1000 stages", "a list", "None"],
)
def test_no_pasted_text_raises(params):
    pasted = pasted_schedule(params, report=True)
    assert pasted is None or isinstance(pasted, str)


NEO_TEXT = 'a cat\nSteps: 2, Seed: 1, Clip skip: 2, Clip skip schedule: "[2:1:0.5]", Hires clip skip: 3, CLiP-skip: 4'


def test_what_forge_neos_parser_dropped_is_put_back():
    """Neo 3df257ae infotext_utils.py:parse_generation_parameters pops "Clip skip" and keeps the rest."""
    params = {"Steps": "2", "Seed": "1", "Clip skip schedule": "[2:1:0.5]", "Hires clip skip": "3", "CLiP-skip": "4"}
    assert dropped_keys(NEO_TEXT, params) == {"Clip skip": "2"}
    assert dropped_keys(NEO_TEXT, {"Steps": "2"}) == {
        "Clip skip": "2",
        "Clip skip schedule": "[2:1:0.5]",
        "Hires clip skip": "3",
        "CLiP-skip": "4",
    }


def test_nothing_is_put_back_where_the_host_keeps_the_keys():
    """A1111 keeps them, and fills in "Clip skip: 1" where the text has none (82a973c0 infotext_utils.py)."""
    params = parameters(NEO_TEXT)
    assert dropped_keys(NEO_TEXT, params) == {}
    assert dropped_keys("a cat\nSteps: 2, Seed: 1, Size: 64x64", {"Steps": "2", "Clip skip": "1"}) == {}
    assert dropped_keys("a cat\nSteps: 2, Seed: 1, Clip skip: 3", {"Clip skip": "5"}) == {}


def test_a_parameters_line_without_clip_skip_means_1_as_the_webuis_write_it():
    assert dropped_keys("a cat\nSteps: 2, Seed: 1, Size: 64x64", {"Steps": "2"}) == {"Clip skip": "1"}
    assert dropped_keys("a cat\nSteps: 2, Seed: 1, Clip skip: , Size: 64x64", {}) == {"Clip skip": "1"}
    sdnext = dropped_keys("a cat\nSteps: 2, Seed: 1, CLiP-skip: 3", {"Steps": "2"})
    assert sdnext == {"CLiP-skip": "3", "Clip skip": "1"}  # and SD.Next's key outranks the 1 (recorded_value)
    assert TARGETS.clip_skip(sdnext) == 3


@pytest.mark.parametrize("text", ["a cat", "a cat\nSteps: 2, Clip skip: 3", "", "Clip skip: 3"])
def test_a_text_without_a_parameters_line_puts_nothing_back(text):
    """The host reads no parameters from a line of fewer than three pairs, so a pasted prompt is only a prompt."""
    assert dropped_keys(text, {"Prompt": text}) == {}


def test_the_users_skip_list_and_hostile_input_put_nothing_back():
    skipped = ["Clip skip", "Hires clip skip", "CLiP-skip", "Clip skip schedule"]
    assert dropped_keys(NEO_TEXT, {}, skipped) == {}
    assert dropped_keys("a cat\nSteps: 2, Seed: 1, Size: 64x64", {}, ["Clip skip"]) == {}
    for hostile in (None, 3, b"Steps: 2, Seed: 1, Clip skip: 2", ["Clip skip: 2"]):
        assert dropped_keys(hostile, {}) == {}
    huge = "a cat\nSteps: 2, Seed: 1, Clip skip: " + "9" * 100_000
    assert TARGETS.clip_skip(dropped_keys(huge, {})) is None  # put back as text; the target refuses it
