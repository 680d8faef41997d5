"""AUTOMATIC1111 1.6–1.10, reForge and Forge, which share A1111's settings, model list and script machinery."""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..host import CheckpointRef, ConditioningHook, DirectConditioningHook, HostKind, ModelFamily, Settings
from ..rules.freeze import freeze_reason
from ..rules.values import SETTING_KEY
from ..webui.guard import holding

_GUARDED_SAVE = "clip_skip_guards_saves"
_HOOKED_CONDITIONING = "clip_skip_hooked_conditioning"
# The conditioning caches of every job (class attributes of StableDiffusionProcessing and of its Txt2Img subclass,
# A1111 82a973c0 processing.py; Forge dfdcbab6, reForge 3b56b268, Classic 1f95d717, ersatzForge fca12a2 alike).
_COND_CACHES = ("cached_c", "cached_uc", "cached_hr_c", "cached_hr_uc")
# ersatzForge fca12a2 keeps them instead in one class-level list of [params, conds] pairs (processing.py:
# StableDiffusionProcessing.cond_cache, get_conds_with_caching).
_COND_CACHE_LIST = "cond_cache"
_RELEASES_ON_CLOSE = "clip_skip_releases_on_close"
_TRACKS_ENCODING_JOBS = "clip_skip_tracks_encoding_jobs"

# Forge-family engines by class (backend/diffusion_engine/*.py of Forge dfdcbab6, ersatzForge fca12a2 and Forge Neo
# 0b824fed…c80bb048); the A1111 flags come after them. Their is_flux/is_wan flags are set by other families too.
_FORGE_ENGINES = {
    "StableDiffusionXLRefiner": ModelFamily.SDXL_REFINER,
    "Flux": ModelFamily.FLUX,
    "Chroma": ModelFamily.CHROMA,
    "ChromaDCT": ModelFamily.CHROMA,  # ersatzForge's Chroma Radiance
    "Flux2": ModelFamily.FLUX2,
    "ZImage": ModelFamily.Z_IMAGE,  # Forge Neo
    "Zimage": ModelFamily.Z_IMAGE,  # ersatzForge
    "Lumina2": ModelFamily.LUMINA2,
    "QwenImage": ModelFamily.QWEN_IMAGE,
    "QwenImage21": ModelFamily.QWEN_IMAGE,
    "Wan": ModelFamily.WAN,
    "Anima": ModelFamily.ANIMA,
    "ErnieImage": ModelFamily.ERNIE_IMAGE,  # Forge Neo
    "ERNIE": ModelFamily.ERNIE_IMAGE,  # ersatzForge
    "Krea2": ModelFamily.KREA2,
    "Cosmos": ModelFamily.COSMOS,
    "PiD": ModelFamily.PID,
}


def model_family(model: object) -> ModelFamily:
    """The family of a loaded model, from the flags both hosts set (A1111 82a973c0 sd_models.py:set_model_type,
    Forge dfdcbab6 backend/diffusion_engine/base.py:ForgeDiffusionEngine) and Forge's engine class.

    Every host gives the model it loads its `sd_checkpoint_info` (A1111 82a973c0 sd_models.py:load_model_weights,
    Forge Neo 3df257ae sd_models.py:forge_model_reload); until its first load Neo holds a FakeInitialModel
    (sd_models.py:SdModelData), which has none: no model is loaded then."""
    if model is None or _submodule(model, "sd_checkpoint_info") is None:
        return ModelFamily.NOT_LOADED
    engine = _FORGE_ENGINES.get(type(model).__name__)
    if engine is not None:
        return engine
    if getattr(model, "is_sd3", False):
        return ModelFamily.SD3
    if getattr(model, "is_sdxl", False):
        # A1111's refiner is an SDXL model whose conditioner has no CLIP-L (sd_xl_refiner.yaml); a loaded model's
        # encoders are wrapped, the original kept as `.wrapped` (sd_hijack.py:StableDiffusionModelHijack.hijack).
        embedders = getattr(_submodule(model, "conditioner"), "embedders", None)
        names = [type(getattr(e, "wrapped", e)).__name__ for e in embedders or ()]
        if embedders is not None and "FrozenCLIPEmbedder" not in names:
            return ModelFamily.SDXL_REFINER
        return ModelFamily.SDXL
    if getattr(model, "is_sd2", False) or _text_encoder_name(model) == "FrozenOpenCLIPEmbedder":
        # reForge and Classic wrap SD2's encoder before they test it for `.model`, so their SD2 models say is_sd1
        # (reForge 3b56b268, Classic 1f95d717 modules_forge/forge_loader.py:load_model_for_a1111).
        return ModelFamily.SD2
    if getattr(model, "is_sd1", False):
        return ModelFamily.SD1
    return ModelFamily.UNKNOWN


