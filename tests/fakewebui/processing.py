"""One generation, as `modules/processing.py` runs it (A1111 v1.10.1 @ 82a973c0; where the host's profile says
otherwise, that host's processing.py at the commit profiles.py names). Images are tuples that record what the
"text encoder" produced."""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass, field
from types import SimpleNamespace

from .options import CLIP_KEY
from .profiles import EngineClipSkip
from .prompt_parser import Layers, cond_at_step, sampled

CHECKPOINT = "sd_model_checkpoint"


class Processing:
    """The fields and the script_args/scripts setters of processing.py:StableDiffusionProcessing."""

    def __init__(
        self,
        webui,
        *,
        prompt="a cat",
        seed=1,
        batch_size=1,
        n_iter=1,
        steps=1,
        enable_hr=False,
        override_settings=None,
        override_settings_restore_afterwards=True,
        is_api=False,
        img2img=False,
    ):
        self.webui = webui
        self.prompt = prompt
        self.seed = seed
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.steps = steps
        self.sampled_layers = None
        self.override_settings = dict(override_settings or {})
        self.override_settings_restore_afterwards = override_settings_restore_afterwards
        self.is_api = is_api
        self.extra_generation_params = {}
        self.comments = {}  # processing.py:StableDiffusionProcessing.__post_init__
        self.scripts_value = None
        self.script_args_value = None
        self.scripts_setup_complete = False
        self.closed = False
        # The cond caches are class attributes, shared by every job (the class bodies and __post_init__ of
        # StableDiffusionProcessing and StableDiffusionProcessingTxt2Img).
        self.cached_c = webui.cond_caches["c"]
        self.cached_hr_c = webui.cond_caches["hr_c"]
        self.cond_cache = webui.cond_caches["list"]
        self.c = None
        if not img2img:  # processing.py:StableDiffusionProcessingImg2Img has no hires fix
            self.enable_hr = enable_hr
            self.hr_c = self.hr_uc = None  # StableDiffusionProcessingTxt2Img.hr_c, .hr_uc
            self.hr_second_pass_steps = 0

    @property
    def scripts(self):
        return self.scripts_value

    @scripts.setter
    def scripts(self, value):
        self.scripts_value = value
        self._maybe_setup()

    @property
    def script_args(self):
        return self.script_args_value

    @script_args.setter
    def script_args(self, value):
        self.script_args_value = value
        self._maybe_setup()

    def _maybe_setup(self):
        # processing.py:StableDiffusionProcessing.script_args and .setup_scripts: `setup` runs once both are set
        if self.scripts_value and self.script_args_value and not self.scripts_setup_complete:
            self.scripts_setup_complete = True
            self.scripts.run_hook("setup", self, is_ui=not self.is_api)

    def close(self):
        self.closed = True

    def comment(self, text):
        """StableDiffusionProcessing.comment: shown under the image as Processed.comments (Processed.__init__)."""
        self.comments[text] = 1

    def get_conds_with_caching(self, prompts, caches, hires_steps=None):
        """StableDiffusionProcessing.get_conds_with_caching: the first cache whose parameters match
        (StableDiffusionProcessing.cached_params, which hold the Clip skip setting and the loaded checkpoint),
        else `prompt_parser.get_learned_conditioning`, looked up now, into the first cache."""
        webui = self.webui
        info = getattr(webui.shared.sd_model, "sd_checkpoint_info", None)
        dynamic = tuple(getattr(webui.opts, key) for key in DYNAMIC_OPTIONS) if webui.profile.dynamic_clip_skip else ()
        params = (tuple(prompts), self.steps, hires_steps, webui.opts.CLIP_stop_at_last_layers, info, dynamic)
        if webui.profile.cond_cache_list:
            caches = [*self.cond_cache, [None, None]]
        for cache in caches:
            if cache[0] is not None and params == cache[0]:
                return cache[1]
        cache = caches[-1] if webui.profile.cond_cache_list else caches[0]
        if webui.profile.engine_clip_skip is EngineClipSkip.BEFORE_EACH_ENCODE:
            webui.engine_clip_skip = int(webui.opts.CLIP_stop_at_last_layers)
        function = webui.prompt_parser.get_learned_conditioning
        with webui.devices.autocast():
            cache[1] = function(webui.encoding_model, prompts, self.steps, hires_steps, False)
        cache[0] = params
        if webui.profile.cond_cache_list:
            self.cond_cache.append(cache)
            if len(self.cond_cache) > 4:
                self.cond_cache.pop(0)
        return cache[1]

    def setup_conds(self):
        """StableDiffusionProcessing.setup_conds, and for txt2img StableDiffusionProcessingTxt2Img.setup_conds:
        the first pass's conds; the hires ones are cleared. reForge encodes once per value of its dynamic schedule
        instead, writing each into the setting and putting the one from before back (reForge 3b56b268
        processing.py:StableDiffusionProcessing.setup_conds), and records the schedule's start as p.clip_skip."""
        webui = self.webui
        if webui.profile.engine_clip_skip is EngineClipSkip.AT_SETUP:
            webui.engine_clip_skip = int(webui.opts.CLIP_stop_at_last_layers)
        dynamic = dynamic_schedule(webui.opts, self.steps) if webui.profile.dynamic_clip_skip else None
        if dynamic:
            schedule, custom = dynamic
            before = webui.opts.CLIP_stop_at_last_layers
            sets = {}
            try:
                for value in dict.fromkeys(schedule):
                    webui.opts.assign(CLIP_KEY, value)
                    sets[value] = self.get_conds_with_caching(self.prompts, [self.cached_c])
            finally:
                webui.opts.assign(CLIP_KEY, before)
            self.c = sets[schedule[0]]
            # the sampler takes each step's set (reForge sd_samplers_cfg_denoiser.py:CFGDenoiser.forward)
            self.sampled_layers = tuple(cond_at_step(sets[value][0], step) for step, value in enumerate(schedule))
            self.clip_skip = schedule[0]
            if custom:
                self.extra_generation_params["Dynamic clip skip schedule"] = (
                    webui.opts.dynamic_clip_skip_schedule_values
                )
            else:
                self.extra_generation_params["Dynamic clip skip"] = f"{schedule[0]}->2"
                self.extra_generation_params["Dynamic clip skip start"] = schedule[0]
        else:
            self.c = self.get_conds_with_caching(self.prompts, [self.cached_c])
            self.sampled_layers = None
            if webui.profile.dynamic_clip_skip:
                self.clip_skip = webui.opts.CLIP_stop_at_last_layers
        if hasattr(self, "enable_hr"):
            self.hr_c = self.hr_uc = None

    def calculate_hr_conds(self):
        """StableDiffusionProcessingTxt2Img.calculate_hr_conds: nothing to do while hr_c is set; the first pass's
        cache is tried second."""
        if self.hr_c is not None:
            return
        if self.webui.profile.engine_clip_skip is EngineClipSkip.AT_SETUP:  # ersatzForge sets it again here
            self.webui.engine_clip_skip = int(self.webui.opts.CLIP_stop_at_last_layers)
        self.hr_uc = ("uc", self.prompts)  # encoded the same way; the fake follows only the prompt
        self.hr_c = self.get_conds_with_caching(self.prompts, [self.cached_hr_c, self.cached_c], self.hires_steps)

    @property
    def hires_steps(self):
        """StableDiffusionProcessingTxt2Img.calculate_hr_conds: the hires pass's own steps, else the first pass's."""
        return self.hr_second_pass_steps or self.steps


