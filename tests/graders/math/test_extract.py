"""Each extraction rule, in its priority order (graders/math/extract.py)."""

import pytest

from graders.math.extract import answer_candidates, find_boxed, strip_reasoning


def first(text: str) -> tuple[str, str]:
    candidates = answer_candidates(text)
    assert candidates, f"no candidate in {text!r}"
    return candidates[0].text, candidates[0].rule


def test_only_text_after_the_last_think_close_is_graded() -> None:
    text = "<think>maybe \\boxed{1}</think> wait <think>no</think> so \\boxed{2}"
    assert strip_reasoning(text) == " so \\boxed{2}"
    assert first(text) == ("2", "boxed")


def test_answer_inside_reasoning_does_not_count() -> None:
    assert answer_candidates("<think>The answer is \\boxed{42}</think> Some other text.")[0].text != "42"


def test_unclosed_think_means_no_answer() -> None:
    assert strip_reasoning("<think>still thinking \\boxed{3}") is None
    assert answer_candidates("<think>still thinking \\boxed{3}") == []


def test_last_box_wins_with_nested_braces() -> None:
    assert first("first \\boxed{1} then \\boxed{\\frac{1}{\\sqrt{2}}}") == ("\\frac{1}{\\sqrt{2}}", "boxed")


def test_fbox_and_unbraced_box() -> None:
    assert first("so \\fbox{7} done") == ("7", "boxed")
    assert find_boxed("\\boxed 5 ")[0][2] == "5"


def test_unclosed_box_takes_the_rest() -> None:
    assert first("\\boxed{12") == ("12", "boxed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\boxed{1} and \\boxed{2}", "1, 2"),
        ("\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}", "(2, 2), (6, 2)"),
        ("\\boxed{1} no no no no no \\boxed{2}", "2"),
    ],
    ids=["and", "quad-text-and", "too-many-words-between"],
)
def test_adjacent_boxes_form_one_answer(text: str, expected: str) -> None:
    assert first(text) == (expected, "boxed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Blah. The final answer is 17. I hope it is correct.", "17"),
        ("Final Answer: The final answer is $10,455$. I hope it is correct.", "$10,455$"),
        ("**Answer:** 3/4", "3/4"),
        ("Thus the answer is x = 5", "x = 5"),
        ("Answer: The largest $n$ is 34.", "34"),
    ],
    ids=["final-answer-is", "math-env", "bold-answer", "the-answer-is", "sentence-is"],
)
def test_anchored_phrases(text: str, expected: str) -> None:
    assert first(text) == (expected, "anchor")


def test_box_beats_anchor_before_it_but_not_after_it() -> None:
    assert first("The answer is 3, so \\boxed{4}") == ("4", "boxed")
    assert first("\\boxed{200} then more work. Final Answer: The final answer is 455.") == ("455", "anchor")


def test_short_completion_is_taken_whole() -> None:
    assert first("x = 5") == ("x = 5", "whole")


def test_long_completion_falls_back_to_math_env_or_last_number() -> None:
    long_text = "We compute many things carefully here. " * 5
    assert first(long_text + "so we get $\\frac{1}{2}$ at last") == ("\\frac{1}{2}", "math_env")
    assert first(long_text + "$x$ so there are 12 sequences") == ("12", "last_number")


def test_no_candidate_at_all() -> None:
    assert answer_candidates("") == []
