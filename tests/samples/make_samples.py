"""Writes the sample files beside this script the way each tool writes them (the inspector's tests read them).

    python -m tests.samples.make_samples [OUT_DIR]

WebUI images follow A1111 82a973c0 modules/images.py:save_image_with_geninfo with its default settings
(JPEG/WebP quality 80, lossy WebP); the other tools' follow their own code, cited at each function
(facts gathered in the project's research notes); needs Pillow and piexif (requirements-test.txt).
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


def save_png_texts(image: Image.Image, texts: dict[str, str], path: Path) -> None:
    """Text chunks as Pillow's PngInfo.add_text writes them (tEXt, or iTXt for text that is not Latin-1)."""
    pnginfo = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        pnginfo.add_text(key, value)
    image.save(path, pnginfo=pnginfo)


def comfyui_texts(set_last_layer: int | None, *, second_encoder_direct: bool = False) -> dict[str, str]:
    """comfyanonymous/ComfyUI e60e19b1 nodes.py:SaveImage.save_images: the API graph as "prompt" and the UI
    graph as "workflow", each json.dumps'd; CLIPSetLastLayer sits between the loader's CLIP and the
    encoders. With `second_encoder_direct`, the negative encoder takes the loader's CLIP itself."""
    positive_clip = ["10", 0] if set_last_layer is not None else ["4", 1]
    negative_clip = ["4", 1] if second_encoder_direct else positive_clip
    prompt: dict[str, object] = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sample.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": positive_clip, "text": "a cat"}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": negative_clip, "text": "blurry"}},
    }
    links = [
        [1, 4, 1, 10, 0, "CLIP"],
        [2, 10, 0, 6, 0, "CLIP"],
        [3, 10 if not second_encoder_direct else 4, 0, 7, 0, "CLIP"],
    ]
    nodes: list[dict[str, object]] = [
        {
            "id": 6,
            "type": "CLIPTextEncode",
            "mode": 0,
            "inputs": [{"name": "clip", "type": "CLIP", "link": 2}],
            "widgets_values": ["a cat"],
        },
        {
            "id": 7,
            "type": "CLIPTextEncode",
            "mode": 0,
            "inputs": [{"name": "clip", "type": "CLIP", "link": 3}],
            "widgets_values": ["blurry"],
        },
        {"id": 4, "type": "CheckpointLoaderSimple", "mode": 0, "inputs": [], "widgets_values": ["sample.safetensors"]},
    ]
    if set_last_layer is not None:
        prompt["10"] = {
            "class_type": "CLIPSetLastLayer",
            "inputs": {"clip": ["4", 1], "stop_at_clip_layer": set_last_layer},
        }
        nodes.append(
            {
                "id": 10,
                "type": "CLIPSetLastLayer",
                "mode": 0,
                "inputs": [{"name": "clip", "type": "CLIP", "link": 1}],
                "widgets_values": [set_last_layer],
            }
        )
    workflow = {"last_node_id": 10, "last_link_id": 3, "nodes": nodes, "links": links, "version": 0.4}
    return {"prompt": json.dumps(prompt), "workflow": json.dumps(workflow)}


def invokeai_texts(clip_skip: int, base: str) -> dict[str, str]:
    """invoke-ai/InvokeAI 8e71a8a5 image_files_disk.py:save writes CoreMetadata (invocations/metadata.py,
    model_dump(exclude_none=True)) as the PNG text "invokeai_metadata"; clip_skip counts skipped layers."""
    metadata = {
        "generation_mode": "sdxl_txt2img" if base == "sdxl" else "txt2img",
        "positive_prompt": "a cat",
        "seed": 1,
        "steps": 20,
        "clip_skip": clip_skip,
        "model": {"key": "k", "hash": "blake3:0", "name": "sample", "base": base, "type": "main"},
        "app_version": "5.0.0",
    }
    return {"invokeai_metadata": json.dumps(metadata)}