@dataclass
class Processed:
    images: list
    infotexts: list
    clip_skip: object  # processing.py:Processed.__init__ reads the setting while overrides are applied
    extra_generation_params: dict = field(default_factory=dict)
    comments: str = ""  # Processed.__init__

    def js(self):
        """Processed.js: the API's `info` field, which has no comments."""
        return json.dumps({"infotexts": self.infotexts, "clip_skip": self.clip_skip})


DYNAMIC_OPTIONS = (
    "dynamic_clip_skip_enabled",
    "dynamic_clip_skip_start",
    "dynamic_clip_skip_use_schedule",
    "dynamic_clip_skip_schedule_values",
)


def dynamic_schedule(opts, steps):
    """reForge's per-step values and whether they are the custom list, or None when its Dynamic clip skip is off: the
    custom list, else the ramp from max(start, 2) down by one per step to 2; each value at least 2 and at most 12,
    the last repeated (3b56b268 processing.py:_parse_dynamic_schedule, _build_dynamic_clip_skip_schedule; the SD1
    minimum is 1)."""
    if not opts.dynamic_clip_skip_enabled:
        return None
    if opts.dynamic_clip_skip_use_schedule:
        values = []
        for part in str(opts.dynamic_clip_skip_schedule_values).replace(";", ",").split(","):
            try:
                values.append(min(max(int(float(part)), 2), 12))
            except ValueError:
                continue
        if values:
            return [values[min(step, len(values) - 1)] for step in range(steps)], True
    value = min(max(int(opts.dynamic_clip_skip_start), 2), 12)
    schedule = []
    for _ in range(steps):
        schedule.append(value)
        value = max(value - 1, 2)
    return schedule, False


