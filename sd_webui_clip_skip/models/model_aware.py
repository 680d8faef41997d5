"""What the extension knows about the checkpoint: Auto's value, saved defaults, per-family notices.

Shared by the hooks, the Save/Forget buttons and the status route the header reads (webui/status.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .. import logger
from ..host import CheckpointRef, Host
from ..rules.values import ClipSkipError
from .auto import AutoValue, resolve_auto
from .defaults import DEFAULTS_FILENAME, ModelDefaults, ModelDefaultsError
from .families import effect_notice


class ModelAware:
    def __init__(self, host: Host, defaults: ModelDefaults | None = None) -> None:
        self.host = host
        self._defaults = defaults

    @property
    def defaults(self) -> ModelDefaults:
        """In the data directory, so that updating or reinstalling the extension keeps them."""
        if self._defaults is None:
            self._defaults = ModelDefaults(Path(self.host.data_dir()) / DEFAULTS_FILENAME)
        return self._defaults

    def auto(self, checkpoint_title: str | None = None) -> AutoValue | None:
        """Auto's value for the checkpoint a title names, else the selected one; None if there is none."""
        return self.auto_for(self.host.checkpoint(checkpoint_title))

    def auto_for(self, checkpoint: CheckpointRef | None) -> AutoValue | None:
        try:
            return resolve_auto(checkpoint, self.defaults, self.host.clip_skip_in_effect())
        except ClipSkipError as error:
            logger.warning("Auto Clip skip is unavailable: %s.", error)
            return None

    def notice(self, value: int) -> str | None:
        """What the loaded model makes of `value`, when that differs from SD1."""
        return self.notices((value,)).get(value)

    def notices(self, values: Iterable[int]) -> dict[int, str]:
        # The model and setting once, not per value: the header asks for all twelve.
        family, clip_l = self.host.model_family(), self.host.sdxl_clip_l_skip()
        notices = {value: effect_notice(self.host.kind, family, value, sdxl_clip_l_skip=clip_l) for value in values}
        return {value: text for value, text in notices.items() if text}

    def save_default(self, value: object) -> str:
        checkpoint = self.host.checkpoint(hashed=True)
        if checkpoint is None:
            return "No checkpoint is selected, so nothing was saved."
        if not checkpoint.hash:
            return f"Not saved: {self._unhashed()}"
        try:
            saved = self.defaults.save(checkpoint.hash, checkpoint.name, value)
        except ModelDefaultsError as error:
            return f"Not saved: {error}"
        return f"Saved Clip skip {saved.value} for {checkpoint.name}: Auto uses it with this checkpoint."

    def clear_default(self, _value: object = None) -> str:
        checkpoint = self.host.checkpoint(hashed=True)
        if checkpoint is None:
            return "No checkpoint is selected."
        if not checkpoint.hash:
            return f"Not changed: {self._unhashed()}"
        try:
            cleared = self.defaults.clear(checkpoint.hash)
        except ModelDefaultsError as error:
            return f"Not changed: {error}"
        if not cleared:
            return f"No Clip skip was saved for {checkpoint.name}."
        return f"Forgot the Clip skip saved for {checkpoint.name}."

    def _unhashed(self) -> str:
        return f"This checkpoint has no hash ({self.host.unhashed_reason()}), so no default can be saved."
