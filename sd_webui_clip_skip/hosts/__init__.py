"""Finds out which WebUI the extension runs in and returns its adapter."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from ..host import Host, HostKind


@dataclass(frozen=True)
class UnsupportedHost:
    name: str
    reason: str


@dataclass(frozen=True)
class Identified:
    kind: HostKind
    assumed: str | None = None
    """Said once in the console when the host was not recognised and A1111's behaviour is assumed."""


def identify(*, forge_version: str | None, has_modules_forge: bool, has_forge_main_entry: bool) -> Identified:
    """The host by what it is. Every Forge derivative keeps `modules_forge/forge_version.py`: lllyasviel
    Forge dfdcbab6 "2.0.1v1.10.1" (older "f0.0.x…"), reForge 3b56b268 "1.0.0v2-v1.10.1RC", Forge Classic
    1f95d717 "classic", Forge Neo 991be0ed "neo", ersatzForge fca12a2 "f2.ersatz"; only Forge and ersatzForge
    have `modules_forge/main_entry.py`. AUTOMATIC1111 1.6–1.10 and lshqqytiger's AMD fork have no
    `modules_forge` at all."""
    version = (forge_version or "").strip().lower()
    if version == "classic":
        return Identified(HostKind.FORGE_CLASSIC)
    if version == "neo":
        return Identified(HostKind.FORGE_NEO)
    if "ersatz" in version:
        return Identified(HostKind.ERSATZ_FORGE)
    if version.startswith("1.0.0v2") or (has_modules_forge and not has_forge_main_entry and "v1.10" in version):
        return Identified(HostKind.REFORGE)
    if has_forge_main_entry and (version.startswith(("2.", "f0.", "f2.")) or not version):
        return Identified(HostKind.FORGE)
    if not has_modules_forge:
        return Identified(HostKind.A1111)
    guess = HostKind.FORGE if has_forge_main_entry else HostKind.REFORGE
    return Identified(guess, f"unknown Forge version {forge_version!r}: assuming it behaves as {guess.value}")


def _has_module(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ImportError:  # the parent package is missing
        return False


def _forge_version() -> str | None:
    try:
        version = getattr(import_module("modules_forge.forge_version"), "version", None)
    except Exception:  # an absent or broken module says nothing about the host
        return None
    return version if isinstance(version, str) else None


def detect_host() -> Host | UnsupportedHost:
    if _has_module("modules.processing_class"):
        return UnsupportedHost(
            "SD.Next",
            "SD.Next already makes Clip skip a per-generation parameter (Advanced › CLIP skip)",
        )
    from .. import logger
    from .webui import A1111Host

    has_modules_forge = _has_module("modules_forge")
    identified = identify(
        forge_version=_forge_version() if has_modules_forge else None,
        has_modules_forge=has_modules_forge,
        has_forge_main_entry=has_modules_forge and _has_module("modules_forge.main_entry"),
    )
    if identified.assumed:
        logger.warning("%s.", identified.assumed)
    # Every one of them keeps A1111's script, settings and override machinery.
    return A1111Host(identified.kind.value)