def _text_encoder_name(model: object) -> str:
    """The class of an SD1/SD2 model's text encoder, under the host's wrapper (`.wrapped`, A1111 82a973c0
    sd_hijack_clip.py:FrozenCLIPEmbedderWithCustomWordsBase.__init__; reForge and Classic forge_clip.py)."""
    encoder = _submodule(model, "cond_stage_model")
    return type(getattr(encoder, "wrapped", encoder)).__name__


def _submodule(model: object, name: str) -> object:
    """`model.<name>` or None. A model reForge tore down while switching (3b56b268
    sd_models.py:complete_model_teardown) has no torch `_parameters`, and torch's Module.__getattr__, which finds
    submodules, then raises TypeError."""
    try:
        return getattr(model, name, None)
    except TypeError:
        return None


def checkpoint_ref(info: Any) -> CheckpointRef | None:
    """A host CheckpointInfo (A1111 82a973c0 sd_models.py:CheckpointInfo) as the package sees it."""
    if info is None:
        return None
    return CheckpointRef(
        name=getattr(info, "name_for_extra", None) or getattr(info, "model_name", "") or "",
        hash=getattr(info, "shorthash", None),
        path=getattr(info, "filename", None),
    )


def _loaded_model() -> object:
    """The loaded model or None, never waiting: `shared.sd_model` loads one, and waits for a load in
    progress (A1111 82a973c0 shared_items.py:Shared.sd_model), which would hold up the header's status request."""
    from modules import sd_models, shared

    data = getattr(sd_models, "model_data", None)
    return data.sd_model if data is not None else getattr(shared, "sd_model", None)


