"""Checkpoints and the loaded model: `modules/sd_models.py`, `modules/hashes.py` and the model classes
(A1111 v1.10.1 @ 82a973c0; Forge @ dfdcbab6). Checkpoint files are real, tiny .safetensors files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from .profiles import EngineClipSkip


def write_safetensors(path, metadata=None, payload=b"\0\0\0\0"):
    """The safetensors layout: 8-byte little-endian header length, JSON header (with
    `__metadata__`, a map of strings), then the tensor bytes."""
    header = {"weight": {"dtype": "U8", "shape": [len(payload)], "data_offsets": [0, len(payload)]}}
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + payload)


def read_metadata_from_safetensors(filename):
    """sd_models.py:read_metadata_from_safetensors, reduced: the header's `__metadata__`; raises on a broken file."""
    with open(filename, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        return json.loads(file.read(length)).get("__metadata__", {})


@dataclass
class Checkpoint:
    """What a test puts into models/Stable-diffusion; `family` is what loading it would detect."""

    name: str
    family: str = "SD1"
    metadata: dict | None = None
    hashed: bool = True
    """Whether cache.json already holds its sha256 (hashed once, e.g. at an earlier load)."""


class CheckpointInfo:
    """sd_models.py:CheckpointInfo: names, the sha256 from cache.json only, the ids it is found by."""

    def __init__(self, models, filename, family):
        self.models = models
        self.filename = filename
        self.family = family  # the fake's stand-in for what sd_models.py:set_model_type detects
        name = os.path.relpath(filename, models.model_path)
        self.name = name
        self.name_for_extra = os.path.splitext(os.path.basename(filename))[0]
        self.model_name = os.path.splitext(name.replace("/", "_").replace("\\", "_"))[0]
        self.hash = model_hash(filename)
        self.sha256 = models.sha256_from_cache(filename, f"checkpoint/{name}")
        self.shorthash = self.sha256[0:10] if self.sha256 else None
        self.title = name if self.shorthash is None else f"{name} [{self.shorthash}]"
        self.ids = [self.hash, self.model_name, self.title, name, self.name_for_extra, f"{name} [{self.hash}]"]
        if self.shorthash:
            self.ids += [self.shorthash, self.sha256, f"{name} [{self.shorthash}]"]

    def register(self):
        self.models.checkpoints_list[self.title] = self
        for id_ in self.ids:
            self.models.checkpoint_aliases[id_] = self

    def calculate_shorthash(self):
        """sd_models.py:CheckpointInfo.calculate_shorthash: hashes.sha256 is None with --no-hashing; a new hash
        re-registers under the new title."""
        self.sha256 = self.models.sha256(self.filename, f"checkpoint/{self.name}")
        if self.sha256 is None:
            return None
        if self.shorthash == self.sha256[0:10]:
            return self.shorthash
        self.shorthash = self.sha256[0:10]
        self.ids += [self.shorthash, self.sha256, f"{self.name} [{self.shorthash}]"]
        old_title, self.title = self.title, f"{self.name} [{self.shorthash}]"
        # sd_models.py:replace_key: same place in the list, so select_checkpoint's fallback stays the same
        listed = self.models.checkpoints_list
        items = [(self.title, self) if key == old_title else (key, value) for key, value in listed.items()]
        listed.clear()
        listed.update(items)
        self.register()
        return self.shorthash


def model_hash(filename):
    """sd_models.py:model_hash: the old hash of 64 KiB at 1 MiB (the same for every tiny file)."""
    with open(filename, "rb") as file:
        file.seek(0x100000)
        return hashlib.sha256(file.read(0x10000)).hexdigest()[0:8]


# The classes and flags a loaded model has. A1111: sd_models.py:set_model_type, and the hijack that wraps
# SDXL's text encoders for as long as the model is loaded (sd_hijack.py:StableDiffusionModelHijack.hijack, called
# from sd_models.py:load_model and reload_model_weights), keeping the original as `.wrapped`
# (sd_hijack_clip.py:FrozenCLIPEmbedderWithCustomWordsBase.__init__).
class Row(NamedTuple):
    engine: str
    flag: str | None
    embedders: list | None = None
    """SDXL's conditioner: class names, or (wrapper, wrapped) pairs."""
    encoder: tuple[str, str] | None = None
    """cond_stage_model as (wrapper, wrapped)."""


_SDXL_TIMESTEPS = ["ConcatTimestepEmbedderND"] * 3
A1111_MODELS = {
    "SD1": Row("LatentDiffusion", "is_sd1", encoder=("FrozenCLIPEmbedderWithCustomWords", "FrozenCLIPEmbedder")),
    "SD2": Row(
        "LatentDiffusion", "is_sd2", encoder=("FrozenOpenCLIPEmbedderWithCustomWords", "FrozenOpenCLIPEmbedder")
    ),
    "SDXL": Row(
        "DiffusionEngine",
        "is_sdxl",
        [
            ("FrozenCLIPEmbedderForSDXLWithCustomWords", "FrozenCLIPEmbedder"),
            ("FrozenOpenCLIPEmbedder2WithCustomWords", "FrozenOpenCLIPEmbedder2"),
            *_SDXL_TIMESTEPS,
        ],
    ),
    # sd_xl_refiner.yaml:40-70: CLIP-G only
    "SDXL refiner": Row(
        "DiffusionEngine",
        "is_sdxl",
        [("FrozenOpenCLIPEmbedder2WithCustomWords", "FrozenOpenCLIPEmbedder2"), *_SDXL_TIMESTEPS],
    ),
    "SD3": Row("SD3Inferencer", "is_sd3"),  # modules/models/sd3/sd3_model.py:SD3Inferencer
}
# reForge 3b56b268 and Classic 1f95d717 (modules_forge/forge_loader.py:load_model_for_a1111) wrap SD2's encoder in
# forge_clip.CLIP_SD_21_H before they set the flags, and `is_sd2 = ... hasattr(sd_model.cond_stage_model, "model")`
# is then false: an SD2 model says is_sd1.
_FORGE_LOADER_SD2 = Row("LatentDiffusion", "is_sd1", encoder=("CLIP_SD_21_H", "FrozenOpenCLIPEmbedder"))
REFORGE_MODELS = {**A1111_MODELS, "SD2": _FORGE_LOADER_SD2}
# Forge: one engine class per family (backend/diffusion_engine/*.py);
# base.py:ForgeDiffusionEngine.fix_for_webui_backward_compatibility clears the flags, then the __init__ of
# sd15.py:StableDiffusion, sd20.py:StableDiffusion2, sdxl.py:StableDiffusionXL/StableDiffusionXLRefiner and
# sd35.py:StableDiffusion3 set their own; Flux and Chroma set none.
FORGE_MODELS = {
    "SD1": Row("StableDiffusion", "is_sd1"),
    "SD2": Row("StableDiffusion2", "is_sd2"),
    "SDXL": Row("StableDiffusionXL", "is_sdxl"),
    "SDXL refiner": Row("StableDiffusionXLRefiner", "is_sdxl"),
    "SD3": Row("StableDiffusion3", "is_sd3"),
    "Flux": Row("Flux", None),
    "Chroma": Row("Chroma", None),
}
# ersatzForge fca12a2: Forge's engines and more (backend/loader.py); its Zimage and ERNIE are spelled so.
ERSATZ_FORGE_MODELS = {
    **FORGE_MODELS,
    **{
        family: Row(engine, None)
        for family, engine in [
            ("Chroma", "ChromaDCT"),
            ("Cosmos Predict2", "Cosmos"),
            ("Wan", "Wan"),
            ("Lumina 2", "Lumina2"),
            ("Z-Image", "Zimage"),
            ("Anima", "Anima"),
            ("ERNIE-Image", "ERNIE"),
            ("Flux.2 Klein", "Flux2"),
            ("Krea 2", "Krea2"),
        ]
    },
}
# Forge Neo (backend/loader.py @0a4d9229): no SD2 and no SD3; Mugen is an SDXL engine with is_sdxl.
NEO_MODELS = {
    **{family: FORGE_MODELS[family] for family in ("SD1", "SDXL", "SDXL refiner", "Flux", "Chroma")},
    "Mugen": Row("Mugen", "is_sdxl"),
    **{
        family: Row(engine, None)
        for family, engine in [
            ("Flux.2 Klein", "Flux2"),
            ("Z-Image", "ZImage"),
            ("Lumina 2", "Lumina2"),
            ("Qwen-Image", "QwenImage"),
            ("Wan", "Wan"),
            ("Anima", "Anima"),
            ("ERNIE-Image", "ErnieImage"),
            ("Krea 2", "Krea2"),
            ("a new family", "SomethingNew"),
        ]
    },
}
# Classic 1f95d717: the ldm/sgm objects of A1111 (modules_forge/forge_loader.py:load_model_for_a1111), no SD3.
CLASSIC_MODELS = {family: row for family, row in REFORGE_MODELS.items() if family != "SD3"}
MODEL_TABLES = {
    "a1111": A1111_MODELS,
    "reforge": REFORGE_MODELS,
    "forge": FORGE_MODELS,
    "classic": CLASSIC_MODELS,
    "ersatzforge": ERSATZ_FORGE_MODELS,
    "neo": NEO_MODELS,
}
FLAGS = ("is_sd1", "is_sd2", "is_sdxl", "is_ssd", "is_sd3")


def _instance(class_name, **attributes):
    return type(class_name, (SimpleNamespace,), {})(**attributes)


class Engine(SimpleNamespace):
    """What every loaded model has: get_learned_conditioning(texts), which prompt_parser and other extensions call
    (A1111 82a973c0 ldm LatentDiffusion, sd_models_xl.py:get_learned_conditioning; Forge dfdcbab6
    backend/diffusion_engine/*.py)."""

    def get_learned_conditioning(self, texts):
        return self.encode_texts(texts)


def make_engine(class_name, encode, tell_clip_skip=None, **attributes):
    """A model of class `class_name`; Forge-family engines can be told their Clip skip (base.py:set_clip_skip)."""
    model = type(class_name, (Engine,), {})(encode_texts=encode, **attributes)
    if tell_clip_skip is not None:
        model.set_clip_skip = tell_clip_skip
    return model


def _wrapped(wrapper, wrapped):
    return _instance(wrapper, wrapped=_instance(wrapped))


def make_model(profile, info, encode, tell_clip_skip=None):
    table = MODEL_TABLES[profile.models]
    if info.family not in table:
        raise RuntimeError(f"{profile.name} cannot load a {info.family} model")
    row = table[info.family]
    model = make_engine(row.engine, encode, tell_clip_skip, **{name: name == row.flag for name in FLAGS})
    if row.embedders is not None:
        model.conditioner = _instance(
            "GeneralConditioner",
            embedders=[_instance(e) if isinstance(e, str) else _wrapped(*e) for e in row.embedders],
        )
    if row.encoder is not None:
        model.cond_stage_model = _wrapped(*row.encoder)
    model.sd_checkpoint_info = info  # sd_models.py:load_model_weights
    model.sd_model_checkpoint = info.filename
    return model


class FakeInitialModel:
    """sd_models.py:FakeInitialModel (Forge Neo 3df257ae): what `model_data.sd_model` holds until the first
    generation loads a checkpoint (forge_model_reload); no flags and no sd_checkpoint_info."""

    def __init__(self):
        self.cond_stage_model = None
        self.chunk_length = 75


class ModelData:
    """sd_models.py:SdModelData: `model_data.sd_model` is the loaded model or None, while
    `shared.sd_model` loads one and waits for a load in progress (shared_items.py:Shared.sd_model)."""

    def __init__(self, models):
        self.models = models

    @property
    def sd_model(self):
        return self.models.sd_model


@dataclass
class SdModels:
    """The module's state and functions, over checkpoint files in `<data>/models/Stable-diffusion`."""

    webui: object
    model_path: str
    checkpoints_list: dict = field(default_factory=dict)
    checkpoint_aliases: dict = field(default_factory=dict)
    hash_cache: dict = field(default_factory=dict)  # cache.json's "hashes" (hashes.py:sha256_from_cache, sha256)
    sd_model: object = None

    def add(self, checkpoint: Checkpoint):
        path = os.path.join(self.model_path, checkpoint.name + ".safetensors")
        write_safetensors(Path(path), checkpoint.metadata, payload=checkpoint.name.encode())
        if checkpoint.hashed:
            self.hash_cache[f"checkpoint/{checkpoint.name}.safetensors"] = {
                "mtime": os.path.getmtime(path),
                "sha256": _file_sha256(path),
            }
        CheckpointInfo(self, path, checkpoint.family).register()  # sd_models.py:list_models

    def sha256_from_cache(self, filename, title):
        entry = self.hash_cache.get(title)
        if entry is None or os.path.getmtime(filename) > entry["mtime"]:
            return None
        return entry["sha256"]

    def sha256(self, filename, title):
        cached = self.sha256_from_cache(filename, title)
        if cached is not None:
            return cached
        opts = self.webui.opts
        # ersatzForge fca12a2 hashes.py:sha256 also needs its setting use_real_SHA256 on; other hosts have none.
        if opts.cmd_opts.no_hashing or getattr(opts, "use_real_SHA256", True) is False:
            return None
        self.hash_cache[title] = {"mtime": os.path.getmtime(filename), "sha256": _file_sha256(filename)}
        return self.hash_cache[title]["sha256"]

    def get_closet_checkpoint_match(self, search_string):
        """sd_models.py:get_closet_checkpoint_match: an exact id, else the shortest title containing it, with or
        without a [hash]."""
        if not search_string:
            return None
        info = self.checkpoint_aliases.get(search_string)
        if info is not None:
            return info
        for text in (search_string, re.sub(r"\s*\[[^]]+]\s*$", "", search_string)):
            found = sorted((i for i in self.checkpoints_list.values() if text in i.title), key=lambda i: len(i.title))
            if found:
                return found[0]
        return None

    def select_checkpoint(self):
        """sd_models.py:select_checkpoint: the selected checkpoint by exact id, else the first one listed."""
        info = self.checkpoint_aliases.get(self.webui.opts.sd_model_checkpoint)
        if info is not None:
            return info
        if not self.checkpoints_list:
            raise FileNotFoundError("No checkpoints found.")
        return next(iter(self.checkpoints_list.values()))

    def reload_model_weights(self):
        """sd_models.py:reload_model_weights and load_model_weights: hashes it and makes it the selected one (Forge Neo
        3df257ae sd_models.py:forge_model_reload hashes it only)."""
        info = self.select_checkpoint()
        if getattr(self.sd_model, "sd_checkpoint_info", None) is info:
            return self.sd_model
        info.calculate_shorthash()
        webui = self.webui
        if not webui.profile.loads_at_first_job:  # Neo's forge_model_reload leaves the selection as it is
            webui.opts.data["sd_model_checkpoint"] = info.title
        engine = webui.profile.engine_clip_skip is not EngineClipSkip.AT_ENCODE
        tell = (lambda n: setattr(webui, "engine_clip_skip", int(n))) if engine else None
        self.sd_model = make_model(webui.profile, info, webui.encode, tell)
        self.webui.shared.sd_model = self.sd_model
        return self.sd_model

    def hold_placeholder(self):
        """Forge Neo at start: a placeholder instead of a loaded model (profiles.HostProfile.loads_at_first_job), and
        the first checkpoint's name as the selection if there is none (modules_forge/main_entry.py:
        make_checkpoint_manager_ui)."""
        self.sd_model = self.webui.shared.sd_model = FakeInitialModel()
        opts = self.webui.opts
        if opts.data.get("sd_model_checkpoint") in (None, "None", "none", ""):
            opts.set("sd_model_checkpoint", next(iter(self.checkpoints_list.values())).name)

    def module_attributes(self):
        return {
            "model_data": ModelData(self),
            "checkpoints_list": self.checkpoints_list,
            "checkpoint_aliases": self.checkpoint_aliases,
            "get_closet_checkpoint_match": self.get_closet_checkpoint_match,
            "select_checkpoint": self.select_checkpoint,
            "reload_model_weights": self.reload_model_weights,
            "CheckpointInfo": CheckpointInfo,
        }


def _file_sha256(filename):
    with open(filename, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()
