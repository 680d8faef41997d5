"""The single-file checkpoint layouts the random-weight tools write, and the writer they share.

Each architecture is written out as generators of `(key, shape)` pairs from its published config
parameters (LDM's v1-inference.yaml and v2-inference.yaml, SGM's sd_xl_base.yaml, OpenCLIP's ViT-H-14
and ViT-bigG-14 model configs, the CLIP ViT-L/14 text config); no host code is imported or copied.
`write_random_checkpoint` draws the weights from one seeded generator in that order and streams them
into a `.safetensors` file, one tensor at a time, so even SDXL never sits in memory whole.

The file is byte for byte what `safetensors.torch.save_file` writes for the same tensors (tensors
sorted by dtype, widest first, then by name; compact JSON header padded to 8 bytes), except that the
`__metadata__` entries are sorted by key: save_file passes them through a Rust HashMap and so writes
them in a different order from one run to the next. The same seed and metadata give the same bytes.

Needs torch (any WebUI environment has it); safetensors itself is not needed to write.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]
Layout = Iterator[tuple[str, Shape]]

VOCABULARY = 49408  # CLIP's BPE vocabulary, shared by OpenAI CLIP and OpenCLIP
TEXT_TOKENS = 77
SCHEDULE_STEPS = 1000
LINEAR_START, LINEAR_END = 0.00085, 0.0120  # the scaled-linear beta schedule of SD1, SD2 and SDXL

# safetensors' Dtype enum, in its declaration order: save_file writes the later (wider) dtypes first.
_DTYPE_ORDER = (
    "BOOL",
    "U8",
    "I8",
    "F8_E5M2",
    "F8_E4M3",
    "I16",
    "U16",
    "F16",
    "BF16",
    "I32",
    "U32",
    "F32",
    "F64",
    "I64",
)
_DTYPE_SIZE = {"F16": 2, "BF16": 2, "F32": 4, "F64": 8, "I64": 8, "I32": 4, "U8": 1, "I8": 1, "BOOL": 1}


def linear(prefix: str, out: int, inp: int, bias: bool = True) -> Layout:
    yield f"{prefix}.weight", (out, inp)
    if bias:
        yield f"{prefix}.bias", (out,)


def conv(prefix: str, out: int, inp: int, kernel: int) -> Layout:
    yield f"{prefix}.weight", (out, inp, kernel, kernel)
    yield f"{prefix}.bias", (out,)


def norm(prefix: str, width: int) -> Layout:
    yield f"{prefix}.weight", (width,)
    yield f"{prefix}.bias", (width,)


@dataclass(frozen=True)
class UNetConfig:
    """The parameters of LDM's and SGM's `openaimodel.UNetModel` that decide its keys and shapes."""

    context_dim: int
    transformer_depth: tuple[int, ...]
    """Transformer blocks per level of the input and output blocks; 0: no attention at that level."""
    middle_depth: int
    channels: tuple[int, ...] = (320, 640, 1280, 1280)
    """model_channels times channel_mult."""
    linear_projection: bool = False
    """use_linear_in_transformer: proj_in and proj_out are Linear layers rather than 1x1 convolutions."""
    adm_in_channels: int | None = None
    """The vector conditioning (num_classes: sequential), which adds label_emb."""
    blocks_per_level: int = 2
    latent_channels: int = 4

    @property
    def time_width(self) -> int:
        return self.channels[0] * 4


SD1_UNET = UNetConfig(context_dim=768, transformer_depth=(1, 1, 1, 0), middle_depth=1)
"""v1-inference.yaml: model_channels 320, channel_mult [1, 2, 4, 4], attention_resolutions [4, 2, 1]."""
SD2_UNET = UNetConfig(context_dim=1024, transformer_depth=(1, 1, 1, 0), middle_depth=1, linear_projection=True)
"""v2-inference(-v).yaml: as SD1, with context_dim 1024 and use_linear_in_transformer."""
SDXL_UNET = UNetConfig(
    context_dim=2048,
    transformer_depth=(0, 2, 10),
    middle_depth=10,
    channels=(320, 640, 1280),
    linear_projection=True,
    adm_in_channels=2816,
)
"""sd_xl_base.yaml: channel_mult [1, 2, 4], attention_resolutions [4, 2] (none at the first level),
transformer_depth [1, 2, 10] (the middle block takes the last), context_dim 2048, adm_in_channels 2816."""


def _unet_resblock(prefix: str, inp: int, out: int, time_width: int) -> Layout:
    yield from norm(f"{prefix}.in_layers.0", inp)
    yield from conv(f"{prefix}.in_layers.2", out, inp, 3)
    yield from linear(f"{prefix}.emb_layers.1", out, time_width)
    yield from norm(f"{prefix}.out_layers.0", out)
    yield from conv(f"{prefix}.out_layers.3", out, out, 3)
    if inp != out:
        yield from conv(f"{prefix}.skip_connection", out, inp, 1)


def _projection(prefix: str, width: int, linear_projection: bool) -> Layout:
    if linear_projection:
        yield from linear(prefix, width, width)
    else:
        yield from conv(prefix, width, width, 1)


def _unet_transformer(prefix: str, width: int, depth: int, config: UNetConfig) -> Layout:
    yield from norm(f"{prefix}.norm", width)
    yield from _projection(f"{prefix}.proj_in", width, config.linear_projection)
    for index in range(depth):
        block = f"{prefix}.transformer_blocks.{index}"
        for attention, context in (("attn1", width), ("attn2", config.context_dim)):
            yield from linear(f"{block}.{attention}.to_q", width, width, bias=False)
            yield from linear(f"{block}.{attention}.to_k", width, context, bias=False)
            yield from linear(f"{block}.{attention}.to_v", width, context, bias=False)
            yield from linear(f"{block}.{attention}.to_out.0", width, width)
        yield from linear(f"{block}.ff.net.0.proj", width * 8, width)  # GEGLU: two halves of 4x width
        yield from linear(f"{block}.ff.net.2", width, width * 4)
        for name in ("norm1", "norm2", "norm3"):
            yield from norm(f"{block}.{name}", width)
    yield from _projection(f"{prefix}.proj_out", width, config.linear_projection)


def unet(config: UNetConfig, root: str = "model.diffusion_model") -> Layout:
    levels, time_width = config.channels, config.time_width
    yield from linear(f"{root}.time_embed.0", time_width, levels[0])
    yield from linear(f"{root}.time_embed.2", time_width, time_width)
    if config.adm_in_channels is not None:
        yield from linear(f"{root}.label_emb.0.0", time_width, config.adm_in_channels)
        yield from linear(f"{root}.label_emb.0.2", time_width, time_width)
    yield from conv(f"{root}.input_blocks.0.0", levels[0], config.latent_channels, 3)
    skips = [levels[0]]
    block, width = 1, levels[0]
    for level, out in enumerate(levels):
        depth = config.transformer_depth[level]
        for _ in range(config.blocks_per_level):
            yield from _unet_resblock(f"{root}.input_blocks.{block}.0", width, out, time_width)
            if depth:
                yield from _unet_transformer(f"{root}.input_blocks.{block}.1", out, depth, config)
            width = out
            skips.append(width)
            block += 1
        if level < len(levels) - 1:
            yield from conv(f"{root}.input_blocks.{block}.0.op", width, width, 3)
            skips.append(width)
            block += 1
    yield from _unet_resblock(f"{root}.middle_block.0", width, width, time_width)
    yield from _unet_transformer(f"{root}.middle_block.1", width, config.middle_depth, config)
    yield from _unet_resblock(f"{root}.middle_block.2", width, width, time_width)
    block = 0
    for level in reversed(range(len(levels))):
        out, depth = levels[level], config.transformer_depth[level]
        for index in range(config.blocks_per_level + 1):
            yield from _unet_resblock(f"{root}.output_blocks.{block}.0", width + skips.pop(), out, time_width)
            width = out
            layer = 1
            if depth:
                yield from _unet_transformer(f"{root}.output_blocks.{block}.1", out, depth, config)
                layer = 2
            if level > 0 and index == config.blocks_per_level:
                yield from conv(f"{root}.output_blocks.{block}.{layer}.conv", out, out, 3)
            block += 1
    yield from norm(f"{root}.out.0", width)
    yield from conv(f"{root}.out.2", config.latent_channels, width, 3)


VAE_LEVELS = (128, 256, 512, 512)  # ch 128, ch_mult [1, 2, 4, 4]: the same VAE in SD1, SD2 and SDXL
VAE_BLOCKS_PER_LEVEL = 2


def _vae_resblock(prefix: str, inp: int, out: int) -> Layout:
    yield from norm(f"{prefix}.norm1", inp)
    yield from conv(f"{prefix}.conv1", out, inp, 3)
    yield from norm(f"{prefix}.norm2", out)
    yield from conv(f"{prefix}.conv2", out, out, 3)
    if inp != out:
        yield from conv(f"{prefix}.nin_shortcut", out, inp, 1)


def _vae_middle(prefix: str, width: int) -> Layout:
    yield from _vae_resblock(f"{prefix}.mid.block_1", width, width)
    yield from norm(f"{prefix}.mid.attn_1.norm", width)
    for projection in ("q", "k", "v", "proj_out"):
        yield from conv(f"{prefix}.mid.attn_1.{projection}", width, width, 1)
    yield from _vae_resblock(f"{prefix}.mid.block_2", width, width)


def vae(root: str = "first_stage_model") -> Layout:
    encoder, decoder = f"{root}.encoder", f"{root}.decoder"
    yield from conv(f"{encoder}.conv_in", VAE_LEVELS[0], 3, 3)
    width = VAE_LEVELS[0]
    for level, out in enumerate(VAE_LEVELS):
        for index in range(VAE_BLOCKS_PER_LEVEL):
            yield from _vae_resblock(f"{encoder}.down.{level}.block.{index}", width, out)
            width = out
        if level < len(VAE_LEVELS) - 1:
            yield from conv(f"{encoder}.down.{level}.downsample.conv", width, width, 3)
    yield from _vae_middle(encoder, width)
    yield from norm(f"{encoder}.norm_out", width)
    yield from conv(f"{encoder}.conv_out", 8, width, 3)  # mean and log-variance of 4 latent channels
    yield from conv(f"{root}.quant_conv", 8, 8, 1)
    yield from conv(f"{root}.post_quant_conv", 4, 4, 1)
    width = VAE_LEVELS[-1]
    yield from conv(f"{decoder}.conv_in", width, 4, 3)
    yield from _vae_middle(decoder, width)
    for level in reversed(range(len(VAE_LEVELS))):
        out = VAE_LEVELS[level]
        for index in range(VAE_BLOCKS_PER_LEVEL + 1):
            yield from _vae_resblock(f"{decoder}.up.{level}.block.{index}", width, out)
            width = out
        if level > 0:
            yield from conv(f"{decoder}.up.{level}.upsample.conv", width, width, 3)
    yield from norm(f"{decoder}.norm_out", width)
    yield from conv(f"{decoder}.conv_out", 3, width, 3)


def clip_text(root: str, width: int = 768, layers: int = 12) -> Layout:
    """OpenAI CLIP ViT-L/14's text tower in the Hugging Face `CLIPTextModel` layout (root ends in `text_model`).

    Its `embeddings.position_ids` buffer (int64, not random) is left to the caller."""
    yield f"{root}.embeddings.token_embedding.weight", (VOCABULARY, width)
    yield f"{root}.embeddings.position_embedding.weight", (TEXT_TOKENS, width)
    for layer in range(layers):
        prefix = f"{root}.encoder.layers.{layer}"
        for projection in ("q_proj", "k_proj", "v_proj", "out_proj"):
            yield from linear(f"{prefix}.self_attn.{projection}", width, width)
        yield from norm(f"{prefix}.layer_norm1", width)
        yield from linear(f"{prefix}.mlp.fc1", width * 4, width)
        yield from linear(f"{prefix}.mlp.fc2", width, width * 4)
        yield from norm(f"{prefix}.layer_norm2", width)
    yield from norm(f"{root}.final_layer_norm", width)


def open_clip_text(root: str, width: int, layers: int, embed_dim: int) -> Layout:
    """An OpenCLIP `CLIP` model without its visual tower, as LDM's and SGM's embedders hold it (`del model.visual`).

    ViT-H-14 (SD2): width 1024, 24 layers, embed_dim 1024; ViT-bigG-14 (SDXL): width 1280, 32 layers,
    embed_dim 1280; both mlp_ratio 4 and a 77-token context. The causal `attn_mask` buffer is not persistent."""
    yield f"{root}.token_embedding.weight", (VOCABULARY, width)
    yield f"{root}.positional_embedding", (TEXT_TOKENS, width)
    for layer in range(layers):
        prefix = f"{root}.transformer.resblocks.{layer}"
        yield from norm(f"{prefix}.ln_1", width)
        yield f"{prefix}.attn.in_proj_weight", (3 * width, width)  # nn.MultiheadAttention: q, k, v stacked
        yield f"{prefix}.attn.in_proj_bias", (3 * width,)
        yield from linear(f"{prefix}.attn.out_proj", width, width)
        yield from norm(f"{prefix}.ln_2", width)
        yield from linear(f"{prefix}.mlp.c_fc", width * 4, width)
        yield from linear(f"{prefix}.mlp.c_proj", width, width * 4)
    yield from norm(f"{root}.ln_final", width)
    yield f"{root}.text_projection", (width, embed_dim)  # used as x @ text_projection
    yield f"{root}.logit_scale", ()


def position_ids(torch: Any) -> Any:
    """The `position_ids` buffer of a Hugging Face CLIP text model, as transformers 4.30 saves it."""
    return torch.arange(TEXT_TOKENS, dtype=torch.int64).unsqueeze(0)


def ddpm_schedule(torch: Any) -> dict[str, Any]:
    """The DDPM buffers of LDM's linear-beta schedule (SD1, SD2), as its `register_schedule` stores them, in fp32.

    One value differs: step 0 of posterior_log_variance_clipped repeats step 1 (the clipping of the original
    DDPM code) where LDM stores log(1e-20). Only LDM's own p_sample reads it, none of the WebUIs' samplers."""
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


LOGIT_SCALE = math.log(1 / 0.07)  # OpenCLIP's initial value; the text conditioning never reads it


@dataclass(frozen=True)
class Shaped:
    """A tensor drawn as N(mean, std²) instead of by the default rule (see `random_weight`)."""

    mean: float
    std: float


def random_weight(torch: Any, key: str, shape: Shape, generator: Any, shaped: Shaped | None = None) -> Any:
    """One random tensor, in fp16: every layer is random (no zero-initialised output layers).

    Biases ~ N(0, 0.02²); norm scales (the other 1-d tensors) ~ 1 + N(0, 0.02²); matrices, convolutions and
    embeddings ~ N(0, 1/fan_in), so activations neither vanish nor explode through the random network;
    OpenCLIP's scalar logit_scale ~ ln(1/0.07) + N(0, 0.02²)."""
    value = torch.randn(shape, generator=generator)
    if shaped is not None:
        value = value * shaped.std + shaped.mean
    elif key.endswith("bias"):  # also nn.MultiheadAttention's in_proj_bias
        value = value * 0.02
    elif len(shape) == 1:
        value = 1.0 + value * 0.02
    elif not shape:
        value = LOGIT_SCALE + value * 0.02
    else:
        value = value / math.sqrt(math.prod(shape[1:]))
    return value.half()


