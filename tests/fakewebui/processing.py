"""One generation, as `modules/processing.py` runs it (A1111 v1.10.1 @ 82a973c0; Forge @ dfdcbab6
where the flavor says so). Images are tuples that record what the "text encoder" produced."""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass, field

from .options import CLIP_KEY


class Processing:
    """The fields and the script_args/scripts setters of StableDiffusionProcessing (processing.py:120-300)."""

    def __init__(
        self,
        webui,
        *,
        prompt="a cat",
        seed=1,
        batch_size=1,
        n_iter=1,
        enable_hr=False,
        override_settings=None,
        override_settings_restore_afterwards=True,
        is_api=False,
    ):
        self.webui = webui
        self.prompt = prompt
        self.seed = seed
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.enable_hr = enable_hr
        self.steps = 1
        self.override_settings = dict(override_settings or {})
        self.override_settings_restore_afterwards = override_settings_restore_afterwards
        self.is_api = is_api
        self.extra_generation_params = {}
        self.scripts_value = None
        self.script_args_value = None
        self.scripts_setup_complete = False
        self.closed = False

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
        # processing.py:285-294: `setup` runs once both are set
        if self.scripts_value and self.script_args_value and not self.scripts_setup_complete:
            self.scripts_setup_complete = True
            self.scripts.run_hook("setup", self, is_ui=not self.is_api)

    def close(self):
        self.closed = True


@dataclass
class Processed:
    images: list
    infotexts: list
    clip_skip: object  # processing.py:546 reads the setting while overrides are applied
    extra_generation_params: dict = field(default_factory=dict)

    def js(self):
        return json.dumps({"infotexts": self.infotexts, "clip_skip": self.clip_skip})


def encode(webui, prompts):
    """The SD1 text encoder reading the *global* option at encode time (sd_hijack_clip.py:351-361):
    it indexes 13 hidden states with -N unchecked, so a float raises TypeError and N >= 14 IndexError.
    Forge int-casts first (processing.py:471-474)."""
    n = webui.opts.CLIP_stop_at_last_layers
    if webui.flavor == "forge":
        n = int(n)
    hidden_states = [f"layer {i}" for i in range(13)]
    layer = hidden_states[-n] if n > 1 else hidden_states[-1]
    webui.encode_calls.append((tuple(prompts), n))
    return (tuple(prompts), layer)


def get_conds_with_caching(webui, prompts):
    """processing.py:440-491: the cache key holds the option's value, so a change re-encodes."""
    key = (tuple(prompts), webui.opts.CLIP_stop_at_last_layers)
    if webui.cond_cache.get("key") != key:
        webui.cond_cache.update(key=key, cond=encode(webui, prompts))
    return webui.cond_cache["cond"]


def create_infotext(webui, p, index):
    """processing.py:754-815: "Clip skip" comes from p.clip_skip or the global option *now*,
    is omitted when <= 1, and `extra_generation_params` is spread after it."""
    clip_skip = getattr(p, "clip_skip", webui.opts.CLIP_stop_at_last_layers)
    if webui.flavor == "forge":
        clip_skip = int(clip_skip)  # Forge processing.py:721
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
    """infotext_utils.py:56-60: JSON-quote only values holding ',', ':' or a newline."""
    text = str(value)
    return json.dumps(text) if any(c in text for c in ",:\n") else value


def process_images(webui, p):
    """processing.py:819-861 (Forge :815-849): before_process, snapshot, apply, run, restore."""
    opts = webui.opts
    if p.scripts is not None:
        p.scripts.run_hook("before_process", p)
    # The restore gap: keys missing from config.json are applied but never restored (:823).
    stored = {key: opts.data[key] for key in p.override_settings if key in opts.data}
    try:
        for key, value in p.override_settings.items():
            if webui.flavor == "forge" and value == opts.data.get(key):
                continue  # sysinfo.set_config skips unchanged values
            opts.set(key, value, is_api=True, run_callbacks=False)
        return process_images_inner(webui, p)
    finally:
        if p.override_settings_restore_afterwards:
            for key, value in stored.items():
                opts.assign(key, value)


def process_images_inner(webui, p):
    """processing.py:863-1150, reduced to what touches Clip skip."""
    if p.scripts is not None:
        p.scripts.run_hook("process", p)
    images, infotexts = [], []
    for batch in range(p.n_iter):
        if webui.state.interrupted:
            break  # an interrupted job still reaches postprocess
        prompts = [p.prompt] * p.batch_size
        if p.scripts is not None:
            p.scripts.run_hook("process_batch", p)
        cond = get_conds_with_caching(webui, prompts)  # p.setup_conds() (:966)
        if webui.fail_while_sampling:
            raise RuntimeError("sampling failed")
        hr_cond = None
        if p.enable_hr:
            hr_cond = get_conds_with_caching(webui, prompts)  # calculate_hr_conds, *before* before_hr (:1440)
            if p.scripts is not None:
                p.scripts.run_hook("before_hr", p)
        for position in range(p.batch_size):
            index = batch * p.batch_size + position
            images.append(("image", p.prompt, p.seed + index, cond[1], hr_cond and hr_cond[1]))
            infotexts.append(create_infotext(webui, p, index))
        if webui.interrupt_after_first_batch:
            webui.state.interrupted = True
    processed = Processed(images, infotexts, webui.opts.CLIP_stop_at_last_layers, p.extra_generation_params)
    if p.scripts is not None:
        p.scripts.run_hook("postprocess", p, processed)
    return processed


def run_job(webui, p, runner, script_args):
    """txt2img.py:79-105 and api.py:468-490: every job runs inside `with closing(p)`."""
    with closing(p):
        p.scripts = runner
        p.script_args = tuple(script_args)
        return process_images(webui, p)


__all__ = ["CLIP_KEY", "Processing", "Processed", "process_images", "run_job", "create_infotext"]
