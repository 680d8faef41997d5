"""The LoRAs a prompt uses, and a hint when one was trained at another Clip skip than the image uses."""

from __future__ import annotations

import re

# The host's extra-network syntax (A1111 82a973c0 extra_networks.py:parse_prompt): `<kind:args>`, args split
# on ":"; "lyco" is an alias of "lora" (extensions-builtin/Lora/scripts/lora_script.py:before_ui).
_EXTRA_NETWORK = re.compile(r"<(\w+):([^>]+)>")
_LORA_KINDS = ("lora", "lyco")


def lora_names(prompt: str) -> list[str]:
    """Names in `<lora:name:...>` and `<lyco:name:...>`, once each, in prompt order."""
    names: dict[str, None] = {}
    for kind, args in _EXTRA_NETWORK.findall(prompt):
        if kind not in _LORA_KINDS:
            continue
        # The name is the first positional item: items with one "=" are named (te=, unet=, dyn=),
        # as in ExtraNetworkParams.__init__ (extra_networks.py), read by ExtraNetworkLora.activate.
        name = next((item for item in args.split(":") if len(item.split("=", 2)) != 2), "").strip()
        if name:
            names[name] = None
    return list(names)


def lora_hint(name: str, trained_at: int, used: int) -> str | None:
    if trained_at == used:
        return None
    return f"LoRA {name} was trained at clip skip {trained_at}; this image uses {used}"
