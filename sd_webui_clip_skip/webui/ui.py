"""The accordion and its controls, built the same way on gradio 3.41 (A1111, reForge) and 4.40 (Forge)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..rules.args import ARGS
from ..rules.paste import paste_targets
from ..rules.values import DEFAULT, INFOTEXT_KEY, MAXIMUM, MINIMUM

SAVE_LABEL = "Save for this checkpoint"
CLEAR_LABEL = "Forget saved"
STATUS_UNREADABLE_CLASS = "clip-skip-status-unreadable"  # read by javascript/clip_skip.js
SCHEDULE_PLACEHOLDER = "e.g. 1.5 (between 1 and 2) or [2:1:0.5] (2, then 1 from half the steps)"


@dataclass(frozen=True)
class Controls:
    inputs: list[Any]
    """In `ARGS` order: the host passes their values to the hooks by position."""
    infotext_fields: list[tuple[Any, Any]]
    paste_field_names: list[str]


@dataclass(frozen=True)
class ModelDefaultActions:
    """What the Save and Forget buttons do: each takes the slider's value and returns a status line."""

    save: Callable[[object], str]
    clear: Callable[[object], str]


def build_controls(
    input_accordion: Callable[..., Any] | None,
    elem_id: Callable[[str], str],
    *,
    is_img2img: bool,
    actions: ModelDefaultActions,
    skipped_paste_keys: Callable[[], Collection[str]] = tuple,
    status_readable: bool = True,
) -> Controls:
    """Create the components inside the current gradio Blocks; no other side effects, because the API
    builds them again to learn the default args (A1111 82a973c0 api/api.py:Api.init_default_script_args).
    `status_readable` False (--api-auth) tells the page not to ask the status route (webui/status.py)."""
    enabled_spec = ARGS[0]
    if input_accordion is not None:
        with input_accordion(False, label=enabled_spec.label, elem_id=elem_id("clip_skip")) as enabled:
            body = _accordion_body(elem_id, is_img2img, actions, status_readable)
    else:  # a plain accordion with a checkbox where the host has no InputAccordion
        with gr.Accordion(enabled_spec.label, open=False, elem_id=elem_id("clip_skip")):
            enabled = gr.Checkbox(False, label=enabled_spec.label, elem_id=elem_id("clip_skip_enabled"))
            body = _accordion_body(elem_id, is_img2img, actions, status_readable)
    clip_skip, auto, hires, hires_clip_skip, schedule = body
    targets = paste_targets(skipped_paste_keys)
    return Controls(
        inputs=[enabled, clip_skip, auto, hires, hires_clip_skip, schedule],
        infotext_fields=[
            (enabled, targets.enabled),
            (clip_skip, targets.clip_skip),
            (auto, targets.auto),
            (hires, targets.hires),
            (hires_clip_skip, targets.hires_clip_skip),
            (schedule, targets.schedule),
        ],
        # "Send to img2img/txt2img" copies these components across tabs by label.
        paste_field_names=[INFOTEXT_KEY],
    )


def _accordion_body(
    elem_id: Callable[[str], str], is_img2img: bool, actions: ModelDefaultActions, status_readable: bool
) -> tuple[Any, Any, Any, Any, Any]:
    _, value_spec, auto_spec, hires_spec, hires_value_spec, schedule_spec = ARGS
    with gr.Row():
        clip_skip = _slider(value_spec.label, elem_id("clip_skip_value"))
        auto = gr.Checkbox(False, label=auto_spec.label, elem_id=elem_id("clip_skip_auto"))
    # The slider gives whole values; a blend or a schedule is typed here, and outranks the slider and Auto.
    schedule = gr.Textbox(
        "",
        label=schedule_spec.label,
        placeholder=SCHEDULE_PLACEHOLDER,
        lines=1,
        max_lines=1,
        elem_id=elem_id("clip_skip_schedule"),
    )
    with gr.Row():
        save = gr.Button(SAVE_LABEL, size="sm", elem_id=elem_id("clip_skip_save"))
        clear = gr.Button(CLEAR_LABEL, size="sm", elem_id=elem_id("clip_skip_clear"))
    classes = [] if status_readable else [STATUS_UNREADABLE_CLASS]
    status = gr.Markdown("", elem_id=elem_id("clip_skip_model_status"), elem_classes=classes)
    save.click(fn=actions.save, inputs=[clip_skip], outputs=[status])
    clear.click(fn=actions.clear, inputs=[clip_skip], outputs=[status])
    # img2img has no hires pass; the components exist so both tabs take the same positional args.
    with gr.Row(visible=not is_img2img):
        hires = gr.Checkbox(False, label=hires_spec.label, elem_id=elem_id("clip_skip_hires"))
        hires_clip_skip = _slider(hires_value_spec.label, elem_id("clip_skip_hires_value"))
    return clip_skip, auto, hires, hires_clip_skip, schedule


def _slider(label: str, elem_id: str) -> Any:
    return gr.Slider(minimum=MINIMUM, maximum=MAXIMUM, step=1, value=DEFAULT, label=label, elem_id=elem_id)
