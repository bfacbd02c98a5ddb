"""Language consistency (graders/language.py) on labelled mixed-language reasoning snippets.

Each snippet is a list of (language, text) segments written for these tests; "neutral" segments are
math or code. The true proportion counts words the documented way (CJK characters one each, Latin
words of two letters or more, other scripts by words), from the labels alone.
"""

import json
import re
from pathlib import Path

import pytest
import regex

from graders.language import consistency, detect_language, normalize_code, reasoning_span

SNIPPETS = json.loads((Path(__file__).parent / "data" / "language_snippets.json").read_text(encoding="utf-8"))
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = regex.compile(r"\p{L}[\p{L}\p{M}]+")  # words of two letters or more (vowel signs are marks)


def _words(text: str) -> int:
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    return cjk + len(_WORD.findall(rest))


def _truth(target: str, segments: list[list[str]]) -> float:
    total = sum(_words(text) for lang, text in segments if lang != "neutral")
    hits = sum(_words(text) for lang, text in segments if lang == target)
    return hits / total


def test_there_are_at_least_thirty_labelled_snippets() -> None:
    assert len(SNIPPETS) >= 30
    assert {s["target"] for s in SNIPPETS} >= {"zh", "en", "fr", "de", "es", "ja", "ru"}


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"{i}-{s['target']}" for i, s in enumerate(SNIPPETS)])
def test_score_is_within_a_tenth_of_the_true_proportion(snippet: dict[str, object]) -> None:
    segments = snippet["segments"]
    assert isinstance(segments, list)
    text = " ".join(text for _, text in segments)
    truth = _truth(str(snippet["target"]), segments)
    verdict = consistency(text, str(snippet["target"]))
    assert abs(verdict.score - truth) <= 0.1, (verdict, truth)


def test_math_code_and_numbers_are_neutral() -> None:
    english = "So we get $\\frac{a}{b} = 3$ and then `x = y + 1`, i.e. 42 + 17 = 59, see https://example.org/x"
    verdict = consistency(english, "en")
    assert verdict.score == 1.0 and verdict.words == 6  # So we get and then see: "i.e." is two single letters
    assert consistency("$x^2$ 123 + = ?", "zh").words == 0
    assert consistency("$x^2$ 123", "zh").score == 1.0  # nothing countable: nothing mixed


def test_the_reasoning_span() -> None:
    assert reasoning_span("<think>我们计算</think>The answer is 4.") == "我们计算"
    assert reasoning_span("我们计算</think>The answer is 4.") == "我们计算"  # prompt pre-filled <think>
    assert reasoning_span("no tags at all") == "no tags at all"
    assert reasoning_span("<think>cut off") == "cut off"


def test_targets_are_normalized() -> None:
    assert normalize_code("English") == "en" and normalize_code("zh-CN") == "zh" and normalize_code("pt_BR") == "pt"
    assert normalize_code("klingon") is None


@pytest.mark.parametrize(
    ("prompt", "language"),
    [
        ("Find the sum of all positive integers below one hundred.", "en"),
        ("求所有小于一百的正整数之和。", "zh"),
        ("Trouvez la somme de tous les entiers positifs inférieurs à cent.", "fr"),
        ("Finde die Summe aller positiven ganzen Zahlen unter hundert.", "de"),
        ("Найдите сумму всех натуральных чисел меньше ста.", "ru"),
        ("百未満の正の整数の和を求めなさい。", "ja"),
        ("", None),
    ],
)
def test_target_detection_from_the_prompt(prompt: str, language: str | None) -> None:
    assert detect_language(prompt) == language
