"""Inside the stacks people run: extensions that run nested jobs or call the job's hooks again keep the job's Clip
skip, compared with the host's own override at the same value (the oracle). The extensions are modelled in
tests/fakewebui/extensions.py, each citing its file and commit."""

import pytest

from tests.fakewebui import CLIP_KEY
from tests.fakewebui.extensions import ADetailer, TiledDiffusion, ultimate_sd_upscale
from tests.fakewebui.prompt_parser import Layers
from tests.test_blends import args, blend, layer

OFF = (False,)


def ad_args(use_clip_skip=False, clip_skip=1):
    return (True, use_clip_skip, clip_skip)


@pytest.fixture(params=["a1111", "forge", "reforge", "classic", "ersatzforge", "neo"])
def stack(request, make_webui):
    """A fake WebUI of each host family with ADetailer and Tiled Diffusion beside the extension; config.json without
    a Clip skip, as on a fresh install."""
    return lambda **kwargs: make_webui(flavor=request.param, extensions=(ADetailer, TiledDiffusion), **kwargs)


def first_pass(image):
    return image[1][3] if image[0] == "ADetailer" else image[3]


def face_pass(image):
    assert image[0] == "ADetailer", image
    return image[2][3]


def clip_skip_of(infotext):
    return next((part.split(": ")[1] for part in infotext.split(", ") if part.startswith("Clip skip: ")), None)


def test_adetailer_with_batch_count_2_keeps_the_accordions_value_for_every_image_and_its_infotext(stack):
    webui = stack()
    global_before = webui.global_clip_skip
    ours, _ = webui.txt2img(args(3), others={ADetailer: ad_args()}, n_iter=2)
    assert webui.global_clip_skip == global_before and CLIP_KEY not in webui.opts.data
    oracle, _ = webui.txt2img(OFF, others={ADetailer: ad_args()}, n_iter=2, override_settings={CLIP_KEY: 3})
    assert [first_pass(i) for i in ours.images] == [first_pass(i) for i in oracle.images] == [layer(3)] * 2
    assert [face_pass(i) for i in ours.images] == [face_pass(i) for i in oracle.images] == [layer(3)] * 2
    assert [clip_skip_of(text) for text in ours.infotexts] == ["3", "3"]
    assert all("ADetailer model: mediapipe_face_full" in text for text in ours.infotexts)


def test_adetailers_separate_clip_skip_wins_inside_its_pass_only(stack):
    webui = stack()
    ours, _ = webui.txt2img(args(3), others={ADetailer: ad_args(True, 5)}, n_iter=2)
    assert CLIP_KEY not in webui.opts.data
    oracle, _ = webui.txt2img(OFF, others={ADetailer: ad_args(True, 5)}, n_iter=2, override_settings={CLIP_KEY: 3})
    assert [first_pass(i) for i in ours.images] == [first_pass(i) for i in oracle.images] == [layer(3)] * 2
    assert [face_pass(i) for i in ours.images] == [face_pass(i) for i in oracle.images] == [layer(5)] * 2
    assert all(clip_skip_of(text) == "3" and "ADetailer CLIP skip: 5" in text for text in ours.infotexts)


def test_a_blend_and_a_schedule_reach_adetailers_pass(stack):
    webui = stack()
    blended, _ = webui.txt2img(args(1.5), others={ADetailer: ad_args()}, n_iter=2)
    assert [face_pass(i) for i in blended.images] == [blend(1.5)] * 2
    assert [first_pass(i) for i in blended.images] == [blend(1.5)] * 2
    assert all("Clip skip blend: 1.5" in text for text in blended.infotexts)
    scheduled, _ = webui.txt2img(args(2, "[2:1:0.5]"), others={ADetailer: ad_args()}, steps=4)
    switching = (layer(2), layer(2), layer(2), layer(1))  # as prompt editing over the pass's steps
    assert face_pass(scheduled.images[0]) == first_pass(scheduled.images[0]) == switching
    assert CLIP_KEY not in webui.opts.data