def _dtype_name(torch: Any, dtype: Any) -> str:
    names = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64"}
    names.update({torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.int8: "I8", torch.bool: "BOOL"})
    return names[dtype]


def _header(entries: Mapping[str, tuple[str, Shape]], metadata: Mapping[str, str]) -> tuple[bytes, dict[str, int]]:
    """The safetensors header for tensors of these dtypes and shapes, and each tensor's offset in the data."""
    order = sorted(entries, key=lambda key: (-_DTYPE_ORDER.index(entries[key][0]), key))
    header: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))} if metadata else {}
    offsets, position = {}, 0
    for key in order:
        dtype, shape = entries[key]
        size = _DTYPE_SIZE[dtype] * math.prod(shape)
        header[key] = {"dtype": dtype, "shape": list(shape), "data_offsets": [position, position + size]}
        offsets[key] = position
        position += size
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, offsets


def write_random_checkpoint(
    path: str,
    weights: Mapping[str, Shape],
    fixed: Mapping[str, Any],
    seed: int,
    metadata: Mapping[str, str],
    shaped: Mapping[str, Shaped] | None = None,
) -> int:
    """Write `weights` (random fp16, drawn in their order from one generator seeded with `seed`) and the
    `fixed` tensors into a safetensors file at `path`, streaming: the header first, then each tensor at
    its offset as soon as it is drawn. Returns the number of tensors. Peak memory is a few times the
    largest tensor. The file appears at `path` only when complete."""
    import torch

    shaped = shaped or {}
    unknown = set(shaped) - set(weights)
    if unknown:
        raise KeyError(f"shaped tensors not in the layout: {sorted(unknown)}")
    overlap = set(weights) & set(fixed)
    if overlap:
        raise KeyError(f"keys both random and fixed: {sorted(overlap)}")
    entries = {key: ("F16", shape) for key, shape in weights.items()}
    entries.update({key: (_dtype_name(torch, value.dtype), tuple(value.shape)) for key, value in fixed.items()})
    header, offsets = _header(entries, metadata)

    def write(file: Any, key: str, value: Any) -> None:
        expected = entries[key]
        found = (_dtype_name(torch, value.dtype), tuple(value.shape))
        if found != expected:
            raise ValueError(f"{key}: made {found}, the header says {expected}")
        file.seek(len(header) + offsets[key])
        file.write(value.contiguous().numpy().data)  # the host's byte order: little-endian on every WebUI platform

    temporary = f"{path}.{os.getpid()}.partial"  # two runs making the same file do not write into one
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    try:
        with open(temporary, "wb") as file:
            file.write(header)
            for key, shape in weights.items():
                write(file, key, random_weight(torch, key, shape, generator, shaped.get(key)))
            for key, value in fixed.items():
                write(file, key, value)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    return len(entries)


