"""What the loaded model makes of the value: shown under the image (p.comment) and logged, once per generation."""

import logging

import pytest

from tests.fakewebui import CLIP_KEY, Checkpoint

INFOTEXT = " A `Clip skip` in such an image's infotext, the extension's or the WebUI's, changed nothing."
A1111_SD2 = f"Clip skip has no effect on SD2 models in AUTOMATIC1111. SD2 always uses its penultimate layer.{INFOTEXT}"
A1111_SDXL_OFF = (
    "Clip skip has no effect on SDXL models in AUTOMATIC1111. "
    f"Turn on Settings › Stable Diffusion › Clip skip SDXL to apply it to CLIP-L.{INFOTEXT}"
)
A1111_SDXL_3 = "On SDXL, AUTOMATIC1111 applies Clip skip to CLIP-L only; CLIP-G keeps its default layer."
A1111_REFINER = f"Clip skip has no effect on SDXL refiner models in AUTOMATIC1111.{INFOTEXT}"
FORGE_FLUX = f"Clip skip has no effect on Flux models in Forge. Flux uses only CLIP-L's pooled output.{INFOTEXT}"
FORGE_SDXL = "Forge treats Clip skip 1 and 2 alike on SDXL: both are the model's default; 3 and up skip further."


def generate(make_webui, flavor, family, args=(True, 2), config=None, **job):
    webui = make_webui(flavor=flavor, config=config or {CLIP_KEY: 1}, checkpoints=[Checkpoint("model", family)])
    processed, _ = webui.txt2img(args, **job)
    return webui, processed


def logged(caplog, text):
    return [r for r in caplog.records if r.getMessage() == text]


@pytest.fixture(autouse=True)
def _info_logs(caplog):
    caplog.set_level(logging.INFO, logger="sd_webui_clip_skip")


@pytest.mark.parametrize(
    ("flavor", "family", "args", "notice"),
    [
        ("a1111", "SD2", (True, 2), A1111_SD2),
        ("a1111", "SDXL refiner", (True, 2), A1111_REFINER),
        ("forge", "Flux", (True, 2), FORGE_FLUX),
        ("forge", "SDXL", (True, 1), FORGE_SDXL),
        ("forge", "SDXL refiner", (True, 2), FORGE_SDXL.replace("SDXL", "SDXL refiner")),
    ],
)
def test_a_notice_is_shown_under_the_image_and_logged_once(make_webui, caplog, flavor, family, args, notice):
    webui, processed = generate(make_webui, flavor, family, args, n_iter=2, batch_size=2)
    assert processed.comments == f"{notice}\n"
    assert len(logged(caplog, notice)) == 1
    webui.txt2img(args)
    assert len(logged(caplog, notice)) == 2  # once per generation


@pytest.mark.parametrize(
    ("flavor", "family", "notice"),
    [
        ("ersatzforge", "Z-Image", f"Clip skip has no effect on Z-Image models in ersatzForge.{INFOTEXT}"),
        ("ersatzforge", "Flux.2 Klein", f"Clip skip has no effect on Flux.2 Klein models in ersatzForge.{INFOTEXT}"),
        ("neo", "Qwen-Image", f"Clip skip has no effect on Qwen-Image models in Forge Neo.{INFOTEXT}"),
        ("neo", "Anima", f"Clip skip has no effect on Anima models in Forge Neo.{INFOTEXT}"),
        (
            "neo",
            "a new family",
            "Clip skip has no effect on this model in Forge Neo (only its SD1 and SDXL encoders read it)." + INFOTEXT,
        ),
        (
            "neo",
            "Mugen",
            "Forge Neo treats Clip skip 1 and 2 alike on SDXL: both are the model's default; 3 and up skip further.",
        ),
        ("forge", "Chroma", f"Clip skip has no effect on Chroma models in Forge.{INFOTEXT}"),
    ],
)
def test_the_engines_of_each_forge_derivative_are_named_in_their_notice(make_webui, flavor, family, notice):
    """The fake's engine classes per host (fakewebui/models.py) reach the notice through the adapter's class map."""
    webui, processed = generate(make_webui, flavor, family, (True, 2))
    assert processed.comments == f"{notice}\n"
    assert "Clip skip: 2" in processed.infotexts[0]  # the value chosen stays recorded, to reproduce elsewhere
    assert webui.global_clip_skip == 1


