"""The random checkpoints have the reference models' keys and shapes (opt-in: needs an A1111 checkout).

layout_reference.py builds LDM's and SGM's models on torch's meta device with the WebUI's own Python,
offline; every other WebUI (Forge and its kin) skips this.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("layout_reference.py")
FAMILIES = ("sd15", "sd2", "sd2-v", "sdxl")


@pytest.fixture(scope="module")
def layouts(webui_config) -> dict[str, dict]:
    repositories = webui_config.directory / "repositories"
    if not all((repositories / name).is_dir() for name in ("stable-diffusion-stability-ai", "generative-models")):
        pytest.skip(f"{webui_config.directory} has no LDM and SGM in repositories/ (not an A1111 checkout)")
    if (webui_config.directory / "modules_forge").is_dir():
        # reForge and Classic keep LDM and SGM beside their own loaders, with newer libraries: reForge 3b56b268's
        # transformers 4.48.1 registers CLIP's position_ids as a non-persistent buffer, so its SD1 and SDXL
        # references lack the key the released files (and the tools) hold. Whether they load the files is what
        # test_families_measured.py checks there.
        pytest.skip(f"{webui_config.directory} is a Forge derivative: the reference layouts are A1111's")
    result = subprocess.run(
        [str(webui_config.python), str(SCRIPT), "--webui", str(webui_config.directory), *FAMILIES],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    if len(lines) != len(FAMILIES):
        pytest.fail(f"layout_reference.py exited with {result.returncode}:\n{result.stderr[-3000:]}")
    return {line["family"]: line for line in lines}


@pytest.mark.parametrize("family", FAMILIES)
def test_the_random_checkpoint_has_the_reference_keys_and_shapes(layouts, family):
    result = layouts[family]
    assert result["only_tool"] == []
    assert result["only_reference"] == []
    assert result["different"] == {}
    assert result["tool_tensors"] == result["reference_tensors"] - len(result["only_reference_allowed"])
