"""A hint when a prompt's LoRA was trained at another Clip skip than the image uses."""

import logging

import pytest

from tests.fakewebui import CLIP_KEY

HINT = "LoRA foo was trained at clip skip 2; this image uses 1"


@pytest.fixture
def webui(make_webui, request, caplog):
    caplog.set_level(logging.INFO, logger="sd_webui_clip_skip")
    webui = make_webui(flavor=request.param, config={CLIP_KEY: 1})
    webui.networks.add("foo", {"ss_clip_skip": "2", "ss_output_name": "foo"})
    return webui


pytestmark = pytest.mark.parametrize("webui", ["a1111", "forge"], indirect=True)


def test_a_lora_trained_at_another_value_gets_a_hint(webui, caplog):
    processed, _ = webui.txt2img((True, 1), prompt="a cat <lora:foo:0.8>", n_iter=2)
    assert processed.comments == f"{HINT}\n"
    assert [r.getMessage() for r in caplog.records].count(HINT) == 1


def test_the_same_value_needs_no_hint(webui):
    processed, _ = webui.txt2img((True, 2), prompt="a cat <lora:foo:0.8>")
    assert processed.comments == ""


def test_the_value_compared_is_the_one_the_image_used(webui):
    processed, _ = webui.txt2img((True, 1), prompt="a cat <lora:foo:0.8>", override_settings_texts=["Clip skip: 2"])
    assert processed.comments == ""


def test_an_unknown_lora_or_one_without_the_key_gets_none(webui):
    webui.networks.add("bar", {"ss_clip_skip": "None"})
    processed, _ = webui.txt2img((True, 1), prompt="a cat <lora:missing:1> <lora:bar:1>")
    assert processed.comments == ""


def test_a_broken_file_does_not_stop_the_generation(webui, caplog):
    webui.networks.add("broken", raw=b"\xff" * 5)
    processed, _ = webui.txt2img((True, 1), prompt="a cat <lora:broken:1> <lora:foo:1>")
    assert processed.comments == f"{HINT}\n"
    assert "Could not read Clip skip from the model's metadata" in caplog.text
    assert webui.reported == []


def test_off_gives_no_hints(webui):
    processed, _ = webui.txt2img((False, 1), prompt="a cat <lora:foo:0.8>")
    assert processed.comments == ""


def test_a_lora_named_by_its_alias_gets_the_hint(webui):
    webui.networks.add("foo_v2_final", {"ss_clip_skip": "2", "ss_output_name": "fooStyle"})
    assert webui.networks.lookup("fooStyle") is not None  # the host would load it
    processed, _ = webui.txt2img((True, 1), prompt="a cat <lora:fooStyle:0.8>")
    assert processed.comments == "LoRA fooStyle was trained at clip skip 2; this image uses 1\n"
