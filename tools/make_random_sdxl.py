"""Write a single-file SDXL base checkpoint with random weights, for tests against a real WebUI.

The layout is that of sd_xl_base_1.0.safetensors (SGM key names): the UNet of sd_xl_base.yaml
(channel_mult [1, 2, 4], no attention at the first level, transformer_depth [1, 2, 10] read as 0, 2 and
10 blocks, context_dim 2048, adm_in_channels 2816 for label_emb), the SD VAE, and both text encoders of
its GeneralConditioner: CLIP ViT-L/14 in the Hugging Face layout under `conditioner.embedders.0.transformer.`
and the 32-layer OpenCLIP ViT-bigG-14 text tower under `conditioner.embedders.1.model.`. Weights are fp16
(as released); the WebUIs upcast them under --no-half / --all-in-fp32. Shapes come from the published
parameters, written out in random_checkpoint_layouts.py.

    $SD_WEBUI_PYTHON tools/make_random_sdxl.py OUT.safetensors [--seed 1234] [--metadata KEY=VALUE]

The same seed gives the same weights, and with the same metadata the same bytes. The file is 6.9 GB
(3.47 G parameters in fp16); writing it takes about three minutes and under 1.5 GB of memory on a CPU
(it is streamed one tensor at a time). A WebUI running it on a CPU in fp32 needs about 15.5 GB: A1111
1.10 with --no-half peaked at 15.3 GB resident, loaded it in 74 s and sampled a 2-step 64x64 image in
27 s on 2 cores. Offline, A1111 needs live previews off for SDXL (webui_server.py:
OFFLINE_SDXL_SETTINGS).

Like the released file, it holds no `denoiser.sigmas`: SGM's DiscreteDenoiser registers that buffer from
its discretization config when the model is built, and the hosts keep the one they compute (A1111 loads
with strict=False; Forge builds its own schedule). It is epsilon-prediction to both hosts: A1111 takes
sd_xl_base.yaml (EpsScaling) for any state dict with `conditioner.embedders.1.model.ln_final.weight` and a
4-channel UNet input, and Forge's huggingface_guess (SDXL.model_type) reads v-prediction only from a
`v_pred` key, which this file lacks.
"""

from __future__ import annotations

import argparse
from typing import Any

import random_checkpoint_layouts as layouts
from random_checkpoint_layouts import Shape

CLIP_L_ROOT = "conditioner.embedders.0.transformer.text_model"
CLIP_G_ROOT = "conditioner.embedders.1.model"
CLIP_G_WIDTH, CLIP_G_LAYERS, CLIP_G_EMBED_DIM = 1280, 32, 1280  # OpenCLIP ViT-bigG-14's text_cfg and embed_dim
POSITION_IDS = f"{CLIP_L_ROOT}.embeddings.position_ids"


def weight_shapes() -> dict[str, Shape]:
    """Every random tensor of an SDXL base checkpoint, by key, in the order they are drawn."""
    clip_g = layouts.open_clip_text(CLIP_G_ROOT, CLIP_G_WIDTH, CLIP_G_LAYERS, CLIP_G_EMBED_DIM)
    return dict((*layouts.unet(layouts.SDXL_UNET), *layouts.vae(), *layouts.clip_text(CLIP_L_ROOT), *clip_g))


def fixed_tensors(torch: Any) -> dict[str, Any]:
    """The only buffer: CLIP-L's position ids (SGM's model has no DDPM buffers)."""
    return {POSITION_IDS: layouts.position_ids(torch)}


def checkpoint(args: argparse.Namespace | None = None) -> layouts.Checkpoint:
    return layouts.Checkpoint("SDXL base", weight_shapes(), fixed_tensors)


if __name__ == "__main__":
    layouts.main(__doc__, checkpoint)
