"""Benchmark-only WebUI extension: times sd-webui-clip-skip's script methods inside the WebUI process.

Linked into the data directory by benchmarks/bench_clip_skip.py, never installed for real use.
GET /clip-skip-bench/times returns the seconds each generation spent in the hooks, and the time
of each ui() call; DELETE clears them.
"""

import functools
import time

from modules import script_callbacks, scripts

HOOKS = ("setup", "before_process", "process", "postprocess")
times = {"generations": [], "ui": []}
pending = {}  # id(p) -> seconds so far in this generation


def _timed_hook(method, name):
    @functools.wraps(method)
    def wrapper(self, p, *args, **kwargs):
        began = time.perf_counter()
        try:
            return method(self, p, *args, **kwargs)
        finally:
            pending[id(p)] = pending.get(id(p), 0.0) + time.perf_counter() - began
            if name == "postprocess":
                times["generations"].append(pending.pop(id(p)))

    return wrapper


def _timed_ui(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            times["ui"].append(time.perf_counter() - began)

    return wrapper


def _wrap_clip_skip_script():
    for script in scripts.scripts_data:
        cls = script.script_class
        if cls.__name__ == "ClipSkipScript" and not getattr(cls, "_timed", False):
            for name in HOOKS:
                setattr(cls, name, _timed_hook(getattr(cls, name), name))
            cls.ui = _timed_ui(cls.ui)
            cls._timed = True


def _clear():
    for values in times.values():
        values.clear()


def _routes(_demo, app):
    app.add_api_route("/clip-skip-bench/times", lambda: times, methods=["GET"])
    app.add_api_route("/clip-skip-bench/times", _clear, methods=["DELETE"])


script_callbacks.on_before_ui(_wrap_clip_skip_script)
script_callbacks.on_app_started(_routes)
