"""Schedules: the prompt-editing syntax, the steps each stage gets, reForge's dynamic Clip skip, and hostile text."""

import random
import time

import pytest

from sd_webui_clip_skip.rules.schedule import (
    Schedule,
    Stage,
    constant,
    format_schedule,
    from_reforge,
    merge_schedules,
    parse_schedule,
    stage_ends,
)
from sd_webui_clip_skip.rules.values import ClipSkipError


def stages(*pairs):
    return tuple(Stage(value, until) for value, until in pairs)


# -- the three forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("[2:1:0.5]", stages((2, "0.5"), (1, None)), "[2:1:0.5]"),
        ("[2:1:8]", stages((2, "8"), (1, None)), "[2:1:8]"),
        (" [ 2.0 : 1.50 : 0.5 ] ", stages((2, "0.5"), (1.5, None)), "[2:1.5:0.5]"),
        ("[2.5:11.9: 8 ]", stages((2.5, "8"), (11.9, None)), "[2.5:11.9:8]"),
        ("[12:1:0]", stages((12, "0"), (1, None)), "[12:1:0]"),
        ("[2:1:.5]", stages((2, ".5"), (1, None)), "[2:1:.5]"),
        ("[2:1:1.]", stages((2, "1."), (1, None)), "[2:1:1.]"),
        ("[2:1:0.50]", stages((2, "0.50"), (1, None)), "[2:1:0.50]"),
        ("3:0.3, 2:0.6, 1", stages((3, "0.3"), (2, "0.6"), (1, None)), "3:0.3, 2:0.6, 1"),
        ("3:0.3,2:0.6,1", stages((3, "0.3"), (2, "0.6"), (1, None)), "3:0.3, 2:0.6, 1"),
        (" 3 : 2 , 1.5 : 6 , 1 ", stages((3, "2"), (1.5, "6"), (1, None)), "3:2, 1.5:6, 1"),
        ("3:0.3, 1", stages((3, "0.3"), (1, None)), "[3:1:0.3]"),
        ("1.5", stages((1.5, None)), "1.5"),
        (" 2.0 ", stages((2, None)), "2"),
        ("12", stages((12, None)), "12"),
    ],
)
def test_each_form_reads_as_its_stages_and_formats_to_a_canonical_text_that_reads_back(text, expected, canonical):
    schedule = parse_schedule(text)
    assert schedule.stages == expected
    assert [type(stage.value) for stage in schedule.stages] == [type(stage.value) for stage in expected]
    assert format_schedule(schedule) == canonical
    assert parse_schedule(canonical) == schedule
    assert format_schedule(parse_schedule(canonical)) == canonical


def test_two_stages_are_written_in_brackets_and_more_as_a_list():
    assert format_schedule(Schedule(stages((3, "0.3"), (1, None)))) == "[3:1:0.3]"
    assert format_schedule(Schedule(stages((3, "0.3"), (2, "0.6"), (1, None)))) == "3:0.3, 2:0.6, 1"
    assert format_schedule(constant(1.5)) == "1.5"
    assert format_schedule(constant(2)) == "2"


def test_a_constant_is_one_stage_to_the_end_and_reads_as_the_single_number():
    assert constant(1.5) == parse_schedule("1.5") == Schedule((Stage(1.5, None),))
    assert constant(1.5).is_constant and constant(1.5).first == 1.5 and constant(1.5).values == [1.5]


def test_values_are_each_distinct_value_once_in_order():
    assert parse_schedule("[1.5:2:0.5]").values == [1.5, 2]
    assert parse_schedule("3:0.3, 2:0.6, 3").values == [3, 2]
    assert parse_schedule("3:0.3, 2:0.6, 3").first == 3
    assert parse_schedule("2:0.5, 2").is_constant
    assert not parse_schedule("[2:1:0.5]").is_constant


def test_the_error_names_where_the_schedule_came_from():
    with pytest.raises(ClipSkipError, match=r"^Pasted 'Clip skip schedule': \[A:B:WHEN\] takes three parts"):
        parse_schedule("[2:1]", source="Pasted 'Clip skip schedule'")
    with pytest.raises(ClipSkipError, match=r"^X/Y/Z plot: Clip skip schedule '0': value '0' must be"):
        parse_schedule("0", source="X/Y/Z plot: Clip skip schedule")


