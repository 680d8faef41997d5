"""Compare the random-checkpoint tools' keys and shapes with the reference models, built on torch's meta device.

Runs with an A1111 checkout's own Python, which has torch, omegaconf, open_clip and transformers, and
its repositories/: LDM (stable-diffusion-stability-ai) for SD1 and SD2, SGM (generative-models) for SDXL.
The models are instantiated from the configs A1111 picks for each family, under `torch.device("meta")`,
so no memory is used for weights and nothing is downloaded: the text encoders are built without their
pretrained weights (OpenCLIP with pretrained=None; CLIP-L from its config.json, which the WebUI's
Hugging Face cache must hold, as it must for A1111 to load any SD1 or SDXL checkpoint offline).

    $A1111/venv/bin/python tests/integration/layout_reference.py --webui $A1111 sd15 sd2 sd2-v sdxl

Prints one JSON object per family: the reference's tensor count, the keys only the tool writes, only the
reference has, and those whose shape or dtype class differs; exits 1 if any family has a difference other
than the allowed ones (SDXL's `denoiser.sigmas`, which the released file does not store).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parents[2] / "tools"
FAMILIES = {
    # family: (tool module, its options, config under the WebUI checkout, repository it needs)
    "sd15": ("make_random_sd15", {}, "configs/v1-inference.yaml", "stable-diffusion-stability-ai"),
    "sd2": (
        "make_random_sd2",
        {"prediction": "epsilon"},
        "repositories/stable-diffusion-stability-ai/configs/stable-diffusion/v2-inference.yaml",
        "stable-diffusion-stability-ai",
    ),
    "sd2-v": (
        "make_random_sd2",
        {"prediction": "v"},
        "repositories/stable-diffusion-stability-ai/configs/stable-diffusion/v2-inference-v.yaml",
        "stable-diffusion-stability-ai",
    ),
    "sdxl": (
        "make_random_sdxl",
        {},
        "repositories/generative-models/configs/inference/sd_xl_base.yaml",
        "generative-models",
    ),
}
ALLOWED_REFERENCE_ONLY = {"sdxl": {"denoiser.sigmas"}}


def _without_downloads() -> None:
    """Text encoders built from their configs alone: OpenCLIP with no pretrained tag, CLIP-L from config.json."""
    import open_clip
    import transformers

    create = open_clip.create_model_and_transforms

    def no_pretrained(arch: str, *args: Any, pretrained: Any = None, device: Any = None, **kwargs: Any) -> Any:
        return create(arch, *args, pretrained=None, device="meta", **kwargs)

    def from_config(cls: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        return cls(transformers.CLIPTextConfig.from_pretrained(name))

    open_clip.create_model_and_transforms = no_pretrained
    transformers.CLIPTextModel.from_pretrained = classmethod(from_config)


def _repair(config: Any) -> None:
    """What A1111's sd_models.repair_config changes for a CPU without xformers; none of it changes a key."""
    params = config.model.params
    for name in ("unet_config", "network_config"):
        if name in params:
            params[name].params.use_checkpoint = False
            if "use_fp16" in params[name].params:
                params[name].params.use_fp16 = False
            if "spatial_transformer_attn_type" in params[name].params:
                params[name].params.spatial_transformer_attn_type = "softmax"
    ddconfig = params.first_stage_config.params.ddconfig
    if ddconfig.get("attn_type") == "vanilla-xformers":
        ddconfig.attn_type = "vanilla"
    if "unet_config" in params and "use_ema" not in params:
        params.use_ema = False


def reference_layout(webui: Path, config_path: str, repository: str) -> dict[str, tuple[str, list[int]]]:
    import torch
    from omegaconf import OmegaConf

    sys.path.insert(0, str(webui / "repositories" / repository))
    if repository == "generative-models":
        from sgm.util import instantiate_from_config
    else:
        from ldm.util import instantiate_from_config
    config = OmegaConf.load(webui / config_path)
    _repair(config)
    if repository == "generative-models":
        import sgm.modules.diffusionmodules.discretizer as discretizer

        _on_cpu(discretizer.LegacyDDPMDiscretization, "__init__")
        _on_cpu(discretizer.Discretization, "__call__")
    else:
        import ldm.models.diffusion.ddpm as ddpm

        _on_cpu(ddpm.DDPM, "register_schedule")
    with torch.device("meta"):
        model = instantiate_from_config(config.model)
    return {key: (_kind(value.dtype), list(value.shape)) for key, value in model.state_dict().items()}


def _on_cpu(cls: Any, name: str) -> None:
    """The noise schedule is computed through numpy, which meta tensors cannot reach: 1000 numbers on the CPU."""
    import functools

    import torch

    method = getattr(cls, name)
    if getattr(method, "on_cpu", False):
        return

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with torch.device("cpu"):
            return method(*args, **kwargs)

    wrapper.on_cpu = True  # type: ignore[attr-defined]
    setattr(cls, name, wrapper)


def _kind(dtype: Any) -> str:
    return "int" if not dtype.is_floating_point else "float"


def tool_layout(module_name: str, options: dict[str, str]) -> dict[str, tuple[str, list[int]]]:
    import importlib

    import torch

    sys.path.insert(0, str(TOOLS))
    checkpoint = importlib.import_module(module_name).checkpoint(**options)
    layout = {key: ("float", list(shape)) for key, shape in checkpoint.weights.items()}
    layout.update({key: (_kind(value.dtype), list(value.shape)) for key, value in checkpoint.fixed(torch).items()})
    return layout


def compare(webui: Path, family: str) -> dict[str, Any]:
    module_name, options, config_path, repository = FAMILIES[family]
    ours = tool_layout(module_name, options)
    reference = reference_layout(webui, config_path, repository)
    only_reference = sorted(set(reference) - set(ours))
    allowed = ALLOWED_REFERENCE_ONLY.get(family, set())
    return {
        "family": family,
        "config": config_path,
        "tool_tensors": len(ours),
        "reference_tensors": len(reference),
        "only_tool": sorted(set(ours) - set(reference)),
        "only_reference": [key for key in only_reference if key not in allowed],
        "only_reference_allowed": [key for key in only_reference if key in allowed],
        "different": {
            key: [ours[key], reference[key]]
            for key in sorted(set(ours) & set(reference))
            if ours[key] != reference[key]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webui", type=Path, required=True, help="an A1111 checkout with its repositories/")
    parser.add_argument("families", nargs="+", choices=sorted(FAMILIES))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    _without_downloads()
    failed = False
    for family in args.families:
        result = compare(args.webui.resolve(), family)
        failed |= bool(result["only_tool"] or result["only_reference"] or result["different"])
        print(json.dumps(result), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
