"""The one decision: which Clip skip a job uses, and when Auto is asked."""

import pytest

from sd_webui_clip_skip.rules.args import ScriptArgs
from sd_webui_clip_skip.rules.precedence import Apply, AutoChoice, Refuse, Source, decide
from sd_webui_clip_skip.rules.schedule import parse_schedule
from sd_webui_clip_skip.rules.values import SETTING_KEY as KEY

ON_2 = ScriptArgs(enabled=True, clip_skip=2)
AUTO = ScriptArgs(enabled=True, clip_skip=2, auto=True)


class AutoSpy:
    def __init__(self, found):
        self.found = found
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.found


def run(args, *, axis=None, overrides=None, restore=True, frozen=None, hires_pass=False, auto=None):
    spy = auto if isinstance(auto, AutoSpy) else AutoSpy(auto)
    decision = decide(
        args,
        axis=axis,
        overrides=overrides or {},
        restore_afterwards=restore,
        frozen=frozen,
        has_hires_pass=hires_pass,
        auto=spy,
    )
    return decision, spy.calls


def test_off_and_no_cell_is_nothing_to_do_even_with_a_job_override():
    assert run(ScriptArgs(), overrides={KEY: 3}) == (None, 0)


def test_the_accordion_value_applies_and_is_guarded():
    decision, _ = run(ON_2)
    assert decision == Apply(Source.EXTENSION, 2, guard=True)
    assert decision.writes_override


def test_an_axis_cell_wins_over_a_job_override_and_the_accordion():
    decision, calls = run(ON_2, axis=4, overrides={KEY: 3})
    assert (decision.source, decision.value, decision.guard, decision.writes_override) == (Source.AXIS, 4, True, True)
    assert calls == 0


def test_an_axis_cell_applies_with_the_accordion_off():
    assert run(ScriptArgs(), axis=3)[0] == Apply(Source.AXIS, 3, guard=True)


@pytest.mark.parametrize("found", [None, AutoChoice(5, "saved for x")])
def test_an_axis_cell_wins_whatever_auto_finds(found):
    # The bug: Auto finding no value used to return before the cell's value was considered.
    decision, calls = run(AUTO, axis=3, auto=found)
    assert decision == Apply(Source.AXIS, 3, guard=True)
    assert calls == 0


def test_a_job_override_outranks_the_accordion_and_is_not_ours_to_write():
    decision, _ = run(ON_2, overrides={KEY: 3})
    assert decision == Apply(Source.JOB_OVERRIDE, 3, guard=True, superseded=2)
    assert not decision.writes_override


def test_a_job_override_that_should_stay_is_not_guarded():
    decision, _ = run(ON_2, overrides={KEY: 2}, restore=False)
    assert decision == Apply(Source.JOB_OVERRIDE, 2, guard=False)  # same value: nothing superseded


@pytest.mark.parametrize(
    ("exact", "override", "outranks"),
    [
        ("1.5", 2, False),  # `Clip skip: 2, Clip skip blend: 1.5` pasted through the API's infotext field
        ("1.5", "2", False),
        ("[2:1:0.5]", 2, False),  # a schedule is recorded as its first stage
        ("1.4", 1, False),
        ("1.5", 1, True),  # a different whole value is the caller's own choice
        ("[2:1:0.5]", 1, True),
        ("1.5", "two", True),
    ],
)
def test_an_override_that_only_rounds_the_exact_value_leaves_it_standing(exact, override, outranks):
    args = ScriptArgs(enabled=True, clip_skip=1, schedule=parse_schedule(exact))
    decision, _ = run(args, overrides={KEY: override})
    assert (decision.source is Source.JOB_OVERRIDE) is outranks
    if not outranks:
        assert (decision.value, decision.plan, decision.guard) == (int(override), args.schedule, True)


def test_an_override_beside_a_whole_accordion_value_still_outranks_it():
    assert run(ON_2, overrides={KEY: 2})[0].source is Source.JOB_OVERRIDE


def test_auto_is_not_asked_when_a_job_override_decides():
    decision, calls = run(AUTO, overrides={KEY: 3}, auto=AutoChoice(5, "x"))
    assert (decision.source, decision.value, decision.superseded) == (Source.JOB_OVERRIDE, 3, None)
    assert calls == 0


def test_auto_gives_the_value_and_its_reason():
    found = AutoChoice(5, "saved for animeModelV3")
    decision, calls = run(AUTO, auto=found)
    assert decision == Apply(Source.EXTENSION, 5, guard=True, auto=found)
    assert calls == 1


def test_auto_without_a_value_is_refused():
    decision, _ = run(AUTO, auto=None)
    assert isinstance(decision, Refuse) and "Auto found no value" in decision.reason


@pytest.mark.parametrize(("args", "axis"), [(ON_2, None), (ScriptArgs(), 3), (AUTO, None)])
def test_frozen_settings_refuse_and_never_ask_auto(args, axis):
    decision, calls = run(args, axis=axis, frozen="the WebUI runs with --freeze-settings")
    assert isinstance(decision, Refuse) and decision.reason.endswith("--freeze-settings")
    assert calls == 0


def test_hires_value_only_with_a_hires_pass_and_the_accordion_on():
    args = ScriptArgs(enabled=True, clip_skip=2, hires=True, hires_clip_skip=3)
    assert run(args, hires_pass=True)[0].hires == 3
    assert run(args, hires_pass=False)[0].hires is None
    assert run(args, hires_pass=True, axis=4)[0].hires == 3
    assert run(ScriptArgs(hires=True, hires_clip_skip=3), hires_pass=True, axis=4)[0].hires is None
