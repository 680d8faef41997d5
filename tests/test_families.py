import pytest

from sd_webui_clip_skip import hosts
from sd_webui_clip_skip.host import HostKind, ModelFamily
from sd_webui_clip_skip.models.families import NOTICES, effect_notice
from sd_webui_clip_skip.rules.values import ClipSkipError

A1111, REFORGE, FORGE = HostKind.A1111, HostKind.REFORGE, HostKind.FORGE
CLASSIC, NEO = HostKind.FORGE_CLASSIC, HostKind.FORGE_NEO
NEO_WRITES = " A `Clip skip: 2` that Forge Neo writes on its own means nothing for such an image."
F = ModelFamily

A1111_SDXL_OFF = (
    "Clip skip has no effect on SDXL models in AUTOMATIC1111. "
    "Turn on Settings › Stable Diffusion › Clip skip SDXL to apply it to CLIP-L."
)
ONE_IS_TWO = "{} treats Clip skip 1 and 2 alike on {}: both are the model's default; 3 and up skip further."

# One case or more per row of NOTICES: (host, family, value, sdxl_clip_l_skip, notice).
CASES = [
    (
        CLASSIC,
        F.SDXL,
        2,
        False,
        "Clip skip has no effect on SDXL models in Forge Classic. It encodes SDXL at fixed layers.",
    ),
    (NEO, F.SDXL, 1, False, ONE_IS_TWO.format("Forge Neo", "SDXL")),
    (NEO, F.FLUX, 4, False, "Clip skip has no effect on Flux models in Forge Neo." + NEO_WRITES),
    (
        NEO,
        F.UNKNOWN,
        2,
        False,
        "Clip skip has no effect on this model in Forge Neo (only its SD1, SDXL and Flux encoders read it)."
        + NEO_WRITES,
    ),
    (
        A1111,
        F.SD2,
        1,
        False,
        "Clip skip has no effect on SD2 models in AUTOMATIC1111. SD2 always uses its penultimate layer.",
    ),
    (
        A1111,
        F.SD2,
        12,
        True,
        "Clip skip has no effect on SD2 models in AUTOMATIC1111. SD2 always uses its penultimate layer.",
    ),
    (A1111, F.SDXL, 1, False, A1111_SDXL_OFF),
    (A1111, F.SDXL, 2, False, A1111_SDXL_OFF),
    (A1111, F.SDXL, 12, False, A1111_SDXL_OFF),
    (A1111, F.SDXL, 1, True, "On SDXL, Clip skip 1 uses CLIP-L's last layer, which is not the SDXL default; 2 is."),
    (A1111, F.SDXL, 2, True, "On SDXL, Clip skip 2 is the model's default: the same as with Clip skip SDXL off."),
    (
        A1111,
        F.SDXL,
        3,
        True,
        "On SDXL, AUTOMATIC1111 applies Clip skip to CLIP-L only; CLIP-G keeps its default layer.",
    ),
    (
        A1111,
        F.SDXL,
        12,
        True,
        "On SDXL, AUTOMATIC1111 applies Clip skip to CLIP-L only; CLIP-G keeps its default layer.",
    ),
    (A1111, F.SDXL_REFINER, 2, True, "Clip skip has no effect on SDXL refiner models in AUTOMATIC1111."),
    (A1111, F.SD3, 2, False, "Clip skip has no effect on SD3 models in AUTOMATIC1111."),
    (
        FORGE,
        F.SD2,
        2,
        False,
        "On SD2, Forge counts from the model's default penultimate layer: each value skips one layer more than on SD1.",
    ),
    (FORGE, F.SDXL, 1, False, ONE_IS_TWO.format("Forge", "SDXL")),
    (FORGE, F.SDXL, 2, True, ONE_IS_TWO.format("Forge", "SDXL")),
    (FORGE, F.SDXL_REFINER, 1, False, ONE_IS_TWO.format("Forge", "SDXL refiner")),
    (
        FORGE,
        F.SD3,
        1,
        False,
        "On SD3, Forge's Clip skip 1 uses the last layer, not the model's default penultimate one; 2 is the default.",
    ),
    (
        FORGE,
        F.FLUX,
        1,
        False,
        "Clip skip has no effect on Flux models in Forge. Flux uses only CLIP-L's pooled output.",
    ),
    (
        FORGE,
        F.FLUX,
        12,
        False,
        "Clip skip has no effect on Flux models in Forge. Flux uses only CLIP-L's pooled output.",
    ),
    (REFORGE, F.SD2, 1, False, ONE_IS_TWO.format("reForge", "SD2")),
    (REFORGE, F.SD2, 2, False, ONE_IS_TWO.format("reForge", "SD2")),
    (REFORGE, F.SDXL, 1, True, ONE_IS_TWO.format("reForge", "SDXL")),
    (REFORGE, F.SDXL_REFINER, 2, False, ONE_IS_TWO.format("reForge", "SDXL refiner")),
    (REFORGE, F.SD3, 3, False, "Clip skip has no effect on SD3 models in reForge."),
    (REFORGE, F.FLUX, 3, False, "Clip skip has no effect on Flux models in reForge."),
]