@pytest.mark.parametrize(
    ("flavor", "notice"),
    [
        (
            "reforge",
            "reForge treats Clip skip 1 and 2 alike on SD2: both are the model's default; 3 and up skip further.",
        ),
        (
            "classic",
            "Clip skip has no effect on SD2 models in Forge Classic. It encodes SD2 at its fixed penultimate layer."
            + INFOTEXT,
        ),
    ],
)
def test_an_sd2_model_is_known_by_its_encoder_where_the_host_flags_it_sd1(make_webui, flavor, notice):
    """reForge and Classic set is_sd1 on an SD2 model (fakewebui/models.py:_FORGE_LOADER_SD2); a real reForge and
    Classic were seen doing so when the family measurement switched to SD2."""
    webui, processed = generate(make_webui, flavor, "SD2", (True, 2))
    assert webui.shared.sd_model.is_sd1
    assert processed.comments == f"{notice}\n"


@pytest.mark.parametrize(
    ("flavor", "family", "value"),
    [("a1111", "SD1", 2), ("forge", "SD1", 2), ("forge", "SD2", 1), ("forge", "SD3", 2), ("forge", "SDXL", 3)],
)
def test_no_notice_where_the_value_means_what_it_does_on_sd1(make_webui, caplog, flavor, family, value):
    _, processed = generate(make_webui, flavor, family, (True, value))
    assert processed.comments == ""
    assert [r for r in caplog.records if "Clip skip" in r.getMessage() and "effect" in r.getMessage()] == []


def test_the_hires_value_gets_its_own_notice(make_webui):
    _, processed = generate(make_webui, "forge", "SDXL", (True, 3, False, True, 1), enable_hr=True)
    assert processed.comments == f"{FORGE_SDXL}\n"  # for 1 (hires), none for 3 (first pass)


def test_off_says_nothing(make_webui, caplog):
    _, processed = generate(make_webui, "a1111", "SD2", (False, 2))
    assert processed.comments == ""
    assert logged(caplog, A1111_SD2) == []


def test_a1111_sdxl_without_clip_l_skip(make_webui):
    _, processed = generate(make_webui, "a1111", "SDXL", (True, 2))
    assert processed.comments == f"{A1111_SDXL_OFF}\n"


def test_a1111_sdxl_with_clip_l_skip(make_webui):
    _, processed = generate(make_webui, "a1111", "SDXL", (True, 3), config={CLIP_KEY: 1, "sdxl_clip_l_skip": True})
    assert processed.comments == f"{A1111_SDXL_3}\n"


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"dynamic_clip_skip_enabled": True, "dynamic_clip_skip_start": 5}, "ramp from 5 to 2"),
        (
            {
                "dynamic_clip_skip_enabled": True,
                "dynamic_clip_skip_use_schedule": True,
                "dynamic_clip_skip_schedule_values": "9,7,4",
            },
            "schedule 9,7,4",
        ),
    ],
)
def test_reforges_dynamic_clip_skip_is_said_and_the_infotext_stays_the_hosts(make_webui, options, said):
    webui = make_webui(flavor="reforge", config={"CLIP_stop_at_last_layers": 1, **options})
    processed, p = webui.txt2img((True, 3))
    assert f"reForge's dynamic Clip skip ({said}) shapes this image, not Clip skip 3" in processed.comments
    # The infotext's Clip skip is the host's: reForge writes its schedule's start value and the schedule
    # (3b56b268 processing.py:setup_conds); the extension claims nothing.
    assert "Clip skip" not in p.extra_generation_params
    assert webui.global_clip_skip == 1
