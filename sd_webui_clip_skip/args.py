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


ARGS: tuple[ArgSpec, ...] = (
    ArgSpec("enabled", "Clip skip", "true or false"),
    ArgSpec("clip_skip", "Clip skip value", ALLOWED),
)


@dataclass(frozen=True)
class ScriptArgs:
    enabled: bool = False
    clip_skip: int = DEFAULT


def describe_arg(index: int) -> str:
    spec = ARGS[index]
    return f'args[{index}] ({spec.name}, "{spec.label}")'


def parse_script_args(args: Sequence[object]) -> ScriptArgs:
    """Read the positional args; missing trailing ones keep their defaults, as in the host.

    Raises ClipSkipError naming the argument and its allowed values.
    """
    if len(args) > len(ARGS):
        raise ClipSkipError(f"expected at most {len(ARGS)} args, got {len(args)}")
    values = dict(zip((spec.name for spec in ARGS), args, strict=False))
    enabled = values.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ClipSkipError(f"{describe_arg(0)} must be {ARGS[0].allowed}, got {enabled!r}")
    clip_skip = parse_clip_skip(values.get("clip_skip", DEFAULT), source=describe_arg(1))
    return ScriptArgs(enabled=enabled, clip_skip=clip_skip)
