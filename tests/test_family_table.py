"""The README's measured family table and the notices, against the suite's stored measurements."""

import importlib.util
from pathlib import Path

import pytest

from sd_webui_clip_skip.host import HostKind, ModelFamily
from sd_webui_clip_skip.models.families import predicted_groups

TOOL = Path(__file__).resolve().parents[1] / "tools" / "family_table.py"
spec = importlib.util.spec_from_file_location("family_table", TOOL)
family_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(family_table)

RUNS = family_table.load_results()


def test_the_readme_shows_exactly_the_stored_measurements():
    readme = family_table.README.read_text(encoding="utf-8")
    assert (
        family_table.with_table(readme, family_table.render(RUNS)) == readme
    ), "README.md's measured table is stale: run python tools/family_table.py --write"


@pytest.mark.parametrize(
    ("host", "family", "clip_l_skip", "identical"),
    [(run["host"], m["family"], m["sdxl_clip_l_skip"], m["identical"]) for run in RUNS for m in run["measurements"]],
)
def test_every_notice_predicts_what_was_measured(host, family, clip_l_skip, identical):
    values = sorted(value for group in identical for value in group)
    assert predicted_groups(HostKind(host), ModelFamily(family), values, sdxl_clip_l_skip=clip_l_skip) == identical


@pytest.mark.parametrize(
    ("groups", "text"),
    [([[1], [2], [3], [4]], "1 ≠ 2 ≠ 3 ≠ 4"), ([[3], [1, 2], [4]], "1 = 2 ≠ 3 ≠ 4"), ([[1, 2, 3, 4]], "1 = 2 = 3 = 4")],
)
def test_a_cell_joins_identical_values(groups, text):
    assert family_table.cell(groups) == text


def test_a_readme_without_the_markers_is_an_error():
    with pytest.raises(ValueError, match="measured-families"):
        family_table.with_table("# no table here\n", "x")


def test_rows_only_for_what_some_host_measured():
    run = {
        "host": "Forge",
        "commit": "dfdcbab6",
        "date": "2026-12-01",
        "image": {"width": 64, "height": 64, "steps": 2},
        "values": [1, 2, 3, 4],
        "measurements": [{"family": "SDXL", "sdxl_clip_l_skip": False, "identical": [[1, 2], [3], [4]]}],
    }
    table = family_table.render([run])
    assert "| SDXL | 1 = 2 ≠ 3 ≠ 4 |" in table
    assert "SD2" not in table.split("\n\n")[0]
