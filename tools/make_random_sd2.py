"""Write a single-file SD2.x checkpoint with random weights, for tests against a real WebUI.

The layout is that of the released SD2.x `.safetensors` files (v2-1_512 / v2-1_768, LDM key names):
the UNet of v2-inference.yaml (context_dim 1024, use_linear_in_transformer), the SD VAE and the real
24-layer OpenCLIP ViT-H-14 text tower under `cond_stage_model.model.` (as LDM's FrozenOpenCLIPEmbedder
holds it, without the visual tower), plus LDM's fp32 noise-schedule buffers. Weights are fp16; the
WebUIs upcast them under --no-half / --all-in-fp32. Shapes come from the published parameters, written
out in random_checkpoint_layouts.py.

    $SD_WEBUI_PYTHON tools/make_random_sd2.py OUT.safetensors [--prediction epsilon|v] [--seed 1234] [--metadata K=V]

The same seed gives the same weights, and with the same metadata the same bytes. The file is 2.6 GB
(1.30 G parameters in fp16); writing it takes about a minute and under 1 GB of memory on a CPU. A WebUI
running it on a CPU in fp32 needs about 8 GB: Forge with --all-in-fp32 peaked at 7.7 GB resident, A1111
1.10 with --no-half at 13.3 GB while switching to it from the SD1.5 file (both models' weights at once);
each loads it in under 10 s and answers a 2-step 64x64 txt2img in 8 to 18 s on 2 cores. Forge reports the
text tower's 24th layer as "CLIPTextModel Unexpected" (its SD2.1 text-encoder config has 23 layers, as
diffusers' does, since SD2 reads the penultimate one); the released files give the same lines.

Epsilon or v-prediction. The two SD2 configs (v2-inference.yaml, 512 epsilon; v2-inference-v.yaml,
768 v) have the same keys and shapes, so a host tells them apart from the weights, or from a .yaml
beside the checkpoint:

- A1111 1.10 (sd_models_config.py: is_using_v_parameterization_for_sd2) builds the SD2 UNet, runs it once
  on a constant latent (0.5) with a constant context (0.5) at t=999, and takes v2-inference-v.yaml when
  the mean of (output - input) is below -1, otherwise v2-inference.yaml. So random weights decide it.
  It runs that UNet in devices.dtype_unet, which stays fp16 until a first model has loaded: on a CPU with
  --no-half, an SD2 file as the *first* model fails there ("Input type (float) and bias type (c10::Half)
  should be the same"), whatever its weights. Start on the SD1.5 file and switch (sd_model_checkpoint);
  from then on the test runs in fp32.
- Forge Classic (ldm_patched supported_models.py: SD20.model_type, as ComfyUI) takes v-prediction when the
  standard deviation of `model.diffusion_model.output_blocks.11.1.transformer_blocks.0.norm1.bias` exceeds
  0.09. Forge dfdcbab6 has the same test in huggingface_guess, but backend/loader.py calls it without the
  `model.diffusion_model.` prefix, so the key is never found and every SD2 file without a .yaml is epsilon.

Left to the draw, a random SD2 UNet is epsilon to all of them, but A1111's margin depends on the seed:
its test gives -0.71 for seed 1234 and -0.49 and -0.44 for seeds 1 and 2 (fp32), as the UNet's output
averages a little below zero. So each variant shapes the tensors those tests read (everything else is
the same draw in both, tensor for tensor), and the choice no longer depends on the seed:

- epsilon: `model.diffusion_model.out.2.bias` (the UNet's last layer) ~ N(+0.5, 0.02²), which moves A1111's
  test to between -0.21 and +0.37 (seed 1234, 1 to 4); the probe bias keeps its 0.02;
- v: the same bias ~ N(-2, 0.02²), A1111's test then gives about -2.5 (-2.75, -2.48, -2.47 for seeds
  1234, 1, 2), and the probe bias ~ N(0, 0.2²), past the 0.09 threshold.

A constant offset of the last bias only shifts every prediction by a constant, which is of no consequence
for a random model. No .yaml is written: it would override A1111's test, and the file alone should decide.
"""

from __future__ import annotations

import argparse
from typing import Any

import random_checkpoint_layouts as layouts
from random_checkpoint_layouts import Shape, Shaped

TEXT_ROOT = "cond_stage_model.model"
TEXT_WIDTH, TEXT_LAYERS, TEXT_EMBED_DIM = 1024, 24, 1024  # OpenCLIP ViT-H-14's text_cfg and embed_dim
OUTPUT_BIAS = "model.diffusion_model.out.2.bias"
V_PROBE = "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.norm1.bias"
SHAPES = {
    "epsilon": {OUTPUT_BIAS: Shaped(mean=0.5, std=0.02)},
    "v": {OUTPUT_BIAS: Shaped(mean=-2.0, std=0.02), V_PROBE: Shaped(mean=0.0, std=0.2)},
}
LABELS = {"epsilon": "SD2 (512, epsilon)", "v": "SD2 (768, v-prediction)"}


def weight_shapes() -> dict[str, Shape]:
    """Every random tensor of an SD2.x checkpoint, by key, in the order they are drawn."""
    text = layouts.open_clip_text(TEXT_ROOT, TEXT_WIDTH, TEXT_LAYERS, TEXT_EMBED_DIM)
    return dict((*layouts.unet(layouts.SD2_UNET), *layouts.vae(), *text))


def fixed_tensors(torch: Any) -> dict[str, Any]:
    """The buffers: LDM's noise schedule (the same linear betas as SD1)."""
    return layouts.ddpm_schedule(torch)


def checkpoint(prediction: str = "epsilon") -> layouts.Checkpoint:
    return layouts.Checkpoint(LABELS[prediction], weight_shapes(), fixed_tensors, SHAPES[prediction])


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prediction", choices=sorted(LABELS), default="epsilon", help="what the hosts detect it as (default epsilon)"
    )


if __name__ == "__main__":
    layouts.main(__doc__, lambda args: checkpoint(args.prediction), _options)
