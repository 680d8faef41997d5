"""The script's positional arguments: one table that the UI labels, the API checks and the hooks read.

The WebUI passes script arguments by position (UI component order, or `alwayson_scripts`
over the API), so the order here is a public contract: new arguments go at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .schedule import ALLOWED_SCHEDULE, Schedule, constant, parse_schedule
from .values import ALLOWED_BLEND, DEFAULT, ClipSkipError, ClipSkipValue, parse_clip_skip_blend

SCRIPT_TITLE = "Clip skip"


@dataclass(frozen=True)
class ArgSpec:
    name: str
    label: str
    allowed: str


BOOLEAN = "true or false"
SCHEDULE_OR_EMPTY = f'"" (none) or {ALLOWED_SCHEDULE}'
ARGS: tuple[ArgSpec, ...] = (
    ArgSpec("enabled", "Clip skip", BOOLEAN),
    ArgSpec("clip_skip", "Clip skip value", ALLOWED_BLEND),
    ArgSpec("auto", "Auto (per model)", BOOLEAN),
    ArgSpec("hires", "Hires clip skip", BOOLEAN),
    ArgSpec("hires_clip_skip", "Hires clip skip value", ALLOWED_BLEND),
    ArgSpec("schedule", "Exact value or schedule", SCHEDULE_OR_EMPTY),
)


@dataclass(frozen=True)
class ScriptArgs:
    enabled: bool = False
    clip_skip: ClipSkipValue = DEFAULT
    auto: bool = False
    """Take the value from the checkpoint (saved default, metadata) instead of `clip_skip`."""
    hires: bool = False
    """Encode the hires-fix pass at `hires_clip_skip` instead of the first pass's value."""
    hires_clip_skip: ClipSkipValue = DEFAULT
    schedule: Schedule | None = None
    """A blend such as 1.5 or a per-step schedule, instead of `clip_skip` (and of Auto)."""

    @property
    def requested(self) -> Schedule | None:
        """What the accordion asks for when it is not one whole value from the slider."""
        if self.schedule is not None:
            return self.schedule
        return None if isinstance(self.clip_skip, int) else constant(self.clip_skip)


def describe_arg(index: int) -> str:
    spec = ARGS[index]
    return f'args[{index}] ({spec.name}, "{spec.label}")'


def parse_script_args(args: Sequence[object]) -> ScriptArgs:
    """Read the positional args; missing trailing ones keep their defaults, as in the host.

    Raises ClipSkipError naming the argument and its allowed values.
    """
    if len(args) > len(ARGS):
        raise ClipSkipError(f"expected at most {len(ARGS)} args, got {len(args)}")
    values: dict[str, bool | ClipSkipValue | Schedule | None] = {}
    for index, (spec, value) in enumerate(zip(ARGS, args, strict=False)):
        if spec.allowed == BOOLEAN:
            if not isinstance(value, bool):
                raise ClipSkipError(f"{describe_arg(index)} must be {BOOLEAN}, got {value!r}")
            values[spec.name] = value
        elif spec.allowed == SCHEDULE_OR_EMPTY:
            if value is not None and not isinstance(value, str):
                raise ClipSkipError(f"{describe_arg(index)} must be {SCHEDULE_OR_EMPTY}, got {value!r}")
            values[spec.name] = parse_schedule(value, source=describe_arg(index)) if value and value.strip() else None
        else:
            values[spec.name] = parse_clip_skip_blend(value, source=describe_arg(index))
    return ScriptArgs(**values)  # type: ignore[arg-type]  # each name's type is checked above
