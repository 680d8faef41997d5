"""Pasting `Clip skip: N` from infotext (paste button, PNG Info, the API `infotext` field).

The host's paste loop calls a field's target when it is callable, and skips every label
listed among the paste fields when it builds the global "Override settings" entry
(A1111 modules/infotext_utils.py:476-545; Forge and reForge alike). A target that is both
the label and a function therefore gets the value *and* stops the global override.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import logger
from .values import INFOTEXT_KEY, ClipSkipError, parse_clip_skip

Params = Mapping[str, object]


class PasteTarget(str):
    """An infotext label that is also the paste function for its component."""

    def __new__(cls, label: str, read: Callable[[Params], object]) -> PasteTarget:
        target = super().__new__(cls, label)
        target.read = read
        return target

    def __call__(self, params: Params) -> object:
        return self.read(params)


def _pasted(params: Params, *, report: bool) -> int | None:
    # A missing key arrives as "1": the host fills it in (infotext_utils.py:304-305).
    value = params.get(INFOTEXT_KEY)
    if value is None:  # the user's "infotext_skip_pasting" setting removed it
        return None
    try:
        return parse_clip_skip(value, source=f"Pasted '{INFOTEXT_KEY}'")
    except ClipSkipError as error:
        if report:
            logger.warning("%s; the Clip skip controls were left as they were.", error)
        return None


def pasted_clip_skip(params: Params) -> int | None:
    """The pasted value, or None (the host then leaves the slider as it was)."""
    return _pasted(params, report=True)


def pasted_enabled(params: Params) -> bool | None:
    """A valid pasted value turns the accordion on; anything else leaves it alone."""
    return True if _pasted(params, report=False) is not None else None


PASTE_ENABLED = PasteTarget(INFOTEXT_KEY, pasted_enabled)
PASTE_CLIP_SKIP = PasteTarget(INFOTEXT_KEY, pasted_clip_skip)
