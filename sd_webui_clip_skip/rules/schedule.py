"""Clip skip schedules: a value per stage of the sampling steps, written as the WebUI writes prompt editing.

`[2:1:0.5]` is 2 until half the steps, then 1; `[2:1:8]` switches after step 8; several stages are written
`3:0.3, 2:0.6, 1` (each value until its step, the last to the end); a single number is one value for every step.
Values are Clip skips with at most one decimal. A switch point means what it means in a prompt (A1111 82a973c0
prompt_parser.py:get_learned_conditioning_prompt_schedules, collect_steps): a number with a decimal point is a
share of the steps, one without is a step; in the hires-fix pass a share counts from 1.0 (1.5 is half its steps)
and a step from the first pass's end, and with *Use old prompt editing timelines* a number below 1 is a share.
The sampler uses a stage's conditioning while its step is at most the stage's end
(prompt_parser.py:reconstruct_cond_batch), so the stages become the same kind of list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .values import ALLOWED_BLEND, MAXIMUM, ClipSkipError, ClipSkipValue, format_clip_skip, parse_clip_skip_blend

SCHEDULE_INFOTEXT_KEY = "Clip skip schedule"
HIRES_SCHEDULE_NOTE = "the hires-fix pass follows it over its own steps, as prompt editing does"
ALLOWED_SCHEDULE = (
    f"a Clip skip ({ALLOWED_BLEND}), [A:B:WHEN] or stages 'A:WHEN, B:WHEN, C' with WHEN a step or a share such as 0.5"
)
_LONGEST_SCHEDULE = 2000
"""Characters: a stage for each of 150 steps fits; a longer text is refused before it is read."""
_PAST_ANY_STEP = 1e9
"""A switch point beyond every pass's steps (a float of 400 nines is inf, which int() refuses)."""
_BRACKETS = re.compile(r"\s*\[([^\[\]]*)\]\s*")
_WHEN = re.compile(r"\s*(\d+|\d*\.\d+|\d+\.)\s*")

Cond = TypeVar("Cond")


@dataclass(frozen=True)
class Stage:
    value: ClipSkipValue
    until: str | None
    """The switch point as written ("0.5", "8"), None for the last stage."""


@dataclass(frozen=True)
class Schedule:
    stages: tuple[Stage, ...]

    @property
    def values(self) -> list[ClipSkipValue]:
        """Each distinct value once, in order: what the prompts are encoded at."""
        return list(dict.fromkeys(stage.value for stage in self.stages))

    @property
    def first(self) -> ClipSkipValue:
        return self.stages[0].value

    @property
    def is_constant(self) -> bool:
        return len(self.values) == 1


def constant(value: ClipSkipValue) -> Schedule:
    """One value for every step: how a blend such as 1.5 is planned."""
    return Schedule((Stage(value, None),))


def parse_schedule(text: object, *, source: str = "Clip skip schedule") -> Schedule:
    """Raise ClipSkipError naming `source` for anything that is not a schedule."""
    if not isinstance(text, str) or not text.strip():
        raise ClipSkipError(f"{source} must be {ALLOWED_SCHEDULE}, got {text!r}")
    if len(text) > _LONGEST_SCHEDULE:
        raise ClipSkipError(f"{source} has {len(text)} characters; at most {_LONGEST_SCHEDULE}")
    bracketed = _BRACKETS.fullmatch(text)
    if bracketed:
        parts = bracketed.group(1).split(":")
        if len(parts) != 3:
            raise ClipSkipError(f"{source}: [A:B:WHEN] takes three parts, got {text!r}")
        first, second, when = parts
        return Schedule((_stage(first, when, source, text), _stage(second, None, source, text)))
    items = text.split(",")
    stages = []
    for position, item in enumerate(items):
        last = position == len(items) - 1
        value, _, when = item.partition(":")
        if last and when:
            raise ClipSkipError(f"{source}: the last stage has no switch point, got {item.strip()!r} in {text!r}")
        if not last and not when:
            raise ClipSkipError(f"{source}: stage {item.strip()!r} needs a switch point (VALUE:WHEN) in {text!r}")
        stages.append(_stage(value, when or None, source, text))
    return Schedule(tuple(stages))


