"""Pasting `Clip skip: N` and `Hires clip skip: N` from infotext (paste button, PNG Info, the API
`infotext` field).

The host's paste loop calls a field's target when it is callable, and skips every label
listed among the paste fields when it builds the global "Override settings" entry
(A1111 modules/infotext_utils.py:476-545; Forge and reForge alike). A target that is both
the label and a function therefore gets the value *and* stops the global override.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from .. import logger
from .values import HIRES_INFOTEXT_KEY, INFOTEXT_KEY, ClipSkipError, parse_clip_skip

Params = Mapping[str, object]


class PasteTarget(str):
    """An infotext label that is also the paste function for its component."""

    def __new__(cls, label: str, read: Callable[[Params], object]) -> PasteTarget:
        target = super().__new__(cls, label)
        target.read = read
        return target

    def __call__(self, params: Params) -> object:
        return self.read(params)


def _pasted(params: Params, key: str, *, report: bool) -> int | None:
    value = params.get(key)
    if value is None:  # absent, or removed by the user's "infotext_skip_pasting" setting
        return None
    try:
        return parse_clip_skip(value, source=f"Pasted '{key}'")
    except ClipSkipError as error:
        if report:
            logger.warning("%s; the Clip skip controls were left as they were.", error)
        return None


def pasted_clip_skip(params: Params) -> int | None:
    """The pasted value, or None (the host then leaves the slider as it was)."""
    # A missing "Clip skip" arrives as "1": the host fills it in (infotext_utils.py:304-305).
    return _pasted(params, INFOTEXT_KEY, report=True)


def pasted_enabled(params: Params) -> bool | None:
    """A valid pasted value turns the accordion on; anything else leaves it alone."""
    return True if _pasted(params, INFOTEXT_KEY, report=False) is not None else None


def pasted_auto(params: Params) -> bool | None:
    """A pasted value is this image's: Auto would replace it with the checkpoint's, so it goes off."""
    return False if _pasted(params, INFOTEXT_KEY, report=False) is not None else None


def pasted_hires_clip_skip(params: Params) -> int | None:
    return _pasted(params, HIRES_INFOTEXT_KEY, report=True)


def pasted_hires_enabled(params: Params, skipped: Collection[str] = ()) -> bool | None:
    """On with a valid value; off when the image had none (its hires pass used the first pass's value).
    A key the user skips (`skipped`, their "Infotext: skip pasting") is missing too, but changes nothing."""
    if HIRES_INFOTEXT_KEY in skipped:
        return None
    if HIRES_INFOTEXT_KEY not in params:
        return False
    return True if _pasted(params, HIRES_INFOTEXT_KEY, report=False) is not None else None


def paste_hires_enabled(skipped_keys: Callable[[], Collection[str]]) -> PasteTarget:
    """The hires checkbox's target; `skipped_keys` reads the user's setting at paste time."""
    return PasteTarget(HIRES_INFOTEXT_KEY, lambda params: pasted_hires_enabled(params, skipped_keys()))


PASTE_ENABLED = PasteTarget(INFOTEXT_KEY, pasted_enabled)
PASTE_CLIP_SKIP = PasteTarget(INFOTEXT_KEY, pasted_clip_skip)
PASTE_AUTO = PasteTarget(INFOTEXT_KEY, pasted_auto)
PASTE_HIRES_CLIP_SKIP = PasteTarget(HIRES_INFOTEXT_KEY, pasted_hires_clip_skip)
