"""Reading Clip skip out of infotext, whichever WebUI wrote it: the one place that knows the keys.

`Clip skip` is A1111's, Forge's and reForge's key (and this extension's). SD.Next writes `CLiP-skip`
since f67562b91 (processing_info.py; older SD.Next wrote `Clip skip`), with the same numbering.
reForge's dynamic Clip skip (3b56b268 processing.py) writes `Clip skip` as its start value, and
`Dynamic clip skip: 4->2` with `Dynamic clip skip start: 4`, or `Dynamic clip skip schedule: 4,3,2`.
This extension writes a blend's or a schedule's exact form beside the whole `Clip skip` (`Clip skip blend: 1.5`,
`Clip skip schedule: [2:1:0.5]`), and SD.Next's `CLiP-skip` may itself be a blend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .schedule import SCHEDULE_INFOTEXT_KEY
from .values import BLEND_INFOTEXT_KEY, DEFAULT, INFOTEXT_KEY

SDNEXT_KEY = "CLiP-skip"
DYNAMIC_KEY = "Dynamic clip skip"
DYNAMIC_START_KEY = "Dynamic clip skip start"
DYNAMIC_SCHEDULE_KEY = "Dynamic clip skip schedule"

# A "key: value" pair of the parameters line; values may be JSON-quoted (A1111 82a973c0
# infotext_utils.py:re_param).
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_FIRST_NUMBER = re.compile(r"\s*([^,>\-\s][^,>]*?)\s*(?:$|,|->)")


@dataclass(frozen=True)
class RecordedValue:
    """A Clip skip as some WebUI recorded it, before validation: where, and the text found."""

    key: str
    text: str
    writer: str
    """Who writes this key: "A1111", "SD.Next", "reForge (dynamic clip skip)"."""


def parameters(infotext: str) -> dict[str, str]:
    """The pairs of the parameters line as the WebUI reads them: the last line, when it has at least 3
    pairs (A1111 82a973c0 infotext_utils.py:parse_generation_parameters), JSON-quoted values unquoted."""
    last = infotext.strip().split("\n")[-1]
    pairs = _PARAM.findall(last)
    if len(pairs) < 3:
        return {}
    return {key: _unquote(value) for key, value in pairs}


def recorded_value(params: Mapping[str, object]) -> RecordedValue | None:
    """The Clip skip a parameters mapping records, `Clip skip` first. An empty value counts as none, as
    the WebUI drops it. A `Clip skip` of "1" gives way to another key: the host fills in "1" when the
    key is missing (parse_generation_parameters), so it cannot be told from an image that lacks it."""
    own = _text(params.get(INFOTEXT_KEY))
    if own and own != str(DEFAULT):
        return RecordedValue(INFOTEXT_KEY, own, "A1111")
    sdnext = _text(params.get(SDNEXT_KEY))
    if sdnext:
        return RecordedValue(SDNEXT_KEY, sdnext, "SD.Next")
    for key in (DYNAMIC_START_KEY, DYNAMIC_SCHEDULE_KEY, DYNAMIC_KEY):
        start = _first_number(_text(params.get(key)))
        if start:
            return RecordedValue(key, start, "reForge (dynamic clip skip)")
    return RecordedValue(INFOTEXT_KEY, own, "A1111") if own else None


@dataclass(frozen=True)
class RecordedExact:
    """A blend or a schedule as recorded, before validation."""

    key: str
    text: str
    start: str = ""
    """reForge's `Dynamic clip skip start`, which its ramp is made from."""


def recorded_exact(params: Mapping[str, object]) -> RecordedExact | None:
    """The exact value or schedule beside the whole `Clip skip`, this extension's keys first; SD.Next's `CLiP-skip`
    where it is no whole number; reForge's dynamic keys. None: the whole value is all there is."""
    for key in (SCHEDULE_INFOTEXT_KEY, BLEND_INFOTEXT_KEY):
        text = _text(params.get(key))
        if text:
            return RecordedExact(key, text)
    sdnext = _text(params.get(SDNEXT_KEY))
    if sdnext and not re.fullmatch(r"\d+(?:\.0*)?", sdnext):
        return RecordedExact(SDNEXT_KEY, sdnext)
    schedule = _text(params.get(DYNAMIC_SCHEDULE_KEY))
    if schedule:
        return RecordedExact(DYNAMIC_SCHEDULE_KEY, schedule)
    start = _first_number(_text(params.get(DYNAMIC_START_KEY))) or _first_number(_text(params.get(DYNAMIC_KEY)))
    if start:
        return RecordedExact(DYNAMIC_KEY, _text(params.get(DYNAMIC_KEY)) or start, start=start)
    return None


def dynamic_schedule(params: Mapping[str, object]) -> str | None:
    """reForge's dynamic schedule as it recorded it ("4->2", "4,3,2"), None without one."""
    return _text(params.get(DYNAMIC_SCHEDULE_KEY)) or _text(params.get(DYNAMIC_KEY)) or None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else str(value) if isinstance(value, int | float) else ""


def _first_number(text: str) -> str:
    match = _FIRST_NUMBER.match(text) if text else None
    return match.group(1) if match else ""


def _unquote(value: str) -> str:
    if not (len(value) >= 2 and value[0] == '"' and value[-1] == '"'):
        return value
    try:
        unquoted = json.loads(value)
    except json.JSONDecodeError:
        return value
    return unquoted if isinstance(unquoted, str) else value
