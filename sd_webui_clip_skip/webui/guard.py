"""Where the global Clip skip is put back: the one snapshot/restore concept of the extension.

The hosts restore `override_settings` themselves, with gaps: a key missing from config.json is
applied but never restored (A1111 82a973c0 processing.py:process_images; Forge dfdcbab6 alike), and
`override_settings_restore_afterwards=False` keeps everything. So the extension snapshots the raw
setting before the host applies the override and restores it when the run ends (jobs.py): in the host's own
`postprocess` of the run (normal, interrupted and skipped jobs) or when the host closes the job (`with closing(p)`
in txt2img.py, img2img.py and api.py), which also runs after an exception.

While a value is held, the settings file must not learn it: every save of the settings (Apply
settings, a quicksetting, `POST /sdapi/v1/options`) writes the value from before the hold for this
key and every other setting as it is (`settings_to_save`). Clip skip itself changed during a hold is
put back when the hold ends, as the host's own override restore does with any overridden setting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..host import Settings
from ..rules.values import SETTING_KEY


@dataclass(frozen=True)
class SettingSnapshot:
    """The raw entry of the setting: its value, or that config.json has none."""

    present: bool
    value: object = None

    @classmethod
    def take(cls, settings: Settings) -> SettingSnapshot:
        if SETTING_KEY in settings:
            return cls(True, settings[SETTING_KEY])
        return cls(False)

    def put_back(self, settings: Settings) -> None:
        if self.present:
            settings[SETTING_KEY] = self.value
        else:
            settings.pop(SETTING_KEY, None)


class Hold:
    """A value put into the live settings for a while, and what was there before."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.before = SettingSnapshot.take(settings)


_holds: list[Hold] = []
_holds_lock = threading.Lock()


def start_hold(settings: Settings) -> Hold:
    hold = Hold(settings)
    with _holds_lock:
        _holds.append(hold)
    return hold


def end_hold(hold: Hold) -> None:
    """Put the value from before the hold back; safe to call twice."""
    with _holds_lock:
        if hold not in _holds:
            return
        _holds.remove(hold)
    hold.before.put_back(hold.settings)


@contextmanager
def holding(settings: Settings, value: object) -> Iterator[None]:
    """`value` in the live settings for the block, whatever happens in it."""
    hold = start_hold(settings)
    settings[SETTING_KEY] = value
    try:
        yield
    finally:
        end_hold(hold)


def settings_to_save(settings: Settings) -> Settings:
    """What a save of the settings file writes: the live settings, with this key as it was before the
    oldest hold on them."""
    with _holds_lock:
        oldest = next((hold for hold in _holds if hold.settings is settings), None)
    if oldest is None:
        return settings
    saved = dict(settings)
    oldest.before.put_back(saved)
    return saved
