"""Which Clip skip a generation uses: the one decision, made once per job (and per X/Y/Z cell).

Highest first: an X/Y/Z cell's value; an override already on the job (API `override_settings`, the
Override settings box); the accordion's value when it is on (Auto's, in Auto mode); the global setting.
With the accordion off and no cell there is nothing to do: the host's own behaviour stays untouched.

One override is no choice of the user's: agent-scheduler writes `Clip skip: <the global value>` into
every task queued from the UI (a33753321 agent_scheduler/task_helpers.py:
map_ui_task_args_list_to_named_args), so a UI job's override that only repeats the global value does
not outrank the accordion (`only_repeats_global`). Over the API (`p.is_api`) every override counts, but one:
the API's `infotext` field turns the portable `Clip skip: 2` beside `Clip skip blend: 1.5` (or a schedule) into
an override of its own, so an override that is only the whole number the accordion's blend or schedule is
recorded as leaves the exact value standing (`only_rounds`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from .args import ScriptArgs
from .schedule import Schedule, constant, format_schedule
from .values import SETTING_KEY, ClipSkipError, ClipSkipValue, parse_clip_skip, whole_clip_skip


class Source(Enum):
    AXIS = "X/Y/Z plot"
    JOB_OVERRIDE = "override settings"
    EXTENSION = "this generation"


@dataclass(frozen=True)
class AutoChoice:
    """What Auto found for the job's checkpoint, and where from ("saved for animeModelV3")."""

    value: int
    reason: str


@dataclass(frozen=True)
class Apply:
    """The job uses `value`; the extension records it in the infotext and restores the global value."""

    source: Source
    value: object
    """What the host will apply: an int the extension chose, or whatever the job already carried."""
    guard: bool
    """Restore the global value afterwards; False only for a job override asked to stay."""
    hires: ClipSkipValue | None = None
    """The hires-fix pass's own value, when the accordion asks for one and the job has a hires pass."""
    auto: AutoChoice | None = None
    superseded: object = None
    """The accordion's value when a job override outranks it (the console says so)."""
    plan: Schedule | None = None
    """A blend or a schedule the prompts are encoded at; `value` is then its first stage, whole."""

    @property
    def writes_override(self) -> bool:
        """True when the value is the extension's to put into `p.override_settings` (and take out)."""
        return self.source is not Source.JOB_OVERRIDE


@dataclass(frozen=True)
class Refuse:
    """Nothing is applied, for a reason the console must show."""

    reason: str


Decision = Apply | Refuse | None
"""None: nothing to do."""


def only_repeats_global(override: object, global_value: object, *, is_api: bool) -> bool:
    """True for a UI job's override that equals the global value: it asks for nothing."""
    if is_api:
        return False
    try:
        return parse_clip_skip(override) == parse_clip_skip(global_value)
    except ClipSkipError:
        return False


Wanted = ClipSkipValue | Schedule
"""A Clip skip, a blend such as 1.5, or a schedule."""


def only_rounds(override: object, wanted: Wanted) -> bool:
    """True for an override that equals the whole number a blend or schedule is recorded as. The API's `infotext`
    field makes one from every `Clip skip` it reads, script fields or not (A1111 82a973c0 api/api.py:
    Api.apply_infotext, infotext_utils.py:get_override_settings); it asks for nothing the exact value does not."""
    applied = _apply(Source.EXTENSION, wanted, None)
    if applied.plan is None:
        return False
    try:
        return parse_clip_skip(override) == applied.value
    except ClipSkipError:
        return False


def decide(
    args: ScriptArgs,
    *,
    axis: Wanted | None,
    overrides: Mapping[str, object],
    restore_afterwards: bool,
    frozen: str | None,
    has_hires_pass: bool,
    auto: Callable[[], AutoChoice | None],
    override_counts: bool = True,
) -> Decision:
    """The job's Clip skip. `auto` is only called when Auto's value can matter; `frozen` is why the host
    would refuse any override of the setting (--freeze-settings), or None; `override_counts` False for a
    job override that `only_repeats_global`. The accordion's exact value or schedule outranks its slider and Auto."""
    if axis is None and not args.enabled:
        return None
    if frozen:
        wanted = axis if axis is not None else ("auto" if args.auto and args.requested is None else _own(args))
        return Refuse(f"Clip skip {_describe(wanted)} was not applied: {frozen}")
    hires = args.hires_clip_skip if args.enabled and args.hires and has_hires_pass else None
    if axis is not None:  # each cell wins, whatever the accordion says
        return _apply(Source.AXIS, axis, hires)
    own = None if args.auto and args.requested is None else _own(args)
    if (
        SETTING_KEY in overrides
        and override_counts
        and not (own is not None and only_rounds(overrides[SETTING_KEY], own))
    ):
        value = overrides[SETTING_KEY]
        return Apply(
            Source.JOB_OVERRIDE,
            value,
            guard=restore_afterwards,
            hires=hires,
            superseded=_describe(own) if own is not None and own != value else None,
        )
    if own is not None:
        return _apply(Source.EXTENSION, own, hires)
    found = auto()
    if found is None:
        return Refuse("Clip skip was not applied: Auto found no value")
    return Apply(Source.EXTENSION, found.value, guard=True, hires=hires, auto=found)


def _own(args: ScriptArgs) -> Wanted:
    return args.schedule if args.schedule is not None else args.clip_skip


def _apply(source: Source, wanted: Wanted, hires: ClipSkipValue | None) -> Apply:
    """A whole value is applied as the host applies it; a blend or a schedule is planned, and the host is given
    its first stage, whole, for everything else that reads the setting."""
    plan = wanted if isinstance(wanted, Schedule) else constant(wanted)
    if plan.is_constant and isinstance(plan.first, int):
        return Apply(source, plan.first, guard=True, hires=hires)
    return Apply(source, whole_clip_skip(plan.first), guard=True, hires=hires, plan=plan)


def _describe(wanted: object) -> object:
    return format_schedule(wanted) if isinstance(wanted, Schedule) else wanted
