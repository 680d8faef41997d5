"""Puts the Clip skip axis into the host's X/Y/Z plot script (A1111, reForge, Forge alike).

The host loads scripts under their file name (A1111 82a973c0 script_loading.py:load_module), so the plot's
module is found among `scripts.scripts_data`; `import scripts.xyz_grid` would load a second copy.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import logger
from ..rules.xyz import (
    AXIS_COST,
    AXIS_LABEL,
    SCHEDULE_AXIS_LABEL,
    apply_axis_value,
    apply_schedule_axis_value,
    axis_choices,
    axis_value,
    format_axis_value,
    format_schedule_axis_value,
    parse_axis_values,
    parse_schedule_axis_values,
    schedule_axis_value,
)

XYZ_MODULE_NAMES = ("xyz_grid.py", "scripts.xyz_grid")
MARK = "clip_skip_extension"


def find_xyz_module() -> Any | None:
    from modules import scripts

    for data in scripts.scripts_data:
        if data.module.__name__ in XYZ_MODULE_NAMES:
            return data.module
    return None


def register_axis() -> bool:
    """Replace the host's "Clip skip" axis with ours, in its place, and add the schedule axis; once per loaded
    plot module."""
    module = find_xyz_module()
    if module is None:
        return False
    options = module.axis_options
    if any(getattr(option, MARK, False) for option in options):
        return True
    axis, schedules = _make_axes(module.AxisOption)
    for index, option in enumerate(options):
        if option.label == AXIS_LABEL:
            options[index] = axis
            options.insert(index + 1, schedules)
            break
    else:
        options += [axis, schedules]
    return True


def _make_axes(axis_option: type) -> tuple[Any, Any]:
    typed_ranges = "prepare" in inspect.signature(axis_option).parameters  # A1111 1.7+
    if not typed_ranges:
        logger.info("This X/Y/Z plot is too old for ranges; type Clip skip values as a list such as 1,2,3.")
    axes = []
    for label, value, apply, format_value, prepare, choices in (
        (AXIS_LABEL, axis_value, apply_axis_value, format_axis_value, parse_axis_values, axis_choices),
        (
            SCHEDULE_AXIS_LABEL,
            schedule_axis_value,
            apply_schedule_axis_value,
            format_schedule_axis_value,
            parse_schedule_axis_values,
            None,
        ),
    ):
        kwargs: dict[str, Any] = {"format_value": format_value, "cost": AXIS_COST, "choices": choices}
        if typed_ranges:
            kwargs["prepare"] = prepare
        axis = axis_option(label, value, apply, **kwargs)
        setattr(axis, MARK, True)
        axes.append(axis)
    return axes[0], axes[1]