# -- the steps each stage gets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "steps", "ends"),
    [
        # [a:b:0.5] over 4 steps: a while the step is at most int(0.5 * 4) = 2, steps counted from 0
        ("[2:1:0.5]", 4, [(2, 2), (4, 1)]),
        ("[2:1:0.5]", 5, [(2, 2), (5, 1)]),  # int(2.5)
        ("[2:1:0]", 4, [(4, 1)]),  # the first value gets no step: the second throughout
        ("[2:1:0.0]", 4, [(4, 1)]),
        ("[2:1:0.1]", 4, [(4, 1)]),  # a share too small for one step
        ("[2:1:8]", 20, [(8, 2), (20, 1)]),  # no decimal point: a step
        ("[2:1:8]", 4, [(4, 2)]),  # a switch after the last step: the first value throughout
        ("[2:1:1]", 4, [(1, 2), (4, 1)]),  # step 1 ...
        ("[2:1:1.0]", 4, [(4, 2)]),  # ... but all the steps
        ("[2:1:1.5]", 20, [(20, 2)]),  # a share above 1 lies in the hires pass
        ("3:0.3, 2:0.6, 1", 10, [(3, 3), (6, 2), (10, 1)]),
        ("3:0.3, 2:0.6, 1", 20, [(6, 3), (12, 2), (20, 1)]),
        ("3:2, 2:6, 1", 10, [(2, 3), (6, 2), (10, 1)]),
        ("3:0.6, 2:0.3, 1", 10, [(6, 3), (10, 1)]),  # a stage that would end before the previous one gets no step
        ("3:2, 2:2, 1", 10, [(2, 3), (10, 1)]),
        ("3:0, 2:0.5, 1", 4, [(2, 2), (4, 1)]),
        ("1.5", 20, [(20, 1.5)]),
    ],
)
def test_a_stage_lasts_while_the_step_is_at_most_its_end_as_in_prompt_editing(text, steps, ends):
    assert stage_ends(parse_schedule(text), steps) == ends


@pytest.mark.parametrize(
    ("text", "steps", "hires_steps", "ends"),
    [
        ("[2:1:0.5]", 4, 10, [(10, 1)]),  # a share below 1.0 lies in the first pass
        ("[2:1:1.5]", 20, 10, [(5, 2), (10, 1)]),  # a share counts from 1.0: half the hires steps
        ("[2:1:25]", 20, 10, [(5, 2), (10, 1)]),  # a step counts from the first pass's end
        ("[2:1:8]", 20, 10, [(10, 1)]),
        ("[2:1:20]", 20, 10, [(10, 1)]),
        ("[2:1:40]", 20, 10, [(10, 2)]),
        ("3:1.5, 2:1.8, 1", 20, 10, [(5, 3), (8, 2), (10, 1)]),
        ("1.5", 20, 10, [(10, 1.5)]),
    ],
)
def test_the_hires_pass_reads_switch_points_with_the_hosts_offsets(text, steps, hires_steps, ends):
    assert stage_ends(parse_schedule(text), steps, hires_steps) == ends


@pytest.mark.parametrize(
    ("text", "steps", "hires_steps", "ends"),
    [
        ("[2:1:0.5]", 4, None, [(2, 2), (4, 1)]),  # below 1: a share
        ("[2:1:1.0]", 4, None, [(1, 2), (4, 1)]),  # 1.0 is not below 1: a step, decimal point or not
        ("[2:1:1.5]", 4, None, [(1, 2), (4, 1)]),
        ("[2:1:8]", 20, None, [(8, 2), (20, 1)]),
        ("[2:1:0.5]", 4, 4, [(2, 2), (4, 1)]),  # no hires offsets
    ],
)
def test_old_prompt_editing_timelines_read_a_number_below_1_as_a_share(text, steps, hires_steps, ends):
    assert stage_ends(parse_schedule(text), steps, hires_steps, use_old_scheduling=True) == ends


def _hosts_value_per_step(schedule, steps, hires_steps, use_old_scheduling):
    """The host's own reading of the same schedule as the nested prompt [A:[B:C:W2]:W1] (A1111 82a973c0
    prompt_parser.py: get_learned_conditioning_prompt_schedules, collect_steps, at_step; reconstruct_cond_batch)."""
    if hires_steps is None or use_old_scheduling:
        int_offset, flt_offset, total = 0, 0.0, steps
    else:
        int_offset, flt_offset, total = steps, 1.0, hires_steps
    switches = []
    for stage in schedule.stages[:-1]:
        s = stage.until
        v = float(s)
        if use_old_scheduling:
            v = v * total if v < 1 else v
        else:
            v = (v - flt_offset) * total if "." in s else v - int_offset
        switches.append(min(total, int(v)))
    collected = sorted({total, *(w for w in switches if w >= 1)})

    def at_step(t):  # [A:[B:C:W2]:W1]: A while t <= W1, else B while t <= W2, else C
        for stage, switch in zip(schedule.stages[:-1], switches, strict=True):
            if t <= switch:
                return stage.value
        return schedule.stages[-1].value

    entries = [(t, at_step(t)) for t in collected]
    return [next(value for end, value in entries if step <= end) for step in range(total)]


