import pytest

from sd_webui_clip_skip.rules.freeze import freeze_reason

SECTION = ("sd", "Stable Diffusion")


def reason(**overrides):
    kwargs = {"freeze_all": False, "frozen_sections": None, "frozen_keys": None, "section": SECTION}
    return freeze_reason(**{**kwargs, **overrides})


def test_nothing_frozen():
    assert reason() is None
    assert reason(frozen_sections="saving-images, ui", frozen_keys="sd_vae") is None


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"freeze_all": True}, "--freeze-settings"),
        ({"frozen_sections": "ui, sd"}, "--freeze-settings-in-sections"),
        ({"frozen_sections": "Stable Diffusion"}, "'Stable Diffusion'"),
        ({"frozen_keys": "sd_vae , CLIP_stop_at_last_layers"}, "--freeze-specific-settings"),
    ],
)
def test_each_freeze_flag_is_explained(overrides, words):
    assert words in reason(**overrides)
