"""What a txt2img/img2img API request asks of Clip skip: this script's `alwayson_scripts` args, and the
top-level `"clip_skip": N` that SD.Next's API takes and many clients send.

The hosts build their request models without `extra=forbid` (A1111 82a973c0 api/models.py:
PydanticModelGenerator), so a top-level field they do not know is silently dropped. It is therefore
turned into this script's args before the host reads the request: `"clip_skip": 2` means the same as
`"alwayson_scripts": {"clip skip": {"args": [true, 2]}}`, and `override_settings` still outranks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .args import SCRIPT_TITLE, ScriptArgs, parse_script_args
from .values import ALLOWED_BLEND, ClipSkipError, parse_clip_skip_blend

TOP_LEVEL_FIELD = "clip_skip"


@dataclass(frozen=True)
class CheckedRequest:
    error: str | None = None
    """Why the request must be refused (HTTP 422), naming the field and what is allowed."""
    request: dict[str, Any] | None = None
    """The request to hand on instead, when it had to be rewritten; None: hand on the original."""


def check_generation_request(request: object) -> CheckedRequest:
    if not isinstance(request, dict):
        return CheckedRequest()  # not ours to answer: the host refuses it
    scripts = request.get("alwayson_scripts")
    found = _our_entry(scripts)
    name = found[0] if found else SCRIPT_TITLE.lower()
    where = f"alwayson_scripts[{name!r}]"
    args: list[object] = []
    parsed = ScriptArgs()
    if found:
        entry = found[1]
        if not isinstance(entry, dict):
            return CheckedRequest(error=f'{where} must be an object such as {{"args": [true, 2]}}')
        args = entry.get("args", [])
        if not isinstance(args, list):
            return CheckedRequest(error=f"{where}.args must be a list such as [true, 2]")
        try:
            parsed = parse_script_args(args)
        except ClipSkipError as error:
            return CheckedRequest(error=f"{where}.{error}")
    if TOP_LEVEL_FIELD not in request:
        return CheckedRequest()
    raw = request[TOP_LEVEL_FIELD]
    try:
        if raw is None:
            raise ClipSkipError(f"{TOP_LEVEL_FIELD} must be {ALLOWED_BLEND}, got null")
        value = parse_clip_skip_blend(raw, source=TOP_LEVEL_FIELD)
    except ClipSkipError as error:
        return CheckedRequest(error=str(error))
    if parsed.enabled and (parsed.auto or parsed.schedule is not None or parsed.clip_skip != value):
        asked = (
            "Auto" if parsed.auto else "a schedule" if parsed.schedule is not None else f"Clip skip {parsed.clip_skip}"
        )
        return CheckedRequest(
            error=f"{TOP_LEVEL_FIELD} {value} and {where}.args ({asked}) ask for different values; send one of them"
        )
    rewritten = {key: item for key, item in request.items() if key != TOP_LEVEL_FIELD}
    ours: dict[str, object] = dict(found[1]) if found and isinstance(found[1], dict) else {}
    ours["args"] = [True, value, *args[2:]]
    rewritten["alwayson_scripts"] = {**(scripts if isinstance(scripts, dict) else {}), name: ours}
    return CheckedRequest(request=rewritten)


def _our_entry(scripts: object) -> tuple[str, object] | None:
    """Our entry's name and value, the name matched case-insensitively as the host matches titles
    (A1111 82a973c0 api/api.py:script_name_to_index)."""
    if not isinstance(scripts, dict):
        return None
    for name, entry in scripts.items():
        if isinstance(name, str) and name.lower() == SCRIPT_TITLE.lower():
            return name, entry
    return None
