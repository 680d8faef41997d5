"""The X/Y/Z plot: `scripts/xyz_grid.py` (A1111 v1.10.1 @ 82a973c0; Forge, reForge and ersatzForge alike), or
Classic's `extensions-builtin/xyz/scripts/xyz_grid.py` (1f95d717), loaded under the same file name."""

from __future__ import annotations

import re
import types
from collections import namedtuple
from contextlib import closing
from copy import copy
from dataclasses import dataclass

import numpy as np

from .options import CLIP_KEY
from .processing import create_infotext, process_images


def format_value_add_label(p, opt, x):
    return f"{opt.label}: {x}"


class AxisOption:
    """xyz_grid.py:AxisOption."""

    def __init__(
        self,
        label,
        type,
        apply,
        format_value=format_value_add_label,
        confirm=None,
        cost=0.0,
        choices=None,
        prepare=None,
    ):
        self.label, self.type, self.apply, self.format_value = label, type, apply, format_value
        self.confirm, self.cost, self.choices, self.prepare = confirm, cost, choices, prepare


def apply_override(field):
    """xyz_grid.py:apply_override: the host's own Clip skip axis writes the job's override."""

    def fun(p, x, xs):
        p.override_settings[field] = x

    return fun


def apply_clip_skip_to_global(p, x, xs):
    """Classic's own axis (lib_xyz/axis_application.py:apply_clip_skip): the live setting, not the job's override."""
    p.webui.opts.data[CLIP_KEY] = x


def apply_field(field):
    def fun(p, x, xs):
        setattr(p, field, x)

    return fun


def apply_prompt(p, x, xs):
    p.prompt = p.prompt.replace(xs[0], x)


def apply_checkpoint(p, x, xs):
    """xyz_grid.py:apply_checkpoint: the job's override is the checkpoint's `name`, an exact id."""
    info = p.webui.sd_models.get_closet_checkpoint_match(x)
    if info is None:
        raise RuntimeError(f"Unknown checkpoint: {x}")
    p.override_settings["sd_model_checkpoint"] = info.name


def confirm_checkpoints(p, xs):
    """xyz_grid.py:confirm_checkpoints."""
    for x in xs:
        if p.webui.sd_models.get_closet_checkpoint_match(x) is None:
            raise RuntimeError(f"Unknown checkpoint: {x}")


def default_axis_options(profile):
    clip_skip = apply_clip_skip_to_global if profile.xyz_axis_writes_global else apply_override(CLIP_KEY)
    return [
        AxisOption("Nothing", str, lambda p, x, xs: None, format_value=lambda p, opt, x: ""),
        AxisOption("Seed", int, apply_field("seed")),
        AxisOption("Steps", int, apply_field("steps")),
        AxisOption("Prompt S/R", str, apply_prompt),
        AxisOption("Checkpoint name", str, apply_checkpoint, confirm=confirm_checkpoints, cost=1.0),  # axis_options
        AxisOption("Clip skip", int, clip_skip),
    ]


def make_module(profile):
    """Loaded under its file name, not as scripts.xyz_grid (modules/script_loading.py:load_module)."""
    module = types.ModuleType("xyz_grid.py")
    module.AxisOption = AxisOption
    module.axis_options = default_axis_options(profile)
    module.title = profile.xyz_title
    return module


ScriptClassData = namedtuple("ScriptClassData", ["script_class", "path", "basedir", "module"])

# xyz_grid.py:re_range and re_range_count: the int range syntaxes
RE_RANGE = re.compile(r"\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\(([+-]\d+)\s*\))?\s*")
RE_RANGE_COUNT = re.compile(r"\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\[(\d+)\s*])?\s*")


def process_axis(opt, vals, vals_dropdown, csv_mode, p=None):
    """xyz_grid.py:Script.run.process_axis: dropdown or prepare or CSV; int ranges expanded; type cast; confirm."""
    if opt.label == "Nothing":
        return [0]
    if opt.choices is not None and not csv_mode:
        values = list(vals_dropdown)
    elif opt.prepare is not None:
        values = opt.prepare(vals)
    else:
        values = [v.strip() for v in vals.split(",")]
    if opt.type is int:
        expanded = []
        for value in values:
            if value.strip() == "":
                continue
            if m := RE_RANGE.fullmatch(value):
                expanded += list(range(int(m[1]), int(m[2]) + 1, int(m[3]) if m[3] else 1))
            elif m := RE_RANGE_COUNT.fullmatch(value):
                count = int(m[3]) if m[3] else 1
                expanded += [int(x) for x in np.linspace(int(m[1]), int(m[2]), count).tolist()]
            else:
                expanded.append(value)
        values = expanded
    values = [opt.type(value) for value in values]
    if opt.confirm:
        opt.confirm(p, values)  # Script.run.process_axis
    return values


@dataclass
class Grid:
    cells: dict
    x_labels: list
    y_labels: list
    infotext: str
    order: list


def run(webui, p, *, x, y=("Nothing", ""), csv_mode=True, x_dropdown=(), errors=None):
    """xyz_grid.py:Script.run for X and Y axes."""
    options = webui.xyz_module.axis_options
    x_opt = next(o for o in options if o.label == x[0])
    y_opt = next(o for o in options if o.label == y[0])
    xs = process_axis(x_opt, x[1], x_dropdown, csv_mode, p)
    ys = process_axis(y_opt, y[1], (), csv_mode, p)
    cells, order, grid_infotext = {}, [], None
    # Classic's SharedSettingsStackHelper: the value from before the plot, default-filled, is written back after it
    # (1f95d717 extensions-builtin/xyz/lib_xyz/classes.py:SharedSettingsStackHelper.__enter__, __exit__).
    global_before = webui.opts.CLIP_stop_at_last_layers if webui.profile.xyz_axis_writes_global else None
    # The costlier axis is the outer loop (xyz_grid.py:Script.run).
    pairs = [(vx, vy) for vy in ys for vx in xs] if y_opt.cost >= x_opt.cost else [(vx, vy) for vx in xs for vy in ys]
    for vx, vy in pairs:
        pc = copy(p)  # shallow: override_settings and extra_generation_params are shared (Script.run.cell)
        x_opt.apply(pc, vx, xs)
        y_opt.apply(pc, vy, ys)
        try:
            result = process_images(webui, pc)
        except Exception as error:  # errors.display: the plot goes on (Script.run.cell)
            (errors if errors is not None else webui.reported_xyz).append(error)
            result = None
        cells[(vx, vy)] = result
        order.append((vx, vy))
        if grid_infotext is None and vx == xs[0] and vy == ys[0]:
            # built after process_images returned, i.e. after the override was restored (Script.run.cell)
            pc.extra_generation_params = copy(pc.extra_generation_params)
            pc.extra_generation_params.update(
                {"Script": webui.xyz_module.title, "X Type": x_opt.label, "X Values": x[1]}
            )
            grid_infotext = create_infotext(webui, pc, 0)
    if webui.profile.xyz_axis_writes_global:
        webui.opts.data[CLIP_KEY] = global_before
    return Grid(
        cells,
        [x_opt.format_value(p, x_opt, v) for v in xs],
        [y_opt.format_value(p, y_opt, v) for v in ys],
        grid_infotext,
        order,
    )


def run_job(webui, p, runner, script_args, **plot):
    """txt2img.py: a selectable script runs inside `with closing(p)` instead of process_images."""
    with closing(p):
        p.scripts = runner
        p.script_args = tuple(script_args)
        return run(webui, p, **plot)
