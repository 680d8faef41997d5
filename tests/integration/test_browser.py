"""The accordion in the real page, in headless Chromium driven by Playwright (tests/integration/browser).

Needs Node with `npm ci` run in the repository (playwright-core) and Chromium (Debian's `chromium`,
or CHROMIUM_PATH); skipped without them. Screenshots go to SD_WEBUI_SCREENSHOTS (default: a temp dir).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .bodies import TXT2IMG, generation
from .webui_server import REPOSITORY, WebUIServer

SCRIPT = Path(__file__).parent / "browser" / "check_page.mjs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The global slider in the Quicksettings bar, as a user who changes it often would have it. Saved defaults are
# keyed by the checkpoint's hash, and ersatzForge hashes none unless its "Use SHA256 to hash checkpoints" is on
# (ersatzForge fca12a2 modules/hashes.py:sha256, shared_options.py use_real_SHA256, off by default): there
# Save answers "Not saved: This checkpoint has no hash". Other hosts hash on demand and ignore the key.
SETTINGS = {"quicksettings_list": ["sd_model_checkpoint", "CLIP_stop_at_last_layers"], "use_real_SHA256": True}


def _missing() -> str | None:
    if not shutil.which("node"):
        return "node is not installed"
    if not (REPOSITORY / "node_modules" / "playwright-core").is_dir():
        return "run `npm ci` in the repository for playwright-core"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (set CHROMIUM_PATH)"
    return None


@pytest.fixture(scope="module")
def browser_webui(request, webui_config, checkpoint, metadata_checkpoint, untouched_checkout):
    if reason := _missing():
        pytest.skip(f"browser test: {reason}")
    server = WebUIServer(webui_config, checkpoint, settings=SETTINGS)
    request.addfinalizer(server.stop)
    return server.start()


@pytest.fixture(scope="module")
def in_browser(browser_webui, checkpoint, metadata_checkpoint):
    screenshots = Path(os.environ.get("SD_WEBUI_SCREENSHOTS") or tempfile.mkdtemp(prefix="clip-skip-shots-"))
    screenshots.mkdir(parents=True, exist_ok=True)

    def run(scenario: str) -> str:
        command = [
            *("node", str(SCRIPT), scenario, browser_webui.url, str(screenshots)),
            *(metadata_checkpoint.stem, checkpoint.stem),
        ]
        result = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)
        print(result.stdout)
        assert result.returncode == 0, f"{result.stderr}\n--- WebUI log ---\n{browser_webui.log_tail(40)}"
        return result.stdout

    return run


def test_the_header_follows_the_global_slider_a_paste_and_auto(in_browser):
    output = in_browser("page")
    assert "ok: no notice before the first generation" in output
    assert re.search(r'ok: img2img header says "Clip skip [23] \(global\)"', output)
    assert "ok: pasting" in output
    assert "Clip skip 2 (auto · from model metadata (ss_clip_skip))" in output


def test_a_pasted_blend_and_schedule_fill_the_box_and_their_images_record_them(in_browser):
    """Also the first generation in the page: afterwards the header follows the model it loaded (Forge Neo loads
    none before)."""
    output = in_browser("exact")
    assert "ok: the image's infotext has Clip skip: 2, Clip skip blend: 1.5" in output
    assert 'ok: the image\'s infotext has Clip skip: 2, Clip skip schedule: "[2:1:0.5]"' in output
    assert 'ok: after the generation the header follows the loaded model (family "SD1")' in output
    assert "ok: pasting a whole" in output


def test_a_saved_default_beats_metadata_survives_a_restart_and_reaches_the_image(
    in_browser, browser_webui, metadata_checkpoint, tmp_path
):
    in_browser("save")
    browser_webui.restart()
    # A1111 loads the model in the background after a start, and when that load ends it resets the
    # checkpoint dropdown (A1111 82a973c0 modules/sd_models.py:load_model_weights): a choice made meanwhile is
    # undone. Wait it out.
    assert browser_webui.post(TXT2IMG, generation()).status == 200
    in_browser("after-restart")

    body = generation([True, 1, True], override_settings={"sd_model_checkpoint": metadata_checkpoint.name})
    response = browser_webui.post(TXT2IMG, body)
    assert response.status == 200, response.body
    image = tmp_path / "auto.png"
    image.write_bytes(response.images[0])
    inspected = subprocess.run(
        [sys.executable, "-m", "sd_webui_clip_skip", "inspect", str(image)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    assert inspected.stdout.strip() == f"{image}: Clip skip 3 (recorded)"


def test_the_header_follows_the_settings_tab_once_applied(in_browser, browser_webui):
    """Where Clip skip is no quicksetting (Forge Neo has no top-bar Clip skip), the header follows Apply settings.
    Last in this file: it restarts the WebUI without the quicksetting."""
    if "quicksettings_list" not in browser_webui.get("/sdapi/v1/options").body:
        # lllyasviel Forge dfdcbab6 has no quicksettings: its own top bar holds Clip skip, checked in "page".
        pytest.skip("this WebUI has no quicksettings; its own top bar holds the global Clip skip")
    answer = browser_webui.post("/sdapi/v1/options", {"quicksettings_list": ["sd_model_checkpoint"]})
    assert answer.status == 200, answer.body
    browser_webui.restart()
    output = in_browser("settings")
    if "skip: no Clip skip in the Settings tab" in output:
        pytest.skip("this WebUI shows the global Clip skip elsewhere than in its Settings tab")
    assert "ok: Apply settings made the header say" in output
