"""One profile per host family: what the fake host does differently on each, with the host file and commit it
models. A1111 v1.10.1 @ 82a973c0 is the base; Forge @ dfdcbab6, reForge @ 3b56b268, Forge Classic @ 1f95d717,
ersatzForge @ fca12a2 and Forge Neo @ 3df257ae (nolanlane/sd-webui-forge-classic's root commit: an import of Neo's
files as of February 2026, not a verified upstream commit), each checked against a run of the real host."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class EngineClipSkip(Enum):
    """When the text encoder learns the Clip skip it encodes with."""

    AT_ENCODE = "at encode"
    """A1111: the encoder reads the setting while it encodes (sd_hijack_clip.py:
    FrozenCLIPEmbedderWithCustomWords.encode_with_transformers); reForge and Classic alike
    (modules_forge/forge_clip.py)."""
    BEFORE_EACH_ENCODE = "before each encode"
    """Forge: `set_clip_skip(int(setting))` right before a cache miss encodes (processing.py:
    StableDiffusionProcessing.get_conds_with_caching); the engine keeps it."""
    AT_SETUP = "at setup"
    """ersatzForge: `set_clip_skip(int(setting))` once in setup_conds and again in calculate_hr_conds
    (processing.py:StableDiffusionProcessing.setup_conds, StableDiffusionProcessingTxt2Img.calculate_hr_conds); the
    engine keeps it, so a setting changed later encodes nothing until the next of those."""


@dataclass(frozen=True)
class HostProfile:
    name: str
    extension_calls_it: str
    """The host's name as the extension says it (HostKind)."""
    forge_version: str | None
    """modules_forge/forge_version.py:version; None: no modules_forge (A1111)."""
    forge_main_entry: bool = False
    """modules_forge/main_entry.py exists (Forge, ersatzForge)."""
    accordion_factory: bool = False
    """ui_components.py:InputAccordion is a function returning InputAccordionImpl (Forge, ersatzForge)."""
    int_clip_skip: bool = False
    """int() on the setting in create_infotext and before encoding (Forge, ersatzForge processing.py)."""
    skips_unchanged_overrides: bool = False
    """process_images applies overrides with sysinfo.set_config, which skips unchanged values (Forge, ersatzForge)."""
    selection_saves: bool = False
    """The checkpoint dropdown sets and saves the option and loads at the next generation
    (Forge, ersatzForge modules_forge/main_entry.py:checkpoint_change)."""
    clip_skip_default: int = 1
    """shared_options.py: CLIP_stop_at_last_layers's default."""
    engine_clip_skip: EngineClipSkip = EngineClipSkip.AT_ENCODE
    models: str = "a1111"
    """Which model table of models.py the host loads from."""
    xyz_title: str = "X/Y/Z plot"
    xyz_axis_writes_global: bool = False
    """Classic: its own Clip skip axis writes `opts.data` directly and its SharedSettingsStackHelper puts the value
    from before the plot back after it (extensions-builtin/xyz/lib_xyz/axis_application.py:apply_clip_skip,
    classes.py:SharedSettingsStackHelper); elsewhere the axis writes the job's override (xyz_grid.py:apply_override)."""
    cond_cache_list: bool = False
    """ersatzForge: one class-level list `cond_cache` of up to 4 [params, conds] pairs instead of cached_c/cached_uc
    (processing.py:StableDiffusionProcessing.cond_cache, get_conds_with_caching)."""
    dynamic_clip_skip: bool = False
    """reForge's Dynamic clip skip settings, read by processing.py:StableDiffusionProcessing.setup_conds."""
    paste_drops_clip_skip: bool = False
    """Forge Neo: parse_generation_parameters pops "Clip skip" instead of filling in "1" for a missing one, after
    which connect_paste still hands the infotext_pasted callbacks the raw text (modules/infotext_utils.py)."""
    loads_at_first_job: bool = False
    """Forge Neo: no checkpoint is loaded until the first generation; until then `model_data.sd_model` is a
    FakeInitialModel, which has no sd_checkpoint_info (modules/sd_models.py:SdModelData, forge_model_reload)."""


FORGE = HostProfile(
    "forge",
    "Forge",
    forge_version="2.0.1v1.10.1",
    forge_main_entry=True,
    accordion_factory=True,
    int_clip_skip=True,
    skips_unchanged_overrides=True,
    selection_saves=True,
    engine_clip_skip=EngineClipSkip.BEFORE_EACH_ENCODE,
    models="forge",
)
PROFILES: dict[str, HostProfile] = {
    profile.name: profile
    for profile in (
        HostProfile("a1111", "AUTOMATIC1111", forge_version=None),
        FORGE,
        # reForge keeps A1111's processing and model classes, with its own setup_conds.
        HostProfile("reforge", "reForge", forge_version="1.0.0v2-v1.10.1RC", dynamic_clip_skip=True, models="reforge"),
        HostProfile(
            "classic",
            "Forge Classic",
            forge_version="classic",
            models="classic",
            xyz_title="X/Y/Z Plot",
            xyz_axis_writes_global=True,
        ),
        # ersatzForge is Forge's code base with the engine told its Clip skip once per pass, and more engines.
        replace(
            FORGE,
            name="ersatzforge",
            extension_calls_it="ersatzForge",
            forge_version="f2.ersatz",
            engine_clip_skip=EngineClipSkip.AT_SETUP,
            models="ersatzforge",
            cond_cache_list=True,
        ),
        # Forge Neo 3df257ae: Forge's main_entry.py, InputAccordion factory, set_config and per-encode set_clip_skip
        # (modules/processing.py:process_images, get_conds_with_caching), and A1111's plot and axis
        # (scripts/xyz_grid.py: "X/Y/Z plot", apply_override); its own default, paste and lazy model load.
        replace(
            FORGE,
            name="neo",
            extension_calls_it="Forge Neo",
            forge_version="neo",
            clip_skip_default=2,
            models="neo",
            paste_drops_clip_skip=True,
            loads_at_first_job=True,
        ),
    )
}
