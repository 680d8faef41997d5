"""Write a single-file SD1.5 checkpoint with random weights, for tests against a real WebUI.

The layout is that of the original SD1.5 `.safetensors` files (LDM key names, fp16 weights, fp32
noise-schedule buffers): the UNet, the VAE and the real 12-layer CLIP ViT-L/14 text encoder, so a
WebUI loads it as SD1.5 with no missing keys and clip skip changes the conditioning. Shapes come from
the published SD1.5 architecture (v1-inference.yaml parameters), written out below.

Needs torch and safetensors (any WebUI environment has both):

    $SD_WEBUI_PYTHON tools/make_random_sd15.py OUT.safetensors [--seed 1234] [--metadata ss_clip_skip=2]

The same seed gives the same weights, and with the same metadata the same bytes.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Iterator

Shape = tuple[int, ...]

TEXT_WIDTH = 768
TEXT_LAYERS = 12
TEXT_TOKENS = 77
VOCABULARY = 49408
TIME_WIDTH = 1280
UNET_LEVELS = (320, 640, 1280, 1280)  # model_channels 320, channel_mult [1, 2, 4, 4]
UNET_ATTENTION_LEVELS = (0, 1, 2)  # attention_resolutions [4, 2, 1]
UNET_BLOCKS_PER_LEVEL = 2
VAE_LEVELS = (128, 256, 512, 512)  # ch 128, ch_mult [1, 2, 4, 4]
VAE_BLOCKS_PER_LEVEL = 2
SCHEDULE_STEPS = 1000
LINEAR_START, LINEAR_END = 0.00085, 0.0120
POSITION_IDS = "cond_stage_model.transformer.text_model.embeddings.position_ids"


def _linear(prefix: str, out: int, inp: int, bias: bool = True) -> Iterator[tuple[str, Shape]]:
    yield f"{prefix}.weight", (out, inp)
    if bias:
        yield f"{prefix}.bias", (out,)


def _conv(prefix: str, out: int, inp: int, kernel: int) -> Iterator[tuple[str, Shape]]:
    yield f"{prefix}.weight", (out, inp, kernel, kernel)
    yield f"{prefix}.bias", (out,)


def _norm(prefix: str, width: int) -> Iterator[tuple[str, Shape]]:
    yield f"{prefix}.weight", (width,)
    yield f"{prefix}.bias", (width,)


def _unet_resblock(prefix: str, inp: int, out: int) -> Iterator[tuple[str, Shape]]:
    yield from _norm(f"{prefix}.in_layers.0", inp)
    yield from _conv(f"{prefix}.in_layers.2", out, inp, 3)
    yield from _linear(f"{prefix}.emb_layers.1", out, TIME_WIDTH)
    yield from _norm(f"{prefix}.out_layers.0", out)
    yield from _conv(f"{prefix}.out_layers.3", out, out, 3)
    if inp != out:
        yield from _conv(f"{prefix}.skip_connection", out, inp, 1)


def _unet_transformer(prefix: str, width: int) -> Iterator[tuple[str, Shape]]:
    block = f"{prefix}.transformer_blocks.0"
    yield from _norm(f"{prefix}.norm", width)
    yield from _conv(f"{prefix}.proj_in", width, width, 1)
    for attention, context in (("attn1", width), ("attn2", TEXT_WIDTH)):
        yield from _linear(f"{block}.{attention}.to_q", width, width, bias=False)
        yield from _linear(f"{block}.{attention}.to_k", width, context, bias=False)
        yield from _linear(f"{block}.{attention}.to_v", width, context, bias=False)
        yield from _linear(f"{block}.{attention}.to_out.0", width, width)
    yield from _linear(f"{block}.ff.net.0.proj", width * 8, width)  # GEGLU: two halves of 4x width
    yield from _linear(f"{block}.ff.net.2", width, width * 4)
    for norm in ("norm1", "norm2", "norm3"):
        yield from _norm(f"{block}.{norm}", width)
    yield from _conv(f"{prefix}.proj_out", width, width, 1)


def _unet() -> Iterator[tuple[str, Shape]]:
    root = "model.diffusion_model"
    yield from _linear(f"{root}.time_embed.0", TIME_WIDTH, UNET_LEVELS[0])
    yield from _linear(f"{root}.time_embed.2", TIME_WIDTH, TIME_WIDTH)
    yield from _conv(f"{root}.input_blocks.0.0", UNET_LEVELS[0], 4, 3)
    skips = [UNET_LEVELS[0]]
    block, width = 1, UNET_LEVELS[0]
    for level, out in enumerate(UNET_LEVELS):
        for _ in range(UNET_BLOCKS_PER_LEVEL):
            yield from _unet_resblock(f"{root}.input_blocks.{block}.0", width, out)
            if level in UNET_ATTENTION_LEVELS:
                yield from _unet_transformer(f"{root}.input_blocks.{block}.1", out)
            width = out
            skips.append(width)
            block += 1
        if level < len(UNET_LEVELS) - 1:
            yield from _conv(f"{root}.input_blocks.{block}.0.op", width, width, 3)
            skips.append(width)
            block += 1
    yield from _unet_resblock(f"{root}.middle_block.0", width, width)
    yield from _unet_transformer(f"{root}.middle_block.1", width)
    yield from _unet_resblock(f"{root}.middle_block.2", width, width)
    block = 0
    for level in reversed(range(len(UNET_LEVELS))):
        out = UNET_LEVELS[level]
        for index in range(UNET_BLOCKS_PER_LEVEL + 1):
            yield from _unet_resblock(f"{root}.output_blocks.{block}.0", width + skips.pop(), out)
            width = out
            layer = 1
            if level in UNET_ATTENTION_LEVELS:
                yield from _unet_transformer(f"{root}.output_blocks.{block}.1", out)
                layer = 2
            if level > 0 and index == UNET_BLOCKS_PER_LEVEL:
                yield from _conv(f"{root}.output_blocks.{block}.{layer}.conv", out, out, 3)
            block += 1
    yield from _norm(f"{root}.out.0", width)
    yield from _conv(f"{root}.out.2", 4, width, 3)


def _vae_resblock(prefix: str, inp: int, out: int) -> Iterator[tuple[str, Shape]]:
    yield from _norm(f"{prefix}.norm1", inp)
    yield from _conv(f"{prefix}.conv1", out, inp, 3)
    yield from _norm(f"{prefix}.norm2", out)
    yield from _conv(f"{prefix}.conv2", out, out, 3)
    if inp != out:
        yield from _conv(f"{prefix}.nin_shortcut", out, inp, 1)


def _vae_middle(prefix: str, width: int) -> Iterator[tuple[str, Shape]]:
    yield from _vae_resblock(f"{prefix}.mid.block_1", width, width)
    yield from _norm(f"{prefix}.mid.attn_1.norm", width)
    for projection in ("q", "k", "v", "proj_out"):
        yield from _conv(f"{prefix}.mid.attn_1.{projection}", width, width, 1)
    yield from _vae_resblock(f"{prefix}.mid.block_2", width, width)


def _vae() -> Iterator[tuple[str, Shape]]:
    encoder, decoder = "first_stage_model.encoder", "first_stage_model.decoder"
    yield from _conv(f"{encoder}.conv_in", VAE_LEVELS[0], 3, 3)
    width = VAE_LEVELS[0]
    for level, out in enumerate(VAE_LEVELS):
        for index in range(VAE_BLOCKS_PER_LEVEL):
            yield from _vae_resblock(f"{encoder}.down.{level}.block.{index}", width, out)
            width = out
        if level < len(VAE_LEVELS) - 1:
            yield from _conv(f"{encoder}.down.{level}.downsample.conv", width, width, 3)
    yield from _vae_middle(encoder, width)
    yield from _norm(f"{encoder}.norm_out", width)
    yield from _conv(f"{encoder}.conv_out", 8, width, 3)  # mean and log-variance of 4 latent channels
    yield from _conv("first_stage_model.quant_conv", 8, 8, 1)
    yield from _conv("first_stage_model.post_quant_conv", 4, 4, 1)
    width = VAE_LEVELS[-1]
    yield from _conv(f"{decoder}.conv_in", width, 4, 3)
    yield from _vae_middle(decoder, width)
    for level in reversed(range(len(VAE_LEVELS))):
        out = VAE_LEVELS[level]
        for index in range(VAE_BLOCKS_PER_LEVEL + 1):
            yield from _vae_resblock(f"{decoder}.up.{level}.block.{index}", width, out)
            width = out
        if level > 0:
            yield from _conv(f"{decoder}.up.{level}.upsample.conv", width, width, 3)
    yield from _norm(f"{decoder}.norm_out", width)
    yield from _conv(f"{decoder}.conv_out", 3, width, 3)


def _text_encoder() -> Iterator[tuple[str, Shape]]:
    root = "cond_stage_model.transformer.text_model"
    yield f"{root}.embeddings.token_embedding.weight", (VOCABULARY, TEXT_WIDTH)
    yield f"{root}.embeddings.position_embedding.weight", (TEXT_TOKENS, TEXT_WIDTH)
    for layer in range(TEXT_LAYERS):
        prefix = f"{root}.encoder.layers.{layer}"
        for projection in ("q_proj", "k_proj", "v_proj", "out_proj"):
            yield from _linear(f"{prefix}.self_attn.{projection}", TEXT_WIDTH, TEXT_WIDTH)
        yield from _norm(f"{prefix}.layer_norm1", TEXT_WIDTH)
        yield from _linear(f"{prefix}.mlp.fc1", TEXT_WIDTH * 4, TEXT_WIDTH)
        yield from _linear(f"{prefix}.mlp.fc2", TEXT_WIDTH, TEXT_WIDTH * 4)
        yield from _norm(f"{prefix}.layer_norm2", TEXT_WIDTH)
    yield from _norm(f"{root}.final_layer_norm", TEXT_WIDTH)


def weight_shapes() -> dict[str, Shape]:
    """Every random tensor of an SD1.5 checkpoint, by key."""
    return dict((*_unet(), *_vae(), *_text_encoder()))


def _schedule(torch):
    """The DDPM buffers of a linear-beta schedule, as LDM stores them."""
    betas = torch.linspace(LINEAR_START**0.5, LINEAR_END**0.5, SCHEDULE_STEPS, dtype=torch.float64) ** 2
    alphas = torch.cumprod(1.0 - betas, dim=0)
    previous = torch.cat([torch.ones(1, dtype=torch.float64), alphas[:-1]])
    variance = betas * (1.0 - previous) / (1.0 - alphas)
    buffers = {
        "betas": betas,
        "alphas_cumprod": alphas,
        "alphas_cumprod_prev": previous,
        "sqrt_alphas_cumprod": alphas.sqrt(),
        "sqrt_one_minus_alphas_cumprod": (1.0 - alphas).sqrt(),
        "log_one_minus_alphas_cumprod": (1.0 - alphas).log(),
        "sqrt_recip_alphas_cumprod": (1.0 / alphas).sqrt(),
        "sqrt_recipm1_alphas_cumprod": (1.0 / alphas - 1).sqrt(),
        "posterior_variance": variance,
        "posterior_log_variance_clipped": torch.cat([variance[1:2], variance[1:]]).log(),
        "posterior_mean_coef1": betas * previous.sqrt() / (1.0 - alphas),
        "posterior_mean_coef2": (1.0 - previous) * (1.0 - betas).sqrt() / (1.0 - alphas),
    }
    return {key: value.float() for key, value in buffers.items()}


def build_state_dict(seed: int):
    import torch

    generator = torch.Generator().manual_seed(seed)
    tensors = {}
    for key, shape in weight_shapes().items():
        if key.endswith(".bias"):
            value = torch.randn(shape, generator=generator) * 0.02
        elif len(shape) == 1:  # norm scales
            value = 1.0 + torch.randn(shape, generator=generator) * 0.02
        else:  # fan-in scaled, so activations neither vanish nor explode through the random network
            fan_in = math.prod(shape[1:])
            value = torch.randn(shape, generator=generator) / math.sqrt(fan_in)
        tensors[key] = value.half()
    tensors[POSITION_IDS] = torch.arange(TEXT_TOKENS, dtype=torch.int64).unsqueeze(0)
    tensors.update(_schedule(torch))
    return tensors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="where to write the .safetensors file")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--metadata", action="append", default=[], metavar="KEY=VALUE", help="a header metadata entry, repeatable"
    )
    args = parser.parse_args()
    metadata = {"format": "pt", "sd-webui-clip-skip": f"random SD1.5, seed {args.seed}"}
    for entry in args.metadata:
        key, separator, value = entry.partition("=")
        if not separator:
            parser.error(f"--metadata {entry!r} is not KEY=VALUE")
        metadata[key] = value

    from safetensors.torch import save_file

    tensors = build_state_dict(args.seed)
    temporary = f"{args.out}.partial"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_file(tensors, temporary, metadata=metadata)
    os.replace(temporary, args.out)
    print(f"wrote {args.out}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
