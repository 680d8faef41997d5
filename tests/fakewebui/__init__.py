"""A behavioural stand-in for the WebUI, written from reading the hosts (citations in each module;
in this one, `modules/` of A1111 v1.10.1 @ 82a973c0 unless Forge @ dfdcbab6 is named).

It loads the real entry script the way the host does and runs jobs through the host's real
sequence, so a test fails when the extension relies on something a real host does not do.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import json
import shutil
import sys
import tempfile
import types
import weakref
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from . import api, callbacks, extensions, infotext, models, networks, processing, prompt_parser, scripts, xyz
from .models import Checkpoint
from .options import CLIP_KEY, OptionInfo, Options
from .profiles import PROFILES, EngineClipSkip, HostProfile

EXTENSION_ROOT = Path(__file__).resolve().parents[2]
ENTRY_SCRIPT = EXTENSION_ROOT / "scripts" / "clip_skip.py"


class OtherScript(scripts.Script):
    """Another extension's always-on script ahead of ours, so arg slicing is not trivial."""

    def title(self):
        return "Other extension"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        return [gr.Checkbox(False, label="Other")]


def _input_accordion_class():
    class InputAccordion(gr.Checkbox):
        """The contract of A1111's InputAccordion (ui_components.py:InputAccordion): a hidden checkbox
        whose value is the input, opening an accordion for its children."""

        def __init__(self, value, **kwargs):
            elem_id = kwargs.pop("elem_id", "input-accordion")
            super().__init__(value, elem_id=f"{elem_id}-checkbox", visible=False, **kwargs)
            self.accordion = gr.Accordion(kwargs.get("label", "Accordion"), open=value, elem_id=elem_id)

        def __enter__(self):
            self.accordion.__enter__()
            return self

        def __exit__(self, *exc):
            self.accordion.__exit__(*exc)

    return InputAccordion


