"""Shaping rewards (graders/shaping.py) against values computed by hand."""

import math

import pytest

from graders.shaping import cosine, kimi_length, measure, overlong, repetition, words


@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, 0.0), (3584, 0.0), (3585, -1 / 512), (3840, -0.5), (4096, -1.0), (4097, -1.0), (10**6, -1.0)],
)
def test_overlong_dapo(length: int, expected: float) -> None:
    # max 4096, cache 512: free up to 3584, then linear to -1 at 4096
    assert overlong(length, 4096, 512) == pytest.approx(expected)


def test_overlong_without_cache_is_a_hard_cut_and_refuses_nonsense() -> None:
    assert overlong(100, 100, 0) == 0.0 and overlong(101, 100, 0) == -1.0
    with pytest.raises(ValueError):
        overlong(1, 100, 200)


def test_measure_prefers_tokens() -> None:
    assert measure("abcd", 2).unit == "tokens" and measure("abcd", 2).value == 2
    assert measure("abcd", None).unit == "characters" and measure("abcd", None).value == 4


def test_kimi_length_by_hand() -> None:
    # lengths 100, 200, 300 -> lambda = 0.5, 0, -0.5
    assert kimi_length([100, 200, 300], [True, True, True]) == pytest.approx([0.5, 0.0, -0.5])
    assert kimi_length([100, 200, 300], [False, False, False]) == pytest.approx([0.0, 0.0, -0.5])
    assert kimi_length([100, 150, 300], [True, False, True]) == pytest.approx([0.5, 0.0, -0.5])
    assert kimi_length([100, 150, 300], [False, True, False])[1] == pytest.approx(0.25)
    assert kimi_length([7, 7], [True, False]) == [0.0, 0.0]
    assert kimi_length([], []) == []


def test_cosine_by_hand() -> None:
    # correct: 0.5 + 0.25 * (1 + cos(pi * L / 1000))
    assert cosine(0, True) == pytest.approx(1.0)
    assert cosine(500, True) == pytest.approx(0.75)
    assert cosine(1000, True) == pytest.approx(0.5)
    assert cosine(250, True) == pytest.approx(0.5 + 0.25 * (1 + math.cos(math.pi / 4)))
    # wrong: -0.5 + 0.5 * (-1 - -0.5) * (1 + c) = -0.5 - 0.25 * (1 + c)
    assert cosine(0, False) == pytest.approx(-1.0)
    assert cosine(500, False) == pytest.approx(-0.75)
    assert cosine(1000, False) == pytest.approx(-0.5)
    # clamped at the maximum
    assert cosine(5000, True) == cosine(1000, True) and cosine(5000, False) == cosine(1000, False)
    assert cosine(100, True, max_len=200, min_value_correct=0.0, max_value_correct=2.0) == pytest.approx(1.0)


def test_repetition_by_hand() -> None:
    # "a b c a b c": 3-grams abc bca cab abc -> 3 distinct of 4 -> (1 - 3/4) * -1
    assert repetition("a b c a b c", 3, -1.0) == pytest.approx(-0.25)
    assert repetition("the cat sat on the mat", 3, -1.0) == 0.0
    assert repetition("go go go go go", 2, -0.5) == pytest.approx((1 - 1 / 4) * -0.5)
    assert repetition("too short", 3) == 0.0 and repetition("", 3) == 0.0
    assert repetition("A b C a B c", 3) == pytest.approx(-0.25)  # case-insensitive


def test_repetition_splits_cjk_into_characters() -> None:
    assert words("我们 来看 abc") == ["我", "们", "来", "看", "abc"]
    # 好好好好: 2-grams 好好 x3 -> 1 distinct of 3
    assert repetition("好好好好", 2, -1.0) == pytest.approx(-(1 - 1 / 3))
    assert repetition("我们先计算面积然后求体积", 2, -1.0) == 0.0


def test_repetition_refuses_bad_parameters() -> None:
    with pytest.raises(ValueError):
        repetition("a b c", 0)
    with pytest.raises(ValueError):
        repetition("a b c", 2, 0.5)
