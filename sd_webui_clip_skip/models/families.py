"""When a Clip skip cannot change the image, or means something else than on SD1, per WebUI and model family.

Read from the hosts' text encoders (research notes host-webui-internals.md §1, §2, §10.2):
- A1111 1.10 reads it only in the SD1 encoder and, with `sdxl_clip_l_skip`, SDXL's CLIP-L, which
  has no final layer norm there, so 1 is its last raw layer and 2 the default (82a973c0 sd_hijack_clip.py:
  FrozenCLIPEmbedderWithCustomWords.encode_with_transformers, FrozenCLIPEmbedderForSDXLWithCustomWords).
- Forge takes hidden_states[-max(N, minimum)] (dfdcbab6 backend/text_processing/classic_engine.py:
  ClassicTextProcessingEngine.encode_with_transformers): SDXL and
  its refiner have minimum 2; SD2's encoder config has 23 of 24 layers, so 1 is already the penultimate
  one; SD3.5 has minimum 1 without layer norm; Flux uses only CLIP-L's pooled output, which ignores it.
- Forge Classic 1f95d717 encodes SDXL's CLIP-L and CLIP-G at a fixed layer_idx (modules_forge/forge_clip.py),
  so Clip skip does nothing on SDXL there.
- Forge Neo takes hidden_states[-max(N, minimum)] (21886f41 backend/text_processing/sd_engine.py): SD1 minimum 1
  with the final layer norm, SDXL's CLIP-L and CLIP-G minimum 2 (sdxl.py @0b824fed); Flux uses only CLIP-L's pooled
  output (flux.py); every other family has the no-op of base.py. Its global default is 2, which it writes as
  `Clip skip: 2` into every image's infotext, also where nothing reads it.
- reForge reads it only in its SD1, SD2 and SDXL encoders (3b56b268 modules_forge/forge_clip.py), with minimum 2
  for SD2, SDXL and the refiner (CLIP-G only).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..host import HostKind, ModelFamily
from ..rules.values import ALL_VALUES, MAXIMUM, parse_clip_skip

ALL = ALL_VALUES


@dataclass(frozen=True)
class Notice:
    host: HostKind
    family: ModelFamily
    values: range
    text: str
    sdxl_clip_l_skip: bool | None = None
    """None: whatever the setting; A1111 SDXL rows depend on it."""


_NO_EFFECT = "Clip skip has no effect on {family} models in {host}."
_NEO_WRITES = " A `Clip skip: 2` that Forge Neo writes on its own means nothing for such an image."
_ONE_IS_TWO = "{host} treats Clip skip 1 and 2 alike on {family}: both are the model's default; 3 and up skip further."

NOTICES: tuple[Notice, ...] = (
    Notice(HostKind.A1111, ModelFamily.SD2, ALL, _NO_EFFECT + " SD2 always uses its penultimate layer."),
    Notice(
        HostKind.A1111,
        ModelFamily.SDXL,
        ALL,
        _NO_EFFECT + " Turn on Settings › Stable Diffusion › Clip skip SDXL to apply it to CLIP-L.",
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
    Notice(HostKind.A1111, ModelFamily.SDXL_REFINER, ALL, _NO_EFFECT),
    Notice(HostKind.A1111, ModelFamily.SD3, ALL, _NO_EFFECT),
    Notice(
        HostKind.FORGE,
        ModelFamily.SD2,
        range(2, MAXIMUM + 1),
        "On SD2, Forge counts from the model's default penultimate layer: each value skips one layer more than on SD1.",
    ),
    Notice(HostKind.FORGE, ModelFamily.SDXL, range(1, 3), _ONE_IS_TWO),
    Notice(HostKind.FORGE, ModelFamily.SDXL_REFINER, range(1, 3), _ONE_IS_TWO),
    Notice(
        HostKind.FORGE,
        ModelFamily.SD3,
        range(1, 2),
        "On SD3, Forge's Clip skip 1 uses the last layer, not the model's default penultimate one; 2 is the default.",
    ),
    Notice(HostKind.FORGE, ModelFamily.FLUX, ALL, _NO_EFFECT + " Flux uses only CLIP-L's pooled output."),
    Notice(HostKind.REFORGE, ModelFamily.SD2, range(1, 3), _ONE_IS_TWO),
    Notice(HostKind.REFORGE, ModelFamily.SDXL, range(1, 3), _ONE_IS_TWO),
    Notice(HostKind.REFORGE, ModelFamily.SDXL_REFINER, range(1, 3), _ONE_IS_TWO),
    Notice(HostKind.REFORGE, ModelFamily.SD3, ALL, _NO_EFFECT),
    Notice(HostKind.REFORGE, ModelFamily.FLUX, ALL, _NO_EFFECT),
    Notice(HostKind.FORGE_CLASSIC, ModelFamily.SDXL, ALL, _NO_EFFECT + " It encodes SDXL at fixed layers."),
    Notice(HostKind.FORGE_NEO, ModelFamily.SDXL, range(1, 3), _ONE_IS_TWO),
    Notice(HostKind.FORGE_NEO, ModelFamily.FLUX, ALL, _NO_EFFECT + _NEO_WRITES),
    Notice(
        HostKind.FORGE_NEO,
        ModelFamily.UNKNOWN,
        ALL,
        "Clip skip has no effect on this model in Forge Neo (only its SD1, SDXL and Flux encoders read it)."
        + _NEO_WRITES,
    ),
)


def effect_notice(host: HostKind, family: ModelFamily, value: int, *, sdxl_clip_l_skip: bool = False) -> str | None:
    """A one-line notice when `value` cannot change the image or means something else than on SD1, else None.

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
            return notice.text.format(host=host.value, family=family.value)
    return None
