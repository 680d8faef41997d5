"""Finds out which WebUI the extension runs in and returns its adapter."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from ..host import Host


@dataclass(frozen=True)
class UnsupportedHost:
    name: str
    reason: str


def _has_module(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ImportError:  # the parent package is missing
        return False


def detect_host() -> Host | UnsupportedHost:
    if _has_module("modules.processing_class"):
        return UnsupportedHost(
            "SD.Next",
            "SD.Next already makes Clip skip a per-generation parameter (Advanced › CLIP skip)",
        )
    from .webui import A1111Host

    # Forge and reForge keep A1111's script, settings and override machinery.
    if _has_module("modules_forge.main_entry"):
        return A1111Host("Forge")
    return A1111Host("reForge" if _has_module("modules_forge") else "AUTOMATIC1111")
