"""`modules/script_callbacks.py`: registration lists the host calls at fixed points."""

from __future__ import annotations

registered: dict[str, list] = {}


def _register(name):
    def register(callback):
        registered.setdefault(name, []).append(callback)

    return register


on_app_started = _register("app_started")
on_before_ui = _register("before_ui")
on_infotext_pasted = _register("infotext_pasted")
on_ui_settings = _register("ui_settings")
on_model_loaded = _register("model_loaded")


def clear():
    registered.clear()


def fire(name, *args):
    for callback in registered.get(name, []):
        callback(*args)