def encode(webui, prompts):
    """The SD1 text encoder: A1111's reads the *global* option at encode time
    (sd_hijack_clip.py:FrozenCLIPEmbedderWithCustomWords.encode_with_transformers) and indexes 13 hidden states with
    -N unchecked, so a float raises TypeError and N >= 14 IndexError. Forge-family engines use the int they were
    last told (profiles.EngineClipSkip)."""
    if webui.profile.engine_clip_skip is EngineClipSkip.AT_ENCODE:
        n = webui.opts.CLIP_stop_at_last_layers
    else:
        n = webui.engine_clip_skip
    hidden_states = [Layers({i: 1.0}) for i in range(13)]
    layer = hidden_states[-n] if n > 1 else hidden_states[-1]
    webui.encode_calls.append((tuple(prompts), n))
    for elsewhere in webui.meanwhile:
        elsewhere()
    return layer


def create_infotext(webui, p, index):
    """processing.py:create_infotext: "Clip skip" comes from p.clip_skip or the global option *now*,
    is omitted when <= 1, and `extra_generation_params` is spread after it."""
    clip_skip = getattr(p, "clip_skip", webui.opts.CLIP_stop_at_last_layers)
    if webui.profile.int_clip_skip:
        clip_skip = int(clip_skip)  # Forge, ersatzForge processing.py:create_infotext
    params = {
        "Steps": p.steps,
        "Seed": p.seed + index,
        "Size": "64x64",
        "Clip skip": None if clip_skip <= 1 else clip_skip,
        **p.extra_generation_params,
        "Version": "fake",
    }
    text = ", ".join(
        key if key == value else f"{key}: {quote(value)}" for key, value in params.items() if value is not None
    )
    return f"{p.prompt}\n{text}"


def quote(value):
    """infotext_utils.py:quote: JSON-quote only values holding ',', ':' or a newline."""
    text = str(value)
    return json.dumps(text) if any(c in text for c in ",:\n") else value


