"""What a Clip skip value is, and how every input is turned into one."""

from __future__ import annotations

import math
import re

SETTING_KEY = "CLIP_stop_at_last_layers"
INFOTEXT_KEY = "Clip skip"
HIRES_INFOTEXT_KEY = "Hires clip skip"
BLEND_INFOTEXT_KEY = "Clip skip blend"
"""The exact value beside the whole `Clip skip`, which every WebUI can paste."""
HIRES_BLEND_INFOTEXT_KEY = "Hires clip skip blend"
MINIMUM = 1
MAXIMUM = 12
DEFAULT = 1
ALLOWED = f"an integer from {MINIMUM} to {MAXIMUM}"
ALL_VALUES = range(MINIMUM, MAXIMUM + 1)
ALLOWED_BLEND = f"a number from {MINIMUM} to {MAXIMUM} with at most one decimal"

ClipSkipValue = int | float
"""A Clip skip: an int, or a float with one decimal (1.5) for a blend of two layers."""

# "2", " 2 ", "+2" and "2.0" (SD.Next writes floats) are whole numbers; "1.5", "2e0" are not.
_WHOLE_NUMBER_TEXT = re.compile(r"\s*\+?(\d+)(?:\.0*)?\s*")
# A blend has at most one decimal: "1.5", "1.50", "2." and "12.0"; not "1.55", ".5e1" or "1,5".
_BLEND_TEXT = re.compile(r"\s*\+?(\d+)(?:\.(\d?)0*)?\s*")


_LONGEST_TEXT = 32
"""Longer text is no Clip skip: int() of thousands of digits raises its own error (sys.int_info), and is slow."""


class ClipSkipError(ValueError):
    """A value that is not a Clip skip; the message names where it came from and what is allowed."""


def parse_clip_skip(value: object, *, source: str = "Clip skip") -> int:
    """Return `value` as a Clip skip 1–12, or raise ClipSkipError naming `source`.

    Accepts ints, whole floats and whole-number text; refuses bools, fractions, NaN and
    anything out of range, because the hosts index hidden states with it unchecked.
    """
    number = _whole_number(value)
    if number is None or not MINIMUM <= number <= MAXIMUM:
        raise ClipSkipError(f"{source} must be {ALLOWED}, got {value!r}")
    return number


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        match = _WHOLE_NUMBER_TEXT.fullmatch(value) if len(value) <= _LONGEST_TEXT else None
        return int(match.group(1)) if match else None
    return None


def parse_clip_skip_blend(value: object, *, source: str = "Clip skip") -> ClipSkipValue:
    """Return `value` as a Clip skip from 1 to 12 with at most one decimal, or raise ClipSkipError naming `source`.

    Whole values come back as ints, exactly as parse_clip_skip returns them; others as floats such as 1.5.
    """
    tenths = _tenths(value)
    if tenths is None or not MINIMUM * 10 <= tenths <= MAXIMUM * 10:
        raise ClipSkipError(f"{source} must be {ALLOWED_BLEND}, got {value!r}")
    return tenths // 10 if tenths % 10 == 0 else tenths / 10


def _tenths(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * 10
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAXIMUM * 10:  # 1e308 * 10 is inf, which round() refuses
            return None
        tenths = round(value * 10)
        return tenths if abs(value * 10 - tenths) < 1e-6 else None
    if isinstance(value, str):
        match = _BLEND_TEXT.fullmatch(value) if len(value) <= _LONGEST_TEXT else None
        return int(match.group(1)) * 10 + int(match.group(2) or 0) if match else None
    return None


def whole_clip_skip(value: ClipSkipValue) -> int:
    """The whole value a WebUI without blends reproduces a blend with: the nearest, halves up (1.5 → 2)."""
    return math.floor(value + 0.5)


def blend_layers(value: ClipSkipValue) -> tuple[int, float]:
    """1.5 as (1, 0.5): the whole value below and the share of the next one, (1 − f)·z(N) + f·z(N + 1)."""
    lower = math.floor(value)
    return lower, round(value - lower, 1)


def format_clip_skip(value: ClipSkipValue) -> str:
    return str(value) if isinstance(value, int) else f"{value:.1f}"
