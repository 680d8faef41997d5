"""The extension inside a real WebUI, over HTTP. Opt-in: see tests/integration/conftest.py and the README."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

from sd_webui_clip_skip.rules.args import ARGS
from sd_webui_clip_skip.rules.values import SETTING_KEY

from .bodies import IMG2IMG, SCRIPT_NAME, TXT2IMG, XYZ_SCRIPT_NAME, generation, xyz_args
from .webui_server import Response, WebUIServer, pixels, png_parameters

CLIP_SKIP = re.compile(r"(?:^|, )Clip skip: (\d+)(?:,|$)", re.MULTILINE)


def recorded(infotext: str) -> int | None:
    found = CLIP_SKIP.findall(infotext.splitlines()[-1])
    assert len(found) <= 1, infotext
    return int(found[0]) if found else None


def generate(webui: WebUIServer, body: dict, path: str = TXT2IMG) -> Response:
    """Every generation must leave the global setting as the fresh data directory has it (the host's default: 1, or
    2 on Forge Neo)."""
    response = webui.post(path, body)
    assert webui.global_clip_skip() == webui.initial_clip_skip, "the request changed the global Clip skip"
    return response


def ok(response: Response) -> Response:
    assert response.status == 200, response.body
    return response


def test_the_script_is_listed_with_its_args(webui):
    info = webui.get("/sdapi/v1/script-info").body
    ours = [script for script in info if script["name"] == SCRIPT_NAME]
    assert sorted(script["is_img2img"] for script in ours) == [False, True]
    for script in ours:
        assert script["is_alwayson"]
        assert [arg["label"] for arg in script["args"]][: len(ARGS)] == [spec.label for spec in ARGS]


def test_off_gives_the_same_image_as_a_webui_without_the_extension(webui, references):
    plain = ok(generate(webui, generation([False, 2])))
    reference = ok(references["plain"])
    assert pixels(plain.images[0]) == pixels(reference.images[0])
    assert plain.infotexts == reference.infotexts


def test_on_at_2_is_the_hosts_own_clip_skip_2(webui, references):
    on = ok(generate(webui, generation([True, 2])))
    assert recorded(on.infotexts[0]) == 2
    assert pixels(on.images[0]) == pixels(ok(references["host_override_2"]).images[0])
    assert pixels(on.images[0]) != pixels(ok(references["host_override_1"]).images[0])


def test_on_at_1_records_clip_skip_1(webui, references):
    """Also where the host's default is 2 (Forge Neo) and leaves `Clip skip: 1` out of its own infotext."""
    on = ok(generate(webui, generation([True, 1])))
    assert recorded(on.infotexts[0]) == 1
    assert pixels(on.images[0]) == pixels(ok(references["host_override_1"]).images[0])


def test_img2img_takes_the_value_too(webui):
    source = ok(generate(webui, generation())).body["images"][0]
    body = generation([True, 3], init_images=[source], denoising_strength=0.75)
    on = ok(generate(webui, body, IMG2IMG))
    assert recorded(on.infotexts[0]) == 3


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ([True, 13], "Clip skip value"),
        ([True, None], "Clip skip value"),
        ([True, 2.55], "Clip skip value"),
        (["yes", 2], '"Clip skip"'),
    ],
)
def test_bad_args_are_refused_by_name_before_anything_is_generated(webui, args, field):
    refused = generate(webui, generation(args))
    assert refused.status == 422
    assert field in refused.body["detail"]
    assert "images" not in refused.body


def test_the_global_setting_survives_every_kind_of_request(webui, references):
    """From a fresh data directory, where the host's own override would stick."""
    generate(webui, generation([True, 4], override_settings_restore_afterwards=False))
    generate(webui, generation([True, 2], override_settings={SETTING_KEY: 3}))
    generate(webui, generation([True, 5], n_iter=2))
    after = ok(generate(webui, generation()))
    plain = ok(references["plain"])
    assert recorded(after.infotexts[0]) == recorded(plain.infotexts[0])  # none at 1; Forge Neo's 2 is written
    assert pixels(after.images[0]) == pixels(plain.images[0])
    config = webui.data_dir / "config.json"
    assert not config.exists() or SETTING_KEY not in json.loads(config.read_text())


def test_the_api_infotext_field_reproduces_a_pasted_value(webui):
    pasted = generate(webui, generation(infotext="a cat\nSteps: 2, Seed: 1234, Clip skip: 3"))
    if pasted.status != 200:
        without = generate(webui, generation(infotext="a cat\nSteps: 2, Seed: 1234"))
        if without.status != 200:
            pytest.xfail(f"this WebUI's API rejects any infotext ({without.status}): a host bug, not ours")
    assert recorded(ok(pasted).infotexts[0]) == 3