def test_a_blend_does_not_reach_a_pass_with_its_own_clip_skip(stack):
    webui = stack()
    processed, _ = webui.txt2img(args(1.5), others={ADetailer: ad_args(True, 2)})
    assert first_pass(processed.images[0]) == blend(1.5)
    assert face_pass(processed.images[0]) == layer(2)


@pytest.mark.parametrize("separate", [False, True], ids=["same", "separate"])
def test_with_this_extension_among_adetailers_scripts_the_pass_is_a_job_of_its_own(stack, separate):
    webui = stack(config={"ad_script_names": f"{ADetailer.script_names},clip_skip"})
    processed, _ = webui.txt2img(args(1.5), others={ADetailer: ad_args(separate, 4)}, n_iter=2)
    assert [first_pass(i) for i in processed.images] == [blend(1.5)] * 2
    assert [face_pass(i) for i in processed.images] == [layer(4) if separate else blend(1.5)] * 2
    assert all(clip_skip_of(text) == "2" and "Clip skip blend: 1.5" in text for text in processed.infotexts)
    assert CLIP_KEY not in webui.opts.data


def test_adetailer_in_an_xyz_plot_keeps_each_cells_value(stack):
    webui = stack()
    grid = webui.xyz_plot(OFF, x=("Clip skip", "2,4"), others={ADetailer: ad_args()}, n_iter=2)
    for value in (2, 4):
        cell = grid.cells[(value, 0)]
        assert [face_pass(i) for i in cell.images] == [layer(value)] * 2
        assert [first_pass(i) for i in cell.images] == [layer(value)] * 2
        assert [clip_skip_of(text) for text in cell.infotexts] == [str(value)] * 2
    # Classic's own plot writes the default back after it (fakewebui/xyz.py:run); elsewhere nothing is written
    assert webui.opts.data.get(CLIP_KEY, webui.profile.clip_skip_default) == webui.profile.clip_skip_default


def test_ultimate_sd_upscale_encodes_every_tile_at_the_jobs_value(stack):
    webui = stack()
    upscale = lambda webui, p: ultimate_sd_upscale(webui, p, tiles=3)  # noqa: E731
    ours, _ = webui.img2img(args(3), run=upscale)
    blended, _ = webui.img2img(args(1.5), run=upscale)
    assert CLIP_KEY not in webui.opts.data
    oracle, _ = webui.img2img(OFF, run=upscale, override_settings={CLIP_KEY: 3})
    assert [i[3] for i in ours.images] == [i[3] for i in oracle.images] == [layer(3)] * 3
    assert clip_skip_of(ours.infotexts[0]) == clip_skip_of(oracle.infotexts[0]) == "3"
    assert [i[3] for i in blended.images] == [blend(1.5)] * 3
    assert "Clip skip blend: 1.5" in blended.infotexts[0]


def test_tiled_diffusion_encodes_its_regions_at_the_jobs_value(stack):
    webui = stack()
    tiled = webui.script(TiledDiffusion)
    webui.txt2img(args(3), others={TiledDiffusion: (True, True)})
    assert tiled.region_conds == [layer(3)] and tiled.inversion_conds == [layer(3)]
    tiled.region_conds.clear()
    tiled.inversion_conds.clear()
    webui.txt2img(args(1.5), others={TiledDiffusion: (True, True)})
    assert tiled.region_conds == [blend(1.5)] and tiled.inversion_conds == [blend(1.5)]
    assert CLIP_KEY not in webui.opts.data


def test_a_schedule_that_an_extension_encodes_once_without_steps_is_said(stack):
    webui = stack()
    tiled = webui.script(TiledDiffusion)
    processed, _ = webui.txt2img(args(2, "[2:1:0.5]"), others={TiledDiffusion: (True, True)}, steps=4)
    assert tiled.inversion_conds == [layer(2)]
    assert "encoded its prompt without steps, at Clip skip 2, the schedule's first value" in processed.comments


def test_the_blend_of_a_direct_encode_is_exact(stack):
    """Layers compare weights: a blend made twice over (the host's path and the model's) would not equal this."""
    webui = stack()
    tiled = webui.script(TiledDiffusion)
    webui.txt2img(args(2.3), others={TiledDiffusion: (True, True)})
    assert tiled.inversion_conds == [Layers({11: 0.7, 10: 0.3})]
