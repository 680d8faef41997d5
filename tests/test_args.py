import pytest

from sd_webui_clip_skip.rules.args import ARGS, ScriptArgs, parse_script_args
from sd_webui_clip_skip.rules.schedule import constant, parse_schedule
from sd_webui_clip_skip.rules.values import ClipSkipError


def test_args_are_read_by_position_and_missing_ones_keep_defaults():
    assert parse_script_args([True, 2]) == ScriptArgs(True, 2)
    assert parse_script_args([True]) == ScriptArgs(True, 1)
    assert parse_script_args([]) == ScriptArgs(False, 1)
    assert parse_script_args((False, 12.0)) == ScriptArgs(False, 12)
    assert parse_script_args([True, 2, True, True, 3]) == ScriptArgs(True, 2, auto=True, hires=True, hires_clip_skip=3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([1, 2], r"args\[0\] \(enabled, \"Clip skip\"\) must be true or false, got 1"),
        ([None, 2], r"args\[0\] .* must be true or false, got None"),
        (["true", 2], r"args\[0\] .* must be true or false"),
        (
            [True, None],
            r"args\[1\] \(clip_skip, \"Clip skip value\"\) must be a number from 1 to 12 with at most one decimal, "
            r"got None",
        ),
        ([True, 13], r"args\[1\] .* got 13"),
        ([True, 2.55], r"args\[1\] .* got 2.55"),
        ([True, "2"], None),
        ([True, 2, 1], r"args\[2\] \(auto, \"Auto \(per model\)\"\) must be true or false, got 1"),
        ([True, 2, False, "yes"], r"args\[3\] \(hires, \"Hires clip skip\"\) must be true or false"),
        ([True, 2, False, True, 0], r"args\[4\] \(hires_clip_skip, \"Hires clip skip value\"\) .* got 0"),
        ([True, 2, False, False, 1, "", "extra"], r"expected at most 6 args, got 7"),
    ],
)
def test_invalid_args_name_the_field_and_what_is_allowed(args, message):
    if message is None:
        assert parse_script_args(args).clip_skip == 2
        return
    with pytest.raises(ClipSkipError, match=message):
        parse_script_args(args)


def test_the_table_is_the_public_order():
    assert [spec.name for spec in ARGS] == ["enabled", "clip_skip", "auto", "hires", "hires_clip_skip", "schedule"]


def test_a_blend_and_a_schedule_are_args_too():
    assert parse_script_args([True, 1.5]).requested == constant(1.5)
    assert parse_script_args([True, "2.0"]).clip_skip == 2 and parse_script_args([True, 2.0]).requested is None
    args = parse_script_args([True, 2, False, False, 1, " [2:1:0.5] "])
    assert args.requested == parse_schedule("[2:1:0.5]")
    assert parse_script_args([True, 2, False, False, 1, ""]).requested is None
    assert parse_script_args([True, 2, False, False, 1, None]).requested is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([True, 2, False, False, 1, 1.5], r"args\[5\] \(schedule, \"Exact value or schedule\"\) must be \"\" \(none\)"),
        ([True, 2, False, False, 1, "[2:1]"], r"args\[5\] .*: \[A:B:WHEN\] takes three parts"),
        ([True, 2, False, False, 1, "0.5"], r"args\[5\] .* value '0.5' must be a number from 1 to 12"),
    ],
)
def test_a_bad_schedule_arg_names_itself(args, message):
    with pytest.raises(ClipSkipError, match=message):
        parse_script_args(args)
