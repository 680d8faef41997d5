"""What the script does at each WebUI hook, written against the `Host` interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .. import logger
from ..host import EncodeAt, Host, Job
from ..models.loras import lora_hint, lora_names
from ..models.metadata import model_clip_skip
from ..models.model_aware import ModelAware
from ..rules.args import parse_script_args
from ..rules.precedence import Apply, AutoChoice, Refuse, Source, Wanted, decide, only_repeats_global
from ..rules.schedule import SCHEDULE_INFOTEXT_KEY, Schedule, constant, format_schedule, parse_schedule
from ..rules.values import (
    BLEND_INFOTEXT_KEY,
    HIRES_BLEND_INFOTEXT_KEY,
    HIRES_INFOTEXT_KEY,
    INFOTEXT_KEY,
    SETTING_KEY,
    ClipSkipError,
    ClipSkipValue,
    blend_layers,
    format_clip_skip,
    parse_clip_skip,
    whole_clip_skip,
)
from ..rules.xyz import AXIS_ATTRIBUTE
from .conditioning import ConditioningPlan, conditioning_at, planned_conditioning
from .jobs import Run, begin_run, close_job, end_run, innermost_run, join_job, own_run, run_of

CHECKPOINT_OVERRIDE = "sd_model_checkpoint"


class ClipSkipController:
    """Each hook in one method; which value wins is decided in rules/precedence.py, the global value
    is put back in webui/guard.py, when a run begins and ends is in webui/jobs.py, and the infotext is written in
    `process` below. Hooks another extension calls again on a copy of the running job change nothing (jobs.py)."""

    def __init__(self, host: Host, model: ModelAware | None = None) -> None:
        self.host = host
        self.model = model or ModelAware(host)
        self.blends = host.hook_conditioning(self._conditioning, self._direct_conditioning)
        """Whether blends and schedules can be encoded here; else the nearest whole value is used."""

    def setup(self, p: Job) -> None:
        # The mark goes on the job the host will close, so its X/Y/Z copies belong to it (see jobs.py).
        join_job(p)

    def before_process(self, p: Job, args: Sequence[object]) -> None:
        """Runs before the host snapshots and applies `p.override_settings`
        (A1111 82a973c0 processing.py:process_images)."""
        run = begin_run(p)
        if run is None:
            return  # called again during the job's run, on a copy (ADetailer): the run's value holds
        try:
            request = parse_script_args(args)
        except ClipSkipError as error:
            # Args the API guard never saw (a queue, another extension's call): no image at a value
            # that was not asked for. The host swallows exceptions from hooks, so the job is stopped.
            message = f"Clip skip args refused, nothing was generated: {error}"
            logger.error("%s.", message)
            p.comment(message)
            self.host.stop_job()
            return
        overrides = p.override_settings
        override = overrides.get(SETTING_KEY)
        try:
            axis = _axis_wanted(getattr(p, AXIS_ATTRIBUTE, None))  # set by the X/Y/Z cell, before this hook
        except ClipSkipError as error:
            logger.error("%s; the cell was made at the global value.", error)
            axis = None
        decision = decide(
            request,
            axis=axis,
            overrides=overrides,
            restore_afterwards=p.override_settings_restore_afterwards,
            frozen=self.host.freeze_reason(),
            has_hires_pass=bool(getattr(p, "enable_hr", False)),  # img2img jobs have no enable_hr
            auto=lambda: self._auto(p),
            override_counts=not only_repeats_global(
                override, self.host.clip_skip_in_effect(), is_api=bool(getattr(p, "is_api", False))
            ),
        )
        if isinstance(decision, Refuse):
            logger.warning("%s.", decision.reason)
        applied = decision if isinstance(decision, Apply) else None
        if applied is not None:
            applied = self._plan(p, run, applied)
        run.decision = applied
        if applied is None:
            return
        if applied.writes_override:
            run.write_override(overrides, applied.value)
        if applied.superseded is not None:
            logger.info(
                "Clip skip %s from the accordion is superseded by %s (%r) for this generation.",
                applied.superseded,
                applied.source.value,
                applied.value,
            )
        if applied.guard:
            run.arm(self.host.options())

    def process(self, p: Job) -> None:
        """Records the values used (the host omits Clip skip 1) and says what the model makes of them, once per run."""
        run = own_run(p)
        if run is None or run.processed:
            return
        run.processed = True
        decision = _decision(run)
        if decision is None:
            return
        try:
            used = parse_clip_skip(self.host.clip_skip_in_effect(), source=SETTING_KEY)
        except ClipSkipError as error:
            logger.warning("%s; the infotext is left to the WebUI.", error)
            return
        dynamic = self.host.dynamic_clip_skip()
        if dynamic:
            # reForge encodes the prompts at its own schedule and records it: the infotext stays the host's.
            self._tell(p, f"reForge's dynamic Clip skip ({dynamic}) shapes this image, not Clip skip {used}")
            return
        p.extra_generation_params[INFOTEXT_KEY] = used
        plan = decision.plan
        if plan is not None and plan.is_constant:
            p.extra_generation_params[BLEND_INFOTEXT_KEY] = format_clip_skip(plan.first)
        elif plan is not None:
            p.extra_generation_params[SCHEDULE_INFOTEXT_KEY] = format_schedule(plan)
        hires = decision.hires
        if hires is not None:
            p.extra_generation_params[HIRES_INFOTEXT_KEY] = whole_clip_skip(hires)
            if not isinstance(hires, int):
                p.extra_generation_params[HIRES_BLEND_INFOTEXT_KEY] = format_clip_skip(hires)
        if decision.auto is not None:
            logger.info("Clip skip %s (auto: %s).", used, decision.auto.reason)
        for value in dict.fromkeys(_layers(used, plan, hires)):
            self._tell(p, self.model.notice(value))
        for hint in self._lora_hints(p, used):
            self._tell(p, hint)

    def before_hr(self, p: Job) -> None:
        run = own_run(p)
        decision = _decision(run)
        hires = decision.hires if decision is not None else None
        if run is None or hires is None or hires == self.host.clip_skip_in_effect() or run.plan is not None:
            return  # a planned run's hires conds were made at their value already (`_conditioning`)
        assert isinstance(hires, int)  # a blend is always planned (`_plan`)
        try:
            self.host.recompute_hires_conds(p, hires)
        except Exception:  # the host would swallow it too (scripts.py:ScriptRunner.before_hr); say what it means
            logger.exception("Hires clip skip %s could not be applied; the hires pass used the first pass's.", hires)
            p.extra_generation_params.pop(HIRES_INFOTEXT_KEY, None)

    def postprocess(self, p: Job) -> None:
        """The run's end, when the host calls it with the run's own job; on a copy (ADetailer) it changes nothing."""
        run = own_run(p)
        if run is None:
            return
        decision = _decision(run)
        if decision is not None and decision.source is Source.AXIS:
            # The plot builds its grid infotext from these shared params after the last cell
            # (A1111 82a973c0 scripts/xyz_grid.py:Script.run): one cell's value must not stand for the whole grid.
            for key in (INFOTEXT_KEY, BLEND_INFOTEXT_KEY, SCHEDULE_INFOTEXT_KEY):
                p.extra_generation_params[key] = None
        self._forget_blends(p, run)
        end_run(p)

    def release(self, p: Any) -> None:
        """The host closes the job: whatever its run still holds goes back (after an exception, postprocess never
        ran); safe to call twice."""
        ended = close_job(p)
        if ended is not None:
            self._forget_blends(p, ended)

    def _forget_blends(self, p: Any, run: Run) -> None:
        if run.plan is not None:
            self.host.forget_cached_conds(p)  # the caches hold blends under the whole value's key

    def _plan(self, p: Job, run: Run, applied: Apply) -> Apply:
        """Arm the blend or schedule the decision asks for, or, where the host cannot encode one, fall back to the
        nearest whole value and say so."""
        hires = applied.hires
        if applied.plan is None and (hires is None or isinstance(hires, int)):
            return applied
        if not self.blends:
            wanted = [format_schedule(applied.plan)] if applied.plan is not None else []
            if hires is not None and not isinstance(hires, int):
                wanted.append(f"hires {format_clip_skip(hires)}")
            asked = ", ".join(wanted)
            self._tell(p, f"This WebUI offers no place to encode Clip skip {asked}: the nearest whole value is used")
            return replace(applied, plan=None, hires=None if hires is None else whole_clip_skip(hires))
        run.plan = ConditioningPlan(applied.plan, None if hires is None else constant(hires))
        self.host.forget_cached_conds(p)  # a cached whole value's conds must not stand for the blend
        return applied

    def _conditioning(
        self, encode_at: EncodeAt, steps: int, hires_steps: int | None, old_timelines: bool, job: object
    ) -> Any:
        run = self._encoding_run(job)
        plan = run.plan if run is not None else None
        schedule = plan.for_pass(hires=hires_steps is not None) if plan is not None else None
        if schedule is None:
            return None
        return planned_conditioning(schedule, encode_at, steps, hires_steps, old_timelines)

    def _direct_conditioning(self, encode_at: EncodeAt) -> Any:
        """Another extension asks the model itself (Tiled Diffusion's noise inversion): one conditioning, no steps.
        A blend is made exactly; a schedule cannot be, so its first stage is used, and the image says so."""
        run = self._encoding_run(None)
        schedule = run.plan.first if run is not None and run.plan is not None else None
        if run is None or schedule is None:
            return None
        if not schedule.is_constant:
            first = format_clip_skip(schedule.first)
            self._tell_once(
                run,
                f"Another extension encoded its prompt without steps, at Clip skip {first}, the "
                "schedule's first value",
            )
        return conditioning_at(schedule.first, encode_at)

    def _encoding_run(self, job: object) -> Run | None:
        """The run an encode of `job`'s prompts belongs to, whose plan it is made at. A job of a run, or a copy of
        it, has its run; a job created inside a run (ADetailer's inpainting pass, whose own scripts may leave this
        one out) is in that run too, unless it carries its own Clip skip (ADetailer's separate CLIP skip); an
        encode that names no job (another extension's own call) is the innermost run's while the value in effect
        is still that run's."""
        run = run_of(job) if job is not None else None
        if run is not None:
            return run
        overrides = getattr(job, "override_settings", None)
        if isinstance(overrides, dict) and SETTING_KEY in overrides:
            return None
        outer = innermost_run()
        if outer is None or job is not None:
            return outer
        decision = _decision(outer)
        return outer if decision is not None and decision.value == self.host.clip_skip_in_effect() else None

    def _auto(self, p: Job) -> AutoChoice | None:
        # A checkpoint override on the job (API, X/Y/Z "Checkpoint name") is loaded after this hook.
        title = p.override_settings.get(CHECKPOINT_OVERRIDE)
        auto = self.model.auto(title if isinstance(title, str) else None)
        return AutoChoice(auto.value, auto.reason) if auto else None

    def _lora_hints(self, p: Job, used: int) -> list[str]:
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

    def _tell_once(self, run: Run, text: str) -> None:
        """Said once per run, under the run's image: an encode may be asked for at every batch or step."""
        if text not in run.said:
            run.said.add(text)
            self._tell(run.owner, text)

    @staticmethod
    def _tell(p: Any, text: str | None) -> None:
        """Log it, and show it under the image with the host's generation comments
        (A1111 82a973c0 processing.py:StableDiffusionProcessing.comment)."""
        if not text:
            return
        logger.info("%s", text)
        comment = getattr(p, "comment", None)
        if callable(comment):
            comment(text)


def _decision(run: Run | None) -> Apply | None:
    decision = run.decision if run is not None else None
    return decision if isinstance(decision, Apply) else None


def _axis_wanted(value: object) -> Wanted | None:
    """An X/Y/Z cell's mark: a value, or a schedule's text (plain data, see jobs.py)."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value  # checked by the axis before the first cell
    return parse_schedule(value, source="X/Y/Z plot: Clip skip schedule")


def _layers(used: int, plan: Schedule | None, hires: ClipSkipValue | None) -> list[int]:
    """The whole values whose layers the image was encoded from, for the notices."""
    wanted = [*(plan.values if plan is not None else [used]), *([hires] if hires is not None else [])]
    layers = []
    for value in wanted:
        lower, share = blend_layers(value)
        layers += [lower, lower + 1] if share else [lower]
    return layers