class FakeWebUI:
    """`data_path` is --data-dir (paths_internal.py:data_path). With `checkpoints`, their files are
    listed and the selected one (config's sd_model_checkpoint, else the first) is loaded at start,
    which puts its title into config (sd_models.py:load_model_weights), or, on Forge Neo, at the first
    generation; without, there is no model at all.
    `flavor` names the host family's profile (profiles.py)."""

    def __init__(
        self,
        *,
        flavor="a1111",
        config=None,
        input_accordion=True,
        data_path=None,
        checkpoints=(),
        cmd_opts=None,
        extensions=(),
    ):
        self.flavor = flavor
        self.extensions = extensions
        """Other extensions' script classes (extensions.py), built with this WebUI; extension folders load in name
        order, so these come before ours (scripts.py:list_scripts)."""
        self.profile: HostProfile = PROFILES[flavor]
        self.opts = Options(data=dict(config or {}))
        self.opts.data_labels[CLIP_KEY] = OptionInfo(self.profile.clip_skip_default, infotext="Clip skip")
        if self.profile.dynamic_clip_skip:  # reForge 3b56b268 shared_options.py, section "sd"
            self.opts.data_labels.update(
                dynamic_clip_skip_enabled=OptionInfo(False),
                dynamic_clip_skip_start=OptionInfo(4),
                dynamic_clip_skip_use_schedule=OptionInfo(False),
                dynamic_clip_skip_schedule_values=OptionInfo(""),
            )
        self.prompt_parser = prompt_parser.make_module()
        self.engine_clip_skip = None
        self._bare_model = None
        """What a Forge-family engine was last told by set_clip_skip (profiles.EngineClipSkip)."""
        vars(self.opts.cmd_opts).update(cmd_opts or {})
        self.state = SimpleNamespace(interrupted=False, skipped=False)
        self.state.interrupt = lambda: setattr(self.state, "interrupted", True)  # shared_state.py:State.interrupt
        self.callbacks = callbacks
        self.encode_calls = []
        self.cond_caches = {"c": [None, None], "hr_c": [None, None], "list": []}
        if data_path is None:
            data_path = tempfile.mkdtemp(prefix="fakewebui-")
            weakref.finalize(self, shutil.rmtree, data_path, True)
        self.data_path = str(data_path)
        self.config_filename = str(Path(data_path) / "config.json")  # shared.py: cmd_opts.ui_settings_file
        models_path = Path(data_path) / "models"
        self.sd_models = models.SdModels(self, str(models_path / "Stable-diffusion"))
        self.networks = networks.make_module(models_path / "Lora")
        self.shared = types.ModuleType("modules.shared")
        vars(self.shared).update(opts=self.opts, cmd_opts=self.opts.cmd_opts, state=self.state, sd_model=None)
        self.devices = types.ModuleType("modules.devices")
        self.devices.autocast = contextlib.nullcontext  # devices.py:autocast: nullcontext for float32
        for checkpoint in checkpoints:
            self.sd_models.add(checkpoint)
        if checkpoints and self.profile.loads_at_first_job:
            self.sd_models.hold_placeholder()
        elif checkpoints:
            self.sd_models.reload_model_weights()
        self.fail_while_sampling = False
        self.meanwhile = []
        self.sampler_hooks = []
        """What runs when a job makes its sampler, with the job (another extension's create_sampler hijack)."""
        """Calls made while a job encodes and samples: what the UI's and the API's other threads do."""
        self.interrupt_after_first_batch = False
        self.input_accordion = input_accordion
        self._module_names = []
        self.reported_xyz = []
        self.tab_fields = [(SimpleNamespace(value=20, label="Sampling steps"), "Steps")]

    # --- loading, as modules/script_loading.py and modules/scripts.py do -------------------
    def install(self):
        callbacks.clear()
        self._add_module("modules", scripts=None)
        self._set_module("modules.shared", self.shared)
        self._set_module("modules.devices", self.devices)
        self._add_module("modules.sd_models", **self.sd_models.module_attributes())
        self._add_module("modules.paths_internal", data_path=self.data_path)
        self._add_module("modules.processing", StableDiffusionProcessing=processing.Processing)
        self._set_module("modules.prompt_parser", self.prompt_parser)
        self._set_module("networks", self.networks)
        self.xyz_module = xyz.make_module(self.profile)
        self._add_module(
            "modules.scripts",
            Script=scripts.Script,
            AlwaysVisible=scripts.AlwaysVisible,
            scripts_data=[xyz.ScriptClassData(None, "scripts/xyz_grid.py", ".", self.xyz_module)],
        )
        self._add_module(
            "modules.script_callbacks",
            **{name: getattr(callbacks, name) for name in dir(callbacks) if name.startswith("on_")},
            add_callback=callbacks.add_callback,
            callback_map=callbacks.callback_map,
        )
        if self.input_accordion:
            accordion = _input_accordion_class()
            if self.profile.accordion_factory:  # a function (Forge ui_components.py:InputAccordion)
                self._add_module(
                    "modules.ui_components", InputAccordion=lambda value=None, **kw: accordion(value, **kw)
                )
            else:
                self._add_module("modules.ui_components", InputAccordion=accordion)
        else:
            self._add_module("modules.ui_components")
        if self.profile.forge_version is not None:
            self._add_module("modules_forge")
            self._add_module("modules_forge.forge_version", version=self.profile.forge_version)
        if self.profile.forge_main_entry:
            self._add_module("modules_forge.main_entry")
        if str(EXTENSION_ROOT) not in sys.path:
            sys.path.insert(0, str(EXTENSION_ROOT))  # the host puts every extension root on sys.path

    def uninstall(self):
        for name in self._module_names:
            sys.modules.pop(name, None)
        callbacks.clear()

    def _add_module(self, name, **attributes):
        module = types.ModuleType(name)
        vars(module).update(attributes)
        self._set_module(name, module)

    def _set_module(self, name, module):
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)
        self._module_names.append(name)

    def load_extension(self):
        """script_loading.py:load_module loads a script under its file name, outside sys.modules."""
        spec = importlib.util.spec_from_file_location(ENTRY_SCRIPT.name, ENTRY_SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        classes = [
            c
            for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, scripts.Script) and c is not scripts.Script
        ]
        self.extension_class = classes[0]
        self.txt2img_runner = self._build_runner(is_img2img=False)
        self.img2img_runner = self._build_runner(is_img2img=True)
        return module

    def _build_runner(self, *, is_img2img):
        ours = self.extension_class()
        ours.filename = str(ENTRY_SCRIPT)  # scripts.py:ScriptRunner.initialize_scripts
        candidates = [OtherScript(), *(extension(self) for extension in self.extensions), ours]
        runner = scripts.ScriptRunner([s for s in candidates if s.show(is_img2img)], is_img2img=is_img2img)
        runner.create_ui(gr.Blocks)
        return runner

    def extension(self, runner=None):
        runner = runner or self.txt2img_runner
        return next(s for s in runner.scripts if isinstance(s, self.extension_class))

    def script(self, kind, runner=None):
        """The script of another extension's class `kind` (extensions.py) in a runner."""
        return next(s for s in (runner or self.txt2img_runner).scripts if isinstance(s, kind))

    def api_default_args(self, runner):
        """api/api.py:Api.init_default_script_args: ui() runs again in a throw-away Blocks."""
        args = [None] * len(runner.inputs)
        args[0] = 0
        with gr.Blocks():
            for script in runner.scripts:
                controls = script.ui(script.is_img2img)
                if controls:
                    args[script.args_from : script.args_to] = [c.value for c in controls]
        return args

    # --- jobs ---------------------------------------------------------------------------------
    def ui_args(self, extension_args, runner=None, others=None):
        """The UI's script_args: every component's value, ours replaced by `extension_args`, another extension's
        (`others`: {its class: its args}) by its own."""
        runner = runner or self.txt2img_runner
        args = runner.default_args()
        for script, values in [(self.extension(runner), extension_args)] + [
            (self.script(kind, runner), values) for kind, values in (others or {}).items()
        ]:
            args[script.args_from : script.args_from + len(values)] = list(values)
        return args

    def txt2img(self, extension_args=(), *, override_settings_texts=(), others=None, **job):
        """txt2img.py:txt2img_create_processing and txt2img: the Override settings dropdown becomes
        p.override_settings."""
        override_settings = {
            **infotext.create_override_settings_dict(self, override_settings_texts),
            **job.pop("override_settings", {}),
        }
        p = processing.Processing(self, override_settings=override_settings, **job)
        args = self.ui_args(extension_args, others=others)
        processed = processing.run_job(self, p, self.txt2img_runner, args)
        return processed, p

    def img2img(self, extension_args=(), *, others=None, run=None, **job):
        """img2img.py:img2img: the same hooks, a job without hires fix; `run(webui, p)`, a selected script's run,
        takes process_images's place (extensions.run_selectable)."""
        p = processing.Processing(self, img2img=True, **job)
        args = self.ui_args(extension_args, self.img2img_runner, others)
        if run is not None:
            return extensions.run_selectable(self, p, self.img2img_runner, args, lambda job: run(self, job)), p
        return processing.run_job(self, p, self.img2img_runner, args), p

    def xyz_plot(self, extension_args=(), *, x, y=("Nothing", ""), csv_mode=True, x_dropdown=(), others=None, **job):
        p = processing.Processing(self, **job)
        args = self.ui_args(extension_args, others=others)
        return xyz.run_job(self, p, self.txt2img_runner, args, x=x, y=y, csv_mode=csv_mode, x_dropdown=x_dropdown)

    def api_txt2img(self, request):
        return api.txt2img(self, request)

    def paste(self, text, runner=None):
        """The tab's own fields come first, then the scripts' (ui.py:create_ui, both tabs)."""
        runner = runner or self.txt2img_runner
        return infotext.paste(self, text, [*self.tab_fields, *runner.infotext_fields])

    def select_checkpoint(self, name):
        """The checkpoint dropdown: A1111 sets the option and loads the model
        (initialize_util.py:configure_opts_onchange); Forge sets and saves it and loads at the next
        generation (modules_forge/main_entry.py:checkpoint_change)."""
        info = self.sd_models.get_closet_checkpoint_match(name)
        self.opts.set("sd_model_checkpoint", info.title)
        if self.profile.selection_saves:
            self.opts.save(self.config_filename)
        else:
            self.sd_models.reload_model_weights()

    def save_settings(self, **changes):
        """Whatever saves the settings: Apply settings (ui_settings.py:run_settings), a quicksetting
        (ui_settings.py:run_settings_single), POST /sdapi/v1/options (api.py:Api.set_config), Forge's top
        bar (main_entry.py): `opts.set` for each change, then `opts.save(config_filename)`."""
        for key, value in changes.items():
            self.opts.set(key, value)
        self.opts.save(self.config_filename)

    def saved_config(self):
        with open(self.config_filename, encoding="utf8") as file:
            return json.load(file)

    def restarted(self, **kwargs):
        """A new WebUI process on the same data directory: config.json is all it remembers."""
        return FakeWebUI(flavor=self.flavor, config=self.saved_config(), data_path=self.data_path, **kwargs)

    def encode(self, prompts):
        return processing.encode(self, prompts)

    @property
    def encoding_model(self):
        """The model passed to get_learned_conditioning: the loaded one; a fake without checkpoints has a bare one,
        which on a Forge-family host can be told its Clip skip (base.py:set_clip_skip)."""
        if self.shared.sd_model is not None:
            return self.shared.sd_model
        if self._bare_model is None:
            engine = self.profile.engine_clip_skip is not EngineClipSkip.AT_ENCODE
            tell = (lambda n: setattr(self, "engine_clip_skip", int(n))) if engine else None
            self._bare_model = models.make_engine("BareModel", self.encode, tell)
        return self._bare_model

    @property
    def loaded_checkpoint(self):
        return self.shared.sd_model.sd_checkpoint_info

    @property
    def global_clip_skip(self):
        return self.opts.CLIP_stop_at_last_layers

    @property
    def reported(self):
        return self.txt2img_runner.reported + self.img2img_runner.reported


__all__ = ["FakeWebUI", "CLIP_KEY", "Checkpoint", "PROFILES", "EngineClipSkip"]
