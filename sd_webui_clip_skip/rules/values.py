"""What a Clip skip value is, and how every input is turned into one."""

from __future__ import annotations

import math
import re

SETTING_KEY = "CLIP_stop_at_last_layers"
INFOTEXT_KEY = "Clip skip"
HIRES_INFOTEXT_KEY = "Hires clip skip"
MINIMUM = 1
MAXIMUM = 12
DEFAULT = 1
ALLOWED = f"an integer from {MINIMUM} to {MAXIMUM}"
ALL_VALUES = range(MINIMUM, MAXIMUM + 1)

# "2", " 2 ", "+2" and "2.0" (SD.Next writes floats) are whole numbers; "1.5", "2e0" are not.
_WHOLE_NUMBER_TEXT = re.compile(r"\s*\+?(\d+)(?:\.0*)?\s*")


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
        match = _WHOLE_NUMBER_TEXT.fullmatch(value)
        return int(match.group(1)) if match else None
    return None
