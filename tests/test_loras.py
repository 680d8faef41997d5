import pytest

from sd_webui_clip_skip.models.loras import lora_hint, lora_names


@pytest.mark.parametrize(
    ("prompt", "names"),
    [
        ("a cat <lora:foo:0.8>", ["foo"]),
        ("a cat <lora:foo>", ["foo"]),
        ("<lora:foo:0.5:1>", ["foo"]),
        ("<lora:foo:0.5:1:16>", ["foo"]),
        ("<lyco:bar:1:te=0.5>", ["bar"]),
        ("<lora:te=0.5:foo:1>", ["foo"]),  # named items (one "=") are not the name
        ("<lora:my-lora_v1.5:0.7>", ["my-lora_v1.5"]),
        ("<lora:name with spaces:1>", ["name with spaces"]),
        ("<lora: foo :1>", ["foo"]),
        ("<lora:a:1> x <lora:b:1>, <lyco:a:0.5>\n<lora:c>", ["a", "b", "c"]),
        ("<lora:b:1> <lora:a:1>", ["b", "a"]),
        ("<hypernet:h:1> <ti:x>", []),
        ("<LORA:x:1>", []),  # the host's extra networks are registered in lower case
        ("<lora:>", []),
        ("<lora::1>", []),
        ("no networks (lora:foo:1)", []),
        ("", []),
    ],
)
def test_lora_names_are_the_first_field_once_each_in_prompt_order(prompt, names):
    assert lora_names(prompt) == names


def test_a_hint_when_the_lora_was_trained_at_another_clip_skip():
    assert lora_hint("foo", 2, 1) == "LoRA foo was trained at clip skip 2; this image uses 1"
    assert lora_hint("bar", 1, 3) == "LoRA bar was trained at clip skip 1; this image uses 3"


def test_no_hint_when_they_match():
    assert lora_hint("foo", 2, 2) is None