def process_images(webui, p):
    """processing.py:process_images (Forge alike): before_process, snapshot, apply, run, restore."""
    opts = webui.opts
    if p.scripts is not None:
        p.scripts.run_hook("before_process", p)
    # The restore gap: keys missing from config.json are applied but never restored (process_images).
    stored = {key: opts.data[key] for key in p.override_settings if key in opts.data}
    models = webui.sd_models
    try:
        # A checkpoint override that is not an exact id is dropped (process_images, A1111 and Forge).
        if models.checkpoints_list and models.checkpoint_aliases.get(p.override_settings.get(CHECKPOINT)) is None:
            p.override_settings.pop(CHECKPOINT, None)
        for key, value in p.override_settings.items():
            if webui.profile.skips_unchanged_overrides and value == opts.data.get(key):
                continue  # sysinfo.set_config skips unchanged values
            opts.set(key, value, is_api=True, run_callbacks=False)
        if models.checkpoints_list:  # (re)load the selected model (process_images; Forge's calls
            # manage_model_and_prompt_cache); none in a bare fake
            models.reload_model_weights()
        return process_images_inner(webui, p)
    finally:
        if p.override_settings_restore_afterwards:
            for key, value in stored.items():
                opts.assign(key, value)


def process_images_inner(webui, p):
    """processing.py:process_images_inner, reduced to what touches Clip skip."""
    if p.scripts is not None:
        p.scripts.run_hook("process", p)
    images, infotexts = [], []
    for batch in range(p.n_iter):
        if webui.state.interrupted:
            break  # an interrupted job still reaches postprocess
        p.prompts = [p.prompt] * p.batch_size
        if p.scripts is not None:
            p.scripts.run_hook("process_batch", p)
        p.setup_conds()  # process_images_inner
        for elsewhere in webui.meanwhile:  # other threads go on while a job samples (settings saves)
            elsewhere()
        for make_sampler in webui.sampler_hooks:  # p.sample: sd_samplers.create_sampler, which extensions hijack
            make_sampler(p)
        if webui.fail_while_sampling:
            raise RuntimeError("sampling failed")
        hr_layer = sample_hr_pass(webui, p) if getattr(p, "enable_hr", False) else None
        p.iteration = batch
        for position in range(p.batch_size):
            index = batch * p.batch_size + position
            p.batch_index = position
            # the layers the first pass's and the hires pass's conds were encoded from
            first_pass = p.sampled_layers or sampled(p.c, p.steps)  # reForge's dynamic schedule: a layer per step
            image = ("image", p.prompt, p.seed + index, first_pass, hr_layer)
            if p.scripts is not None:  # each image, before its infotext is made
                pp = SimpleNamespace(image=image)  # scripts.py:PostprocessImageArgs
                p.scripts.run_hook("postprocess_image", p, pp)
                image = pp.image
            images.append(image)
            infotexts.append(create_infotext(webui, p, index))
        if webui.interrupt_after_first_batch:
            webui.state.interrupted = True
    processed = Processed(
        images,
        infotexts,
        webui.opts.CLIP_stop_at_last_layers,
        p.extra_generation_params,
        "".join(f"{comment}\n" for comment in p.comments),
    )
    if p.scripts is not None:
        p.scripts.run_hook("postprocess", p, processed)
    return processed


def sample_hr_pass(webui, p):
    """processing.py:StableDiffusionProcessingTxt2Img.sample_hr_pass (Forge alike): the hires conds are computed
    *before* before_hr, which may replace them; the second pass then samples with p.hr_c. Returns the layer it
    sampled with."""
    with webui.devices.autocast():
        p.calculate_hr_conds()  # sample_hr_pass (Forge alike)
    if p.scripts is not None:
        p.scripts.run_hook("before_hr", p)  # sample_hr_pass (Forge alike)
    return sampled(p.hr_c, p.hires_steps)


def run_job(webui, p, runner, script_args):
    """txt2img.py:txt2img_upscale and txt2img, and api/api.py:Api.text2imgapi: every job runs inside
    `with closing(p)`, after shared.state.begin() reset the interrupt flag (call_queue.py:wrap_gradio_call,
    Api.text2imgapi)."""
    webui.state.interrupted = webui.state.skipped = False
    webui.current_job = p
    with closing(p):
        p.scripts = runner
        p.script_args = tuple(script_args)
        return process_images(webui, p)


__all__ = ["CLIP_KEY", "Processing", "Processed", "process_images", "run_job", "create_infotext"]
