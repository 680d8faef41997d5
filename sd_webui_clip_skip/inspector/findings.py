"""Which Clip skip an image records, whichever tool made it, in this WebUI's numbering (1 = all layers,
2 = the penultimate one), with where it was found and how that tool numbers it.

Each reader follows what the tool's own code writes (facts with file and commit in each docstring);
a reader that does not recognise its tool's metadata returns None, so the next one is tried.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..rules.infotext import SDNEXT_KEY, dynamic_schedule, parameters, recorded_exact, recorded_value
from ..rules.schedule import SCHEDULE_INFOTEXT_KEY
from ..rules.values import (
    BLEND_INFOTEXT_KEY,
    DEFAULT,
    MAXIMUM,
    MINIMUM,
    ClipSkipError,
    parse_clip_skip,
    parse_clip_skip_blend,
    whole_clip_skip,
)
from .images import ImageMetadata

SAME_NUMBERING = "counts as this WebUI does"


class DamagedMetadata(ValueError):
    """A tool's metadata that is there but cannot be read (bad JSON, absurd values); the reason says which."""


@dataclass(frozen=True)
class Finding:
    value: int
    """In this WebUI's numbering."""
    tool: str
    key: str
    """Where the value was found, in the tool's terms ("Clip skip", "CLIPSetLastLayer node 10", ...)."""
    own: object
    """The tool's own number as it recorded it; None when nothing was recorded and this is a default."""
    convention: str
    """How the tool numbers it, relative to this WebUI."""
    note: str = ""

    @property
    def recorded(self) -> bool:
        return self.own is not None

    def text(self) -> str:
        """The inspector's line, e.g. "Clip skip 2 (ComfyUI CLIPSetLastLayer -2 ...)"."""
        if self.tool == "A1111" and self.key == "Clip skip":
            where = "recorded" if self.recorded else f"not recorded; the WebUI reads {DEFAULT}"
        elif self.recorded:
            where = f"{self.tool} {self.key} {self.own}: {self.convention}"
        else:
            where = f"{self.tool}, {self.key}: {self.convention}"
        return f"Clip skip {self.value} ({where})" + (f"; {self.note}" if self.note else "")

    def as_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "tool": self.tool,
            "key": self.key,
            "own": self.own,
            "recorded": self.recorded,
            "convention": self.convention,
            "note": self.note or None,
        }


def image_findings(metadata: ImageMetadata) -> list[Finding]:
    """Every Clip skip the image records; [] when it has no generation parameters at all.

    Raises DamagedMetadata for a tool's metadata that cannot be read."""
    for reader in _READERS:
        found = reader(metadata)
        if found is not None:
            return found
    return []


# -- the WebUIs -----------------------------------------------------------------------------------


def _webui(metadata: ImageMetadata) -> list[Finding] | None:
    """A1111, Forge, reForge and SD.Next infotext (rules/infotext.py knows their keys)."""
    if metadata.infotext is None or _json_object(metadata.infotext) is not None:
        return None
    params = parameters(metadata.infotext)
    recorded = recorded_value(params)
    if recorded is None:
        return [Finding(DEFAULT, "A1111", "Clip skip", None, SAME_NUMBERING)]
    try:
        exact = parse_clip_skip_blend(recorded.text, source=f"The recorded '{recorded.key}'")
    except ClipSkipError as error:
        raise DamagedMetadata(str(error)) from None
    value = whole_clip_skip(exact)
    tool = "SD.Next" if recorded.key == SDNEXT_KEY else "A1111" if recorded.key == "Clip skip" else "reForge"
    schedule = dynamic_schedule(params)
    note = f"reForge's dynamic clip skip changed it over the steps ({schedule})" if schedule else ""
    beside = recorded_exact(params)
    if beside is not None and beside.key in (BLEND_INFOTEXT_KEY, SCHEDULE_INFOTEXT_KEY):
        note = f"exactly {beside.text} ({beside.key}); {value} is the nearest whole value"
    elif not isinstance(exact, int):
        note = f"a blend of layers {int(exact)} and {int(exact) + 1}; {value} is the nearest whole value"
    return [Finding(value, tool, recorded.key, recorded.text, SAME_NUMBERING, note)]


def _novelai(metadata: ImageMetadata) -> list[Finding] | None:
    """NovelAI records no Clip skip; A1111 reads its images as 2 (82a973c0 images.py:read_info_from_image
    builds the parameters with "Clip skip: 2" when Software is "NovelAI")."""
    if metadata.texts.get("Software") != "NovelAI":
        return None
    return [Finding(2, "NovelAI", "no clip skip recorded", None, "the WebUI reads NovelAI images as 2")]


# -- ComfyUI ---------------------------------------------------------------------------------------

