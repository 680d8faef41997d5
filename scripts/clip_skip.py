"""Entry script: wires the sd_webui_clip_skip package to the WebUI's script API."""

from modules import script_callbacks, scripts

from sd_webui_clip_skip import log_to_console, logger
from sd_webui_clip_skip.hosts import UnsupportedHost, detect_host
from sd_webui_clip_skip.hosts.xyz_plot import register_axis
from sd_webui_clip_skip.rules.args import SCRIPT_TITLE
from sd_webui_clip_skip.webui.startup import start

log_to_console()
host = detect_host()

if isinstance(host, UnsupportedHost):
    logger.warning("Not active on %s: %s.", host.name, host.reason)
    controller = None
else:
    controller = start(host, __file__)
    # Now, because with --nowebui the API builds the plot's UI before on_before_ui runs; the plot
    # normally loads first (the WebUI's own scripts/ come before extensions). Each registered
    # callback costs the WebUI an inspect.stack() (script_callbacks.py:add_callback), so only when needed.
    if not register_axis():
        script_callbacks.on_before_ui(register_axis)


class ClipSkipScript(scripts.Script):
    def title(self):
        return SCRIPT_TITLE

    def show(self, is_img2img):
        return scripts.AlwaysVisible if controller else False

    def ui(self, is_img2img):
        from sd_webui_clip_skip.webui.ui import ModelDefaultActions, build_controls

        actions = ModelDefaultActions(save=controller.model.save_default, clear=controller.model.clear_default)
        controls = build_controls(
            host.input_accordion(),
            self.elem_id,
            is_img2img=is_img2img,
            actions=actions,
            skipped_paste_keys=host.infotext_skip_pasting,
            status_readable=not host.api_auth_enabled(),
        )
        self.infotext_fields = controls.infotext_fields
        self.paste_field_names = controls.paste_field_names
        return controls.inputs

    def setup(self, p, *args):
        controller.setup(p)

    def before_process(self, p, *args):
        controller.before_process(p, args)

    def process(self, p, *args):
        controller.process(p)

    def before_hr(self, p, *args):
        controller.before_hr(p)

    def postprocess(self, p, processed, *args):
        controller.postprocess(p)
