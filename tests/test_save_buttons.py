"""The Save and Forget buttons, clicked as gradio runs them, and what Auto then does."""

import json
from pathlib import Path

import pytest

from tests.fakewebui import CLIP_KEY, PROFILES, Checkpoint

ANIME = Checkpoint("animeModelV3", metadata={"ss_clip_skip": "2"})
DEFAULTS_FILE = "clip-skip-model-defaults.json"


def click(webui, item, *values, runner=None):
    runner = runner or webui.txt2img_runner
    return runner.click(webui.extension(runner).elem_id(item), *values)


def auto_layer(webui):
    processed, _ = webui.txt2img((True, 1, True))
    return processed.images[0][3]


@pytest.fixture(params=sorted(PROFILES))
def webui(make_webui, request):
    return make_webui(flavor=request.param, config={CLIP_KEY: 1}, checkpoints=[ANIME])


def test_save_writes_the_data_folder_and_says_so(webui):
    assert click(webui, "clip_skip_save", 3) == "Saved Clip skip 3 for animeModelV3: Auto uses it with this checkpoint."
    document = json.loads((Path(webui.data_path) / DEFAULTS_FILE).read_text())
    shorthash = webui.sd_models.select_checkpoint().shorthash  # Forge Neo has loaded none yet
    assert document == {"version": 1, "models": {shorthash: {"name": "animeModelV3", "clip_skip": 3}}}
    assert auto_layer(webui) == "layer 10"


def test_save_takes_the_sliders_value(webui):
    extension = webui.extension()
    extension.controls[1].value = 5  # what the browser sends as the slider's value
    assert click(webui, "clip_skip_save").startswith("Saved Clip skip 5 ")


def test_the_img2img_tab_saves_for_the_same_checkpoint(webui):
    click(webui, "clip_skip_save", 4, runner=webui.img2img_runner)
    assert auto_layer(webui) == "layer 9"


def test_a_saved_default_survives_a_restart(make_webui, webui):
    click(webui, "clip_skip_save", 3)
    restarted = make_webui(flavor=webui.flavor, config={CLIP_KEY: 1}, data_path=webui.data_path, checkpoints=[ANIME])
    assert restarted.extension() is not webui.extension()
    assert auto_layer(restarted) == "layer 10"


def test_forget_goes_back_to_the_metadata(webui):
    click(webui, "clip_skip_save", 3)
    assert click(webui, "clip_skip_clear") == "Forgot the Clip skip saved for animeModelV3."
    assert auto_layer(webui) == "layer 11"
    assert click(webui, "clip_skip_clear") == "No Clip skip was saved for animeModelV3."


def test_no_checkpoint_saves_nothing(make_webui, tmp_path):
    webui = make_webui(checkpoints=())
    assert click(webui, "clip_skip_save", 3) == "No checkpoint is selected, so nothing was saved."
    assert click(webui, "clip_skip_clear") == "No checkpoint is selected."
    assert not (tmp_path / DEFAULTS_FILE).exists()


def test_without_a_hash_nothing_is_saved(make_webui, tmp_path):
    unhashed = Checkpoint("animeModelV3", hashed=False)
    webui = make_webui(checkpoints=[unhashed], cmd_opts={"no_hashing": True})
    assert webui.loaded_checkpoint.shorthash is None
    message = click(webui, "clip_skip_save", 3)
    assert message.startswith("Not saved: This checkpoint has no hash (is --no-hashing on?)")
    assert click(webui, "clip_skip_clear").startswith("Not changed: This checkpoint has no hash")
    assert not (tmp_path / DEFAULTS_FILE).exists()


def test_ersatzforge_without_its_sha256_setting_names_the_setting(make_webui):
    """ersatzForge hashes no checkpoint while "Use SHA256 to hash checkpoints" is off, its default
    (ersatzForge fca12a2 modules/hashes.py:sha256, use_real_SHA256); there is no --no-hashing to blame."""
    webui = make_webui(config={"use_real_SHA256": False}, checkpoints=[Checkpoint("animeModelV3", hashed=False)])
    assert webui.loaded_checkpoint.shorthash is None
    setting = '(turn on Settings › System › "Use SHA256 to hash checkpoints")'
    saved = click(webui, "clip_skip_save", 3)
    assert saved == f"Not saved: This checkpoint has no hash {setting}, so no default can be saved."
    assert click(webui, "clip_skip_clear").startswith(f"Not changed: This checkpoint has no hash {setting}")
    assert not (Path(webui.data_path) / DEFAULTS_FILE).exists()
    webui.opts.data["use_real_SHA256"] = True
    assert click(webui, "clip_skip_save", 3).startswith("Saved Clip skip 3 for animeModelV3")


def test_a_checkpoint_hashed_only_now_is_hashed_by_save(make_webui):
    """Forge selects a checkpoint without loading it, so it may not have a hash yet."""
    webui = make_webui(flavor="forge", checkpoints=[Checkpoint("first"), Checkpoint("other", hashed=False)])
    webui.select_checkpoint("other")
    assert click(webui, "clip_skip_save", 7).startswith("Saved Clip skip 7 for other")
    assert auto_layer(webui) == "layer 6"
    assert webui.loaded_checkpoint.name_for_extra == "other"
