"""The random-checkpoint tools' layouts, without torch: what each host reads to tell the families apart.

The keys and shapes themselves are compared with the reference models in
tests/integration/test_checkpoint_layouts.py (needs an A1111 checkout)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import make_random_sd2
import make_random_sd15
import make_random_sdxl
import random_checkpoint_layouts as layouts

SD15, SD2, SDXL = make_random_sd15.weight_shapes(), make_random_sd2.weight_shapes(), make_random_sdxl.weight_shapes()
UNET_INPUT = "model.diffusion_model.input_blocks.0.0.weight"


def test_each_layout_has_its_published_tensor_count():
    # with their buffers: 1143 (SD1.5, like v1-5-pruned-emaonly), 1240 (SD2.x), 2515 (sd_xl_base_1.0)
    assert (len(SD15), len(SD2), len(SDXL)) == (1130, 1228, 2514)


def test_a1111_and_forge_find_the_sd2_text_encoder_and_an_sd2_unet():
    # A1111 sd_models_config.guess_model_config_from_state_dict; Forge's huggingface_guess SD20
    assert SD2["cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight"] == (3072, 1024)
    assert SD2[UNET_INPUT][1] == 4  # not the 9-channel inpainting model
    assert len(SD2["model.diffusion_model.input_blocks.1.1.proj_in.weight"]) == 2  # use_linear_in_transformer
    assert SD2["model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"][1] == 1024
    assert not any(key.startswith(("conditioner.", "embedder.", "model.diffusion_model.label_emb")) for key in SD2)


def test_a1111_and_forge_find_sdxl_base():
    assert SDXL["conditioner.embedders.1.model.ln_final.weight"] == (1280,)
    assert "conditioner.embedders.0.model.ln_final.weight" not in SDXL  # the refiner's
    assert SDXL[UNET_INPUT][1] == 4
    assert "model.diffusion_model.middle_block.1.transformer_blocks.0.attn1.to_q.weight" in SDXL  # not SSD-1B
    assert SDXL["model.diffusion_model.label_emb.0.0.weight"] == (1280, 2816)
    assert SDXL["model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight"][1] == 2048
    assert not any(key.startswith("model.diffusion_model.input_blocks.1.1.") for key in SDXL)  # no attention at 320
    assert "model.diffusion_model.middle_block.1.transformer_blocks.9.norm3.bias" in SDXL
    assert "model.diffusion_model.output_blocks.2.1.transformer_blocks.9.norm3.bias" in SDXL
    assert SDXL["conditioner.embedders.0.transformer.text_model.encoder.layers.11.mlp.fc2.weight"] == (768, 3072)
    assert "conditioner.embedders.1.model.transformer.resblocks.31.attn.in_proj_bias" in SDXL


@pytest.mark.parametrize("prediction", ["epsilon", "v"])
def test_the_sd2_variants_shape_only_tensors_of_their_layout(prediction):
    checkpoint = make_random_sd2.checkpoint(prediction)
    assert set(checkpoint.shaped) <= set(checkpoint.weights)
    probe = checkpoint.shaped.get(make_random_sd2.V_PROBE)
    assert (probe is not None and probe.std > 0.09) == (prediction == "v")  # ComfyUI's SD20.model_type


def test_the_header_is_the_one_safetensors_writes():
    header, offsets = layouts._header(
        {"b": ("F16", (2, 3)), "a": ("F16", (4,)), "schedule": ("F32", (5,)), "ids": ("I64", (1, 3))},
        {"z": "1", "format": "pt"},
    )
    length = int.from_bytes(header[:8], "little")
    assert length == len(header) - 8 and length % 8 == 0
    parsed = json.loads(header[8:])
    assert list(parsed) == ["__metadata__", "ids", "schedule", "a", "b"]  # widest dtype first, then by name
    assert list(parsed["__metadata__"]) == ["format", "z"]
    assert [parsed[key]["data_offsets"] for key in ("ids", "schedule", "a", "b")] == [
        [0, 24],
        [24, 44],
        [44, 52],
        [52, 64],
    ]
    assert offsets == {"ids": 0, "schedule": 24, "a": 44, "b": 52}
    assert b", " not in header and b": " not in header
