"""The script's positional arguments: one table that the UI labels, the API checks and the hooks read.

The WebUI passes script arguments by position (UI component order, or `alwayson_scripts`
over the API), so the order here is a public contract: new arguments go at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .values import ALLOWED, DEFAULT, ClipSkipError, parse_clip_skip

SCRIPT_TITLE = "Clip skip"


@dataclass(frozen=True)
class ArgSpec:
    name: str
    label: str
    allowed: str


BOOLEAN = "true or false"
ARGS: tuple[ArgSpec, ...] = (
    ArgSpec("enabled", "Clip skip", BOOLEAN),
    ArgSpec("clip_skip", "Clip skip value", ALLOWED),
    ArgSpec("auto", "Auto (per model)", BOOLEAN),
    ArgSpec("hires", "Hires clip skip", BOOLEAN),
    ArgSpec("hires_clip_skip", "Hires clip skip value", ALLOWED),
)


@dataclass(frozen=True)
class ScriptArgs:
    enabled: bool = False
    clip_skip: int = DEFAULT
    auto: bool = False
    """Take the value from the checkpoint (saved default, metadata) instead of `clip_skip`."""
    hires: bool = False
    """Encode the hires-fix pass at `hires_clip_skip` instead of the first pass's value."""
    hires_clip_skip: int = DEFAULT


def describe_arg(index: int) -> str:
    spec = ARGS[index]
    return f'args[{index}] ({spec.name}, "{spec.label}")'


def parse_script_args(args: Sequence[object]) -> ScriptArgs:
    """Read the positional args; missing trailing ones keep their defaults, as in the host.

    Raises ClipSkipError naming the argument and its allowed values.
    """
    if len(args) > len(ARGS):
        raise ClipSkipError(f"expected at most {len(ARGS)} args, got {len(args)}")
    values: dict[str, bool | int] = {}
    for index, (spec, value) in enumerate(zip(ARGS, args, strict=False)):
        if spec.allowed == BOOLEAN:
            if not isinstance(value, bool):
                raise ClipSkipError(f"{describe_arg(index)} must be {BOOLEAN}, got {value!r}")
            values[spec.name] = value
        else:
            values[spec.name] = parse_clip_skip(value, source=describe_arg(index))
    return ScriptArgs(**values)  # type: ignore[arg-type]  # each name's type is checked above
