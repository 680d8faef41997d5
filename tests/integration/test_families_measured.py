"""What Clip skip does per model family on this WebUI, measured in pixels, and the notices checked against it.

For each family the suite can make a random-weight checkpoint of (tools/make_random_*.py), one WebUI loads it (started
on SD1 and switched: A1111 1.10 cannot load SD2 as its first model on a CPU, see make_random_sd2.py) and makes the
same small image at Clip skip 1, 2, 3 and 4 with the accordion on; where the host has *Clip skip SDXL*
(`sdxl_clip_l_skip`), SDXL is measured with it off and on. Which values gave identical pixels is written to
benchmarks/results/families-<host>-<commit>.json, which tools/family_table.py turns into the README's measured table,
and every notice the extension shows for that host and family must predict exactly those groups
(models/families.py:predicted_groups).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from sd_webui_clip_skip.host import HostKind, ModelFamily
from sd_webui_clip_skip.models.families import predicted_groups

from .bodies import TXT2IMG, generation
from .webui_server import OFFLINE_SDXL_SETTINGS, REPOSITORY, WebUIConfig, WebUIServer, pixels, random_checkpoint

VALUES = (1, 2, 3, 4)
FAMILIES = {"SD1": "sd15", "SD2": "sd2", "SDXL": "sdxl"}
"""The family's name as the extension says it, and as random_checkpoint makes it."""
CLIP_L_SKIP = "sdxl_clip_l_skip"
SETTING = "CLIP_stop_at_last_layers"
STATUS = "/clip-skip/v1/status"


@dataclass
class Measurement:
    family: str
    sdxl_clip_l_skip: bool
    identical: list[list[int]]
    """Values whose images had the same pixels, in groups."""
    notices: dict[str, str | None]
    """The extension's notice per value for the loaded model, as the accordion header shows it."""
    seconds: float


def identical_groups(images: dict[int, bytes]) -> list[list[int]]:
    groups: dict[bytes, list[int]] = {}
    for value, image in images.items():
        groups.setdefault(image, []).append(value)
    return sorted(groups.values())


def host_commit(directory: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(directory), "rev-parse", "--short=8", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


class NotLoadable(Exception):
    """The WebUI refused to generate with a family's checkpoint (Forge Neo has no SD2)."""


def measure(server: WebUIServer, family: str, clip_l_skip: bool) -> Measurement:
    began = time.monotonic()
    if clip_l_skip:
        assert server.post("/sdapi/v1/options", {CLIP_L_SKIP: True}).status == 200
    images = {}
    for value in VALUES:
        response = server.post(TXT2IMG, generation([True, value]))
        if response.status != 200 and not images and family != "SD1":  # SD1 is the suite's own: it must load
            raise NotLoadable(f"HTTP {response.status}: {str(response.body)[:300]}")
        assert response.status == 200, response.body
        images[value] = pixels(response.images[0])
    status = server.get(STATUS).body
    assert status["family"] == family, f"the WebUI loaded a {status['family']} model, not {family}"
    notices = {str(value): status["notices"].get(str(value)) for value in VALUES}
    if clip_l_skip:
        assert server.post("/sdapi/v1/options", {CLIP_L_SKIP: False}).status == 200
    return Measurement(family, clip_l_skip, identical_groups(images), notices, round(time.monotonic() - began, 1))


@pytest.fixture(scope="module")
def measured(request, webui_config: WebUIConfig, untouched_checkout) -> dict:
    """One more WebUI, switched from family to family (an SDXL model in fp32 needs about 15 GB)."""
    files = {family: random_checkpoint(webui_config, family=made) for family, made in FAMILIES.items()}
    server = WebUIServer(webui_config, files["SD1"], settings={SETTING: 1, **OFFLINE_SDXL_SETTINGS})
    request.addfinalizer(server.stop)
    server.start()
    host, measurements, not_loadable = server.get(STATUS).body["host"], [], {}
    has_clip_l_skip = CLIP_L_SKIP in server.get("/sdapi/v1/options").body
    try:
        for family, path in files.items():
            selected = server.post("/sdapi/v1/options", {"sd_model_checkpoint": path.name})
            assert selected.status == 200, selected.body
            try:
                for clip_l_skip in (False, True) if family == "SDXL" and has_clip_l_skip else (False,):
                    measurements.append(measure(server, family, clip_l_skip))
            except NotLoadable as refusal:
                not_loadable[family] = str(refusal)
            assert server.global_clip_skip() == server.initial_clip_skip
    finally:
        server.stop()
    result = {
        "host": host,
        "commit": host_commit(webui_config.directory),
        "date": datetime.date.today().isoformat(),
        "image": {key: generation()[key] for key in ("width", "height", "steps", "seed", "sampler_name")},
        "checkpoints": "random weights from tools/make_random_sd15.py, make_random_sd2.py, make_random_sdxl.py",
        "values": list(VALUES),
        "measurements": [asdict(m) for m in measurements],
        "not_loadable": not_loadable,
    }
    slug = host.lower().replace(" ", "-")
    path = REPOSITORY / "benchmarks" / "results" / f"families-{slug}-{result['commit']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def test_sd1_values_all_give_different_images(measured):
    """The control: on SD1 every value is another layer, so the measurement can tell images apart."""
    sd1 = next(m for m in measured["measurements"] if m["family"] == "SD1")
    assert sd1["identical"] == [[value] for value in VALUES]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_notices_predict_the_measured_pixels(measured, family):
    """'No effect' means all values identical; '1 and 2 alike' means 1 = 2 and each other value apart; no notice
    (or one that says the value means something else) means a value of its own."""
    host = HostKind(measured["host"])
    if refusal := measured["not_loadable"].get(family):
        pytest.skip(f"this WebUI cannot make an image with the {family} checkpoint ({refusal})")
    rows = [m for m in measured["measurements"] if m["family"] == family]
    assert rows, f"{family} was not measured"
    for row in rows:
        predicted = predicted_groups(host, ModelFamily(family), VALUES, sdxl_clip_l_skip=row["sdxl_clip_l_skip"])
        assert row["identical"] == predicted, (row, predicted)
