"""When a Clip skip cannot change the image, or means something else than on SD1, per WebUI and model family.

Read from the hosts' text encoders (research notes host-webui-internals.md §1, §2, §10.2):
- A1111 1.10 reads it only in the SD1 encoder and, with `sdxl_clip_l_skip`, SDXL's CLIP-L, which
  has no final layer norm there, so 1 is its last raw layer and 2 the default (82a973c0 sd_hijack_clip.py:
  FrozenCLIPEmbedderWithCustomWords.encode_with_transformers, FrozenCLIPEmbedderForSDXLWithCustomWords).
- Forge takes hidden_states[-max(N, minimum)] (dfdcbab6 backend/text_processing/classic_engine.py:
  ClassicTextProcessingEngine.encode_with_transformers): SDXL and
  its refiner have minimum 2; SD2's encoder config has 23 of 24 layers, so 1 is already the penultimate
  one; SD3.5 has minimum 1 without layer norm; Flux uses only CLIP-L's pooled output, which ignores it; Chroma's
  set_clip_skip does nothing (backend/diffusion_engine/chroma.py).
- ersatzForge fca12a2 has Forge's SD1, SD2, SDXL, refiner, SD3 and Flux encoders (backend/diffusion_engine/*.py);
  its Chroma, Cosmos, Wan, Lumina 2, Z-Image, Anima, ERNIE, Flux.2 and Krea 2 engines encode with T5 or an LLM at
  fixed layers (backend/text_processing/qwen_engine.py, gemma_engine.py, t5_engine.py read no Clip skip).
- Forge Classic 1f95d717 encodes SD2 at a fixed penultimate layer and SDXL's CLIP-L and CLIP-G at a fixed layer_idx
  (modules_forge/forge_clip.py), so Clip skip does nothing on SD2, SDXL or the refiner there.
- Forge Neo takes hidden_states[-max(N, minimum)] (21886f41 backend/text_processing/sd_engine.py): SD1 minimum 1
  with the final layer norm, SDXL's and the refiner's CLIP-L and CLIP-G minimum 2 (sdxl.py @0b824fed); Flux uses
  only CLIP-L's pooled output (flux.py @90e6e180); every other engine keeps base.py's no-op set_clip_skip (e2ee588e).
  Its global default is 2, written as `Clip skip: 2` into images also where nothing reads it (processing.py
  @2bec129a:create_infotext).
- reForge reads it only in its SD1, SD2 and SDXL encoders (3b56b268 modules_forge/forge_clip.py), with minimum 2
  for SD2, SDXL and the refiner (CLIP-G only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from ..host import HostKind, ModelFamily
from ..rules.values import ALL_VALUES, MAXIMUM, parse_clip_skip

ALL = ALL_VALUES


class Effect(Enum):
    """What a row says the values it covers do to the image, which the measured pixels are checked against."""

    NONE = "no effect"
    ONE_IS_TWO = "1 and 2 alike"
    DIFFERENT = "changes the image, meaning something else than on SD1"


@dataclass(frozen=True)
class Notice:
    host: HostKind
    family: ModelFamily
    values: range
    text: str
    sdxl_clip_l_skip: bool | None = None
    """None: whatever the setting; A1111 SDXL rows depend on it."""
    effect: Effect = Effect.DIFFERENT


_NO_EFFECT = "Clip skip has no effect on {family} models in {host}."
_INFOTEXT_MEANS_NOTHING = " A `Clip skip` in such an image's infotext, the extension's or the WebUI's, changed nothing."
_ONE_IS_TWO = "{host} treats Clip skip 1 and 2 alike on {family}: both are the model's default; 3 and up skip further."
_FORGE_SD2 = (
    "On SD2, {host} counts from the model's default penultimate layer: each value skips one layer more than on SD1."
)
_FORGE_SD3 = (
    "On SD3, {host}'s Clip skip 1 uses the last layer, not the model's default penultimate one; 2 is the default."
)
_FLUX = " Flux uses only CLIP-L's pooled output."


def _no_effect(host: HostKind, family: ModelFamily, detail: str = "", **kwargs: bool) -> Notice:
    return Notice(host, family, ALL, _NO_EFFECT + detail + _INFOTEXT_MEANS_NOTHING, effect=Effect.NONE, **kwargs)


def _one_is_two(host: HostKind, family: ModelFamily) -> Notice:
    return Notice(host, family, range(1, 3), _ONE_IS_TWO, effect=Effect.ONE_IS_TWO)


# Engines that encode with T5 or a language model at fixed layers (see the module's docstring).
_NO_CLIP_FAMILIES = {
    HostKind.FORGE: (ModelFamily.CHROMA,),
    HostKind.ERSATZ_FORGE: (
        ModelFamily.CHROMA,
        ModelFamily.COSMOS,
        ModelFamily.WAN,
        ModelFamily.LUMINA2,
        ModelFamily.Z_IMAGE,
        ModelFamily.ANIMA,
        ModelFamily.ERNIE_IMAGE,
        ModelFamily.FLUX2,
        ModelFamily.KREA2,
    ),
    HostKind.FORGE_NEO: (
        ModelFamily.CHROMA,
        ModelFamily.FLUX2,
        ModelFamily.Z_IMAGE,
        ModelFamily.LUMINA2,
        ModelFamily.QWEN_IMAGE,
        ModelFamily.WAN,
        ModelFamily.ANIMA,
        ModelFamily.ERNIE_IMAGE,
        ModelFamily.KREA2,
        ModelFamily.PID,
    ),
}

NOTICES: tuple[Notice, ...] = (
    _no_effect(HostKind.A1111, ModelFamily.SD2, " SD2 always uses its penultimate layer."),
    _no_effect(
        HostKind.A1111,
        ModelFamily.SDXL,
        " Turn on Settings › Stable Diffusion › Clip skip SDXL to apply it to CLIP-L.",
        sdxl_clip_l_skip=False,
    ),
    Notice(
        HostKind.A1111,
        ModelFamily.SDXL,
        range(1, 2),
        "On SDXL, Clip skip 1 uses CLIP-L's last layer, which is not the SDXL default; 2 is.",
        sdxl_clip_l_skip=True,
    ),
    Notice(
        HostKind.A1111,
        ModelFamily.SDXL,
        range(2, 3),
        "On SDXL, Clip skip 2 is the model's default: the same as with Clip skip SDXL off.",
        sdxl_clip_l_skip=True,
    ),
    Notice(
        HostKind.A1111,
        ModelFamily.SDXL,
        range(3, MAXIMUM + 1),
        "On SDXL, {host} applies Clip skip to CLIP-L only; CLIP-G keeps its default layer.",
        sdxl_clip_l_skip=True,
    ),
    _no_effect(HostKind.A1111, ModelFamily.SDXL_REFINER),
    _no_effect(HostKind.A1111, ModelFamily.SD3),
    Notice(HostKind.FORGE, ModelFamily.SD2, range(2, MAXIMUM + 1), _FORGE_SD2),
    _one_is_two(HostKind.FORGE, ModelFamily.SDXL),
    _one_is_two(HostKind.FORGE, ModelFamily.SDXL_REFINER),
    Notice(HostKind.FORGE, ModelFamily.SD3, range(1, 2), _FORGE_SD3),
    _no_effect(HostKind.FORGE, ModelFamily.FLUX, _FLUX),
    Notice(HostKind.ERSATZ_FORGE, ModelFamily.SD2, range(2, MAXIMUM + 1), _FORGE_SD2),
    _one_is_two(HostKind.ERSATZ_FORGE, ModelFamily.SDXL),
    _one_is_two(HostKind.ERSATZ_FORGE, ModelFamily.SDXL_REFINER),
    Notice(HostKind.ERSATZ_FORGE, ModelFamily.SD3, range(1, 2), _FORGE_SD3),
    _no_effect(HostKind.ERSATZ_FORGE, ModelFamily.FLUX, _FLUX),
    _one_is_two(HostKind.REFORGE, ModelFamily.SD2),
    _one_is_two(HostKind.REFORGE, ModelFamily.SDXL),
    _one_is_two(HostKind.REFORGE, ModelFamily.SDXL_REFINER),
    _no_effect(HostKind.REFORGE, ModelFamily.SD3),
    _no_effect(HostKind.REFORGE, ModelFamily.FLUX),
    _no_effect(HostKind.FORGE_CLASSIC, ModelFamily.SD2, " It encodes SD2 at its fixed penultimate layer."),
    _no_effect(HostKind.FORGE_CLASSIC, ModelFamily.SDXL, " It encodes SDXL at fixed layers."),
    _no_effect(HostKind.FORGE_CLASSIC, ModelFamily.SDXL_REFINER, " It encodes SDXL at fixed layers."),
    _one_is_two(HostKind.FORGE_NEO, ModelFamily.SDXL),
    _one_is_two(HostKind.FORGE_NEO, ModelFamily.SDXL_REFINER),
    _no_effect(HostKind.FORGE_NEO, ModelFamily.FLUX, _FLUX),
    *(_no_effect(host, family) for host, families in _NO_CLIP_FAMILIES.items() for family in families),
    Notice(
        HostKind.FORGE_NEO,
        ModelFamily.UNKNOWN,
        ALL,
        "Clip skip has no effect on this model in Forge Neo (only its SD1 and SDXL encoders read it)."
        + _INFOTEXT_MEANS_NOTHING,
        effect=Effect.NONE,
    ),
)


def find_notice(host: HostKind, family: ModelFamily, value: int, *, sdxl_clip_l_skip: bool = False) -> Notice | None:
    """The row for `value`, or None where it means what it does on SD1 (or only skips further than the default).

    Raises ClipSkipError when `value` is not a Clip skip.
    """
    value = parse_clip_skip(value)
    for notice in NOTICES:
        if (
            notice.host is host
            and notice.family is family
            and value in notice.values
            and notice.sdxl_clip_l_skip in (None, sdxl_clip_l_skip)
        ):
            return notice
    return None


def effect_notice(host: HostKind, family: ModelFamily, value: int, *, sdxl_clip_l_skip: bool = False) -> str | None:
    """A one-line notice when `value` cannot change the image or means something else than on SD1, else None.

    Raises ClipSkipError when `value` is not a Clip skip.
    """
    notice = find_notice(host, family, value, sdxl_clip_l_skip=sdxl_clip_l_skip)
    return notice.text.format(host=host.value, family=family.value) if notice else None


def predicted_groups(
    host: HostKind, family: ModelFamily, values: Sequence[int], *, sdxl_clip_l_skip: bool = False
) -> list[list[int]]:
    """Which of `values` the table says give identical images, in groups: all of them where it says "no effect",
    those it says are alike (1 and 2), and every other value on its own."""
    effects = {
        value: getattr(find_notice(host, family, value, sdxl_clip_l_skip=sdxl_clip_l_skip), "effect", None)
        for value in values
    }
    if all(effect is Effect.NONE for effect in effects.values()):
        return [list(values)]
    alike = [value for value, effect in effects.items() if effect is Effect.ONE_IS_TWO]
    groups = [[value] for value in values if value not in alike]
    return sorted([alike, *groups] if alike else groups)
