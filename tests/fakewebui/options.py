"""Settings, as `modules/options.py` and `modules/shared.py` behave (A1111 v1.10.1 @ 82a973c0)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace

CLIP_KEY = "CLIP_stop_at_last_layers"


@dataclass
class OptionInfo:
    default: object
    section: tuple[str, str] = ("sd", "Stable Diffusion")
    infotext: str | None = None


@dataclass
class Options:
    """`data` holds only what config.json holds; reads fall back to defaults (options.py:Options.__getattr__)."""

    data: dict = field(default_factory=dict)
    data_labels: dict = field(
        default_factory=lambda: {
            CLIP_KEY: OptionInfo(1, infotext="Clip skip"),
            "infotext_skip_pasting": OptionInfo([]),
            "sd_model_checkpoint": OptionInfo(None, infotext="Model hash"),
            # shared_options.py:options_templates, section "sd" (Forge dfdcbab6 alike)
            "sdxl_clip_l_skip": OptionInfo(False),
        }
    )
    cmd_opts: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(
            freeze_settings=False,
            freeze_settings_in_sections=None,
            freeze_specific_settings=None,
            no_hashing=False,
            api_auth=None,
            cors_allow_origins=None,
        )
    )
    saves: int = 0

    def __getattr__(self, key):
        labels = self.__dict__.get("data_labels", {})
        if key in self.__dict__.get("data", {}):
            return self.data[key]
        if key in labels:
            return labels[key].default
        raise AttributeError(key)

    def assign(self, key, value):
        """`setattr(opts, key, value)` for a known key (options.py:Options.__setattr__): frozen settings assert."""
        assert not self.cmd_opts.freeze_settings, "changing settings is disabled"
        frozen = (self.cmd_opts.freeze_specific_settings or "").split(",")
        assert key not in [name.strip() for name in frozen], f"{key} is frozen"
        self.data[key] = value

    def set(self, key, value, is_api=False, run_callbacks=True):
        """options.py:Options.set: unchanged values are skipped, compared with the *raw* data."""
        if self.data.get(key, None) == value:
            return False
        self.assign(key, value)
        return True

    def get_default(self, key):
        return self.data_labels[key].default

    def cast_value(self, key, value):
        """options.py:Options.cast_value: `type(default)(value)`, so int("1.5") raises ValueError."""
        if value is None:
            return None
        return type(self.data_labels[key].default)(value)

    def save(self, filename):
        """options.py:Options.save: every writer of config.json (Apply settings, quicksettings, the API's
        POST /sdapi/v1/options, Forge's top bar) dumps `self.data` whole."""
        assert not self.cmd_opts.freeze_settings, "saving settings is disabled"
        with open(filename, "w", encoding="utf8") as file:
            json.dump(self.data, file, indent=4, ensure_ascii=False)
        self.saves += 1