def fooocus_texts(clip_skip: int) -> dict[str, str]:
    """lllyasviel/Fooocus 59f183ab private_logger.py:log with the "fooocus" scheme: "parameters" is the sorted
    JSON of the logged values, "fooocus_scheme" the scheme; clip_skip is logged only above 1."""
    parameters = {
        "base_model": "sample",
        "clip_skip": clip_skip,
        "metadata_scheme": "fooocus",
        "prompt": "a cat",
        "seed": "1",
        "steps": 30,
        "version": "Fooocus v2.5.5",
    }
    return {"parameters": json.dumps(dict(sorted(parameters.items()))), "fooocus_scheme": "fooocus"}


def draw_things_texts(clip_skip: int, *, as_xmp: bool) -> dict[str, str]:
    """drawthingsai/draw-things-community 2912d3a6 ImageConverter.swift: PNG Software "Draw Things", the
    sorted-keys JSON as the Comment (ImageIO also puts it in XMP as exif:UserComment), clip_skip above 1."""
    comment = json.dumps({"c": "a cat", "clip_skip": clip_skip, "seed": 1, "steps": 20, "uc": "blurry"}, sort_keys=True)
    if not as_xmp:
        return {"Software": "Draw Things", "Comment": comment, "Description": "a cat\n-blurry\nSteps: 20"}
    escaped = comment.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f'<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">{escaped}</rdf:li></rdf:Alt></exif:UserComment>'
        "<xmp:CreatorTool>Draw Things</xmp:CreatorTool></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return {"XML:com.adobe.xmp": xmp}


def novelai_texts() -> dict[str, str]:
    """What A1111 82a973c0 images.py:read_info_from_image looks for in a NovelAI image."""
    comment = {"steps": 28, "sampler": "k_euler_ancestral", "seed": 1, "scale": 11, "uc": "blurry"}
    return {"Software": "NovelAI", "Description": "a cat", "Comment": json.dumps(comment)}


OTHER_TOOLS = {
    "sdnext-clip-skip-3.png": {"parameters": INFOTEXT.replace("Clip skip: 2", "CLiP-skip: 3")},
    "reforge-dynamic-4.png": {
        "parameters": INFOTEXT.replace(
            "Clip skip: 2", "Clip skip: 4, Dynamic clip skip: 4->2, Dynamic clip skip start: 4"
        )
    },
    "comfyui-clip-skip-2.png": comfyui_texts(-2),
    "comfyui-two-paths.png": comfyui_texts(-2, second_encoder_direct=True),
    "comfyui-default.png": comfyui_texts(None),
    "comfyui-workflow-only-3.png": {"workflow": comfyui_texts(-3)["workflow"]},
    "invokeai-clip-skip-1.png": invokeai_texts(1, "sd-1"),
    "invokeai-sdxl.png": invokeai_texts(1, "sdxl"),
    "fooocus-clip-skip-2.png": fooocus_texts(2),
    "drawthings-clip-skip-2.png": draw_things_texts(2, as_xmp=False),
    "drawthings-xmp-3.png": draw_things_texts(3, as_xmp=True),
    "novelai.png": novelai_texts(),
}


def make_samples(out: Path) -> None:
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (8, 8), (200, 120, 40))
    for name in ("clip-skip-2.png", "clip-skip-2.jpg", "clip-skip-2.webp"):
        save_like_webui(image, INFOTEXT, out / "images" / name)
    save_like_webui(image, INFOTEXT_WITHOUT_CLIP_SKIP, out / "images" / "not-recorded.png")
    for name, texts in OTHER_TOOLS.items():
        save_png_texts(image, texts, out / "images" / name)
    write_safetensors(out / "models" / "lora-clip-skip-2.safetensors", {"ss_clip_skip": "2", "ss_output_name": "cat"})
    write_safetensors(out / "models" / "lora-no-clip-skip.safetensors", {"ss_clip_skip": "None"})


if __name__ == "__main__":
    make_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
