"""The X/Y/Z plot's Clip skip axis: its values, labels and what a cell does to the job.

Typed values use the host's syntax for int and float axes (A1111 82a973c0 scripts/xyz_grid.py: re_range,
re_range_count, re_range_float, re_range_count_float, Script.run.process_axis):
`1-12` (inclusive), `1-12 (+2)` and `1-2 (+0.5)` (signed step), `1-2 [6]` (that many evenly spaced values:
1, 1.2, … 2; where they would need more than one decimal, as in `1-12 [4]`, truncated to whole ones as the host's
int axis does), and comma lists such as `2, 2.5, 3`. Every value must be a Clip skip with at most one decimal,
checked before the first image. The schedule axis takes schedules, separated as the host separates text values
(commas outside double quotes: `"[2:1:0.5]", "3:0.3, 2:0.6, 1"`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from io import StringIO
from typing import Any

from .schedule import SCHEDULE_INFOTEXT_KEY, format_schedule, parse_schedule
from .values import (
    ALLOWED_BLEND,
    INFOTEXT_KEY,
    MAXIMUM,
    MINIMUM,
    SETTING_KEY,
    ClipSkipError,
    ClipSkipValue,
    format_clip_skip,
    parse_clip_skip_blend,
    whole_clip_skip,
)

AXIS_LABEL = INFOTEXT_KEY  # takes over the host's own "Clip skip" entry, keeping "X Type: Clip skip"
SCHEDULE_AXIS_LABEL = SCHEDULE_INFOTEXT_KEY
AXIS_ATTRIBUTE = "clip_skip_axis"
AXIS_COST = 0.1  # outside seed, steps and CFG (0.0), which never re-encode; inside checkpoints (1.0)

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_STEPPED_RANGE = re.compile(rf"\s*({_NUMBER})\s*-\s*({_NUMBER})\s*(?:\(\s*([+-](?:\d+(?:\.\d*)?|\.\d+))\s*\))?\s*")
_COUNTED_RANGE = re.compile(rf"\s*({_NUMBER})\s*-\s*({_NUMBER})\s*\[\s*(\d+)\s*\]\s*")
_LARGEST_RANGE_END = 1e6
_MOST_VALUES = 1000
"""Of one counted range: more cells than any grid is drawn with, refused before they are made."""


class AxisValueError(ClipSkipError):
    pass


def parse_axis_values(text: str) -> list[ClipSkipValue]:
    """All values of a typed axis, or AxisValueError naming the first bad one."""
    values = [value for item in text.split(",") if item.strip() for value in _expand(item.strip())]
    if not values:
        raise AxisValueError(f"X/Y/Z plot: Clip skip needs at least one value, {ALLOWED_BLEND}")
    return values


def axis_value(value: object) -> ClipSkipValue:
    """One value, as typed into the text box or chosen in the dropdown."""
    try:
        return parse_clip_skip_blend(value)
    except ClipSkipError:
        raise AxisValueError(f"X/Y/Z plot: Clip skip value {value!r} is not {ALLOWED_BLEND}") from None


def axis_choices() -> list[str]:
    return [str(value) for value in range(MINIMUM, MAXIMUM + 1)]


def format_axis_value(_p: object, _axis: object, value: ClipSkipValue) -> str:
    return f"{INFOTEXT_KEY}: {format_clip_skip(value)}"


def apply_axis_value(p: Any, value: ClipSkipValue, _values: object) -> None:
    """A cell's value: the host's own override (whole: the host indexes layers with it), plus a mark the script's
    hooks read, plain data as everything the extension keeps on the job."""
    p.override_settings[SETTING_KEY] = whole_clip_skip(value)
    setattr(p, AXIS_ATTRIBUTE, value)


def parse_schedule_axis_values(text: str) -> list[str]:
    """The schedules of a typed schedule axis, each checked, in canonical form; the host's own split for text
    values (xyz_grid.py:Script.run.process_axis, csv_string_to_list_strip)."""
    try:
        items = [item.strip() for row in csv.reader(StringIO(text), skipinitialspace=True) for item in row]
    except csv.Error as error:  # a quoted value longer than csv.field_size_limit()
        raise AxisValueError(f"X/Y/Z plot: Clip skip schedule values cannot be read: {error}") from None
    schedules = [schedule_axis_value(item) for item in items if item]
    if not schedules:
        raise AxisValueError("X/Y/Z plot: Clip skip schedule needs at least one schedule, such as [2:1:0.5]")
    return schedules


def schedule_axis_value(value: object) -> str:
    try:
        return format_schedule(parse_schedule(value, source="X/Y/Z plot: Clip skip schedule"))
    except ClipSkipError as error:
        raise AxisValueError(str(error)) from None


def format_schedule_axis_value(_p: object, _axis: object, value: str) -> str:
    return f"{SCHEDULE_AXIS_LABEL}: {value}"


def apply_schedule_axis_value(p: Any, value: str, _values: object) -> None:
    """A schedule cell: its first stage, whole, for the host; its text for the hooks (controller._axis_wanted)."""
    p.override_settings[SETTING_KEY] = whole_clip_skip(parse_schedule(value).first)
    setattr(p, AXIS_ATTRIBUTE, value)


def _expand(item: str) -> list[ClipSkipValue]:
    stepped = _STEPPED_RANGE.fullmatch(item)
    counted = _COUNTED_RANGE.fullmatch(item)
    if stepped:
        start, end = _tenths(stepped[1], item), _tenths(stepped[2], item)
        step = _tenths(stepped[3], item) if stepped[3] else (10 if end >= start else -10)
        if step == 0 or (end - start) * step < 0:
            raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r} never reaches its end")
        tenths: Sequence[int] = range(start, end + (1 if step > 0 else -1), step)  # lazy: checked before made
    elif counted:
        start, end = _tenths(counted[1], item), _tenths(counted[2], item)
        count = int(counted[3]) if len(counted[3]) <= len(str(_MOST_VALUES)) else _MOST_VALUES + 1
        if count < 1:
            raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r} asks for no values")
        if count > _MOST_VALUES:
            raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r} asks for more than {_MOST_VALUES} values")
        spacing = (end - start) / (count - 1) if count > 1 else 0
        exact = [start + spacing * index for index in range(count)]
        if all(abs(value - round(value)) < 1e-6 for value in exact):
            tenths = [round(value) for value in exact]
        else:  # the host's int axis: evenly spaced, truncated (xyz_grid.py re_range_count)
            tenths = [int(start / 10 + spacing / 10 * index) * 10 for index in range(count)]
    else:
        return [axis_value(item)]
    outside = next((value for value in tenths if not MINIMUM * 10 <= value <= MAXIMUM * 10), None)
    if outside is not None:
        raise AxisValueError(
            f"X/Y/Z plot: Clip skip range {item!r} includes {outside / 10:g}; " f"values must be {ALLOWED_BLEND}"
        )
    return [axis_value(value / 10) for value in tenths]


def _tenths(text: str, item: str) -> int:
    """A range's number in tenths; one with more decimals than one cannot be a Clip skip."""
    number = float(text)
    if not abs(number) <= _LARGEST_RANGE_END:  # also NaN; 1e400 is inf, which round() refuses
        raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r}: {text.strip()} is not {ALLOWED_BLEND}")
    if abs(number * 10 - round(number * 10)) > 1e-6:
        raise AxisValueError(f"X/Y/Z plot: Clip skip range {item!r}: {text.strip()} has more than one decimal")
    return round(number * 10)
