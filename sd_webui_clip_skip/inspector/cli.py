"""`python -m sd_webui_clip_skip inspect PATH...`: the Clip skip recorded in images and model files.

Runs without a WebUI: model files are read with the standard library, images with Pillow (which every
WebUI ships); without Pillow each image is reported as skipped with one line saying so.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..models.metadata import SAFETENSORS_SUFFIX, MetadataError, clip_skip_from_metadata, read_safetensors_metadata
from ..rules.values import DEFAULT, ClipSkipError
from .images import ImageMetadataError, read_infotext, recorded_clip_skip

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
NEEDS_PILLOW = "reading images needs Pillow, which this Python does not have (python -m pip install Pillow)"


def describe(path: Path) -> str:
    """One line for one file: its Clip skip, or why it was skipped."""
    suffix = path.suffix.lower()
    try:
        path.stat()  # a missing .safetensors file would otherwise read as one without metadata
        if suffix == SAFETENSORS_SUFFIX:
            return f"{path}: {_describe_model(path)}"
        if suffix in IMAGE_SUFFIXES:
            return f"{path}: {_describe_image(path)}"
    except (OSError, MetadataError, ImageMetadataError, ClipSkipError) as error:
        return f"{path}: skipped: {_reason(error)}"
    except ImportError:
        return f"{path}: skipped: {NEEDS_PILLOW}"
    return f"{path}: skipped: not an image or a .safetensors file"


def _describe_model(path: Path) -> str:
    found = clip_skip_from_metadata(read_safetensors_metadata(path))
    return f"Clip skip {found.value} from {found.key}" if found else "no clip skip in metadata"


def _describe_image(path: Path) -> str:
    infotext = read_infotext(path)
    if infotext is None:
        return "no generation parameters"
    recorded = recorded_clip_skip(infotext)
    if recorded is None:
        return f"Clip skip {DEFAULT} (not recorded; the WebUI reads {DEFAULT})"
    return f"Clip skip {recorded} (recorded)"


def _reason(error: Exception) -> str:
    if isinstance(error, MetadataError):
        return error.reason  # without the path, which the line starts with
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error)


def inspect(paths: Sequence[Path]) -> Iterator[str]:
    """A line per file; folders are walked recursively in sorted order."""
    for path in paths:
        if not path.is_dir():
            yield describe(path)
            continue
        walk_errors: list[OSError] = []
        for folder, folders, files in os.walk(path, onerror=walk_errors.append):
            folders.sort()
            for name in sorted(files):
                yield describe(Path(folder, name))
        for error in walk_errors:
            yield f"{error.filename}: skipped: {_reason(error)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sd_webui_clip_skip",
        description="Show the Clip skip recorded in WebUI images and in model or LoRA files.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    inspect_command = commands.add_parser(
        "inspect", help="print the Clip skip of images (PNG, JPEG, WebP) and .safetensors files"
    )
    inspect_command.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a file or a folder")
    arguments = parser.parse_args(argv)
    for line in inspect(arguments.paths):
        print(line)
    return 0
