"""Run by the WebUI's launcher at every start (modules/launch_utils.py, run_extensions_installers).

Deliberately empty: the extension needs only what every supported WebUI already ships
(gradio and the Python standard library), so it installs nothing and prints nothing.
"""