def _stage(value: str, when: str | None, source: str, text: str) -> Stage:
    parsed = parse_clip_skip_blend(value, source=f"{source} {text!r}: value {value.strip()!r}")
    if when is not None and not _WHEN.fullmatch(when):
        raise ClipSkipError(f"{source} {text!r}: switch point {when.strip()!r} is not a step or a share such as 0.5")
    return Stage(parsed, when.strip() if when is not None else None)


def format_schedule(schedule: Schedule) -> str:
    """The canonical text, which parse_schedule reads back to the same schedule."""
    stages = schedule.stages
    if len(stages) == 1:
        return format_clip_skip(stages[0].value)
    if len(stages) == 2:
        return f"[{format_clip_skip(stages[0].value)}:{format_clip_skip(stages[1].value)}:{stages[0].until}]"
    return ", ".join(
        format_clip_skip(stage.value) + (f":{stage.until}" if stage.until is not None else "") for stage in stages
    )


def stage_ends(
    schedule: Schedule, steps: int, hires_steps: int | None = None, *, use_old_scheduling: bool = False
) -> list[tuple[int, ClipSkipValue]]:
    """(last step, value) per stage that gets any step, the last ending at the pass's step count; the switch
    points are read as the host reads a prompt's (see the module docstring)."""
    if hires_steps is None or use_old_scheduling:
        int_offset, share_offset, total = 0, 0.0, steps
    else:
        int_offset, share_offset, total = steps, 1.0, hires_steps
    ends: list[tuple[int, ClipSkipValue]] = []
    for stage in schedule.stages:
        if stage.until is None:
            end = total
        else:
            end = min(total, _switch_step(stage.until, total, int_offset, share_offset, use_old_scheduling))
        if end >= 1 and (not ends or end > ends[-1][0]):  # else the stage gets no step
            ends.append((end, stage.value))
    return ends


def _switch_step(when: str, total: int, int_offset: int, share_offset: float, use_old_scheduling: bool) -> int:
    number = min(float(when), _PAST_ANY_STEP)
    if use_old_scheduling:
        return int(number * total if number < 1 else number)
    if "." in when:
        return int((number - share_offset) * total)
    return int(number - int_offset)


def merge_schedules(
    ends: Sequence[tuple[int, ClipSkipValue]], conds: Mapping[ClipSkipValue, Sequence[tuple[int, Cond]]]
) -> list[tuple[int, Cond]]:
    """One prompt's conditioning schedule: while each stage lasts, the prompt's own schedule (its prompt
    editing) encoded at that stage's value; `conds` holds, per value, the (end step, conditioning) list the host
    made for the prompt. Stages keep their own ends, cut where a prompt switches inside them."""
    merged: list[tuple[int, Cond]] = []
    start = 0
    for end, value in ends:
        for entry_end, cond in conds[value]:
            if entry_end <= start:  # over before this stage begins
                continue
            merged.append((min(entry_end, end), cond))
            if entry_end >= end:
                break
        start = end
    return merged


def from_reforge(start: object, schedule_values: object) -> Schedule:
    """reForge's Dynamic clip skip as a schedule: its per-step list (`Dynamic clip skip schedule: 9,7,4`), or its
    ramp from the start value down by one per step to 2 (`Dynamic clip skip start: 4`), each value at least 2 and
    at most 12, the last kept to the end (reForge 3b56b268 processing.py:_parse_dynamic_schedule,
    _build_dynamic_clip_skip_schedule). reForge switches after each step, the prompt-editing syntax one step
    later, so each stage here lasts one step longer than there."""
    if isinstance(schedule_values, str) and schedule_values.strip():
        values = []
        for part in schedule_values.replace(";", ",").split(","):
            try:
                values.append(min(max(int(float(part)), 2), MAXIMUM))
            except (ValueError, OverflowError):  # reForge skips what it cannot read; int(inf) overflows
                continue
        if not values:
            raise ClipSkipError(f"Dynamic clip skip schedule {schedule_values!r} has no values")
    else:
        first = parse_clip_skip_blend(start, source="Dynamic clip skip start")
        values = list(range(min(max(int(first), 2), MAXIMUM), 1, -1))
    stages = [Stage(value, str(step)) for step, value in enumerate(values, start=1)]
    stages[-1] = Stage(values[-1], None)
    deduplicated: list[Stage] = []
    for stage in stages:  # 9,7,7,4: one stage of 7 until its last step
        if deduplicated and deduplicated[-1].value == stage.value:
            deduplicated[-1] = stage
        else:
            deduplicated.append(stage)
    return Schedule(tuple(deduplicated))
