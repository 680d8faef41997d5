"""Blends and schedules: a job's prompts encoded at each whole value its plan needs, as the host encodes a
whole value, then blended and put on the steps.

A blend N + f is (1 − f)·c(N) + f·c(N + 1), where c(N) is exactly what the host makes at Clip skip N (its layer,
its final layer norm, its emphasis); for a prompt without emphasis weights that is the blend of the two hidden
states. A schedule becomes, for each prompt, the host's own list of (last step, conditioning) that its sampler
walks (rules/schedule.py). The plan is a run's (jobs.py); which run an encode belongs to is decided in
controller.py (`_plan_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..rules.schedule import Schedule, merge_schedules, stage_ends
from ..rules.values import ClipSkipValue, blend_layers

PromptConds = Sequence[Sequence[Any]]
"""Per prompt, the host's list of ScheduledPromptConditioning(end_at_step, cond) (A1111 82a973c0 prompt_parser.py)."""


@dataclass(frozen=True)
class ConditioningPlan:
    first: Schedule | None
    """The first pass's blend or schedule; None: its whole value, as the host encodes it."""
    hires: Schedule | None
    """The hires-fix pass's own value; None: the first pass's plan over the hires steps."""

    def for_pass(self, *, hires: bool) -> Schedule | None:
        return (self.hires or self.first) if hires else self.first


def planned_conditioning(
    schedule: Schedule,
    encode_at: Callable[[int], PromptConds],
    steps: int,
    hires_steps: int | None,
    use_old_scheduling: bool,
) -> list[list[Any]]:
    """The prompts' conditioning under `schedule`; `encode_at(N)` is the host's own for whole N, asked once per N."""
    ends = stage_ends(schedule, steps, hires_steps, use_old_scheduling=use_old_scheduling)
    encoded: dict[int, PromptConds] = {}

    def at(whole: int) -> PromptConds:
        if whole not in encoded:
            encoded[whole] = encode_at(whole)
        return encoded[whole]

    per_value = {}
    for _, value in ends:
        lower, share = blend_layers(value)
        per_value[value] = at(lower) if not share else _blend_prompts(at(lower), at(lower + 1), share)
    first = per_value[ends[0][1]]
    merged = []
    for index, template in enumerate(first):
        entries = merge_schedules(ends, {value: conds[index] for value, conds in per_value.items()})
        merged.append([_entry(template[0], end, cond) for end, cond in entries])
    return merged


def conditioning_at(value: ClipSkipValue, encode_at: Callable[[int], Any]) -> Any:
    """One conditioning at `value`, for an encode without steps: c(N), or the blend of c(N) and c(N + 1)."""
    lower, share = blend_layers(value)
    return blend(encode_at(lower), encode_at(lower + 1), share) if share else encode_at(lower)


def _blend_prompts(lower: PromptConds, upper: PromptConds, share: float) -> list[list[Any]]:
    """Both lists come from the same prompts, so their steps match entry for entry."""
    return [
        [_entry(a, a[0], blend(a[1], b[1], share)) for a, b in zip(low, high, strict=True)]
        for low, high in zip(lower, upper, strict=True)
    ]


def _entry(template: Any, end: int, cond: Any) -> Any:
    """A (end_at_step, cond) entry of the host's own type: its ScheduledPromptConditioning is a namedtuple."""
    make = getattr(template, "_make", None)
    return make((end, cond)) if callable(make) else (end, cond)


def blend(lower: Any, upper: Any, share: float) -> Any:
    """(1 − share)·lower + share·upper, for tensors and for SDXL's dict of them (crossattn, vector)."""
    if isinstance(lower, dict):
        return type(lower)({key: blend(value, upper[key], share) for key, value in lower.items()})
    return lower * (1 - share) + upper * share