# comfyanonymous/ComfyUI e60e19b1 nodes.py: SaveImage.save_images writes the API graph as the PNG text
# "prompt" and the UI graph as "workflow"; CLIPSetLastLayer's stop_at_clip_layer runs from -24 to -1
# (default -1), and -N is this WebUI's N on SD1 (comfy/sd1_clip.py SDClipModel.set_clip_options).
_COMFY_SET_LAST_LAYER = "CLIPSetLastLayer"
_COMFY_CONVENTION = "ComfyUI's -N is N here"
_COMFY_DEFAULT = "ComfyUI's default, the last layer (1) on SD1 and the penultimate (2) on SDXL and SD2"
_COMFY_BYPASSED_MODES = (2, 4)  # muted, bypassed: not run (litegraph LGraphNode.mode)


@dataclass(frozen=True)
class _ComfyNode:
    kind: str
    clip_source: str | None
    """The id of the node the `clip` input comes from."""
    layer: object = None
    """CLIPSetLastLayer's stop_at_clip_layer."""
    active: bool = True


def _comfyui(metadata: ImageMetadata) -> list[Finding] | None:
    texts = metadata.texts
    if "prompt" not in texts and "workflow" not in texts:
        return None
    nodes, where = None, ""
    problems = []
    for key, parse in (("prompt", _comfy_prompt_nodes), ("workflow", _comfy_workflow_nodes)):
        if key not in texts:
            continue
        document = _json_object(texts[key])
        if document is None:
            problems.append(f"ComfyUI {key} is not a JSON object")
            continue
        nodes, where = parse(document), key
        if nodes is not None:
            break
        problems.append(f"ComfyUI {key} has no nodes")
    if nodes is None:
        raise DamagedMetadata("; ".join(problems))
    return _comfy_findings(nodes, where)


def _comfy_prompt_nodes(document: Mapping[str, Any]) -> dict[str, _ComfyNode] | None:
    """The API graph: {"6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["10", 0], ...}}}."""
    nodes = {}
    for node_id, node in document.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            continue
        inputs = _as_dict(node.get("inputs"))
        link = inputs.get("clip")
        source = str(link[0]) if isinstance(link, list) and link and isinstance(link[0], str | int) else None
        nodes[str(node_id)] = _ComfyNode(node["class_type"], source, inputs.get("stop_at_clip_layer"))
    return nodes or None


def _comfy_workflow_nodes(document: Mapping[str, Any]) -> dict[str, _ComfyNode] | None:
    """The UI graph: nodes with inputs [{"name", "link"}] and widgets_values, links as
    [link_id, origin_id, origin_slot, target_id, target_slot, type] (litegraph LLink.serialize)."""
    if not isinstance(document.get("nodes"), list):
        return None
    origins = {}
    for link in _as_list(document.get("links")):
        if isinstance(link, list) and len(link) >= 2:
            origins[link[0]] = str(link[1])
    nodes = {}
    for node in document["nodes"]:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str) or "id" not in node:
            continue
        inputs = _as_list(node.get("inputs"))
        clip = next((i for i in inputs if isinstance(i, dict) and i.get("name") == "clip"), None)
        widgets = _as_list(node.get("widgets_values"))
        nodes[str(node["id"])] = _ComfyNode(
            node["type"],
            origins.get(clip.get("link")) if clip else None,
            widgets[0] if widgets and node["type"] == _COMFY_SET_LAST_LAYER else None,
            node.get("mode") not in _COMFY_BYPASSED_MODES,
        )
    return nodes or None


def _comfy_findings(nodes: Mapping[str, _ComfyNode], graph: str) -> list[Finding]:
    """One finding per distinct CLIP path into the text encoders, naming the encoders it feeds."""
    paths: dict[tuple[str | None, object], list[str]] = {}
    for node_id, node in sorted(nodes.items(), key=lambda item: _number_first(item[0])):
        if "TextEncode" in node.kind and node.active and node.clip_source is not None:
            paths.setdefault(_comfy_layer_before(nodes, node.clip_source), []).append(node_id)
    findings = []
    for (setter, layer), encoders in paths.items():
        where_found = (
            f"before text encoder node{'s' if len(encoders) > 1 else ''} {', '.join(encoders)} ({graph} graph)"
        )
        if setter is None:
            key = f"no {_COMFY_SET_LAST_LAYER}"
            findings.append(Finding(DEFAULT, "ComfyUI", key, None, _COMFY_DEFAULT, where_found))
            continue
        if type(layer) is not int or not -MAXIMUM <= layer <= -MINIMUM:
            raise DamagedMetadata(f"ComfyUI {_COMFY_SET_LAST_LAYER} node {setter} has {layer!r}, not -1 to -12")
        note = f"node {setter}, {where_found}"
        findings.append(Finding(-layer, "ComfyUI", _COMFY_SET_LAST_LAYER, layer, _COMFY_CONVENTION, note))
    return findings


def _comfy_layer_before(nodes: Mapping[str, _ComfyNode], source: str | None) -> tuple[str | None, object]:
    """The nearest active CLIPSetLastLayer up the `clip` links (the last one applied wins), and its value."""
    seen = set()
    while source is not None and source not in seen and source in nodes:
        seen.add(source)
        node = nodes[source]
        if node.kind == _COMFY_SET_LAST_LAYER and node.active:
            return source, node.layer
        source = node.clip_source  # LoraLoader and the like pass the CLIP on; a loader has none
    return None, None


