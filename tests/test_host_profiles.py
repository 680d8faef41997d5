"""What differs per host family (fakewebui/profiles.py), and what the extension does on each."""

import pytest

from sd_webui_clip_skip.hosts import detect_host
from tests.fakewebui import CLIP_KEY, PROFILES, xyz

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tests.fakewebui.http import fastapi_app  # noqa: E402


def layer(value):
    """What the fake SD1 encoder records for a Clip skip (processing.py:encode)."""
    return f"layer {13 - value}" if value > 1 else "layer 12"


@pytest.mark.parametrize("flavor", sorted(PROFILES))
def test_each_host_is_named_as_what_it_is(make_webui, flavor):
    webui = make_webui(flavor=flavor, config={CLIP_KEY: 1})
    assert detect_host().name == webui.profile.extension_calls_it
    assert TestClient(fastapi_app(webui)).get("/clip-skip/v1/status").json()["host"] == webui.profile.extension_calls_it


@pytest.mark.parametrize("flavor", sorted(PROFILES))
def test_a_fresh_install_keeps_the_hosts_own_default(make_webui, flavor):
    """Forge Neo's default is 2 (shared_options.py), which it writes into every infotext (create_infotext)."""
    webui = make_webui(flavor=flavor, config={})
    default = webui.profile.clip_skip_default
    off, _ = webui.txt2img((False, 1))
    on, _ = webui.txt2img((True, 1))
    assert off.images[0][3] == layer(default)
    assert ("Clip skip: 2" in off.infotexts[0]) is (default == 2)
    assert on.images[0][3] == layer(1)
    assert "Clip skip: 1" in on.infotexts[0]
    status = TestClient(fastapi_app(webui)).get("/clip-skip/v1/status").json()
    assert status["global"] == default
    assert webui.opts.data == {}


def sweep_with_saves(webui, plot):
    saves = []

    def save():
        webui.save_settings(sdxl_clip_l_skip=not webui.opts.sdxl_clip_l_skip)
        saves.append(webui.saved_config().get(CLIP_KEY))

    webui.meanwhile.append(save)
    grid = plot()
    webui.meanwhile.clear()
    return grid, saves


def test_classics_own_axis_would_write_the_global_setting_and_ours_does_not(make_webui):
    """Classic's plot is `X/Y/Z Plot` in extensions-builtin/xyz, and its own Clip skip axis writes the live setting:
    a settings save during a cell would write the cell's value. The extension's axis takes its place."""
    webui = make_webui(flavor="classic", config={CLIP_KEY: 1})
    grid, saves = sweep_with_saves(webui, lambda: webui.xyz_plot((True, 5), x=("Clip skip", "2,3")))
    assert [cell.images[0][3] for cell in grid.cells.values()] == [layer(2), layer(3)]
    assert "Clip skip: 2" in grid.cells[(2, 0)].infotexts[0]
    assert "Clip skip: 3" in grid.cells[(3, 0)].infotexts[0]
    assert "Script: X/Y/Z Plot" in grid.infotext
    assert set(saves) == {1}
    assert webui.global_clip_skip == 1

    # The same sweep with the host's own axis: the fake reproduces the leak the extension prevents.
    webui.xyz_module.axis_options[5] = xyz.default_axis_options(webui.profile)[5]
    _, saves = sweep_with_saves(webui, lambda: webui.xyz_plot((False, 1), x=("Clip skip", "2,3")))
    assert set(saves) == {2, 3}


@pytest.mark.parametrize("flavor", sorted(PROFILES))
def test_hires_clip_skip_reaches_the_encoder_however_the_host_hands_it_over(make_webui, flavor):
    """A1111 reads the setting while encoding, Forge and Neo just before each encode, ersatzForge in setup_conds
    and again in calculate_hr_conds (profiles.EngineClipSkip)."""
    webui = make_webui(flavor=flavor, config={CLIP_KEY: 1})
    processed, _ = webui.txt2img((True, 2, False, True, 4), enable_hr=True, n_iter=2)
    assert [(image[3], image[4]) for image in processed.images] == [(layer(2), layer(4))] * 2
    assert "Hires clip skip: 4" in processed.infotexts[0]
    assert webui.global_clip_skip == 1


def test_reforges_dynamic_clip_skip_shapes_the_image_and_the_infotext_says_its_values(make_webui):
    webui = make_webui(
        flavor="reforge",
        config={CLIP_KEY: 1, "dynamic_clip_skip_enabled": True, "dynamic_clip_skip_start": 5},
    )
    processed, _ = webui.txt2img((True, 3), steps=4)
    # reForge encodes at 5, 4, 3 and 2 over the four steps (processing.py:setup_conds), whatever the accordion says.
    assert processed.images[0][3] == (layer(5), layer(4), layer(3), layer(2))
    infotext = processed.infotexts[0]
    assert "Clip skip: 5" in infotext and "Dynamic clip skip: 5->2" in infotext
    assert "Clip skip: 3" not in infotext
    assert "reForge's dynamic Clip skip (ramp from 5 to 2) shapes this image, not Clip skip 3" in processed.comments
    assert webui.global_clip_skip == 1

    webui.opts.data["dynamic_clip_skip_enabled"] = False
    processed, _ = webui.txt2img((True, 3), steps=4)
    assert processed.images[0][3] == layer(3)
    assert "Clip skip: 3" in processed.infotexts[0] and "Dynamic" not in processed.infotexts[0]
