"""The built-in Lora extension's `networks` module (A1111 v1.10.1 @ 82a973c0 extensions-builtin/Lora/networks.py;
Forge dfdcbab6 extensions-builtin/sd_forge_lora/networks.py:available_networks alike), importable as `networks`
because the host puts the extension's folder on sys.path while loading its script (modules/scripts.py:load_scripts)."""

from __future__ import annotations

import os
import types
from pathlib import Path

from .models import read_metadata_from_safetensors, write_safetensors


class NetworkOnDisk:
    """network.py:NetworkOnDisk.__init__: an unreadable header is reported and leaves the metadata empty."""

    def __init__(self, name, filename):
        self.name = name
        self.filename = filename
        self.metadata = {}
        if os.path.splitext(filename)[1].lower() == ".safetensors":
            try:
                self.metadata = read_metadata_from_safetensors(filename)
            except Exception:  # errors.display(e, f"reading lora {filename}")
                self.metadata = {}
        self.alias = self.metadata.get("ss_output_name", self.name)


def make_module(lora_dir):
    module = types.ModuleType("networks")
    module.lora_dir = Path(lora_dir)
    module.available_networks = {}  # networks.py:available_networks
    module.available_network_aliases = {}
    module.forbidden_network_aliases = {}

    def list_available_networks():
        """networks.py:list_available_networks and process_network_files: every file by its name, and by
        its alias unless two share it."""
        module.available_networks.clear()
        module.available_network_aliases.clear()
        module.forbidden_network_aliases.clear()
        module.forbidden_network_aliases.update({"none": 1, "Addams": 1})
        for filename in sorted(module.lora_dir.rglob("*")):
            if filename.suffix not in (".pt", ".ckpt", ".safetensors"):
                continue
            entry = NetworkOnDisk(filename.stem, str(filename))
            module.available_networks[entry.name] = entry
            if entry.alias in module.available_network_aliases:
                module.forbidden_network_aliases[entry.alias.lower()] = 1
            module.available_network_aliases[entry.name] = entry
            module.available_network_aliases[entry.alias] = entry

    def add(name, metadata=None, raw=None):
        """A test's LoRA file: a safetensors file with `metadata`, or `raw` bytes."""
        path = module.lora_dir / f"{name}.safetensors"
        if raw is None:
            write_safetensors(path, metadata)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw)
        list_available_networks()
        return path

    def lookup(name):
        """networks.py:load_networks: how a prompt's `<lora:name:...>` finds its file."""
        if name.lower() in module.forbidden_network_aliases:
            return module.available_networks.get(name)
        return module.available_network_aliases.get(name)

    module.list_available_networks = list_available_networks
    module.add = add
    module.lookup = lookup
    return module
