"""The hosts' --freeze-settings flags make any override of the setting raise (an
`assert` in Options.__setattr__, A1111 82a973c0 modules/options.py, that `opts.set` does not
catch), which would fail the whole generation. So the extension checks first."""

from __future__ import annotations

from .values import SETTING_KEY


def _names(comma_separated: str | None) -> set[str]:
    return {name.strip() for name in (comma_separated or "").split(",") if name.strip()}


def freeze_reason(
    *,
    freeze_all: bool,
    frozen_sections: str | None,
    frozen_keys: str | None,
    section: tuple[str, str] | None,
) -> str | None:
    """Why the host would refuse to override the setting, or None when it would not."""
    if freeze_all:
        return "the WebUI runs with --freeze-settings"
    if section is not None and _names(frozen_sections) & set(section):
        return f"the WebUI freezes the settings section '{section[1]}' (--freeze-settings-in-sections)"
    if SETTING_KEY in _names(frozen_keys):
        return f"the WebUI freezes {SETTING_KEY} (--freeze-specific-settings)"
    return None
