"""The few things the extension needs from a WebUI, as one interface per host family."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, Protocol


class Host(Protocol):
    name: str

    def options(self) -> MutableMapping[str, object]:
        """The raw settings dict (`shared.opts.data`) that overrides are applied to."""

    def clip_skip_in_effect(self) -> object:
        """The value the text encoder reads right now, default-filled like the host does."""

    def freeze_reason(self) -> str | None:
        """Why an override of the setting would fail, or None."""

    def input_accordion(self) -> Callable[..., Any] | None:
        """The host's InputAccordion factory, or None where it has none."""
