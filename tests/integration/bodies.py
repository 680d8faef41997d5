"""The requests the suite sends, small so that text encoding is a large share of each generation."""

from __future__ import annotations

from sd_webui_clip_skip.rules.args import SCRIPT_TITLE

TXT2IMG = "/sdapi/v1/txt2img"
IMG2IMG = "/sdapi/v1/img2img"
# The API looks scripts up by lower-cased title (A1111 82a973c0 modules/api/api.py:script_name_to_index).
SCRIPT_NAME = SCRIPT_TITLE.lower()
XYZ_SCRIPT_NAME = "x/y/z plot"

BASE = {
    "prompt": "a photograph of an astronaut riding a horse",
    "negative_prompt": "",
    "seed": 1234,
    "steps": 2,
    "width": 64,
    "height": 64,
    "cfg_scale": 7,
    "sampler_name": "Euler",
    "batch_size": 1,
    "n_iter": 1,
}


def generation(ours: list | None = None, **fields) -> dict:
    body = {**BASE, **fields}
    if ours is not None:
        body["alwayson_scripts"] = {SCRIPT_NAME: {"args": ours}}
    return body


def xyz_args(plot_args: list[dict], axis_label: str, values: str | list[str]) -> list:
    """The X/Y/Z plot's positional args for an X axis, built from the plot's own `/sdapi/v1/script-info`
    entry, so every host's list works (reForge's plot takes three more, Forge Classic's lives elsewhere):
    every arg keeps its default, then found by label: the X type, the X values (the first "X values" is
    the text box, the second the dropdown), the lone images beside the grid, and "use text inputs" for
    typed values, which the plot reads only with that on for an axis that has choices (A1111 82a973c0
    scripts/xyz_grid.py:Script.ui, Script.run.process_axis).
    """
    typed = isinstance(values, str)
    labels = [str(arg.get("label", "")) for arg in plot_args]
    args = [arg.get("value") for arg in plot_args]
    x_type = labels.index("X type")
    args[x_type] = plot_args[x_type]["choices"].index(axis_label)
    text, dropdown = (index for index, label in enumerate(labels) if label == "X values")
    args[text], args[dropdown] = (values, []) if typed else ("", values)
    for index, label in enumerate(labels):
        if label.endswith("type") and index != x_type:
            args[index] = 0  # Y and Z: Nothing
        elif label in ("Include Sub Images", "Include Lone Images"):
            args[index] = True  # the cells come back beside the grid
        elif label == "Use text inputs instead of dropdowns":
            args[index] = typed
    return args