def latent_upscaler(webui: WebUIServer) -> str:
    """The host's first latent hires upscaler: "Latent" in A1111 and Forge, ersatzForge has only
    "Latent (antialiased)" (fca12a2 modules/shared.py:latent_upscale_modes)."""
    return ok(webui.get("/sdapi/v1/latent-upscale-modes")).body[0]["name"]


def xyz_plot_args(webui: WebUIServer) -> list[dict]:
    """The txt2img X/Y/Z plot's args as the host lists them."""
    info = webui.get("/sdapi/v1/script-info").body
    return next(script for script in info if script["name"] == XYZ_SCRIPT_NAME and not script["is_img2img"])["args"]


@pytest.mark.parametrize("values", [["1", "2", "3", "4"], "1-4"], ids=["dropdown", "typed range"])
def test_xyz_plot_sweeps_1_to_4_over_the_accordion(webui, values):
    script_args = xyz_args(xyz_plot_args(webui), "Clip skip", values)
    body = generation([True, 7], script_name=XYZ_SCRIPT_NAME, script_args=script_args)
    plot = ok(generate(webui, body))
    grid, *cells = plot.infotexts
    assert [recorded(text) for text in cells] == [1, 2, 3, 4]
    assert recorded(grid) is None  # one cell's value must not stand for the grid
    cell_pixels = [pixels(image) for image in plot.images[1:]]
    assert len(set(cell_pixels)) == 4
    if screenshots := os.environ.get("SD_WEBUI_SCREENSHOTS"):
        Path(screenshots, "xyz-clip-skip-1-4.png").write_bytes(plot.images[0])


def test_xyz_plot_refuses_bad_axis_values_before_the_first_image(webui):
    body = generation(script_name=XYZ_SCRIPT_NAME, script_args=xyz_args(xyz_plot_args(webui), "Clip skip", "0, 5"))
    refused = generate(webui, body)
    assert refused.status >= 400  # the host turns the plot's exception into a 500
    assert "Clip skip value '0' is not a number from 1 to 12 with at most one decimal" in json.dumps(refused.body)
    assert not refused.body.get("images")


def test_batch_and_hires_fix_carry_the_value_on_every_image(webui):
    body = generation(
        [True, 2],
        batch_size=2,
        enable_hr=True,
        hr_scale=1.5,
        hr_upscaler=latent_upscaler(webui),
        hr_second_pass_steps=1,
        denoising_strength=0.5,
        hr_additional_modules=["Use same choices"],  # Forge fails on its default None
        # (Forge dfdcbab6 processing.py:StableDiffusionProcessingTxt2Img.sample)
    )
    both = ok(generate(webui, body))
    assert len(both.images) >= 2
    assert [recorded(text) for text in both.infotexts] == [2] * len(both.infotexts)
    assert [recorded(png_parameters(image)) for image in both.images] == [2] * len(both.images)


def test_png_info_reads_the_value_back(webui):
    image = ok(generate(webui, generation([True, 2]))).images[0]
    encoded = "data:image/png;base64," + base64.b64encode(image).decode()
    info = ok(webui.post("/sdapi/v1/png-info", {"image": encoded})).body
    assert str(info["parameters"]["Clip skip"]) == "2"


def test_a_separate_hires_clip_skip_encodes_the_hires_pass_at_its_value(webui):
    hires = {
        "enable_hr": True,
        "hr_scale": 1.5,
        "hr_upscaler": latent_upscaler(webui),
        "hr_second_pass_steps": 1,
        "denoising_strength": 0.6,
        "hr_additional_modules": ["Use same choices"],
    }
    same = ok(generate(webui, generation([True, 1], **hires)))
    separate = ok(generate(webui, generation([True, 1, False, True, 2], **hires)))
    assert "Hires clip skip" not in same.infotexts[0]
    assert re.search(r"(^|, )Hires clip skip: 2(,|$)", separate.infotexts[0].splitlines()[-1])
    assert recorded(separate.infotexts[0]) == 1
    assert pixels(separate.images[0]) != pixels(same.images[0])


def test_the_status_endpoint_reports_auto_from_model_metadata(webui, metadata_checkpoint):
    status = ok(webui.get("/clip-skip/v1/status?checkpoint=" + metadata_checkpoint.name)).body
    assert status["global"] == webui.initial_clip_skip
    assert status["auto"] == {"value": 2, "source": "metadata", "text": "from model metadata (ss_clip_skip)"}
    assert status["checkpoint"] == metadata_checkpoint.stem
    assert status["notices"] == {}  # SD1: every value means what it says


def test_auto_takes_the_checkpoints_metadata(webui, metadata_checkpoint):
    """Last in this file: it loads the other checkpoint (same weights, other hash) for the rest of the run."""
    body = generation([True, 1, True], override_settings={"sd_model_checkpoint": metadata_checkpoint.name})
    auto = ok(generate(webui, body))
    assert recorded(auto.infotexts[0]) == 2
    assert f"Model: {metadata_checkpoint.stem}" in auto.infotexts[0]
