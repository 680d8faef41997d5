"""Every other tool's Clip skip, converted to this WebUI's numbering, including damaged and absurd metadata."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sd_webui_clip_skip.inspector.findings import DamagedMetadata, image_findings
from sd_webui_clip_skip.inspector.images import ImageMetadata
from tests.samples.make_samples import comfyui_texts, draw_things_texts, fooocus_texts, invokeai_texts

ROOT = Path(__file__).resolve().parents[1]


def values(texts, infotext=None):
    return [(found.value, found.tool, found.own) for found in image_findings(ImageMetadata(infotext, texts))]


def prompt_graph(*nodes):
    """An API graph: (id, class_type, inputs)."""
    return {"prompt": json.dumps({node_id: {"class_type": kind, "inputs": inputs} for node_id, kind, inputs in nodes})}


LOADER = ("4", "CheckpointLoaderSimple", {"ckpt_name": "x"})


@pytest.mark.parametrize(("layer", "expected"), [(-1, 1), (-2, 2), (-12, 12)])
def test_comfyui_minus_n_is_n(layer, expected):
    assert values(comfyui_texts(layer)) == [(expected, "ComfyUI", layer)]


def test_comfyui_the_nearest_set_last_layer_wins_through_a_lora_loader():
    graph = prompt_graph(
        LOADER,
        ("10", "CLIPSetLastLayer", {"clip": ["4", 1], "stop_at_clip_layer": -3}),
        ("11", "LoraLoader", {"clip": ["10", 0], "model": ["4", 0]}),
        ("12", "CLIPSetLastLayer", {"clip": ["11", 1], "stop_at_clip_layer": -2}),
        ("6", "CLIPTextEncodeSDXL", {"clip": ["12", 0], "text_g": "a", "text_l": "a"}),
    )
    assert values(graph) == [(2, "ComfyUI", -2)]


def test_comfyui_a_cycle_or_a_dangling_link_ends_at_the_default():
    graph = prompt_graph(
        ("1", "LoraLoader", {"clip": ["2", 1]}),
        ("2", "LoraLoader", {"clip": ["1", 1]}),
        ("6", "CLIPTextEncode", {"clip": ["1", 0]}),
        ("7", "CLIPTextEncode", {"clip": ["99", 0]}),
    )
    assert values(graph) == [(1, "ComfyUI", None)]


def test_comfyui_a_bypassed_set_last_layer_in_the_workflow_is_not_applied():
    workflow = json.loads(comfyui_texts(-2)["workflow"])
    for node in workflow["nodes"]:
        if node["type"] == "CLIPSetLastLayer":
            node["mode"] = 4
    assert values({"workflow": json.dumps(workflow)}) == [(1, "ComfyUI", None)]


def test_comfyui_the_prompt_graph_is_preferred_and_a_damaged_one_falls_back_to_the_workflow():
    texts = {"prompt": comfyui_texts(-2)["prompt"], "workflow": comfyui_texts(-3)["workflow"]}
    assert values(texts) == [(2, "ComfyUI", -2)]
    texts["prompt"] = "{not json"
    assert values(texts) == [(3, "ComfyUI", -3)]


@pytest.mark.parametrize("layer", [-13, -30, 0, 1, "-2", 2.5, None, True])
def test_comfyui_absurd_layers_are_damaged_metadata(layer):
    graph = prompt_graph(
        LOADER,
        ("10", "CLIPSetLastLayer", {"clip": ["4", 1], "stop_at_clip_layer": layer}),
        ("6", "CLIPTextEncode", {"clip": ["10", 0]}),
    )
    with pytest.raises(DamagedMetadata, match="CLIPSetLastLayer node 10 has"):
        image_findings(ImageMetadata(None, graph))


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "{}", '{"nodes": 3}', "[" * 100_000])
def test_comfyui_damaged_graphs_are_reported(text):
    with pytest.raises(DamagedMetadata, match="ComfyUI"):
        image_findings(ImageMetadata(None, {"prompt": text}))


@pytest.mark.parametrize(("skipped", "expected"), [(0, 1), (1, 2), (11, 12)])
def test_invokeai_counts_skipped_layers(skipped, expected):
    assert values(invokeai_texts(skipped, "sd-1")) == [(expected, "InvokeAI", skipped)]


def test_invokeai_on_sdxl_says_it_was_not_applied():
    [found] = image_findings(ImageMetadata(None, invokeai_texts(1, "sdxl")))
    assert "does not apply clip skip to SDXL" in found.note
    older = {"invokeai_metadata": json.dumps({"clip_skip": 0, "model": {"model_name": "x", "base_model": "sdxl"}})}
    assert "SDXL" in image_findings(ImageMetadata(None, older))[0].note


@pytest.mark.parametrize("bad", [-1, 12, 99, "2", 1.5, None])
def test_invokeai_absurd_values_are_damaged_metadata(bad):
    with pytest.raises(DamagedMetadata, match="InvokeAI clip_skip"):
        image_findings(ImageMetadata(None, {"invokeai_metadata": json.dumps({"clip_skip": bad})}))


def test_invokeai_without_clip_skip_skips_none():
    assert values({"invokeai_metadata": json.dumps({"steps": 20})}) == [(1, "InvokeAI", None)]


def test_fooocus_json_and_a1111_schemes():
    assert values(fooocus_texts(3), infotext=fooocus_texts(3)["parameters"]) == [(3, "Fooocus", 3)]
    a1111 = "a cat\nSteps: 30, Sampler: Euler, Seed: 1, Clip skip: 2, Version: Fooocus v2.5.5"
    assert values({"fooocus_scheme": "a1111", "parameters": a1111}, infotext=a1111) == [(2, "Fooocus", "2")]
    without = json.dumps({"prompt": "a", "version": "Fooocus v2.5.5"})
    assert values({"parameters": without}, infotext=without) == [(1, "Fooocus", None)]


@pytest.mark.parametrize("bad", [13, 0, 2.5, "2"])
def test_fooocus_absurd_values_are_damaged_metadata(bad):
    text = json.dumps({"clip_skip": bad, "version": "Fooocus v2.5.5"})
    with pytest.raises(DamagedMetadata, match="Fooocus clip_skip"):
        image_findings(ImageMetadata(text, {"parameters": text, "fooocus_scheme": "fooocus"}))


def test_draw_things_comment_or_xmp():
    assert values(draw_things_texts(2, as_xmp=False)) == [(2, "Draw Things", 2)]
    assert values(draw_things_texts(4, as_xmp=True)) == [(4, "Draw Things", 4)]
    no_clip_skip = {"Software": "Draw Things", "Comment": json.dumps({"c": "a cat"})}
    assert values(no_clip_skip) == [(1, "Draw Things", None)]
    with pytest.raises(DamagedMetadata, match="Draw Things metadata has no JSON"):
        image_findings(ImageMetadata(None, {"Software": "Draw Things", "Comment": "not json"}))


def test_webui_infotext_keys():
    line = "a cat\nSteps: 20, Sampler: Euler, Seed: 1, {}"
    assert values({}, line.format("Clip skip: 2")) == [(2, "A1111", "2")]
    assert values({}, line.format("CLiP-skip: 3")) == [(3, "SD.Next", "3")]
    assert values({}, line.format("Clip skip: 1, CLiP-skip: 4")) == [(4, "SD.Next", "4")]
    assert values({}, line.format("Size: 8x8")) == [(1, "A1111", None)]
    with pytest.raises(DamagedMetadata, match="The recorded 'CLiP-skip' must be a number .* one decimal, got '1.55'"):
        image_findings(ImageMetadata(line.format("CLiP-skip: 1.55"), {}))


def test_blends_and_schedules_are_read_with_their_nearest_whole_value():
    line = "a cat\nSteps: 20, Sampler: Euler, Seed: 1, {}"
    (sdnext,) = image_findings(ImageMetadata(line.format("CLiP-skip: 1.5"), {}))
    assert (sdnext.value, sdnext.note) == (2, "a blend of layers 1 and 2; 2 is the nearest whole value")
    (ours,) = image_findings(ImageMetadata(line.format('Clip skip: 2, Clip skip schedule: "[2:1:0.5]"'), {}))
    assert (ours.value, ours.note) == (2, "exactly [2:1:0.5] (Clip skip schedule); 2 is the nearest whole value")


def test_no_generation_parameters_at_all():
    assert image_findings(ImageMetadata(None, {"Software": "GIMP"})) == []


def test_json_output_one_object_per_file():
    images = ROOT / "tests" / "samples" / "images"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sd_webui_clip_skip",
            "inspect",
            "--json",
            str(images / "comfyui-two-paths.png"),
            str(images / "invokeai-clip-skip-1.png"),
            str(ROOT / "README.md"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    comfy, invoke, readme = (json.loads(line) for line in result.stdout.splitlines())
    assert [f["value"] for f in comfy["findings"]] == [2, 1] and comfy["value"] == 2
    assert (comfy["tool"], comfy["own"], comfy["key"]) == ("ComfyUI", -2, "CLIPSetLastLayer")
    assert (invoke["value"], invoke["own"], invoke["convention"]) == (
        2,
        1,
        "InvokeAI counts the layers skipped, so its N is N+1 here",
    )
    assert readme["value"] is None and readme["skipped"] == "not an image or a .safetensors file"