class A1111Host:
    def __init__(self, name: str = "AUTOMATIC1111") -> None:
        self.name = name
        self.kind = HostKind(name)

    def options(self) -> Settings:
        from modules import shared

        settings: Settings = shared.opts.data
        return settings

    def on_app_started(self, callback: Callable[[Any, Any], None], script_file: str) -> None:
        self._add_callback("app_started", callback, script_file)

    def on_infotext_pasted(self, callback: Callable[[str, dict[str, Any]], None], script_file: str) -> None:
        """connect_paste calls it with the pasted text and the parsed params before any paste field reads them
        (A1111 82a973c0 infotext_utils.py:connect_paste.paste_func; Forge Neo 3df257ae the same)."""
        self._add_callback("infotext_pasted", callback, script_file)

    @staticmethod
    def _add_callback(category: str, callback: Callable[..., None], script_file: str) -> None:
        """Register, naming the script file ourselves where the host takes it: otherwise it finds the file with
        inspect.stack(), ~0.15 s of startup measured (script_callbacks.py:add_callback)."""
        from modules import script_callbacks

        add_callback = script_callbacks.add_callback
        if "filename" in inspect.signature(add_callback).parameters:
            callbacks = script_callbacks.callback_map[f"callbacks_{category}"]
            add_callback(callbacks, callback, category=category, filename=script_file)
        else:  # A1111 before 1.9
            getattr(script_callbacks, f"on_{category}")(callback)

    def clip_skip_in_effect(self) -> object:
        from modules import shared

        # Options.__getattr__ falls back to the default when config.json lacks the key.
        return getattr(shared.opts, SETTING_KEY)

    def freeze_reason(self) -> str | None:
        from modules import shared

        cmd_opts = shared.cmd_opts
        info = shared.opts.data_labels.get(SETTING_KEY)
        return freeze_reason(
            freeze_all=bool(getattr(cmd_opts, "freeze_settings", False)),
            frozen_sections=getattr(cmd_opts, "freeze_settings_in_sections", None),
            frozen_keys=getattr(cmd_opts, "freeze_specific_settings", None),
            section=getattr(info, "section", None),
        )

    def infotext_skip_pasting(self) -> Collection[str]:
        """The setting parse_generation_parameters drops keys by (A1111 82a973c0 infotext_utils.py)."""
        from modules import shared

        skipped = getattr(shared.opts, "infotext_skip_pasting", None)
        return [key for key in skipped if isinstance(key, str)] if isinstance(skipped, list) else []

    def input_accordion(self) -> Callable[..., Any] | None:
        try:
            from modules.ui_components import InputAccordion
        except ImportError:  # A1111 before 1.6
            return None
        factory: Callable[..., Any] = InputAccordion
        return factory

    def checkpoint(self, title: str | None = None, *, hashed: bool = False) -> CheckpointRef | None:
        """The checkpoint a title names exactly, else the one the next generation loads (the selected
        one); with `hashed`, its hash is computed if the host has none yet. Exactly, as the host
        matches both: a job's override (processing.py:process_images) and the selection
        (sd_models.py:select_checkpoint)."""
        from modules import sd_models, shared

        aliases = getattr(sd_models, "checkpoint_aliases", None)
        if aliases is None:  # A1111 before 1.6 spelled it so
            aliases = getattr(sd_models, "checkpoint_alisases", {})
        info = aliases.get(title) if title else None
        if info is None:
            info = aliases.get(getattr(shared.opts, "sd_model_checkpoint", None))
        if info is None:
            info = getattr(_loaded_model(), "sd_checkpoint_info", None)
        if hashed and info is not None and not getattr(info, "shorthash", None):
            info.calculate_shorthash()  # cached by the host in cache.json
        return checkpoint_ref(info)

    def unhashed_reason(self) -> str:
        """--no-hashing, or ersatzForge's "Use SHA256 to hash checkpoints", off by default: without it its
        hashes.sha256 returns None (ersatzForge fca12a2 modules/hashes.py:sha256, shared_options.py)."""
        from modules import shared

        if not getattr(shared.cmd_opts, "no_hashing", False) and getattr(shared.opts, "use_real_SHA256", None) is False:
            return 'turn on Settings › System › "Use SHA256 to hash checkpoints"'
        return "is --no-hashing on?"

    def model_family(self) -> ModelFamily:
        return model_family(_loaded_model())

    def sdxl_clip_l_skip(self) -> bool:
        from modules import shared

        return bool(getattr(shared.opts, "sdxl_clip_l_skip", False))

    def data_dir(self) -> str:
        from modules import paths_internal

        return str(paths_internal.data_path)

    def lora_path(self, name: str) -> str | None:
        """The file of a prompt's LoRA, found the way the built-in Lora extension finds it: by alias
        (its `ss_output_name`, which the UI inserts), or by file name where aliases clash
        (A1111 82a973c0 Lora/networks.py:load_networks; Forge dfdcbab6 sd_forge_lora/networks.py:load_networks)."""
        try:
            import networks
        except ImportError:
            return None
        if name.lower() in getattr(networks, "forbidden_network_aliases", {}):
            network = getattr(networks, "available_networks", {}).get(name)
        else:
            network = getattr(networks, "available_network_aliases", {}).get(name)
        path = getattr(network, "filename", None)
        return path if path and os.path.isfile(path) else None

    def recompute_hires_conds(self, p: Any, clip_skip: int) -> None:
        """Encode the hires prompts again at `clip_skip`: the host encoded them before `before_hr`
        (A1111 82a973c0 processing.py:StableDiffusionProcessingTxt2Img.sample; Forge dfdcbab6 alike) and
        keys its cond cache on the setting (processing.py:StableDiffusionProcessing.get_conds_with_caching)."""
        from modules import devices, shared

        first_pass_conds = p.hr_c, p.hr_uc
        with holding(shared.opts.data, clip_skip):
            try:
                p.hr_c = p.hr_uc = None  # calculate_hr_conds returns early while hr_c is set
                with devices.autocast():
                    p.calculate_hr_conds()
            except BaseException:
                p.hr_c, p.hr_uc = first_pass_conds  # the hires pass still has conds to sample with
                raise

    def hook_conditioning(self, hook: ConditioningHook, direct: DirectConditioningHook) -> bool:
        """Wrap prompt_parser.get_learned_conditioning, which every pass's conditioning comes from: processing.py
        looks it up at each call, and get_multicond_learned_conditioning calls it as a module global (A1111
        82a973c0 processing.py:StableDiffusionProcessing.setup_conds, calculate_hr_conds; prompt_parser.py; the
        same signature in Forge dfdcbab6, reForge 3b56b268, Classic 1f95d717 and ersatzForge fca12a2). The job
        whose conds they are is the one in get_conds_with_caching (`_track_encoding_jobs`)."""
        try:
            from modules import prompt_parser
        except ImportError:
            return False
        found = getattr(prompt_parser, "get_learned_conditioning", None)
        if not callable(found):
            return False
        _track_encoding_jobs()
        host_function: Callable[..., Any] = found
        if getattr(host_function, _HOOKED_CONDITIONING, False):
            return True

        def get_learned_conditioning(
            model: Any, prompts: Any, steps: int, hires_steps: int | None = None, use_old_scheduling: bool = False
        ) -> Any:
            def encode_at(clip_skip: int) -> Any:
                with self._encoding_at(model, clip_skip):
                    return host_function(model, prompts, steps, hires_steps, use_old_scheduling)

            self._hook_direct_conditioning(model, direct)
            job = getattr(_encoding, "job", None)
            outer, _encoding.through_host = getattr(_encoding, "through_host", False), True
            try:
                planned = hook(encode_at, steps, hires_steps, use_old_scheduling, job)
                if planned is None:
                    return host_function(model, prompts, steps, hires_steps, use_old_scheduling)
                return planned
            finally:
                _encoding.through_host = outer

        setattr(get_learned_conditioning, _HOOKED_CONDITIONING, True)
        prompt_parser.get_learned_conditioning = get_learned_conditioning
        return True

    def _hook_direct_conditioning(self, model: Any, direct: DirectConditioningHook) -> None:
        """Wrap the model class's own get_learned_conditioning, which prompt_parser calls for the host and other
        extensions call directly (Tiled Diffusion 22798f6 tile_methods/abstractdiffusion.py:
        find_noise_for_image_sigma_adjustment): once per class, when the host first encodes with one of its models
        (A1111 82a973c0 ldm LatentDiffusion, sd_models_xl.py; Forge dfdcbab6 backend/diffusion_engine/*.py)."""
        model_class = type(model)
        found = getattr(model_class, "get_learned_conditioning", None)
        if not callable(found) or getattr(found, _HOOKED_CONDITIONING, False):
            return
        host_method: Callable[..., Any] = found

        def get_learned_conditioning(own: Any, texts: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_encoding, "through_host", False):
                return host_method(own, texts, *args, **kwargs)

            def encode_at(clip_skip: int) -> Any:
                with self._encoding_at(own, clip_skip):
                    return host_method(own, texts, *args, **kwargs)

            made = direct(encode_at)
            return host_method(own, texts, *args, **kwargs) if made is None else made

        setattr(get_learned_conditioning, _HOOKED_CONDITIONING, True)
        model_class.get_learned_conditioning = get_learned_conditioning

    @contextmanager
    def _encoding_at(self, model: Any, clip_skip: int) -> Iterator[None]:
        """The setting held at `clip_skip`, which A1111's, reForge's and Classic's encoders read; Forge-family
        engines are told it as processing.py tells them (`set_clip_skip(int(setting))`, Forge dfdcbab6
        get_conds_with_caching, ersatzForge fca12a2 setup_conds), and told the job's value again afterwards."""
        from modules import shared

        tell: Callable[[int], object] | None = getattr(model, "set_clip_skip", None)
        if not callable(tell):
            with holding(shared.opts.data, clip_skip):
                yield
            return
        try:
            with holding(shared.opts.data, clip_skip):
                tell(clip_skip)
                yield
        finally:
            job_value = self.clip_skip_in_effect()
            tell(job_value if isinstance(job_value, int) else clip_skip)

    def forget_cached_conds(self, p: Any) -> None:
        for name in _COND_CACHES:
            cache = getattr(p, name, None)
            if isinstance(cache, list):
                cache[:] = [None] * len(cache)  # in place: the list is shared by every job
        pairs = getattr(p, _COND_CACHE_LIST, None)
        if isinstance(pairs, list):
            pairs.clear()

    def dynamic_clip_skip(self) -> str | None:
        """reForge 3b56b268 shared_options.py: dynamic_clip_skip_enabled, _start, _use_schedule and
        _schedule_values, read by processing.py:StableDiffusionProcessing.setup_conds; no other host has them."""
        from modules import shared

        opts = shared.opts
        if getattr(opts, "dynamic_clip_skip_enabled", False) is not True:
            return None
        schedule = getattr(opts, "dynamic_clip_skip_schedule_values", "")
        if getattr(opts, "dynamic_clip_skip_use_schedule", False) and isinstance(schedule, str) and schedule.strip():
            return f"schedule {schedule.strip()}"
        return f"ramp from {getattr(opts, 'dynamic_clip_skip_start', 4)} to 2"

    def stop_job(self) -> None:
        from modules import shared

        shared.state.interrupt()  # process_images_inner stops before the next batch (A1111 82a973c0)

    def release_when_closed(self, release: Callable[[Any], None]) -> None:
        """Every job runs inside `with closing(p)` (A1111 82a973c0 txt2img.py:txt2img, img2img.py:img2img,
        api/api.py:Api.text2imgapi; Forge dfdcbab6 the same), which calls StableDiffusionProcessing.close,
        also after an exception, when postprocess never runs. Wrapped once on the class: an attribute on
        the job would travel with every copy of it (see guard.py)."""
        from modules import processing

        job_class = processing.StableDiffusionProcessing
        host_close = job_class.close
        if getattr(host_close, _RELEASES_ON_CLOSE, False):
            return

        def close(p: Any) -> None:
            try:
                release(p)
            finally:
                host_close(p)

        setattr(close, _RELEASES_ON_CLOSE, True)
        job_class.close = close

    def guard_settings_saves(self, substitute: Callable[[Settings], Settings]) -> None:
        """Every writer of config.json calls `shared.opts.save(filename)`, which dumps `self.data` (A1111
        82a973c0 options.py:Options.save; Forge dfdcbab6 the same): the host's own save runs on a view of
        the settings whose `data` is `substitute(data)`, once per options object."""
        from modules import shared

        opts = shared.opts
        if getattr(opts.save, _GUARDED_SAVE, False):
            return
        host_save = type(opts).save

        def save(filename: str, *args: Any, **kwargs: Any) -> Any:
            return host_save(_SettingsView(opts, substitute(opts.data)), filename, *args, **kwargs)

        setattr(save, _GUARDED_SAVE, True)
        opts.save = save  # an instance attribute: Options.__setattr__ passes names that are no setting

    def api_auth_enabled(self) -> bool:
        from modules import shared

        return bool(getattr(shared.cmd_opts, "api_auth", None))

    def api_auth_dependencies(self, app: Any) -> Sequence[Any]:
        """The dependencies of the host's own txt2img route: `Depends(Api.auth)` with --api-auth (A1111
        82a973c0 api/api.py:Api.add_api_route; Forge dfdcbab6 the same). With --api-auth but no API
        (no --api) there is nothing to borrow, so every request is refused."""
        for route in getattr(app, "routes", ()):
            if getattr(route, "path", None) == "/sdapi/v1/txt2img":
                return list(getattr(route, "dependencies", ()))
        if not self.api_auth_enabled():
            return []
        from fastapi import Depends

        return [Depends(_refuse_without_host_api)]