def _number_first(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() else (1 << 62, node_id)


# -- InvokeAI, Fooocus, Draw Things ------------------------------------------------------------------


def _invokeai(metadata: ImageMetadata) -> list[Finding] | None:
    """invoke-ai/InvokeAI 8e71a8a5 image_files_disk.py writes the PNG text "invokeai_metadata" (CoreMetadata,
    invocations/metadata.py); clip_skip counts the layers skipped (model_patcher.py apply_clip_skip), so
    0 is this WebUI's 1. Its SDXL graphs never apply it (buildSDXLGraph.ts; issue #4618)."""
    raw = metadata.texts.get("invokeai_metadata")
    if raw is None:
        return None
    document = _json_object(raw)
    if document is None:
        raise DamagedMetadata("InvokeAI invokeai_metadata is not a JSON object")
    model = _as_dict(document.get("model"))
    base = model.get("base", model.get("base_model"))
    sdxl = base in ("sdxl", "sdxl-refiner") or str(document.get("generation_mode", "")).startswith("sdxl")
    note = "InvokeAI does not apply clip skip to SDXL: the image used the SDXL default (the penultimate layer)"
    if "clip_skip" not in document:
        return [Finding(DEFAULT, "InvokeAI", "no clip_skip recorded", None, "InvokeAI then skips none")]
    skipped = document["clip_skip"]
    if type(skipped) is not int or not 0 <= skipped <= MAXIMUM - 1:
        raise DamagedMetadata(f"InvokeAI clip_skip {skipped!r} is not 0 to {MAXIMUM - 1} skipped layers")
    convention = "InvokeAI counts the layers skipped, so its N is N+1 here"
    return [Finding(skipped + 1, "InvokeAI", "clip_skip", skipped, convention, note if sdxl else "")]


def _fooocus(metadata: ImageMetadata) -> list[Finding] | None:
    """lllyasviel/Fooocus 59f183ab private_logger.py:log writes "parameters" and the scheme ("fooocus":
    JSON with clip_skip; "a1111": infotext) as PNG text, or the EXIF UserComment and MakerNote; it
    records clip_skip only above 1 (async_worker.py:save_and_log), counted as here (default_pipeline.py)."""
    texts = metadata.texts
    scheme = texts.get("fooocus_scheme") or texts.get("MakerNote")
    document = _json_object(metadata.infotext or "")
    if scheme not in ("fooocus", "a1111") and not (document and "Fooocus" in str(document.get("version", ""))):
        return None
    if scheme == "a1111" or document is None:
        webui = _webui(metadata)
        return [_as_tool(found, "Fooocus") for found in webui] if webui else None
    return [_json_clip_skip(document, "Fooocus")]


def _draw_things(metadata: ImageMetadata) -> list[Finding] | None:
    """drawthingsai/draw-things-community 2912d3a6 ImageConverter.swift writes PNG Software "Draw Things"
    and the JSON as the PNG Comment, which Apple's ImageIO also carries as exif:UserComment in an XMP
    packet; clip_skip is recorded only above 1, counted as here (TextEncoder.swift: 13 - clipSkip layers)."""
    texts = metadata.texts
    xmp = texts.get("XML:com.adobe.xmp", "")
    if texts.get("Software") != "Draw Things" and "Draw Things" not in xmp:
        return None
    raw = texts.get("Comment") or _xmp_user_comment(xmp)
    document = _json_object(raw or "")
    if document is None:
        raise DamagedMetadata("Draw Things metadata has no JSON")
    return [_json_clip_skip(document, "Draw Things")]


def _json_clip_skip(document: Mapping[str, Any], tool: str, key: str = "clip_skip") -> Finding:
    if key not in document:
        return Finding(DEFAULT, tool, f"no {key} recorded", None, f"{tool} records it only above 1")
    value = document[key]
    if type(value) is not int:
        raise DamagedMetadata(f"{tool} {key} {value!r} is not a whole number")
    return Finding(_checked(value, f"{tool} {key}"), tool, key, value, SAME_NUMBERING)


def _as_tool(found: Finding, tool: str) -> Finding:
    return Finding(found.value, tool, found.key, found.own, found.convention, found.note)


_XMP_USER_COMMENT = re.compile(r"<exif:UserComment>(.*?)</exif:UserComment>", re.S)
_XMP_LI = re.compile(r"<rdf:li[^>]*>(.*?)</rdf:li>", re.S)


def _xmp_user_comment(xmp: str) -> str | None:
    comment = _XMP_USER_COMMENT.search(xmp)
    if comment is None:
        return None
    item = _XMP_LI.search(comment.group(1))
    return html.unescape((item or comment).group(1)).strip()


# -- shared -------------------------------------------------------------------------------------------


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _checked(value: object, source: str) -> int:
    try:
        return parse_clip_skip(value, source=source)
    except ClipSkipError as error:
        raise DamagedMetadata(str(error)) from None


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


_READERS: tuple[Callable[[ImageMetadata], list[Finding] | None], ...] = (
    _novelai,
    _comfyui,
    _invokeai,
    _fooocus,
    _draw_things,
    _webui,
)