def _value_per_step(ends, total):
    return [next(value for end, value in ends if step <= end) for step in range(total)]


def test_every_step_gets_the_value_the_hosts_prompt_editing_would_give():
    rng = random.Random(1234)
    for _ in range(2000):
        points = []
        for _ in range(rng.randint(0, 4)):
            kind = rng.random()
            points.append(
                str(rng.randint(0, 30)) if kind < 0.5 else f"{rng.randint(0, 2)}.{rng.randint(0, 9)}"  # step, share
            )
        values = [rng.choice([1, 1.5, 2, 3, 11.9, 12]) for _ in range(len(points) + 1)]
        text = ", ".join([*(f"{v}:{w}" for v, w in zip(values[:-1], points, strict=True)), str(values[-1])])
        schedule = parse_schedule(text)
        steps, hires_steps, old = rng.randint(1, 30), rng.choice([None, rng.randint(1, 20)]), rng.random() < 0.3
        ends = stage_ends(schedule, steps, hires_steps, use_old_scheduling=old)
        total = steps if hires_steps is None or old else hires_steps
        assert ends[-1][0] == total, text
        assert [end for end, _ in ends] == sorted({end for end, _ in ends}), text
        assert _value_per_step(ends, total) == _hosts_value_per_step(schedule, steps, hires_steps, old), (
            text,
            steps,
            hires_steps,
            old,
        )


# -- one prompt's conditioning under a schedule ---------------------------------------------------


def test_each_stage_takes_the_prompts_conditioning_at_its_value():
    ends = stage_ends(parse_schedule("[2:1:0.5]"), 4)
    assert merge_schedules(ends, {2: [(4, "at 2")], 1: [(4, "at 1")]}) == [(2, "at 2"), (4, "at 1")]


def test_a_prompts_own_editing_is_kept_inside_each_stage():
    # the prompt switches after step 1 ([cat:dog:1]); the schedule after step 2
    conds = {2: [(1, "cat 2"), (4, "dog 2")], 1: [(1, "cat 1"), (4, "dog 1")]}
    assert merge_schedules([(2, 2), (4, 1)], conds) == [(1, "cat 2"), (2, "dog 2"), (4, "dog 1")]
    # the prompt switches after step 3, inside the second stage
    conds = {2: [(3, "cat 2"), (4, "dog 2")], 1: [(3, "cat 1"), (4, "dog 1")]}
    assert merge_schedules([(2, 2), (4, 1)], conds) == [(2, "cat 2"), (3, "cat 1"), (4, "dog 1")]


def test_a_prompt_switching_where_a_stage_ends_gives_no_empty_entry():
    conds = {2: [(2, "cat 2"), (4, "dog 2")], 1: [(2, "cat 1"), (4, "dog 1")]}
    assert merge_schedules([(2, 2), (4, 1)], conds) == [(2, "cat 2"), (4, "dog 1")]


def test_a_constant_schedule_is_the_prompts_own_schedule():
    conds = {1.5: [(2, "cat"), (20, "dog")]}
    assert merge_schedules(stage_ends(constant(1.5), 20), conds) == [(2, "cat"), (20, "dog")]


def test_three_stages_and_a_prompt_edited_twice():
    ends = stage_ends(parse_schedule("3:0.3, 2:0.6, 1"), 10)  # (3, 3), (6, 2), (10, 1)
    conds = {v: [(2, f"a{v}"), (7, f"b{v}"), (10, f"c{v}")] for v in (3, 2, 1)}
    assert merge_schedules(ends, conds) == [(2, "a3"), (3, "b3"), (6, "b2"), (7, "b1"), (10, "c1")]


