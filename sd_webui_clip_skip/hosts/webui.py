"""AUTOMATIC1111 1.6–1.10 and reForge, which share A1111's settings and script machinery."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from ..freeze import freeze_reason
from ..values import SETTING_KEY


class A1111Host:
    def __init__(self, name: str = "AUTOMATIC1111") -> None:
        self.name = name

    def options(self) -> MutableMapping[str, object]:
        from modules import shared

        return shared.opts.data

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

    def input_accordion(self) -> Callable[..., Any] | None:
        try:
            from modules.ui_components import InputAccordion
        except ImportError:  # A1111 before 1.6
            return None
        return InputAccordion
