"""Wires the extension into a running WebUI: the hooks' controller, the settings-save guard, the HTTP routes."""

from __future__ import annotations

from typing import Any

from .. import logger
from ..host import Host
from ..rules.paste import dropped_keys
from . import api_guard, status
from .controller import ClipSkipController
from .guard import settings_to_save


def start(host: Host, script_file: str) -> ClipSkipController:
    """Once per script load (the WebUI loads scripts again on Reload UI; each step is idempotent)."""
    logger.info("Per-generation Clip skip on %s.", host.name)
    controller = ClipSkipController(host)
    host.guard_settings_saves(settings_to_save)
    host.release_when_closed(controller.release)

    def on_app_started(_demo: Any, app: Any) -> None:
        # The host's API routes exist by now (A1111 82a973c0 webui.py:webui creates the API first).
        dependencies = host.api_auth_dependencies(app)
        api_guard.install(app, dependencies)
        status.install(app, host, controller.model, dependencies)

    def on_infotext_pasted(infotext: str, params: dict[str, Any]) -> None:
        # Forge Neo drops `Clip skip` before the paste fields see it (rules/paste.py); elsewhere this adds nothing.
        params.update(dropped_keys(infotext, params, host.infotext_skip_pasting()))

    host.on_app_started(on_app_started, script_file)
    host.on_infotext_pasted(on_infotext_pasted, script_file)
    return controller
