import math

import pytest

from sd_webui_clip_skip.rules.values import (
    ClipSkipError,
    blend_layers,
    format_clip_skip,
    parse_clip_skip,
    parse_clip_skip_blend,
    whole_clip_skip,
)


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


# -- blends: a Clip skip with one decimal ---------------------------------------------------------

ALL_BLENDS = [tenths / 10 if tenths % 10 else tenths // 10 for tenths in range(10, 121)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, 1.5),
        ("1.5", 1.5),
        ("1.50", 1.5),
        ("1.500000", 1.5),
        (" 1.5 ", 1.5),
        ("\t2.5\n", 2.5),
        ("+1.5", 1.5),
        ("11.9", 11.9),
        (11.9, 11.9),
        (1.1 + 0.2, 1.3),  # 1.3000000000000003
        (1.2 - 0.1, 1.1),  # 1.0999999999999999
        (0.1 * 3 + 1, 1.3),
        (12.000000000000002, 12),
    ],
)
def test_a_number_with_one_decimal_is_a_blend(value, expected):
    assert parse_clip_skip_blend(value) == expected
    assert type(parse_clip_skip_blend(value)) is type(expected)


@pytest.mark.parametrize("value", [1, 1.0, "1", "1.0", "1.", "1.00", " 1. ", "+1.0", 2.0, "12.0", 12.0, 12])
def test_a_whole_number_written_with_a_decimal_is_the_whole_int(value):
    assert parse_clip_skip_blend(value) == int(float(value))
    assert type(parse_clip_skip_blend(value)) is int


@pytest.mark.parametrize(
    "value",
    [
        0, 0.9, 0.95, "0.9", 12.1, "12.1", 13, -1, -1.5, "-1.5", 1.55, "1.55", "1.05", 1.25, 12.04,
        True, False, None, math.nan, math.inf, -math.inf, "nan", "inf", "1e1", "1.5e0", "0x2", "1_5",
        "", " ", "1,5", "1 .5", "1. 5", "+ 1.5", "++1.5", "1.5.0", ".5", "1/2", [1.5], {"value": 1.5}, b"1.5",
    ],
)  # fmt: skip
def test_anything_else_is_refused_with_the_blend_range(value):
    with pytest.raises(ClipSkipError) as error:
        parse_clip_skip_blend(value)
    assert str(error.value) == f"Clip skip must be a number from 1 to 12 with at most one decimal, got {value!r}"


def test_the_blend_error_names_where_the_value_came_from():
    with pytest.raises(ClipSkipError, match=r"^args\[1\] must be a number from 1 to 12 with at most one decimal"):
        parse_clip_skip_blend(1.55, source="args[1]")


@pytest.mark.parametrize(
    "value",
    [
        1e308,
        -1e308,
        1e300,
        "1" * 5000,
    ],
    ids=["1e308", "-1e308", "1e300", "5000 digits"],
)
def test_a_huge_number_is_refused_as_out_of_range(value):
    with pytest.raises(ClipSkipError, match="must be a number from 1 to 12 with at most one decimal"):
        parse_clip_skip_blend(value)


def test_a_whole_number_with_thousands_of_digits_is_refused_as_out_of_range():
    with pytest.raises(ClipSkipError, match="must be an integer from 1 to 12"):
        parse_clip_skip("1" * 5000)


@pytest.mark.parametrize("value", ALL_BLENDS)
def test_every_blend_formats_to_the_text_that_reads_back(value):
    text = format_clip_skip(value)
    assert parse_clip_skip_blend(text) == value and type(parse_clip_skip_blend(text)) is type(value)
    assert text == (str(value) if isinstance(value, int) else f"{value:.1f}")


@pytest.mark.parametrize(
    ("value", "whole"),
    [(1, 1), (1.2, 1), (1.4, 1), (1.5, 2), (1.6, 2), (2.5, 3), (3.5, 4), (11.5, 12), (11.9, 12), (12, 12)],
)
def test_the_nearest_whole_value_rounds_halves_up(value, whole):
    assert whole_clip_skip(value) == whole
    assert type(whole_clip_skip(value)) is int


def test_every_half_rounds_up_not_to_even():
    halves = [parse_clip_skip_blend(f"{n}.5") for n in range(1, 12)]
    assert [whole_clip_skip(value) for value in halves] == list(range(2, 13))
    assert whole_clip_skip(1.1 + 0.2 + 0.2) == 2  # 1.5000000000000002


@pytest.mark.parametrize("value", ALL_BLENDS)
def test_the_nearest_whole_value_is_a_clip_skip(value):
    assert parse_clip_skip(whole_clip_skip(value)) == whole_clip_skip(value)
    assert abs(whole_clip_skip(value) - value) <= 0.5


@pytest.mark.parametrize(
    ("value", "layers"),
    [(1.5, (1, 0.5)), (1.2, (1, 0.2)), (2, (2, 0.0)), (1.1, (1, 0.1)), (11.9, (11, 0.9)), (12, (12, 0.0))],
)
def test_a_blend_is_the_whole_value_below_and_the_share_of_the_next(value, layers):
    assert blend_layers(value) == layers
    assert type(blend_layers(value)[0]) is int


@pytest.mark.parametrize("value", ALL_BLENDS)
def test_every_blends_share_has_one_decimal_and_adds_back_to_the_value(value):
    lower, share = blend_layers(value)
    assert 1 <= lower <= 12 and 0 <= share < 1
    assert round(share, 1) == share and share * 10 == round(share * 10)
    assert round(lower + share, 1) == value
    assert (share == 0) == isinstance(value, int)