# Values that mean on these models what they mean on SD1, or only skip further than the default.
SILENT = [
    (FORGE, F.SD2, 1, False),
    (FORGE, F.SDXL, 3, False),
    (FORGE, F.SDXL, 3, True),  # Forge ignores sdxl_clip_l_skip
    (FORGE, F.SDXL_REFINER, 12, False),
    (FORGE, F.SD3, 2, False),
    (FORGE, F.SD3, 3, False),
    (REFORGE, F.SD2, 3, False),
    (REFORGE, F.SDXL, 3, True),
    (REFORGE, F.SDXL_REFINER, 3, False),
    (NEO, F.SDXL, 3, False),
    (NEO, F.SD2, 2, False),  # Neo loads no SD2
]


@pytest.mark.parametrize(("host", "family", "value", "clip_l_skip", "notice"), CASES)
def test_notice(host, family, value, clip_l_skip, notice):
    assert effect_notice(host, family, value, sdxl_clip_l_skip=clip_l_skip) == notice


@pytest.mark.parametrize(("host", "family", "value", "clip_l_skip"), SILENT)
def test_no_notice(host, family, value, clip_l_skip):
    assert effect_notice(host, family, value, sdxl_clip_l_skip=clip_l_skip) is None


def test_every_row_of_the_table_is_tested():
    def row(host, family, value, clip_l_skip):
        return next(
            n
            for n in NOTICES
            if (n.host, n.family) == (host, family) and value in n.values and n.sdxl_clip_l_skip in (None, clip_l_skip)
        )

    assert {row(*case[:4]) for case in CASES} == set(NOTICES)


@pytest.mark.parametrize("host", list(HostKind))
@pytest.mark.parametrize("family", [F.SD1, F.UNKNOWN, F.NOT_LOADED])
@pytest.mark.parametrize("clip_l_skip", [False, True])
def test_sd1_unknown_and_absent_models_get_no_notice_except_neos_unknown_families(host, family, clip_l_skip):
    silent = all(effect_notice(host, family, v, sdxl_clip_l_skip=clip_l_skip) is None for v in range(1, 13))
    assert silent is not (host is NEO and family is F.UNKNOWN)


def test_the_setting_is_off_unless_said():
    assert effect_notice(A1111, F.SDXL, 2) == A1111_SDXL_OFF


@pytest.mark.parametrize("value", [0, 13, 1.5, "abc"])
def test_a_value_that_is_not_a_clip_skip_is_an_error(value):
    with pytest.raises(ClipSkipError):
        effect_notice(FORGE, F.SDXL, value)


@pytest.mark.parametrize(
    ("modules", "kind"),
    [(set(), A1111), ({"modules_forge"}, REFORGE), ({"modules_forge", "modules_forge.main_entry"}, FORGE)],
)
def test_host_kinds_are_named_as_detect_host_names_hosts(monkeypatch, modules, kind):
    monkeypatch.setattr(hosts, "_has_module", lambda name: name in modules)
    assert HostKind(hosts.detect_host().name) is kind
