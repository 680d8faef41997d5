"""Per-generation Clip skip for the Stable Diffusion WebUI (A1111, reForge, Forge).

Everything here is host-independent and unit-tested; `hosts/` holds the only code that
touches a WebUI, imported lazily so the package loads without one.
"""

import logging

__version__ = "0.2.0"

logger = logging.getLogger("sd_webui_clip_skip")


def log_to_console() -> None:
    """Show the extension's notices in the WebUI console, once however often scripts reload."""
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[Clip skip] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
