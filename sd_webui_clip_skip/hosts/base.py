"""The few things the extension needs from a WebUI, as one interface per host family."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, Protocol

from ..auto import CheckpointRef
from ..families import HostKind, ModelFamily


class Host(Protocol):
    name: str
    kind: HostKind

    def options(self) -> MutableMapping[str, object]:
        """The raw settings dict (`shared.opts.data`) that overrides are applied to."""

    def on_app_started(self, callback: Callable[[Any, Any], None], script_file: str) -> None:
        """Call `callback(demo, app)` once the WebUI's FastAPI app is up."""

    def clip_skip_in_effect(self) -> object:
        """The value the text encoder reads right now, default-filled like the host does."""

    def freeze_reason(self) -> str | None:
        """Why an override of the setting would fail, or None."""

    def input_accordion(self) -> Callable[..., Any] | None:
        """The host's InputAccordion factory, or None where it has none."""

    def checkpoint(self, title: str | None = None, *, hashed: bool = False) -> CheckpointRef | None:
        """The checkpoint `title` names, else the one the next generation uses."""

    def model_family(self) -> ModelFamily:
        """The family of the loaded model."""

    def sdxl_clip_l_skip(self) -> bool:
        """A1111's setting that applies Clip skip to SDXL's CLIP-L."""

    def data_dir(self) -> str:
        """The WebUI's data directory (--data-dir), where user data outlives extension updates."""

    def lora_path(self, name: str) -> str | None:
        """The file of the LoRA a prompt names, if the host knows it."""

    def recompute_hires_conds(self, p: Any, clip_skip: int) -> None:
        """Encode the hires-fix prompts again with `clip_skip` in effect."""
