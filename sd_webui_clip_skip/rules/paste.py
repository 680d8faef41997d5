"""Pasting `Clip skip: N` and `Hires clip skip: N` from infotext (paste button, PNG Info, the API
`infotext` field), and the other WebUIs' keys for the same value (rules/infotext.py).

The host's paste loop calls a field's target when it is callable, and skips every label
listed among the paste fields when it builds the global "Override settings" entry
(A1111 82a973c0 infotext_utils.py:connect_paste; Forge and reForge alike). A target that is both
the label and a function therefore gets the value *and* stops the global override.

A key the user lists in *Infotext: skip pasting* arrives missing (parse_generation_parameters drops
it); it must change no control, so every target also knows the user's list.

Forge Neo (3df257ae, an import of Neo's files as of February 2026) drops `Clip skip` from every paste
(infotext_utils.py:parse_generation_parameters, `res.pop("Clip skip", None)`), but connect_paste first hands the
raw text and the parsed params to the `infotext_pasted` callbacks, which may change the params: `dropped_keys`
finds what to put back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from .. import logger
from .infotext import (
    DYNAMIC_KEY,
    DYNAMIC_SCHEDULE_KEY,
    DYNAMIC_START_KEY,
    SDNEXT_KEY,
    parameters,
    recorded_exact,
    recorded_value,
)
from .schedule import SCHEDULE_INFOTEXT_KEY, Schedule, format_schedule, from_reforge, parse_schedule
from .values import (
    BLEND_INFOTEXT_KEY,
    DEFAULT,
    HIRES_BLEND_INFOTEXT_KEY,
    HIRES_INFOTEXT_KEY,
    INFOTEXT_KEY,
    ClipSkipError,
    parse_clip_skip,
    parse_clip_skip_blend,
    whole_clip_skip,
)

Params = Mapping[str, object]
SkippedKeys = Callable[[], Collection[str]]

PASTED_KEYS = (
    INFOTEXT_KEY,
    BLEND_INFOTEXT_KEY,
    SCHEDULE_INFOTEXT_KEY,
    HIRES_INFOTEXT_KEY,
    HIRES_BLEND_INFOTEXT_KEY,
    SDNEXT_KEY,
    DYNAMIC_KEY,
    DYNAMIC_START_KEY,
    DYNAMIC_SCHEDULE_KEY,
)
"""Every key the paste targets below read."""


def dropped_keys(infotext: object, params: Params, skipped: Collection[str] = ()) -> dict[str, str]:
    """What the host's parsed `params` should hold for the paste targets and do not: the keys the pasted text has
    (with a value) and the host dropped, and `Clip skip: 1` for an image's parameters line without one, as A1111
    reads it: the WebUIs leave it out at 1 (A1111 82a973c0 and Forge Neo 3df257ae processing.py:create_infotext).
    Never a key the user has the host skip; nothing where the host keeps them."""
    if not isinstance(infotext, str):
        return {}
    pairs = parameters(infotext)
    found = {key: value for key, value in pairs.items() if value.strip()}  # the host drops empty values too
    missing = {key: found[key] for key in PASTED_KEYS if key in found and key not in params and key not in skipped}
    if pairs and INFOTEXT_KEY not in params and INFOTEXT_KEY not in skipped:
        missing.setdefault(INFOTEXT_KEY, str(DEFAULT))
    return missing


class PasteTarget(str):
    """An infotext label that is also the paste function for its component."""

    read: Callable[[Params], object]

    def __new__(cls, label: str, read: Callable[[Params], object]) -> PasteTarget:
        target = super().__new__(cls, label)
        target.read = read
        return target

    def __call__(self, params: Params) -> object:
        return self.read(params)


def pasted_clip_skip(params: Params, skipped: Collection[str] = (), *, report: bool = False) -> int | None:
    """The pasted whole value for the slider, or None (the host then leaves the control as it was); with `report`,
    a bad value is told in the console. A blend (SD.Next's `CLiP-skip: 1.5`) gives its nearest whole value here
    and its exact one to the schedule box (`pasted_schedule`)."""
    if INFOTEXT_KEY in skipped:
        return None
    recorded = recorded_value(params)
    if recorded is None:
        return None
    try:
        return whole_clip_skip(parse_clip_skip_blend(recorded.text, source=f"Pasted '{recorded.key}'"))
    except ClipSkipError as error:
        if report:
            logger.warning("%s; the Clip skip controls were left as they were.", error)
        return None


def pasted_schedule(params: Params, skipped: Collection[str] = (), *, report: bool = False) -> str | None:
    """The exact value or schedule for the schedule box: the recorded blend or schedule, reForge's dynamic Clip
    skip as a schedule, or "" (empty) for an image with a whole value only; None leaves the box as it was."""
    if INFOTEXT_KEY in skipped:
        return None
    exact = recorded_exact(params)
    if exact is None:
        return "" if pasted_clip_skip(params) is not None else None
    try:
        schedule = _exact_schedule(exact.key, exact.text, exact.start)
    except ClipSkipError as error:
        if report:
            logger.warning("%s; the Clip skip controls were left as they were.", error)
        return None
    text = format_schedule(schedule)
    if report and exact.key in (DYNAMIC_KEY, DYNAMIC_SCHEDULE_KEY):
        logger.info(
            "The pasted image used reForge's dynamic Clip skip (%s: %s), pasted as the schedule %s: each stage "
            "switches one step later than in reForge.",
            exact.key,
            exact.text,
            text,
        )
    return text


def _exact_schedule(key: str, text: str, start: str) -> Schedule:
    if key == DYNAMIC_SCHEDULE_KEY:
        return from_reforge(None, text)
    if key == DYNAMIC_KEY:
        return from_reforge(start, None)
    return parse_schedule(text, source=f"Pasted '{key}'")


def pasted_hires_clip_skip(params: Params, skipped: Collection[str] = (), *, report: bool = False) -> int | None:
    """The hires slider's whole value; a hires blend is said in the console (the API and X/Y/Z set those)."""
    value = params.get(HIRES_INFOTEXT_KEY)
    if value is None or HIRES_INFOTEXT_KEY in skipped:
        return None
    try:
        whole = parse_clip_skip(value, source=f"Pasted '{HIRES_INFOTEXT_KEY}'")
    except ClipSkipError as error:
        if report:
            logger.warning("%s; the Clip skip controls were left as they were.", error)
        return None
    blend = params.get(HIRES_BLEND_INFOTEXT_KEY)
    if report and blend is not None:
        logger.info(
            "The pasted hires pass used Clip skip %s; its slider takes the nearest whole value %s.", blend, whole
        )
    return whole


def pasted_hires_enabled(params: Params, skipped: Collection[str] = ()) -> bool | None:
    """On with a valid value; off when the image had none (its hires pass used the first pass's value)."""
    if HIRES_INFOTEXT_KEY in skipped:
        return None
    if HIRES_INFOTEXT_KEY not in params:
        return False
    return True if pasted_hires_clip_skip(params) is not None else None


@dataclass(frozen=True)
class PasteTargets:
    """One target per control, in the script's argument order."""

    enabled: PasteTarget
    clip_skip: PasteTarget
    auto: PasteTarget
    hires: PasteTarget
    hires_clip_skip: PasteTarget
    schedule: PasteTarget


def paste_targets(skipped_keys: SkippedKeys = tuple) -> PasteTargets:
    """`skipped_keys` reads the user's *Infotext: skip pasting* setting at paste time."""

    def has_value(params: Params) -> bool:
        return pasted_clip_skip(params, skipped_keys()) is not None

    return PasteTargets(
        # A valid value turns the accordion on and Auto off: the image's value, not the checkpoint's.
        enabled=PasteTarget(INFOTEXT_KEY, lambda params: True if has_value(params) else None),
        clip_skip=PasteTarget(INFOTEXT_KEY, lambda params: pasted_clip_skip(params, skipped_keys(), report=True)),
        auto=PasteTarget(INFOTEXT_KEY, lambda params: False if has_value(params) else None),
        hires=PasteTarget(HIRES_INFOTEXT_KEY, lambda params: pasted_hires_enabled(params, skipped_keys())),
        hires_clip_skip=PasteTarget(
            HIRES_INFOTEXT_KEY, lambda params: pasted_hires_clip_skip(params, skipped_keys(), report=True)
        ),
        schedule=PasteTarget(INFOTEXT_KEY, lambda params: pasted_schedule(params, skipped_keys(), report=True)),
    )
