"""The Clip skip "Auto" stands for: the value saved for this checkpoint, else its metadata, else the global setting."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..host import CheckpointRef
from ..rules.values import SETTING_KEY, parse_clip_skip
from .defaults import ModelDefaults
from .metadata import model_clip_skip


class AutoSource(Enum):
    SAVED = "saved"
    METADATA = "metadata"
    GLOBAL = "global"


@dataclass(frozen=True)
class AutoValue:
    value: int
    source: AutoSource
    detail: str = ""
    """The checkpoint's name for SAVED, the metadata key for METADATA."""

    @property
    def reason(self) -> str:
        """Where the value came from, e.g. "saved for animeModelV3"."""
        if self.source is AutoSource.SAVED:
            return f"saved for {self.detail}"
        if self.source is AutoSource.METADATA:
            return f"from model metadata ({self.detail})"
        return "global setting"

    @property
    def text(self) -> str:
        """The UI's one-line explanation, e.g. "2 · saved for animeModelV3"."""
        return f"{self.value} · {self.reason}"


def resolve_auto(checkpoint: CheckpointRef | None, defaults: ModelDefaults | None, global_value: object) -> AutoValue:
    """Never raises for a missing or unreadable checkpoint, file or store; raises ClipSkipError
    when it falls back to a global value that is not a Clip skip."""
    if checkpoint is not None:
        saved = defaults.get(checkpoint.hash) if defaults is not None else None
        if saved is not None:
            return AutoValue(saved.value, AutoSource.SAVED, saved.name or checkpoint.name)
        found = model_clip_skip(checkpoint.path) if checkpoint.path else None
        if found is not None:
            return AutoValue(found.value, AutoSource.METADATA, found.key)
    return AutoValue(parse_clip_skip(global_value, source=SETTING_KEY), AutoSource.GLOBAL)
