import pytest

from sd_webui_clip_skip.rules.paste import PASTE_CLIP_SKIP, PASTE_ENABLED, pasted_clip_skip, pasted_enabled


def test_the_targets_are_the_infotext_label_for_the_host():
    assert PASTE_CLIP_SKIP == "Clip skip"
    assert {PASTE_ENABLED: 1, PASTE_CLIP_SKIP: 1} == {"Clip skip": 1}
    assert "Clip skip" in {PASTE_CLIP_SKIP: 1}
    assert callable(PASTE_CLIP_SKIP)
    assert PASTE_CLIP_SKIP({"Clip skip": "3"}) == 3
    assert PASTE_ENABLED({"Clip skip": "3"}) is True


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("1", 1), ("12", 12), ("2.0", 2)])
def test_valid_values_turn_on_at_that_value(text, value):
    assert pasted_clip_skip({"Clip skip": text}) == value
    assert pasted_enabled({"Clip skip": text}) is True


@pytest.mark.parametrize("text", ["abc", "1.5", "0", "13", "", "-2"])
def test_bad_values_leave_the_controls_and_are_logged_once(text, caplog):
    assert pasted_enabled({"Clip skip": text}) is None
    assert pasted_clip_skip({"Clip skip": text}) is None
    assert len(caplog.records) == 1
    assert "must be an integer from 1 to 12" in caplog.text


def test_an_absent_key_changes_nothing():
    assert pasted_clip_skip({}) is None
    assert pasted_enabled({}) is None
