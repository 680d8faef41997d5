"""Puts the global Clip skip back exactly as it was after every generation.

The hosts restore `override_settings` themselves, with gaps: a key missing from
config.json is applied but never restored (A1111 modules/processing.py:823, Forge :820),
and `override_settings_restore_afterwards=False` keeps everything. So the extension
snapshots the raw setting before the host applies the override and restores it twice:
in `postprocess` (normal, interrupted and skipped jobs) and when the host closes the job
(`with closing(p)` in txt2img.py, img2img.py and api.py), which also runs after an exception.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from .values import SETTING_KEY

JOB_ATTRIBUTE = "clip_skip_job"


@dataclass(frozen=True)
class SettingSnapshot:
    present: bool
    value: object = None

    @classmethod
    def take(cls, options: MutableMapping[str, object]) -> SettingSnapshot:
        if SETTING_KEY in options:
            return cls(True, options[SETTING_KEY])
        return cls(False)

    def put_back(self, options: MutableMapping[str, object]) -> None:
        if self.present:
            options[SETTING_KEY] = self.value
        else:
            options.pop(SETTING_KEY, None)


class JobState:
    """One job's bookkeeping; the X/Y/Z plot's shallow copies of `p` share it."""

    def __init__(self) -> None:
        self._options: MutableMapping[str, object] | None = None
        self._snapshot: SettingSnapshot | None = None
        self._written: tuple[MutableMapping[str, object], object] | None = None

    @property
    def armed(self) -> bool:
        return self._snapshot is not None

    def arm(self, options: MutableMapping[str, object]) -> None:
        """Remember the global value before the host applies this job's override."""
        if self._snapshot is None:
            self._options = options
            self._snapshot = SettingSnapshot.take(options)

    def write_override(self, overrides: MutableMapping[str, object], value: int) -> None:
        overrides[SETTING_KEY] = value
        self._written = (overrides, value)

    def release(self) -> None:
        """Restore the global value and take our own override back out; safe to call twice."""
        if self._written is not None:
            overrides, value = self._written
            # X/Y/Z cells share one override dict: leave it as the next cell expects it.
            if overrides.get(SETTING_KEY) == value:
                del overrides[SETTING_KEY]
            self._written = None
        if self._snapshot is not None and self._options is not None:
            self._snapshot.put_back(self._options)
        self._snapshot = None
        self._options = None


def job_state(p: object) -> JobState:
    """The job's state, created on first use; also releases it when the host closes the job."""
    state = getattr(p, JOB_ATTRIBUTE, None)
    if isinstance(state, JobState):
        return state
    state = JobState()
    setattr(p, JOB_ATTRIBUTE, state)
    host_close = getattr(p, "close", None)
    if callable(host_close):

        def close() -> None:
            try:
                state.release()
            finally:
                host_close()

        p.close = close  # type: ignore[attr-defined]
    return state


def release_job(p: object) -> None:
    state = getattr(p, JOB_ATTRIBUTE, None)
    if isinstance(state, JobState):
        state.release()
