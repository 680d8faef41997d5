"""The host interface the rest of the package is written against: what a WebUI gives, and its types.

`hosts/` implements it, one adapter per host family; `models/` and `webui/` only see this file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, MutableMapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

Settings = MutableMapping[str, object]
"""The raw settings dict (`shared.opts.data`): what config.json holds, and what overrides are applied to."""


class HostKind(Enum):
    """Values are the names hosts.detect_host gives (and the console and the status route show)."""

    A1111 = "AUTOMATIC1111"
    REFORGE = "reForge"
    FORGE = "Forge"
    FORGE_CLASSIC = "Forge Classic"
    FORGE_NEO = "Forge Neo"
    ERSATZ_FORGE = "ersatzForge"


class ModelFamily(Enum):
    SD1 = "SD1"
    SD2 = "SD2"
    SDXL = "SDXL"
    SDXL_REFINER = "SDXL refiner"
    SD3 = "SD3"
    FLUX = "Flux"
    # Families whose encoders are no CLIP the setting reaches (Forge, Forge Neo and ersatzForge engines).
    CHROMA = "Chroma"
    FLUX2 = "Flux.2 Klein"
    Z_IMAGE = "Z-Image"
    LUMINA2 = "Lumina 2"
    QWEN_IMAGE = "Qwen-Image"
    WAN = "Wan"
    ANIMA = "Anima"
    ERNIE_IMAGE = "ERNIE-Image"
    KREA2 = "Krea 2"
    COSMOS = "Cosmos Predict2"
    PID = "PiD"
    UNKNOWN = "unknown"
    """A loaded model of a family the extension does not name."""
    NOT_LOADED = "no model loaded"


@dataclass(frozen=True)
class CheckpointRef:
    """A checkpoint as the package sees it: the name people read, the short hash, the file."""

    name: str
    hash: str | None = None
    path: str | None = None


class Job(Protocol):
    """The host's processing job (`StableDiffusionProcessing`, A1111 82a973c0 modules/processing.py), as far
    as the extension reads and writes it. img2img jobs have no `enable_hr`: it is read with getattr."""

    override_settings: dict[str, Any]
    override_settings_restore_afterwards: bool
    extra_generation_params: dict[str, Any]
    prompt: str | list[str]

    def comment(self, text: str) -> None:
        """Show `text` under the image, with the host's generation comments."""


AppStartedCallback = Callable[[Any, Any], None]
EncodeAt = Callable[[int], Any]
"""The host's own conditioning of the prompts at a whole Clip skip."""
ConditioningHook = Callable[[EncodeAt, int, "int | None", bool, object], Any]
"""Given `encode_at`, the steps, the hires steps (None in the first pass), the old-timelines setting and the job whose
conds the host is making (None when another extension encodes on its own): the prompts' conditioning, or None to
leave it to the host."""
DirectConditioningHook = Callable[[EncodeAt], Any]
"""For another extension's direct call of the model's own get_learned_conditioning (no steps): given `encode_at`, the
conditioning, or None to leave it to the host."""


class Host(Protocol):
    name: str
    kind: HostKind

    def options(self) -> Settings:
        """The raw settings dict that overrides are applied to."""
        ...

    def on_app_started(self, callback: AppStartedCallback, script_file: str) -> None:
        """Call `callback(demo, app)` once the WebUI's FastAPI app is up."""
        ...

    def on_infotext_pasted(self, callback: Callable[[str, dict[str, Any]], None], script_file: str) -> None:
        """Call `callback(infotext, params)` at each paste, before the paste fields read `params`."""
        ...

    def clip_skip_in_effect(self) -> object:
        """The value the text encoder reads right now, default-filled like the host does."""
        ...

    def freeze_reason(self) -> str | None:
        """Why an override of the setting would fail, or None."""
        ...

    def dynamic_clip_skip(self) -> str | None:
        """reForge's *Dynamic clip skip* when it is on ("ramp from 4 to 2", "schedule 9,7,4"), else None."""
        ...

    def stop_job(self) -> None:
        """Stop the running job before its first image, as the Interrupt button does."""
        ...

    def release_when_closed(self, release: Callable[[Any], None]) -> None:
        """Call `release(p)` whenever the host closes a job, also after an exception in it."""
        ...

    def guard_settings_saves(self, substitute: Callable[[Settings], Settings]) -> None:
        """Make every save of the settings file write `substitute(settings)` instead of the live settings."""
        ...

    def api_auth_dependencies(self, app: Any) -> Sequence[Any]:
        """The FastAPI dependencies the host's own API routes carry (its --api-auth check), for ours."""
        ...

    def api_auth_enabled(self) -> bool:
        """True when the host's API asks for credentials (--api-auth)."""
        ...

    def infotext_skip_pasting(self) -> Collection[str]:
        """The infotext keys the user's "Infotext: skip pasting" setting leaves out of a paste."""
        ...

    def input_accordion(self) -> Callable[..., Any] | None:
        """The host's InputAccordion factory, or None where it has none."""
        ...

    def checkpoint(self, title: str | None = None, *, hashed: bool = False) -> CheckpointRef | None:
        """The checkpoint `title` names, else the one the next generation uses."""
        ...

    def unhashed_reason(self) -> str:
        """Why a checkpoint that `checkpoint(hashed=True)` returned has no hash, for the user."""
        ...

    def model_family(self) -> ModelFamily:
        """The family of the loaded model."""
        ...

    def sdxl_clip_l_skip(self) -> bool:
        """A1111's setting that applies Clip skip to SDXL's CLIP-L."""
        ...

    def data_dir(self) -> str:
        """The WebUI's data directory (--data-dir), where user data outlives extension updates."""
        ...

    def lora_path(self, name: str) -> str | None:
        """The file of the LoRA a prompt names, if the host knows it."""
        ...

    def recompute_hires_conds(self, p: Any, clip_skip: int) -> None:
        """Encode the hires-fix prompts again with `clip_skip` in effect."""
        ...

    def hook_conditioning(self, hook: ConditioningHook, direct: DirectConditioningHook) -> bool:
        """Let `hook` make every prompt conditioning the host asks for, and `direct` what other extensions ask the
        model for themselves; False where the host has no place for it."""
        ...

    def forget_cached_conds(self, p: Any) -> None:
        """Empty the host's conditioning caches, which know the setting's whole value but not a blend."""
        ...