def parse_metadata(entries: list[str], error: Any) -> dict[str, str]:
    """`--metadata KEY=VALUE` arguments as a dict; `error` is the parser's error method."""
    metadata = {}
    for entry in entries:
        key, separator, value = entry.partition("=")
        if not separator:
            error(f"--metadata {entry!r} is not KEY=VALUE")
        metadata[key] = value
    return metadata


@dataclass(frozen=True)
class Checkpoint:
    """One family's checkpoint: what `main` writes."""

    label: str
    """In the `sd-webui-clip-skip` metadata entry: "random {label}, seed {seed}"."""
    weights: Mapping[str, Shape]
    fixed: Callable[[Any], dict[str, Any]]
    """The tensors that are not random (buffers), given torch."""
    shaped: Mapping[str, Shaped] = field(default_factory=dict)


def main(
    description: str, choose: Callable[[argparse.Namespace], Checkpoint], options: Callable[[Any], None] | None = None
) -> None:
    """The command line every tool shares: OUT [--seed N] [--metadata KEY=VALUE ...], plus the tool's `options`."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="where to write the .safetensors file")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--metadata", action="append", default=[], metavar="KEY=VALUE", help="a header metadata entry, repeatable"
    )
    if options is not None:
        options(parser)
    args = parser.parse_args()
    checkpoint = choose(args)
    metadata = {"format": "pt", "sd-webui-clip-skip": f"random {checkpoint.label}, seed {args.seed}"}
    metadata.update(parse_metadata(args.metadata, parser.error))

    import torch

    count = write_random_checkpoint(
        args.out, checkpoint.weights, checkpoint.fixed(torch), args.seed, metadata, checkpoint.shaped
    )
    print(f"wrote {args.out}: {count} tensors")