# -- reForge's dynamic Clip skip ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "recorded", "canonical"),
    [
        (None, "4,3,2", "4:1, 3:2, 2"),
        ("4", "4,3,2", "4:1, 3:2, 2"),  # the list wins over the start
        (None, " 4 ; 3 ; 2 ", "4:1, 3:2, 2"),
        (None, "9,7,7,4", "9:1, 7:3, 4"),  # a repeated value is one stage until its last step
        (None, "4,2,2", "[4:2:1]"),
        (None, "4,4", "4"),
        (None, "4", "4"),
        (None, "13, 1", "[12:2:1]"),  # each value at least 2 and at most 12
        (None, "4.7, 3.2", "[4:3:1]"),
        (None, "4, x, , nan, 2", "[4:2:1]"),  # what is no number is left out
        ("4", None, "4:1, 3:2, 2"),  # the ramp: down by one per step to 2
        ("4", "", "4:1, 3:2, 2"),
        ("4", "  ", "4:1, 3:2, 2"),
        ("4.5", None, "4:1, 3:2, 2"),
        ("2", None, "2"),
        ("1", None, "2"),
        (4, None, "4:1, 3:2, 2"),
        ("12", None, "12:1, 11:2, 10:3, 9:4, 8:5, 7:6, 6:7, 5:8, 4:9, 3:10, 2"),
    ],
)
def test_reforges_dynamic_clip_skip_is_a_schedule_that_reads_back(start, recorded, canonical):
    schedule = from_reforge(start, recorded)
    assert format_schedule(schedule) == canonical
    assert parse_schedule(canonical) == schedule


def test_each_reforge_stage_lasts_one_step_longer_than_there():
    # reForge: 4 at step 0, 3 at step 1, 2 from step 2; prompt-editing switch points are one step later
    assert stage_ends(from_reforge(None, "4,3,2"), 10) == [(1, 4), (2, 3), (10, 2)]


@pytest.mark.parametrize(
    ("start", "recorded", "words"),
    [
        (None, "x, y", "Dynamic clip skip schedule 'x, y' has no values"),
        (None, ",;", "has no values"),
        ("abc", None, "Dynamic clip skip start must be a number from 1 to 12"),
        (None, None, "Dynamic clip skip start must be a number from 1 to 12"),
        (None, "", "Dynamic clip skip start must be"),
        ("0", None, "got '0'"),
        (True, None, "got True"),
    ],
)
def test_a_dynamic_clip_skip_without_values_is_refused(start, recorded, words):
    with pytest.raises(ClipSkipError) as error:
        from_reforge(start, recorded)
    assert words in str(error.value)


@pytest.mark.parametrize(
    "recorded",
    [
        "inf",
        "4, 1e999",
        "4, -inf",
        "4, 1e300",
    ],
)
def test_a_dynamic_value_too_large_for_an_integer_is_kept_within_2_to_12_or_refused(recorded):
    try:
        schedule = from_reforge(None, recorded)
    except ClipSkipError as error:
        assert "Dynamic clip skip schedule" in str(error)
        return
    assert all(2 <= value <= 12 for value in schedule.values)


# -- hostile text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "must be a Clip skip (a number from 1 to 12 with at most one decimal), [A:B:WHEN] or stages"),
        ("   ", "must be a Clip skip"),
        ("\n\t", "must be a Clip skip"),
        ("[2:1]", "[A:B:WHEN] takes three parts, got '[2:1]'"),
        ("[2:1:0.5:3]", "[A:B:WHEN] takes three parts, got '[2:1:0.5:3]'"),
        ("[]", "takes three parts"),
        ("[2;1;0.5]", "takes three parts"),
        ("[::]", "value '' must be a number from 1 to 12"),
        ("[:1:0.5]", "value '' must be a number from 1 to 12"),
        ("[2:1:]", "switch point '' is not a step or a share such as 0.5"),
        ("[[2:1:0.5]:1:0.5]", "switch point"),
        ("[2:[1:3:0.5]:0.5]", "switch point"),
        ("[2:1:0.5", "switch point"),
        ("[2:1:0.5], 1", "value '[2' must be"),
        ("0", "value '0' must be a number from 1 to 12 with at most one decimal"),
        ("13", "value '13' must be a number from 1 to 12"),
        ("-1", "value '-1' must be"),
        ("1.55", "value '1.55' must be a number from 1 to 12 with at most one decimal"),
        ("12.1", "value '12.1' must be"),
        ("nan", "value 'nan' must be"),
        ("inf", "value 'inf' must be"),
        ("1e1", "value '1e1' must be"),
        ("1,5", "stage '1' needs a switch point"),
        ("[0:1:0.5]", "value '0' must be"),
        ("[2:13:0.5]", "value '13' must be"),
        ("[2:1.55:0.5]", "value '1.55' must be"),
        ("3:0.3, 1.55:0.6, 1", "value '1.55' must be"),
        ("[2:1:-1]", "switch point '-1' is not a step or a share"),
        ("[2:1:+1]", "switch point '+1' is not a step"),
        ("[2:1:1e1]", "switch point '1e1' is not a step"),
        ("[2:1:nan]", "switch point 'nan' is not a step"),
        ("[2:1:inf]", "switch point 'inf' is not a step"),
        ("[2:1:1,5]", "switch point '1,5' is not a step"),
        ("[2:1:0.5.1]", "switch point '0.5.1' is not a step"),
        ("[2:1:half]", "switch point 'half' is not a step"),
        ("2:1:0.5, 1", "switch point '1:0.5' is not a step"),
        ("1:0.5", "the last stage has no switch point, got '1:0.5'"),
        ("2:0.5, 1:0.7", "the last stage has no switch point, got '1:0.7'"),
        ("2:0.5,, 1", "stage '' needs a switch point (VALUE:WHEN)"),
        ("2:0.5, 1,", "stage '1' needs a switch point (VALUE:WHEN)"),
        ("2:0.5 1", "switch point"),
        ("2 1", "value '2 1' must be"),
    ],
)
def test_anything_else_is_refused_naming_the_problem(text, words):
    with pytest.raises(ClipSkipError) as error:
        parse_schedule(text)
    assert str(error.value).startswith("Clip skip schedule")
    assert words in str(error.value)


