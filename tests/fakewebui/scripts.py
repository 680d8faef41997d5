"""The script machinery of `modules/scripts.py` (A1111 v1.10.1 @ 82a973c0)."""

from __future__ import annotations

import re

AlwaysVisible = object()


class Script:
    """The base class extensions subclass (scripts.py:Script); hooks default to no-ops."""

    filename = None
    args_from = None
    args_to = None
    alwayson = False
    is_txt2img = False
    is_img2img = False
    infotext_fields = None
    paste_field_names = None
    api_info = None
    setup_for_ui_only = False

    def title(self):
        raise NotImplementedError

    def show(self, is_img2img):
        return True

    def ui(self, is_img2img):
        pass

    def setup(self, p, *args):
        pass

    def before_process(self, p, *args):
        pass

    def process(self, p, *args):
        pass

    def process_batch(self, p, *args, **kwargs):
        pass

    def before_hr(self, p, *args):
        pass

    def postprocess_image(self, p, pp, *args):
        pass

    def postprocess(self, p, processed, *args):
        pass

    def elem_id(self, item_id):
        """scripts.py:Script.elem_id: `script_<tab>_<title>_<item>`."""
        tab = "img2img" if self.is_img2img else "txt2img"
        title = re.sub(r"[^a-z_0-9]", "", re.sub(r"\s", "_", self.title().lower()))
        return f"script_{tab}_{title}_{item_id}"


class ScriptRunner:
    """Slices `p.script_args` per script and swallows every hook's exception (scripts.py:ScriptRunner)."""

    def __init__(self, scripts, *, is_img2img=False):
        self.scripts = scripts
        self.inputs = [None]  # slot 0: the selected script's index (scripts.py:ScriptRunner.__init__)
        self.infotext_fields = []
        self.paste_field_names = []
        self.reported = []  # what errors.report printed
        self.is_img2img = is_img2img

    def create_ui(self, blocks_factory):
        """scripts.py:ScriptRunner.create_script_ui_inner: args_from/args_to bracket ui()'s return."""
        with blocks_factory() as self.blocks:
            for script in self.scripts:
                script.is_img2img = self.is_img2img
                script.is_txt2img = not self.is_img2img
                script.alwayson = script.show(self.is_img2img) is AlwaysVisible
                script.args_from = len(self.inputs)
                controls = script.ui(self.is_img2img)
                if controls is None:
                    script.args_to = len(self.inputs)
                    continue
                script.name = script.title().lower()
                script.controls = controls
                script.api_info = {
                    "name": script.name,
                    "is_alwayson": script.alwayson,
                    "args": [_arg_info(control) for control in controls],
                }
                self.infotext_fields += script.infotext_fields or []
                self.paste_field_names += script.paste_field_names or []
                self.inputs += controls
                script.args_to = len(self.inputs)

    def click(self, elem_id, *values):
        """A click in the browser: gradio calls the function the button's event registered
        (gradio 3.41 blocks.py:Block.set_event_trigger, 4.40 BlockFunction) with its inputs' values."""
        button = next(b for b in self.blocks.blocks.values() if getattr(b, "elem_id", None) == elem_id)
        dependencies = getattr(self.blocks, "dependencies", None)
        if dependencies is not None:  # gradio 3: parallel lists of dependencies and functions
            index = next(i for i, d in enumerate(dependencies) if button._id in d["targets"])
            function, inputs = self.blocks.fns[index], [self.blocks.blocks[i] for i in dependencies[index]["inputs"]]
        else:  # gradio 4: each function carries its targets, (block id, event) pairs, and input blocks
            fns = self.blocks.fns.values() if isinstance(self.blocks.fns, dict) else self.blocks.fns
            function = next(f for f in fns if any(target[0] == button._id for target in f.targets))
            inputs = function.inputs
        return function.fn(*(values or [c.value for c in inputs]))

    def default_args(self):
        args = [None] * len(self.inputs)
        args[0] = 0
        for index, control in enumerate(self.inputs[1:], start=1):
            args[index] = control.value
        return args

    def run_hook(self, hook, p, *extra, **kwargs):
        for script in self.scripts:
            if getattr(type(script), hook) is getattr(Script, hook, None):
                continue  # ordered_scripts() skips scripts that do not override the hook
            if hook == "setup" and not kwargs.get("is_ui", True) and script.setup_for_ui_only:
                continue
            try:
                args = p.script_args[script.args_from : script.args_to]
                getattr(script, hook)(p, *extra, *args)
            except Exception as error:  # errors.report: the generation goes on
                self.reported.append((hook, error))


def _arg_info(control):
    """ScriptArg fields the API's /sdapi/v1/script-info lists (scripts.py:ScriptRunner.create_script_ui_inner)."""
    info = {"label": getattr(control, "label", None) or ""}
    for name in ("value", "minimum", "maximum", "step"):
        value = getattr(control, name, None)
        if value is not None:
            info[name] = value
    return info
