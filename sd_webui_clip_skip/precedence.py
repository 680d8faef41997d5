"""Which Clip skip a generation uses, highest first:
an X/Y/Z cell's value, an override already on the job (API `override_settings`, the
Override settings box), this extension's value when on, the global setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from .values import SETTING_KEY


class Source(Enum):
    AXIS = "X/Y/Z plot"
    JOB_OVERRIDE = "override settings"
    EXTENSION = "this generation"
    GLOBAL = "global setting"


@dataclass(frozen=True)
class Resolution:
    source: Source
    value: object
    """What the host will apply: an int we chose, or whatever the job already carried."""

    @property
    def writes_override(self) -> bool:
        """True when the value is the extension's to put into `p.override_settings` (and take out)."""
        return self.source in (Source.AXIS, Source.EXTENSION)


def resolve(
    *,
    own: int | None,
    overrides: Mapping[str, object],
    axis: int | None = None,
    global_value: object = None,
) -> Resolution:
    """Decide the value from this job's `override_settings`, the axis cell and our own value."""
    if axis is not None:
        return Resolution(Source.AXIS, axis)
    if SETTING_KEY in overrides:
        return Resolution(Source.JOB_OVERRIDE, overrides[SETTING_KEY])
    if own is not None:
        return Resolution(Source.EXTENSION, own)
    return Resolution(Source.GLOBAL, global_value)
