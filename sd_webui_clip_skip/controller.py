"""What the script does at each WebUI hook, written against the `Host` interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import logger
from .args import ScriptArgs, parse_script_args
from .auto import AutoValue
from .guard import job_state, release_job
from .hosts.base import Host
from .loras import lora_hint, lora_names
from .model_aware import ModelAware
from .model_metadata import model_clip_skip
from .precedence import Resolution, Source, resolve
from .values import HIRES_INFOTEXT_KEY, INFOTEXT_KEY, SETTING_KEY, ClipSkipError, parse_clip_skip
from .xyz import AXIS_ATTRIBUTE

RESOLUTION_ATTRIBUTE = "clip_skip_resolution"
HIRES_ATTRIBUTE = "clip_skip_hires"
CHECKPOINT_OVERRIDE = "sd_model_checkpoint"


@dataclass(frozen=True)
class Decision:
    resolution: Resolution
    auto: AutoValue | None = None
    """How Auto found the accordion's value, when Auto was on."""


class ClipSkipController:
    def __init__(self, host: Host, model: ModelAware | None = None) -> None:
        self.host = host
        self.model = model or ModelAware(host)

    def setup(self, p: object) -> None:
        # Created on the job the host will close, so X/Y/Z copies share it (see guard.py).
        job_state(p)

    def before_process(self, p: object, args: Sequence[object]) -> None:
        """Runs before the host snapshots and applies `p.override_settings` (processing.py:821)."""
        setattr(p, RESOLUTION_ATTRIBUTE, None)
        setattr(p, HIRES_ATTRIBUTE, None)
        request = self._read_args(args)
        auto = self._auto(p) if request.enabled and request.auto else None
        if request.enabled and request.auto and auto is None:
            return
        own = (auto.value if auto else request.clip_skip) if request.enabled else None
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
        setattr(p, RESOLUTION_ATTRIBUTE, Decision(resolution, auto))
        if request.enabled and request.hires and getattr(p, "enable_hr", False):
            setattr(p, HIRES_ATTRIBUTE, request.hires_clip_skip)

    def process(self, p: object) -> None:
        """Records the values used (the host omits Clip skip 1) and says what the model makes of them."""
        decision: Decision | None = getattr(p, RESOLUTION_ATTRIBUTE, None)
        if decision is None:
            return
        try:
            used = parse_clip_skip(self.host.clip_skip_in_effect(), source=SETTING_KEY)
        except ClipSkipError as error:
            logger.warning("%s; the infotext is left to the WebUI.", error)
            return
        p.extra_generation_params[INFOTEXT_KEY] = used
        hires = getattr(p, HIRES_ATTRIBUTE, None)
        if hires is not None:
            p.extra_generation_params[HIRES_INFOTEXT_KEY] = hires
        if decision.auto is not None:
            logger.info("Clip skip %s (auto: %s).", used, decision.auto.reason)
        for value in dict.fromkeys(v for v in (used, hires) if v is not None):
            self._tell(p, self.model.notice(value))
        for hint in self._lora_hints(p, used):
            self._tell(p, hint)

    def before_hr(self, p: object) -> None:
        hires = getattr(p, HIRES_ATTRIBUTE, None)
        if hires is None or hires == self.host.clip_skip_in_effect():
            return
        try:
            self.host.recompute_hires_conds(p, hires)
        except Exception:  # the host would swallow it too (scripts.py); say what it means for the image
            logger.exception("Hires clip skip %s could not be applied; the hires pass used the first pass's.", hires)
            p.extra_generation_params.pop(HIRES_INFOTEXT_KEY, None)

    def postprocess(self, p: object) -> None:
        decision: Decision | None = getattr(p, RESOLUTION_ATTRIBUTE, None)
        if decision is not None and decision.resolution.source is Source.AXIS:
            # The plot builds its grid infotext from these shared params after the last cell
            # (xyz_grid.py:730-760): one cell's value must not stand for the whole grid.
            p.extra_generation_params[INFOTEXT_KEY] = None
        release_job(p)

    def _auto(self, p: object) -> AutoValue | None:
        # A checkpoint override on the job (API, X/Y/Z "Checkpoint name") is loaded after this hook.
        auto = self.model.auto(p.override_settings.get(CHECKPOINT_OVERRIDE))
        if auto is None:
            logger.error("Clip skip was not applied: Auto found no value.")
        return auto

    def _lora_hints(self, p: object, used: int) -> list[str]:
        prompt = getattr(p, "prompt", "")
        prompts = prompt if isinstance(prompt, list) else [prompt]
        hints = []
        for name in lora_names(" ".join(str(text) for text in prompts)):
            path = self.host.lora_path(name)
            found = model_clip_skip(path) if path else None
            hint = lora_hint(name, found.value, used) if found else None
            if hint:
                hints.append(hint)
        return hints

    @staticmethod
    def _tell(p: object, text: str | None) -> None:
        """Log it, and show it under the image where the host shows generation comments (processing.py:296)."""
        if not text:
            return
        logger.info("%s", text)
        comment = getattr(p, "comment", None)
        if callable(comment):
            comment(text)

    @staticmethod
    def _read_args(args: Sequence[object]) -> ScriptArgs:
        try:
            return parse_script_args(args)
        except ClipSkipError as error:
            logger.error("Clip skip was not applied: %s.", error)
            return ScriptArgs()
