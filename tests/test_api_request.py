"""The top-level "clip_skip" field of txt2img/img2img requests, and this script's args beside it."""

import json

import pytest

from sd_webui_clip_skip.rules.api_request import CheckedRequest, check_generation_request


def rewritten(request):
    checked = check_generation_request(request)
    assert checked.error is None
    return checked.request


@pytest.mark.parametrize("value", [2, 12, 1, 2.0, "3"])
def test_a_top_level_clip_skip_becomes_the_accordion_on_at_that_value(value):
    request = rewritten({"prompt": "a cat", "clip_skip": value, "steps": 4})
    assert request == {"prompt": "a cat", "steps": 4, "alwayson_scripts": {"clip skip": {"args": [True, int(value)]}}}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "got 0"),
        (13, "got 13"),
        ("abc", "got 'abc'"),
        (2.75, "got 2.75"),
        (None, "got null"),
        (True, "got True"),
        ([2], "got [2]"),
        (float("nan"), "got nan"),
    ],
)
def test_a_bad_top_level_value_is_refused_naming_the_field(value, words):
    checked = check_generation_request({"clip_skip": value})
    assert checked.error == f"clip_skip must be a number from 1 to 12 with at most one decimal, {words}"


def test_other_scripts_and_our_other_args_are_kept():
    request = rewritten(
        {
            "clip_skip": 3,
            "alwayson_scripts": {"ADetailer": {"args": [True]}, "Clip Skip": {"args": [False, 1, False, True, 2]}},
        }
    )
    assert request["alwayson_scripts"] == {
        "ADetailer": {"args": [True]},
        "Clip Skip": {"args": [True, 3, False, True, 2]},
    }


def test_the_same_value_twice_is_fine():
    assert rewritten({"clip_skip": 2, "alwayson_scripts": {"clip skip": {"args": [True, 2]}}})["alwayson_scripts"] == {
        "clip skip": {"args": [True, 2]}
    }


@pytest.mark.parametrize(("args", "asked"), [([True, 3], "Clip skip 3"), ([True, 2, True], "Auto")])
def test_different_values_in_both_places_are_refused_naming_both(args, asked):
    checked = check_generation_request({"clip_skip": 2, "alwayson_scripts": {"clip skip": {"args": args}}})
    assert checked.error == (
        f"clip_skip 2 and alwayson_scripts['clip skip'].args ({asked}) ask for different values; send one of them"
    )


def test_bad_script_args_are_refused_first():
    checked = check_generation_request({"clip_skip": 2, "alwayson_scripts": {"clip skip": {"args": [True, 99]}}})
    assert "args[1]" in checked.error and "got 99" in checked.error


@pytest.mark.parametrize(
    "request_body",
    [{"prompt": "a cat"}, [], "clip_skip", {"alwayson_scripts": {"clip skip": {"args": [True, 2]}}}],
)
def test_nothing_to_rewrite(request_body):
    assert check_generation_request(request_body) == CheckedRequest()


def test_the_rewritten_request_is_plain_json():
    json.dumps(rewritten({"clip_skip": 4, "override_settings": {"CLIP_stop_at_last_layers": 2}}))
