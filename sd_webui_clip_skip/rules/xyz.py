"""The X/Y/Z plot's Clip skip axis: its values, labels and what a cell does to the job.

Typed values use the host's syntax for int axes (A1111 82a973c0 scripts/xyz_grid.py: re_range,
re_range_count, Script.run.process_axis):
`1-12` (inclusive), `1-12 (+2)` (signed step), `1-12 [4]` (that many evenly spaced values,
truncated), and comma lists such as `2,4,6`. Every value must be a Clip skip, checked before
the first image.
"""

from __future__ import annotations

import re
from typing import Any

from .values import ALLOWED, INFOTEXT_KEY, MAXIMUM, MINIMUM, SETTING_KEY, ClipSkipError, parse_clip_skip

AXIS_LABEL = INFOTEXT_KEY  # takes over the host's own "Clip skip" entry, keeping "X Type: Clip skip"
AXIS_ATTRIBUTE = "clip_skip_axis"
AXIS_COST = 0.1  # outside seed, steps and CFG (0.0), which never re-encode; inside checkpoints (1.0)

_STEPPED_RANGE = re.compile(r"\s*([+-]?\d+)\s*-\s*([+-]?\d+)\s*(?:\(\s*([+-]\d+)\s*\))?\s*")
_COUNTED_RANGE = re.compile(r"\s*([+-]?\d+)\s*-\s*([+-]?\d+)\s*\[\s*(\d+)\s*\]\s*")


class AxisValueError(ClipSkipError):
    pass


def parse_axis_values(text: str) -> list[int]:
    """All values of a typed axis, or AxisValueError naming the first bad one."""
    values = [value for item in text.split(",") if item.strip() for value in _expand(item.strip())]
    if not values:
        raise AxisValueError(f"X/Y/Z plot: Clip skip needs at least one value, {ALLOWED}")
    return values


def axis_value(value: object) -> int:
    """One value, as typed into the text box or chosen in the dropdown."""
    try:
        return parse_clip_skip(value)
    except ClipSkipError:
        raise AxisValueError(f"X/Y/Z plot: Clip skip value {value!r} is not {ALLOWED}") from None


def axis_choices() -> list[str]:
    return [str(value) for value in range(MINIMUM, MAXIMUM + 1)]


def format_axis_value(_p: object, _axis: object, value: int) -> str:
    return f"{INFOTEXT_KEY}: {value}"


def apply_axis_value(p: Any, value: int, _values: object) -> None:
    """A cell's value: the host's own override, plus a mark the script's hooks read."""
    p.override_settings[SETTING_KEY] = value
    setattr(p, AXIS_ATTRIBUTE, value)


def _expand(item: str) -> list[int]:
    stepped = _STEPPED_RANGE.fullmatch(item)
    counted = _COUNTED_RANGE.fullmatch(item)
    if stepped:
        start, end = int(stepped[1]), int(stepped[2])
        step = int(stepped[3]) if stepped[3] else (1 if end >= start else -1)
        if step == 0 or (end - start) * step < 0:
            raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r} never reaches its end")
        values = list(range(start, end + (1 if step > 0 else -1), step))
    elif counted:
        start, end, count = int(counted[1]), int(counted[2]), int(counted[3])
        if count < 1:
            raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r} asks for no values")
        spacing = (end - start) / (count - 1) if count > 1 else 0
        values = [int(start + spacing * index) for index in range(count)]
    else:
        return [axis_value(item)]
    outside = [value for value in values if not MINIMUM <= value <= MAXIMUM]
    if outside:
        raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r} includes {outside[0]}; values must be {ALLOWED}")
    return values
