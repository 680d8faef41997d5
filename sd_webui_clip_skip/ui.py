"""The accordion and slider, built the same way on gradio 3.41 (A1111, reForge) and 4.40 (Forge)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from .args import ARGS
from .paste import PASTE_CLIP_SKIP, PASTE_ENABLED
from .values import DEFAULT, INFOTEXT_KEY, MAXIMUM, MINIMUM


@dataclass(frozen=True)
class Controls:
    inputs: list[Any]
    """In `ARGS` order: the host passes their values to the hooks by position."""
    infotext_fields: list[tuple[Any, Any]]
    paste_field_names: list[str]


def build_controls(input_accordion: Callable[..., Any] | None, elem_id: Callable[[str], str]) -> Controls:
    """Create the components inside the current gradio Blocks; no other side effects,
    because the API builds them again to learn the default args (api.py:315-333)."""
    enabled_spec, clip_skip_spec = ARGS
    if input_accordion is not None:
        with input_accordion(False, label=enabled_spec.label, elem_id=elem_id("clip_skip")) as enabled:
            clip_skip = _slider(clip_skip_spec.label, elem_id)
    else:  # a plain accordion with a checkbox where the host has no InputAccordion
        with gr.Accordion(enabled_spec.label, open=False, elem_id=elem_id("clip_skip")):
            enabled = gr.Checkbox(False, label=enabled_spec.label, elem_id=elem_id("clip_skip_enabled"))
            clip_skip = _slider(clip_skip_spec.label, elem_id)
    return Controls(
        inputs=[enabled, clip_skip],
        infotext_fields=[(enabled, PASTE_ENABLED), (clip_skip, PASTE_CLIP_SKIP)],
        # "Send to img2img/txt2img" copies these components across tabs by label.
        paste_field_names=[INFOTEXT_KEY],
    )


def _slider(label: str, elem_id: Callable[[str], str]) -> Any:
    return gr.Slider(
        minimum=MINIMUM,
        maximum=MAXIMUM,
        step=1,
        value=DEFAULT,
        label=label,
        elem_id=elem_id("clip_skip_value"),
    )
