"""Run by the WebUI's launcher at every start (modules/launch_utils.py, run_extensions_installers).

The extension needs only what the WebUI already ships (gradio and the standard library), so
nothing is installed; this only explains, once, a Python the extension cannot run on.
"""

import sys

if sys.version_info < (3, 10):
    print(f"[Clip skip] needs Python 3.10 or newer; this WebUI runs {sys.version.split()[0]}. The extension stays off.")
