"""The txt2img API route: `modules/api/api.py` (A1111 v1.10.1 @ 82a973c0; Forge identical here)."""

from __future__ import annotations

from .infotext import get_override_settings, parse_generation_parameters
from .processing import Processing, run_job


class HTTPError(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def txt2img(webui, request):
    """api.py:Api.text2imgapi."""
    runner = webui.txt2img_runner
    request = dict(request)
    override_settings = dict(request.get("override_settings") or {})
    script_args = webui.api_default_args(runner)  # ui() is called again for the defaults (Api.init_default_script_args)
    if request.get("infotext"):
        _apply_infotext(webui, request, override_settings, script_args, runner)
    for name, entry in (request.get("alwayson_scripts") or {}).items():
        script = _script_by_title(runner, name)
        if "args" in entry:  # positional, as many as both sides have (Api.init_script_args)
            count = min(script.args_to - script.args_from, len(entry["args"]))
            for offset in range(count):
                script_args[script.args_from + offset] = entry["args"][offset]
    p = Processing(
        webui,
        prompt=request.get("prompt", "a cat"),
        seed=request.get("seed", 1),
        batch_size=request.get("batch_size", 1),
        n_iter=request.get("n_iter", 1),
        enable_hr=request.get("enable_hr", False),
        override_settings=override_settings,
        override_settings_restore_afterwards=request.get("override_settings_restore_afterwards", True),
        is_api=True,
    )
    processed = run_job(webui, p, runner, script_args)
    return {"images": processed.images, "info": processed.js(), "infotexts": processed.infotexts}


def script_info(webui):
    """/sdapi/v1/script-info (api.py:Api.get_script_info)."""
    return [script.api_info for script in webui.txt2img_runner.scripts if script.api_info]


def _script_by_title(runner, name):
    """api.py:script_name_to_index: titles match case-insensitively; unknown ones are a 422."""
    for script in runner.scripts:
        if script.title().lower() == name.lower():
            if not script.alwayson:
                raise HTTPError(422, "Cannot have a selectable script in the always on scripts params")
            return script
    raise HTTPError(422, f"always on script {name} not found")


def _apply_infotext(webui, request, override_settings, script_args, runner):
    """api.py:Api.apply_infotext: script components get their paste values, and the settings
    mapping adds a *global* override for every infotext label, with no skip_fields."""
    params = parse_generation_parameters(webui, request["infotext"])
    request.setdefault("prompt", params.get("Prompt"))
    for _label, setting, value in get_override_settings(webui, params):
        override_settings.setdefault(setting, value)
    indexes = {id(component): index for index, component in enumerate(runner.inputs)}
    for component, target in runner.infotext_fields:
        if id(component) not in indexes:
            continue
        value = target(params) if callable(target) else params.get(target)
        if isinstance(value, dict) and value.get("__type__") == "generic_update":
            value = value.get("value")
        if value is None:
            continue
        kind = type(component.value)
        script_args[indexes[id(component)]] = value if isinstance(value, kind) else kind(value)
