"""Reading infotext back: `modules/infotext_utils.py` (A1111 v1.10.1 @ 82a973c0; Forge and reForge alike)."""

from __future__ import annotations

import json
import re

# A "key: value" pair of the parameters line; values may be JSON-quoted (infotext_utils.py:re_param_code).
PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')

NO_CHANGE = {"__type__": "update"}  # gr.update(): the component keeps its value


def update(value):
    return {"__type__": "update", "value": value}


def parse_generation_parameters(webui, text):
    """infotext_utils.py:parse_generation_parameters: values stay strings, a missing "Clip skip" becomes "1" (Forge
    Neo 3df257ae drops any "Clip skip" instead: `res.pop("Clip skip", None)`), and keys in the user's
    `infotext_skip_pasting` setting are dropped at the end."""
    *lines, last = text.strip().split("\n")
    if len(PARAM.findall(last)) < 3:
        lines.append(last)
        last = ""
    params = {}
    for key, value in PARAM.findall(last):
        if not value:
            continue  # `v[0]` raises inside the host's try: the pair is reported and dropped
        if value[:1] == '"' and value[-1:] == '"':
            value = json.loads(value)
        params[key] = value
    params["Prompt"] = "\n".join(lines)
    if webui.profile.paste_drops_clip_skip:
        params.pop("Clip skip", None)
    elif "Clip skip" not in params:
        params["Clip skip"] = "1"
    for key in webui.opts.infotext_skip_pasting:
        params.pop(key, None)
    return params


def get_override_settings(webui, params, skip_fields=()):
    """infotext_utils.py:get_override_settings: settings with an infotext label, cast with cast_value
    (which raises on "1.5"), skipped when equal to the current value or already handled."""
    opts = webui.opts
    result = []
    for setting, info in opts.data_labels.items():
        label = info.infotext
        if not label or label in skip_fields or params.get(label) is None:
            continue
        value = opts.cast_value(setting, params[label])
        if value != getattr(opts, setting):
            result.append((label, setting, value))
    return result


def paste(webui, text, fields):
    """infotext_utils.py:connect_paste.paste_func (with paste_settings) for one tab's paste fields:
    returns one update per field, then the "Override settings" dropdown's values."""
    params = parse_generation_parameters(webui, text)
    for callback in webui.callbacks.registered.get("infotext_pasted", []):
        callback(text, params)
    updates = []
    for component, key in fields:
        if callable(key):
            try:
                value = key(params)
            except Exception:
                value = None
        else:
            value = params.get(key)
        updates.append(_to_update(component, value))
    # `already_handled_fields` are the fields' keys: labels, or the functions themselves.
    already_handled = {key: 1 for _, key in fields}
    try:
        overrides = [f"{label}: {value}" for label, _, value in get_override_settings(webui, params, already_handled)]
    except ValueError:
        overrides = None  # the UI's try/except drops the whole dropdown update (connect_paste.paste_func)
    return updates, overrides


def _to_update(component, value):
    if value is None:
        return NO_CHANGE
    if isinstance(value, dict):
        return value
    try:
        kind = type(component.value)
        if kind is bool and value == "False":
            return update(False)
        if kind is int:
            return update(float(value))
        return update(kind(value))
    except Exception:
        return NO_CHANGE


def create_override_settings_dict(webui, texts):
    """infotext_utils.py:create_override_settings_dict: "Label: value" strings of the dropdown back into settings."""
    by_label = {info.infotext: key for key, info in webui.opts.data_labels.items() if info.infotext}
    result = {}
    for text in texts:
        label, value = text.split(":", 1)
        key = by_label[label.strip()]
        result[key] = webui.opts.cast_value(key, value.strip())
    return result
