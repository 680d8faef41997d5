import math

import pytest

from sd_webui_clip_skip.rules.values import ClipSkipError, parse_clip_skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (12, 12), (2.0, 2), ("2", 2), (" 3 ", 3), ("+4", 4), ("2.0", 2), ("12", 12)],
)
def test_whole_numbers_from_1_to_12_are_clip_skips(value, expected):
    assert parse_clip_skip(value) == expected
    assert type(parse_clip_skip(value)) is int


@pytest.mark.parametrize(
    "value",
    [0, 13, -1, 1.5, "1.5", "abc", "", " ", "0", "13", None, True, False, math.nan, math.inf, "2e0", [2], "1-12"],
)
def test_anything_else_is_refused_with_the_range(value):
    with pytest.raises(ClipSkipError, match="must be an integer from 1 to 12"):
        parse_clip_skip(value)


def test_the_error_names_where_the_value_came_from():
    with pytest.raises(ClipSkipError, match=r"^Pasted 'Clip skip' must be an integer from 1 to 12, got 'abc'$"):
        parse_clip_skip("abc", source="Pasted 'Clip skip'")
