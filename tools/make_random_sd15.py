"""Write a single-file SD1.5 checkpoint with random weights, for tests against a real WebUI.

The layout is that of the original SD1.5 `.safetensors` files (LDM key names, fp16 weights, fp32
noise-schedule buffers): the UNet, the VAE and the real 12-layer CLIP ViT-L/14 text encoder, so a
WebUI loads it as SD1.5 with no missing keys and clip skip changes the conditioning. Shapes come from
the published SD1.5 architecture (v1-inference.yaml parameters), written out in
random_checkpoint_layouts.py, which the SD2 and SDXL tools share.

Needs torch (any WebUI environment has it):

    $SD_WEBUI_PYTHON tools/make_random_sd15.py OUT.safetensors [--seed 1234] [--metadata ss_clip_skip=2]

The same seed gives the same weights, and with the same metadata the same bytes. The file is 2.1 GB
(1.07 G parameters in fp16); writing it takes under a minute and about 1 GB of memory on a CPU.
"""

from __future__ import annotations

import argparse
from typing import Any

import random_checkpoint_layouts as layouts
from random_checkpoint_layouts import Shape

TEXT_ROOT = "cond_stage_model.transformer.text_model"
POSITION_IDS = f"{TEXT_ROOT}.embeddings.position_ids"


def weight_shapes() -> dict[str, Shape]:
    """Every random tensor of an SD1.5 checkpoint, by key, in the order they are drawn."""
    return dict((*layouts.unet(layouts.SD1_UNET), *layouts.vae(), *layouts.clip_text(TEXT_ROOT)))


def fixed_tensors(torch: Any) -> dict[str, Any]:
    """The buffers: CLIP's position ids and LDM's noise schedule."""
    return {POSITION_IDS: layouts.position_ids(torch), **layouts.ddpm_schedule(torch)}


def checkpoint(args: argparse.Namespace | None = None) -> layouts.Checkpoint:
    return layouts.Checkpoint("SD1.5", weight_shapes(), fixed_tensors)


if __name__ == "__main__":
    layouts.main(__doc__, checkpoint)
