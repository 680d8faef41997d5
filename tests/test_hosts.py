import sys

import pytest

from sd_webui_clip_skip.host import ModelFamily
from sd_webui_clip_skip.hosts import UnsupportedHost, detect_host, identify
from sd_webui_clip_skip.hosts.webui import model_family
from tests.fakewebui import CLIP_KEY, PROFILES


def test_forge_is_detected(make_webui):
    make_webui(flavor="forge")
    assert detect_host().name == "Forge"


def test_a1111_is_detected(make_webui):
    make_webui(flavor="a1111")
    assert detect_host().name == "AUTOMATIC1111"


def test_reforge_is_detected(make_webui):
    webui = make_webui(flavor="a1111")
    webui._add_module("modules_forge")
    webui._add_module("modules_forge.forge_version", version="1.0.0v2-v1.10.1RC")
    assert detect_host().name == "reForge"


def test_sdnext_gets_a_console_notice_and_no_script(make_webui, capsys):
    webui = make_webui(flavor="a1111")
    webui._add_module("modules.processing_class")
    host = detect_host()
    assert isinstance(host, UnsupportedHost)
    capsys.readouterr()
    module = webui.load_extension()
    assert capsys.readouterr().err.startswith("[Clip skip] Not active on SD.Next: SD.Next already makes")
    assert module.ClipSkipScript().show(False) is False


def test_the_adapter_reads_the_default_when_config_json_lacks_the_key(make_webui):
    webui = make_webui(config={})
    host = detect_host()
    assert host.clip_skip_in_effect() == 1
    assert host.options() is webui.opts.data
    webui.opts.data[CLIP_KEY] = 4
    assert host.clip_skip_in_effect() == 4


@pytest.mark.parametrize("flavor", sorted(PROFILES))
def test_without_input_accordion_the_fallback_builds(make_webui, flavor):
    webui = make_webui(flavor=flavor, input_accordion=False)
    processed, _ = webui.txt2img((True, 2))
    assert "Clip skip: 2" in processed.infotexts[0]
    controls = webui.extension().controls
    assert [(c.label, c.value) for c in controls] == [
        ("Clip skip", False),
        ("Clip skip value", 1),
        ("Auto (per model)", False),
        ("Hires clip skip", False),
        ("Hires clip skip value", 1),
        ("Exact value or schedule", ""),
    ]


def test_app_started_is_registered_without_the_hosts_stack_walk(make_webui):
    """A1111 1.9+ and Forge take the script's file name; otherwise each registration walks
    inspect.stack() (A1111 82a973c0 script_callbacks.py:add_callback), measured at ~0.15 s of startup."""
    webui = make_webui()
    assert webui.callbacks.registered["app_started"]
    assert webui.callbacks.registered["infotext_pasted"]
    assert webui.callbacks.stack_inspections == []


def test_app_started_on_a_host_without_the_filename_keyword(make_webui, monkeypatch):
    webui = make_webui()
    webui.callbacks.clear()

    def old_add_callback(callbacks, fun):  # A1111 1.6-1.8 (v1.6.0 5ef669de script_callbacks.py:add_callback)
        raise AssertionError("the old signature has no keywords")

    monkeypatch.setattr(sys.modules["modules.script_callbacks"], "add_callback", old_add_callback)
    webui.load_extension()
    assert len(webui.callbacks.registered["app_started"]) == 1


@pytest.mark.parametrize(
    ("version", "modules_forge", "main_entry", "kind"),
    [
        (None, False, False, "AUTOMATIC1111"),
        ("2.0.1v1.10.1", True, True, "Forge"),
        ("f0.0.17v1.8.0rc-latest-276-g29be1da7", True, True, "Forge"),
        ("1.0.0v2-v1.10.1RC", True, False, "reForge"),
        ("classic", True, False, "Forge Classic"),
        ("neo", True, True, "Forge Neo"),
        ("f2.ersatz", True, True, "ersatzForge"),
    ],
)
def test_each_host_is_identified_by_what_it_is(version, modules_forge, main_entry, kind):
    identified = identify(forge_version=version, has_modules_forge=modules_forge, has_forge_main_entry=main_entry)
    assert (identified.kind.value, identified.assumed) == (kind, None)


@pytest.mark.parametrize(("main_entry", "assumed"), [(True, "Forge"), (False, "reForge")])
def test_an_unknown_forge_version_is_assumed_and_said(main_entry, assumed):
    identified = identify(forge_version="x9", has_modules_forge=True, has_forge_main_entry=main_entry)
    assert identified.kind.value == assumed
    assert identified.assumed == f"unknown Forge version 'x9': assuming it behaves as {assumed}"


def test_the_version_module_decides_and_the_console_names_the_host(make_webui, capsys):
    webui = make_webui(flavor="a1111")
    webui._add_module("modules_forge")
    webui._add_module("modules_forge.forge_version", version="classic")
    assert detect_host().name == "Forge Classic"
    capsys.readouterr()
    webui.load_extension()
    assert capsys.readouterr().err == "[Clip skip] Per-generation Clip skip on Forge Classic.\n"


class TornDownModel:
    """A model reForge 3b56b268 tore down while it switched (sd_models.py:complete_model_teardown nulls its torch
    `_parameters`): torch's Module.__getattr__ then raises TypeError for any attribute not in its __dict__. Seen
    by the real-host suite when the status was read during a switch. Its flags and its sd_checkpoint_info are plain
    attributes, which the teardown keeps (it nulls containers and modules only)."""

    is_sd1, is_sd2, is_sdxl, is_sd3 = True, False, False, False
    sd_checkpoint_info = "the CheckpointInfo it was loaded from"

    def __getattr__(self, name):
        raise TypeError("argument of type 'NoneType' is not iterable")


class TornDownSdxlModel(TornDownModel):
    is_sd1, is_sdxl = False, True


def test_the_family_of_a_torn_down_model_is_read_from_its_flags():
    assert model_family(TornDownModel()) is ModelFamily.SD1
    assert model_family(TornDownSdxlModel()) is ModelFamily.SDXL
