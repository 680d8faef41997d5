"""What the script does at each WebUI hook, written against the `Host` interface."""

from __future__ import annotations

from collections.abc import Sequence

from . import logger
from .args import ScriptArgs, parse_script_args
from .guard import job_state, release_job
from .hosts.base import Host
from .precedence import Resolution, Source, resolve
from .values import INFOTEXT_KEY, SETTING_KEY, ClipSkipError, parse_clip_skip
from .xyz import AXIS_ATTRIBUTE

RESOLUTION_ATTRIBUTE = "clip_skip_resolution"


class ClipSkipController:
    def __init__(self, host: Host) -> None:
        self.host = host

    def setup(self, p: object) -> None:
        # Created on the job the host will close, so X/Y/Z copies share it (see guard.py).
        job_state(p)

    def before_process(self, p: object, args: Sequence[object]) -> None:
        """Runs before the host snapshots and applies `p.override_settings` (processing.py:821)."""
        setattr(p, RESOLUTION_ATTRIBUTE, None)
        request = self._read_args(args)
        own = request.clip_skip if request.enabled else None
        axis = getattr(p, AXIS_ATTRIBUTE, None)  # set by the X/Y/Z cell, before this hook
        if own is None and axis is None:
            return
        reason = self.host.freeze_reason()
        if reason:
            logger.warning("Clip skip %s was not applied: %s.", axis or own, reason)
            return
        overrides = p.override_settings
        resolution = resolve(own=own, overrides=overrides, axis=axis)
        job = job_state(p)
        if resolution.writes_override:
            job.write_override(overrides, resolution.value)
        elif own is not None and resolution.value != own:
            logger.info(
                "Clip skip %s from the accordion is superseded by %s (%r) for this generation.",
                own,
                resolution.source.value,
                resolution.value,
            )
        if resolution.source is not Source.JOB_OVERRIDE or p.override_settings_restore_afterwards:
            job.arm(self.host.options())
        setattr(p, RESOLUTION_ATTRIBUTE, resolution)

    def process(self, p: object) -> None:
        """Records the value the encoder will read; the host omits it when it is 1."""
        resolution: Resolution | None = getattr(p, RESOLUTION_ATTRIBUTE, None)
        if resolution is None:
            return
        try:
            used = parse_clip_skip(self.host.clip_skip_in_effect(), source=SETTING_KEY)
        except ClipSkipError as error:
            logger.warning("%s; the infotext is left to the WebUI.", error)
            return
        p.extra_generation_params[INFOTEXT_KEY] = used

    def postprocess(self, p: object) -> None:
        resolution: Resolution | None = getattr(p, RESOLUTION_ATTRIBUTE, None)
        if resolution is not None and resolution.source is Source.AXIS:
            # The plot builds its grid infotext from these shared params after the last cell
            # (xyz_grid.py:730-760): one cell's value must not stand for the whole grid.
            p.extra_generation_params[INFOTEXT_KEY] = None
        release_job(p)

    @staticmethod
    def _read_args(args: Sequence[object]) -> ScriptArgs:
        try:
            return parse_script_args(args)
        except ClipSkipError as error:
            logger.error("Clip skip was not applied: %s.", error)
            return ScriptArgs()
