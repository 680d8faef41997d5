"""`modules/script_callbacks.py`: registration lists the host calls at fixed points."""

from __future__ import annotations

registered: dict[str, list] = {}


def _register(name):
    def register(callback):
        stack_inspections.append(callback)
        registered.setdefault(name, []).append(callback)

    return register


on_app_started = _register("app_started")
stack_inspections = []  # registrations that made the host walk inspect.stack()


def add_callback(callbacks, fun, *, name=None, category="unknown", filename=None):
    """script_callbacks.py:add_callback (A1111 1.10 @ 82a973c0, Forge @ dfdcbab6): without `filename` it calls
    inspect.stack(), which costs ~0.1 s per registration in a loaded WebUI; A1111 1.6 has no keywords at all
    (v1.6.0 @ 5ef669de script_callbacks.py:add_callback)."""
    if filename is None:
        stack_inspections.append(fun)
    callbacks.append(fun)


callback_map = {
    "callbacks_app_started": registered.setdefault("app_started", []),
    "callbacks_infotext_pasted": registered.setdefault("infotext_pasted", []),
}
on_before_ui = _register("before_ui")
on_infotext_pasted = _register("infotext_pasted")
on_ui_settings = _register("ui_settings")
on_model_loaded = _register("model_loaded")


def clear():
    for callbacks in registered.values():
        callbacks.clear()  # callback_map holds these very lists
    stack_inspections.clear()


def fire(name, *args):
    for callback in registered.get(name, []):
        callback(*args)
