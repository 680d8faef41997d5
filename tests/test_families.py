import pytest

from sd_webui_clip_skip import hosts
from sd_webui_clip_skip.host import HostKind, ModelFamily
from sd_webui_clip_skip.models.families import NOTICES, effect_notice, predicted_groups
from sd_webui_clip_skip.rules.values import ClipSkipError

A1111, REFORGE, FORGE = HostKind.A1111, HostKind.REFORGE, HostKind.FORGE
CLASSIC, NEO, ERSATZ = HostKind.FORGE_CLASSIC, HostKind.FORGE_NEO, HostKind.ERSATZ_FORGE
F = ModelFamily
INFOTEXT = " A `Clip skip` in such an image's infotext, the extension's or the WebUI's, changed nothing."


def no_effect(host, family, detail=""):
    return f"Clip skip has no effect on {family} models in {host}.{detail}{INFOTEXT}"


A1111_SDXL_OFF = no_effect(
    "AUTOMATIC1111", "SDXL", " Turn on Settings › Stable Diffusion › Clip skip SDXL to apply it to CLIP-L."
)
A1111_SD2 = no_effect("AUTOMATIC1111", "SD2", " SD2 always uses its penultimate layer.")
ONE_IS_TWO = "{} treats Clip skip 1 and 2 alike on {}: both are the model's default; 3 and up skip further."
SD2_FROM_PENULTIMATE = (
    "On SD2, {} counts from the model's default penultimate layer: each value skips one layer more than on SD1."
)
SD3_LAST = "On SD3, {}'s Clip skip 1 uses the last layer, not the model's default penultimate one; 2 is the default."
FLUX_POOLED = " Flux uses only CLIP-L's pooled output."

# Families encoded by T5 or a language model at fixed layers, per host (families.py's docstring).
NO_CLIP = {
    FORGE: ["Chroma"],
    ERSATZ: [
        "Chroma",
        "Cosmos Predict2",
        "Wan",
        "Lumina 2",
        "Z-Image",
        "Anima",
        "ERNIE-Image",
        "Flux.2 Klein",
        "Krea 2",
    ],
    NEO: [
        "Chroma",
        "Flux.2 Klein",
        "Z-Image",
        "Lumina 2",
        "Qwen-Image",
        "Wan",
        "Anima",
        "ERNIE-Image",
        "Krea 2",
        "PiD",
    ],
}

# One case or more per row of NOTICES: (host, family, value, sdxl_clip_l_skip, notice).
CASES = [
    (CLASSIC, F.SD2, 2, False, no_effect("Forge Classic", "SD2", " It encodes SD2 at its fixed penultimate layer.")),
    (CLASSIC, F.SDXL, 2, False, no_effect("Forge Classic", "SDXL", " It encodes SDXL at fixed layers.")),
    (
        CLASSIC,
        F.SDXL_REFINER,
        1,
        False,
        no_effect("Forge Classic", "SDXL refiner", " It encodes SDXL at fixed layers."),
    ),
    (NEO, F.SDXL, 1, False, ONE_IS_TWO.format("Forge Neo", "SDXL")),
    (NEO, F.SDXL_REFINER, 2, False, ONE_IS_TWO.format("Forge Neo", "SDXL refiner")),
    (NEO, F.FLUX, 4, False, no_effect("Forge Neo", "Flux", FLUX_POOLED)),
    (
        NEO,
        F.UNKNOWN,
        2,
        False,
        "Clip skip has no effect on this model in Forge Neo (only its SD1 and SDXL encoders read it)." + INFOTEXT,
    ),
    *[
        (host, F(family), value, False, no_effect(host.value, family))
        for host, families in NO_CLIP.items()
        for family in families
        for value in (1, 2, 12)
    ],
    (A1111, F.SD2, 1, False, A1111_SD2),
    (A1111, F.SD2, 12, True, A1111_SD2),
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
    (A1111, F.SDXL_REFINER, 2, True, no_effect("AUTOMATIC1111", "SDXL refiner")),
    (A1111, F.SD3, 2, False, no_effect("AUTOMATIC1111", "SD3")),
    *[
        case
        for host in (FORGE, ERSATZ)
        for case in [
            (host, F.SD2, 2, False, SD2_FROM_PENULTIMATE.format(host.value)),
            (host, F.SDXL, 1, False, ONE_IS_TWO.format(host.value, "SDXL")),
            (host, F.SDXL, 2, True, ONE_IS_TWO.format(host.value, "SDXL")),
            (host, F.SDXL_REFINER, 1, False, ONE_IS_TWO.format(host.value, "SDXL refiner")),
            (host, F.SD3, 1, False, SD3_LAST.format(host.value)),
            (host, F.FLUX, 1, False, no_effect(host.value, "Flux", FLUX_POOLED)),
            (host, F.FLUX, 12, False, no_effect(host.value, "Flux", FLUX_POOLED)),
        ]
    ],
    (REFORGE, F.SD2, 1, False, ONE_IS_TWO.format("reForge", "SD2")),
    (REFORGE, F.SD2, 2, False, ONE_IS_TWO.format("reForge", "SD2")),
    (REFORGE, F.SDXL, 1, True, ONE_IS_TWO.format("reForge", "SDXL")),
    (REFORGE, F.SDXL_REFINER, 2, False, ONE_IS_TWO.format("reForge", "SDXL refiner")),
    (REFORGE, F.SD3, 3, False, no_effect("reForge", "SD3")),
    (REFORGE, F.FLUX, 3, False, no_effect("reForge", "Flux")),
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
    (NEO, F.SDXL_REFINER, 3, False),
    (ERSATZ, F.SD2, 1, False),
    (ERSATZ, F.SDXL, 3, False),
    (ERSATZ, F.SD3, 2, False),
    (REFORGE, F.CHROMA, 2, False),  # reForge loads no Chroma
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


@pytest.mark.parametrize(
    ("host", "family", "clip_l_skip", "groups"),
    [
        (A1111, F.SD1, False, [[1], [2], [3], [4]]),
        (A1111, F.SD2, False, [[1, 2, 3, 4]]),
        (A1111, F.SDXL, False, [[1, 2, 3, 4]]),
        (A1111, F.SDXL, True, [[1], [2], [3], [4]]),  # each value "means something else", none alike
        (FORGE, F.SD2, False, [[1], [2], [3], [4]]),
        (FORGE, F.SDXL, False, [[1, 2], [3], [4]]),
        (REFORGE, F.SD2, True, [[1, 2], [3], [4]]),
        (CLASSIC, F.SDXL, False, [[1, 2, 3, 4]]),
        (NEO, F.Z_IMAGE, False, [[1, 2, 3, 4]]),
        (NEO, F.UNKNOWN, False, [[1, 2, 3, 4]]),
        (ERSATZ, F.UNKNOWN, False, [[1], [2], [3], [4]]),  # no row: the table claims nothing
    ],
)
def test_the_table_predicts_which_values_give_identical_images(host, family, clip_l_skip, groups):
    assert predicted_groups(host, family, [1, 2, 3, 4], sdxl_clip_l_skip=clip_l_skip) == groups
