"""Writes the sample files beside this script the way the WebUI and kohya sd-scripts write them.

    python -m tests.samples.make_samples [OUT_DIR]

Images follow A1111 1.10.1 modules/images.py:565-606 (save_image_with_geninfo) with its default
settings (JPEG/WebP quality 80, lossy WebP); needs Pillow and piexif (requirements-test.txt).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import piexif
import piexif.helper
from PIL import Image, PngImagePlugin

HERE = Path(__file__).resolve().parent

INFOTEXT = (
    "a cat sitting on a windowsill\n"
    "Negative prompt: blurry\n"
    "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1, Size: 8x8, "
    'Model hash: 0123456789, Model: sample, Lora hashes: "cat: 0123456789ab", Clip skip: 2, Version: v1.10.1'
)
# The WebUI leaves Clip skip 1 out; the prompt is not Latin-1, so Pillow writes an iTXt chunk.
INFOTEXT_WITHOUT_CLIP_SKIP = (
    "a cat 猫 sitting on a windowsill\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8, Model hash: 0123456789, Version: v1.10.1"
)


def save_like_webui(image: Image.Image, infotext: str, path: Path) -> None:
    if path.suffix.lower() == ".png":
        pnginfo = PngImagePlugin.PngInfo()
        pnginfo.add_text("parameters", infotext)
        image.save(path, pnginfo=pnginfo)
        return
    image.save(path, quality=80, lossless=False)
    user_comment = piexif.helper.UserComment.dump(infotext, encoding="unicode")
    piexif.insert(piexif.dump({"Exif": {piexif.ExifIFD.UserComment: user_comment}}), str(path))


def write_safetensors(path: Path, metadata: dict[str, str] | None) -> None:
    """A one-tensor file in the safetensors layout: 8-byte little-endian header length, JSON header, data."""
    header: dict[str, object] = {"lora_unet_sample.alpha": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + struct.pack("<f", 1.0))


def make_samples(out: Path) -> None:
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (8, 8), (200, 120, 40))
    for name in ("clip-skip-2.png", "clip-skip-2.jpg", "clip-skip-2.webp"):
        save_like_webui(image, INFOTEXT, out / "images" / name)
    save_like_webui(image, INFOTEXT_WITHOUT_CLIP_SKIP, out / "images" / "not-recorded.png")
    write_safetensors(out / "models" / "lora-clip-skip-2.safetensors", {"ss_clip_skip": "2", "ss_output_name": "cat"})
    write_safetensors(out / "models" / "lora-no-clip-skip.safetensors", {"ss_clip_skip": "None"})


if __name__ == "__main__":
    make_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
