"""The page with the zh_CN localization selected, on a real WebUI (issue 22), in headless Chromium.

The pack dtlnor/stable-diffusion-webui-localization-zh_CN is copied at its pinned commit into the run's extensions/
from the clone SD_WEBUI_ZH_CN_REPO names (tests/integration/pinned_extensions.py), and config.json selects
`localization: "zh_CN"`, which the WebUI merges with this extension's localizations/zh_CN.json. The accordion, its
hint, the header in its three states, the Save line, a notice and the LoRA hint show in Chinese; paste, generation,
the infotext and the API are what they are in English. Needs what tests/integration/test_browser.py needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .bodies import TXT2IMG, generation
from .pinned_extensions import LOCALIZATION_ZH_CN
from .test_browser import SETTINGS, _missing
from .webui_server import REPOSITORY, WebUIServer

SCRIPT = Path(__file__).parent / "browser" / "localized_page.mjs"
LORA = REPOSITORY / "tests" / "samples" / "models" / "lora-clip-skip-2.safetensors"
"""A LoRA whose metadata says it was trained at Clip skip 2 (tests/samples/make_samples.py)."""


@pytest.fixture(scope="module")
def localized_webui(request, webui_config, checkpoint, metadata_checkpoint, family_checkpoint, untouched_checkout):
    if reason := _missing():
        pytest.skip(f"browser test: {reason}")
    if reason := LOCALIZATION_ZH_CN.problem():
        pytest.skip(reason)
    staging = Path(tempfile.mkdtemp(prefix="clip-skip-l10n-"))
    request.addfinalizer(lambda: shutil.rmtree(staging, ignore_errors=True))
    pack = LOCALIZATION_ZH_CN.export(staging)
    loras = staging / "Lora"
    loras.mkdir()
    shutil.copy(LORA, loras / LORA.name)
    family_checkpoint("sd2")  # made before the WebUI lists the folder
    server = WebUIServer(
        webui_config,
        checkpoint,
        extra_extensions=(pack,),
        settings={**SETTINGS, "localization": "zh_CN"},
        args=("--lora-dir", str(loras)),
    )
    request.addfinalizer(server.stop)
    return server.start()


def test_the_page_speaks_zh_cn_and_paste_generation_and_infotext_stay_as_in_english(
    localized_webui, metadata_checkpoint, family_checkpoint
):
    screenshots = Path(os.environ.get("SD_WEBUI_SCREENSHOTS") or tempfile.mkdtemp(prefix="clip-skip-shots-"))
    screenshots.mkdir(parents=True, exist_ok=True)
    sd2 = family_checkpoint("sd2")
    command = [
        *("node", str(SCRIPT), localized_webui.url, str(screenshots)),
        *(metadata_checkpoint.stem, sd2.stem if generates_with(localized_webui, sd2) else "-", LORA.stem),
    ]
    result = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=1800)
    print(result.stdout)
    assert result.returncode == 0, f"{result.stderr}\n--- WebUI log ---\n{localized_webui.log_tail(60)}"
    assert 'ok: the image\'s infotext has "Clip skip: 3", untranslated' in result.stdout
    if "skip: this WebUI generates nothing with an SD2 checkpoint" not in result.stdout:
        assert "ok: the notice under the header says" in result.stdout


def generates_with(server: WebUIServer, checkpoint: Path) -> bool:
    """Whether the WebUI makes an image with `checkpoint` (Forge Neo has no SD2); its own override, put back after."""
    body = generation([False, 1], override_settings={"sd_model_checkpoint": checkpoint.name})
    return server.post(TXT2IMG, body).status == 200


def test_the_api_is_the_same_with_a_localization_selected(localized_webui, checkpoint):
    info = localized_webui.get("/sdapi/v1/script-info").body
    [ours] = [script for script in info if script["name"] == "clip skip" and not script["is_img2img"]]
    assert [arg["label"] for arg in ours["args"]][:3] == ["Clip skip", "Clip skip value", "Auto (per model)"]
    body = generation([True, 3], override_settings={"sd_model_checkpoint": checkpoint.name})
    response = localized_webui.post(TXT2IMG, body)
    assert response.status == 200, response.body
    assert "Clip skip: 3" in response.infotexts[0]