@pytest.mark.parametrize("value", [None, 2, 1.5, True, False, [], ["[2:1:0.5]"], {}, {"schedule": "2"}, b"2"])
def test_only_text_is_a_schedule(value):
    with pytest.raises(ClipSkipError) as error:
        parse_schedule(value)
    assert "Clip skip schedule must be a Clip skip" in str(error.value)
    assert str(error.value).endswith(f"got {value!r}")


@pytest.mark.parametrize("text", ["２", "[２:1:0.5]", "[2:1:２]", "[2:1:０.５]", "3:٣, 1"])
def test_unicode_digits_are_refused_or_read_as_the_same_ascii_number(text):
    ascii_text = text.translate(str.maketrans("２０５٣", "2053"))
    try:
        schedule = parse_schedule(text)
    except ClipSkipError:
        return
    assert stage_ends(schedule, 10) == stage_ends(parse_schedule(ascii_text), 10)
    assert stage_ends(schedule, 10, 10) == stage_ends(parse_schedule(ascii_text), 10, 10)
    assert parse_schedule(format_schedule(schedule)) == schedule


def test_a_stage_for_each_of_150_steps_reads_back_and_each_gets_its_step():
    text = ", ".join(f"{2 + i % 10}:{i + 1}" for i in range(150)) + ", 1"
    schedule = parse_schedule(text)
    assert len(schedule.stages) == 151
    assert format_schedule(schedule) == text
    ends = stage_ends(schedule, 300)
    assert ends[:2] == [(1, 2), (2, 3)] and ends[-2:] == [(150, 11), (300, 1)]


def test_a_schedule_over_2000_characters_is_refused_at_once_saying_so():
    text = ", ".join(f"{2 + i % 10}:{i + 1}" for i in range(10_000)) + ", 1"
    started = time.perf_counter()
    with pytest.raises(ClipSkipError, match=r"has \d+ characters; at most 2000"):
        parse_schedule(text)
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize(
    "text",
    [
        "1" * 100_000 + "x",
        " " * 100_000 + "x",
        "[" * 10_000 + "2:1:0.5" + "]" * 10_000,
        "[" + "2:" * 10_000 + "]",
        "[2:1:" + "1" * 100_000 + "x]",
        "[2:1:" + "." * 100_000 + "]",
        "2" + ":" * 100_000,
        "1" * 5000,
    ],
    ids=lambda text: f"{text[:12]}...({len(text)} chars)",
)
def test_long_junk_is_refused_quickly(text):
    started = time.perf_counter()
    with pytest.raises(ClipSkipError):
        parse_schedule(text)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "when",
    [
        "9" * 400,
        "9" * 400 + ".5",
        "9" * 300,
    ],
    ids=["400 digits", "400 digits and a share", "300 digits"],
)
def test_a_switch_point_past_every_step_keeps_the_first_value_throughout(when):
    try:
        schedule = parse_schedule(f"[2:1:{when}]")
    except ClipSkipError as error:
        assert "switch point" in str(error)
        return
    assert stage_ends(schedule, 4) == [(4, 2)]
    assert stage_ends(schedule, 4, 4) == [(4, 2)]
    assert stage_ends(schedule, 4, use_old_scheduling=True) == [(4, 2)]