_encoding = threading.local()
"""`job`: the job whose conds the host is making in this thread (get_conds_with_caching), else absent or None;
`through_host`: True while prompt_parser encodes (the model's own method then passes through)."""


def _track_encoding_jobs() -> None:
    """Every conditioning a job makes for itself goes through StableDiffusionProcessing.get_conds_with_caching
    (A1111 82a973c0 processing.py: setup_conds, calculate_hr_conds; Forge dfdcbab6, reForge 3b56b268, Classic
    1f95d717, ersatzForge fca12a2 alike): wrapped once on the class, it tells the conditioning hook which job asks.
    Another extension that encodes on its own (Tiled Diffusion's region prompts) names no job."""
    from modules import processing

    job_class = processing.StableDiffusionProcessing
    host_method = getattr(job_class, "get_conds_with_caching", None)
    if not callable(host_method) or getattr(host_method, _TRACKS_ENCODING_JOBS, False):
        return

    def get_conds_with_caching(p: Any, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_encoding, "job", None)
        _encoding.job = p
        try:
            return host_method(p, *args, **kwargs)
        finally:
            _encoding.job = outer

    setattr(get_conds_with_caching, _TRACKS_ENCODING_JOBS, True)
    job_class.get_conds_with_caching = get_conds_with_caching


class _SettingsView:
    """The host's options object with other `data`, for the host's own save to write."""

    def __init__(self, opts: Any, data: Settings) -> None:
        self.__dict__["_opts"] = opts
        self.__dict__["data"] = data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_opts"], name)


def _refuse_without_host_api() -> None:
    from fastapi import HTTPException

    raise HTTPException(status_code=401, detail="--api-auth is set but the WebUI's API is off (--api)")
