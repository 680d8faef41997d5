"""The integration suite's X/Y/Z request builder, on the plot's args as A1111 and reForge list them."""

from tests.integration.bodies import xyz_args

CHOICES = ["Nothing", "Seed", "Steps", "Clip skip"]


def plot_args(extra_after_legend=()):
    """/sdapi/v1/script-info's args of the plot (A1111 82a973c0 scripts/xyz_grid.py:Script.ui order)."""

    def arg(label, value, choices=None):
        return {"label": label, "value": value, "minimum": None, "maximum": None, "step": None, "choices": choices}

    axes = [
        item
        for axis in "XYZ"
        for item in (arg(f"{axis} type", "Seed", CHOICES), arg(f"{axis} values", ""), arg(f"{axis} values", None, []))
    ]
    return [
        *axes,
        arg("Draw legend", True),
        *extra_after_legend,
        arg("Include Sub Images", False),
        arg("Include Sub Grids", False),
        arg("Keep -1 for seeds", False),
        arg("Vary seeds for X", False),
        arg("Vary seeds for Y", False),
        arg("Vary seeds for Z", False),
        arg("Grid margins (px)", 0),
        arg("Use text inputs instead of dropdowns", False),
    ]


def test_the_a1111_list_is_what_the_plot_takes():
    assert xyz_args(plot_args(), "Clip skip", "1-4") == [
        3,
        "1-4",
        [],
        0,
        "",
        None,
        0,
        "",
        None,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        0,
        True,
    ]
    assert xyz_args(plot_args(), "Clip skip", ["1", "2"])[:3] == [3, "", ["1", "2"]]
    assert xyz_args(plot_args(), "Clip skip", ["1", "2"])[-1] is False


def test_reforges_longer_list_keeps_its_extra_defaults():
    extra = [{"label": "Draw individual labels", "value": False}, {"label": "Items per grid", "value": 8}]
    args = xyz_args(plot_args(extra), "Clip skip", "1,2")
    assert len(args) == 20 and args[10:12] == [False, 8] and args[12] is True
