"""`python -m sd_webui_clip_skip inspect [--json] PATH...`: the Clip skip recorded in images and model files.

Runs without a WebUI: model files are read with the standard library, images with Pillow (which every
WebUI ships); without Pillow each image is reported as skipped with one line saying so. Exits 0, and 2
only for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..models.metadata import SAFETENSORS_SUFFIX, MetadataError, clip_skip_from_metadata, read_safetensors_metadata
from ..rules.values import ClipSkipError
from .findings import DamagedMetadata, Finding, image_findings
from .images import ImageMetadataError, read_image_metadata

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
NEEDS_PILLOW = "reading images needs Pillow, which this Python does not have (python -m pip install Pillow)"
MODEL_CONVENTION = "kohya sd-scripts and SAI ModelSpec count as this WebUI does"


@dataclass(frozen=True)
class Report:
    """What one file says: its findings, or why it was skipped, or that it records nothing."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None
    nothing: str | None = None

    def lines(self) -> Iterator[str]:
        if self.skipped is not None:
            yield f"{self.path}: skipped: {self.skipped}"
        elif not self.findings:
            yield f"{self.path}: {self.nothing}"
        for found in self.findings:
            yield f"{self.path}: {_model_text(found) if found.tool == 'model' else found.text()}"

    def as_json(self) -> dict[str, object]:
        first = self.findings[0].as_json() if self.findings else {}
        return {
            "path": str(self.path),
            "value": first.get("value"),
            "tool": first.get("tool"),
            "key": first.get("key"),
            "own": first.get("own"),
            "convention": first.get("convention"),
            "findings": [found.as_json() for found in self.findings],
            "skipped": self.skipped,
        }


def report(path: Path) -> Report:
    suffix = path.suffix.lower()
    try:
        path.stat()  # a missing .safetensors file would otherwise read as one without metadata
        if suffix == SAFETENSORS_SUFFIX:
            found = clip_skip_from_metadata(read_safetensors_metadata(path))
            if found is None:
                return Report(path, nothing="no clip skip in metadata")
            return Report(path, [Finding(found.value, "model", found.key, found.value, MODEL_CONVENTION)])
        if suffix in IMAGE_SUFFIXES:
            return Report(path, image_findings(read_image_metadata(path)), nothing="no generation parameters")
    except (OSError, MetadataError, ImageMetadataError, ClipSkipError, DamagedMetadata) as error:
        return Report(path, skipped=_reason(error))
    except ImportError:
        return Report(path, skipped=NEEDS_PILLOW)
    return Report(path, skipped="not an image or a .safetensors file")


def _model_text(found: Finding) -> str:
    return f"Clip skip {found.value} from {found.key}"


def _reason(error: Exception) -> str:
    if isinstance(error, MetadataError):
        return error.reason  # without the path, which the line starts with
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error)


def reports(paths: Sequence[Path]) -> Iterator[Report]:
    """A report per file; folders are walked recursively in sorted order."""
    for path in paths:
        if not path.is_dir():
            yield report(path)
            continue
        walk_errors: list[OSError] = []
        for folder, folders, files in os.walk(path, onerror=walk_errors.append):
            folders.sort()
            for name in sorted(files):
                yield report(Path(folder, name))
        for error in walk_errors:
            yield Report(Path(str(error.filename)), skipped=_reason(error))


def inspect(paths: Sequence[Path]) -> Iterator[str]:
    """The text lines, a line per finding."""
    for found in reports(paths):
        yield from found.lines()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sd_webui_clip_skip",
        description="Show the Clip skip recorded in images (of this WebUI, SD.Next, ComfyUI, InvokeAI, Fooocus, "
        "Draw Things, NovelAI) and in model or LoRA files, in this WebUI's numbering.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    inspect_command = commands.add_parser(
        "inspect", help="print the Clip skip of images (PNG, JPEG, WebP) and .safetensors files"
    )
    inspect_command.add_argument("--json", action="store_true", help="one JSON object per file, a line each")
    inspect_command.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a file or a folder")
    arguments = parser.parse_args(argv)
    for found in reports(arguments.paths):
        if arguments.json:
            print(json.dumps(found.as_json(), ensure_ascii=False))
        else:
            for line in found.lines():
                print(line)
    return 0
