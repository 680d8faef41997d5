"""Other extensions people run beside this one, reduced to how they drive the job: nested jobs, the job's hooks
called again mid-job, process_images once per tile. Each models the extension file and commit it cites."""

from __future__ import annotations

from contextlib import closing
from copy import copy
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from . import scripts
from .options import CLIP_KEY
from .processing import Processed, Processing, process_images


class ADetailer(scripts.Script):
    """ADetailer (Bing-su/adetailer 36189cb, v25.3.0), scripts/!adetailer.py:AfterDetailerScript with one unit.

    `postprocess_image` runs its inpainting pass on each image: at batch index 0 it first calls the *outer* job's
    `postprocess` on a copy of the job, and at the last batch index it calls `before_process` and `process` on a
    copy after its pass (aaaaaa/p_method.py:need_call_postprocess, need_call_process). The pass is a new img2img
    job (get_i2i_p) with its own conds caches, the separate CLIP skip as its override (get_override_settings),
    the outer extra params copied, and the outer scripts filtered to the `ad_script_names` setting by file stem
    (script_filter); each detected mask is a copy of it run by process_images and closed (_postprocess_image_inner).
    """

    filename = "extensions/adetailer/scripts/!adetailer.py"
    script_names = "dynamic_prompting,dynamic_thresholding,wildcard_recursive,wildcards,lora_block_weight,negpip"
    """The `ad_script_names` default (adetailer/common.py:SCRIPT_DEFAULT, plus BUILTIN_SCRIPT "soft_inpainting")."""
    masks = 1
    """Faces it finds in each image."""

    def __init__(self, webui):
        self.webui = webui

    def title(self):
        return "ADetailer"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        return [
            gr.Checkbox(False, label="Enable ADetailer"),
            gr.Checkbox(False, label="Use separate CLIP skip"),
            gr.Slider(1, 12, value=1, step=1, label="ADetailer CLIP skip"),
        ]

    def process(self, p, enabled=False, use_clip_skip=False, clip_skip=1):
        if getattr(p, "_ad_disabled", False):
            return
        if not enabled:
            p._ad_disabled = True
            return
        p.extra_generation_params["ADetailer model"] = "mediapipe_face_full"  # AfterDetailerScript.extra_params
        if use_clip_skip:
            p.extra_generation_params["ADetailer CLIP skip"] = clip_skip

    def postprocess_image(self, p, pp, enabled=False, use_clip_skip=False, clip_skip=1):
        if getattr(p, "_ad_disabled", False) or not enabled:
            return
        if p.batch_index == 0:
            p.scripts.run_hook("postprocess", copy(p), Processed([], [], None))
        i2i = Processing(
            self.webui,
            img2img=True,
            prompt=p.prompt,
            seed=p.seed,
            steps=p.steps,
            override_settings={CLIP_KEY: clip_skip} if use_clip_skip else {},
        )
        i2i.extra_generation_params = dict(p.extra_generation_params)
        i2i.cached_c = [None, None]  # get_i2i_p: its own caches, not the class's
        i2i.cond_cache = []
        i2i._ad_disabled = True
        names = {name.strip() for name in self.webui.opts.data.get("ad_script_names", self.script_names).split(",")}
        runner = copy(p.scripts)
        runner.scripts = [s for s in p.scripts.scripts if Path(s.filename or "").stem in names]
        i2i.scripts, i2i.script_args = runner, tuple(p.script_args)
        processed = None
        for _ in range(self.masks):
            p2 = copy(i2i)
            try:
                processed = process_images(self.webui, p2)
            finally:
                p2.close()
        if processed is not None:  # the image its pass made, and the one it was made from
            pp.image = ("ADetailer", pp.image, processed.images[0])
        if p.batch_index == p.batch_size - 1:
            copy_p = copy(p)
            p.scripts.run_hook("before_process", copy_p)
            p.scripts.run_hook("process", copy_p)


def ultimate_sd_upscale(webui, p, *, tiles):
    """Ultimate SD upscale (Coyote-A/ultimate-upscale-for-automatic1111 2322caa), scripts/ultimate-upscale.py:
    Script.run, a selectable img2img script: USDURedraw.linear_process sets each tile as `p.init_images` and runs
    `processing.process_images(p)` on the same job, then records `processed.infotext(p, 0)`, built after the
    run's overrides were restored."""
    images, infotext = [], None
    for tile in range(tiles):
        p.init_images = [f"tile {tile}"]
        processed = process_images(webui, p)
        images += processed.images
        infotext = processed.infotexts[0]
    return Processed(images, [infotext], webui.opts.CLIP_stop_at_last_layers)


def run_selectable(webui, p, runner, script_args, run):
    """img2img.py:img2img: a selected script's `run(p)` replaces process_images, inside `with closing(p)`."""
    webui.state.interrupted = webui.state.skipped = False
    with closing(p):
        p.scripts = runner
        p.script_args = tuple(script_args)
        return run(p)


class TiledDiffusion(scripts.Script):
    """Tiled Diffusion (pkuliyi2015/multidiffusion-upscaler-for-automatic1111 22798f6), scripts/tilediffusion.py:
    while the sampler is made (create_sampler_hijack, in the job's sampling) each region's prompt is encoded with
    `prompt_parser.get_multicond_learned_conditioning(shared.sd_model, prompts, steps)`, outside the job's
    get_conds_with_caching (tile_utils/utils.py:Condition.get_custom_cond), and noise inversion encodes the prompt with
    `p.sd_model.get_learned_conditioning(prompts)` (tile_methods/abstractdiffusion.py:
    find_noise_for_image_sigma_adjustment). `process` hooks the sampler's making and `postprocess` unhooks it
    (Script.process, Script.postprocess); the fake keeps what the encodes made."""

    filename = "extensions/multidiffusion-upscaler-for-automatic1111/scripts/tilediffusion.py"

    def __init__(self, webui):
        self.webui = webui
        self.region_conds = []
        self.inversion_conds = []

    def title(self):
        return "Tiled Diffusion"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        return [gr.Checkbox(False, label="Enable Tiled Diffusion"), gr.Checkbox(False, label="Enable Noise Inversion")]

    def process(self, p, enabled=False, noise_inversion=False):
        if enabled:
            self.noise_inversion = noise_inversion
            self.webui.sampler_hooks.append(self.create_sampler)

    def create_sampler(self, p):
        model = self.webui.encoding_model
        region = self.webui.prompt_parser.get_learned_conditioning(model, [f"{p.prompt}, region"], p.steps)
        self.region_conds.append(region[0][0].cond)
        if self.noise_inversion:
            self.inversion_conds.append(model.get_learned_conditioning([p.prompt]))

    def postprocess(self, p, processed, enabled=False, noise_inversion=False):
        if self.create_sampler in self.webui.sampler_hooks:
            self.webui.sampler_hooks.remove(self.create_sampler)


def postprocess_image_args(image):
    """scripts.py:PostprocessImageArgs."""
    return SimpleNamespace(image=image)
