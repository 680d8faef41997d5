"""The README's measured family table, from the suite's runs in benchmarks/results/families-*.json.

    python tools/family_table.py           # print the table
    python tools/family_table.py --write   # put it into README.md between its markers

tests/test_family_table.py fails when README.md and the results disagree.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
BEGIN = "<!-- measured-families:begin -->"
END = "<!-- measured-families:end -->"
ROWS = (("SD1", False), ("SD2", False), ("SDXL", False), ("SDXL", True))


def load_results(directory: Path = RESULTS) -> list[dict[str, Any]]:
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("families-*.json"))]
    return sorted(runs, key=lambda run: (run["host"], run["commit"]))


def cell(groups: list[list[int]]) -> str:
    """[[1, 2], [3], [4]] as "1 = 2 ≠ 3 ≠ 4": values joined by = gave identical images."""
    return " ≠ ".join(" = ".join(str(value) for value in group) for group in sorted(groups))


def row_label(family: str, clip_l_skip: bool) -> str:
    return f"{family}, *Clip skip SDXL* on" if clip_l_skip else family


def render(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "(no measurement yet)"
    header = ["model", *(f"{run['host']} `{run['commit']}`" for run in runs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for family, clip_l_skip in ROWS:
        cells = []
        for run in runs:
            found = [m for m in run["measurements"] if (m["family"], m["sdxl_clip_l_skip"]) == (family, clip_l_skip)]
            cells.append(cell(found[0]["identical"]) if found else "—")
        if any(text != "—" for text in cells):
            lines.append("| " + " | ".join([row_label(family, clip_l_skip), *cells]) + " |")
    dates = sorted({run["date"] for run in runs})
    image = runs[0]["image"]
    lines += [
        "",
        f"Measured {', '.join(dates)} by `tests/integration/test_families_measured.py`: Clip skip "
        f"{', '.join(str(v) for v in runs[0]['values'])} with the accordion on, a {image['width']}×{image['height']} "
        f"image in {image['steps']} steps from random-weight checkpoints of each family; `=` joins values that gave "
        "identical pixels, `≠` separates those that did not; — not measured (the host cannot load it or has no such "
        "setting).",
    ]
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    before, begin, rest = readme.partition(BEGIN)
    _, end, after = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"README.md has no {BEGIN} … {END} block")
    return f"{before}{BEGIN}\n{table}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update README.md")
    args = parser.parse_args(argv)
    table = render(load_results())
    if args.write:
        README.write_text(with_table(README.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        sys.stdout.write(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
