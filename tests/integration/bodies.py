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


def xyz_args(axis_type: int, values: str | list[str]) -> list:
    """X/Y/Z plot's positional args (scripts/xyz_grid.py ui() order in A1111 1.10 and Forge).

    A list picks values from the axis dropdown; a string is typed text, which the plot reads only
    with "use text inputs instead of dropdowns" on, for an axis that has choices (A1111 82a973c0
    xyz_grid.py:Script.run.process_axis).
    """
    typed = isinstance(values, str)
    return [
        axis_type,
        values if typed else "",
        [] if typed else values,
        *(0, "", []),  # y: Nothing
        *(0, "", []),  # z: Nothing
        True,  # draw legend
        True,  # include lone images: the cells come back beside the grid
        False,  # include sub grids
        False,  # keep -1 for seeds
        *(False, False, False),  # vary seeds x, y, z
        0,  # grid margins
        typed,  # use text inputs instead of dropdowns
    ]
