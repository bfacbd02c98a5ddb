"""Format rewards (graders/format.py): the documented examples, both ways, and the regex guard."""

import time

import pytest

from graders.format import FormatOptions, compile_pattern, grade_format, tag_count

THINK = FormatOptions()
THINK_ANSWER = FormatOptions(mode="think_answer")


@pytest.mark.parametrize(
    "completion",
    [
        "<think>2+2 is 4</think>The answer is 4.",
        "  <think>\nreasoning\n</think>\n\nThe answer is $\\boxed{4}$.",
    ],
)
def test_think_passes(completion: str) -> None:
    assert grade_format(completion, THINK).score == 1.0


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        ("The answer is 4.", "does not open with <think>"),
        ("<think></think>4", "empty"),
        ("<think>  \n </think>4", "empty"),
        ("<think>a</think><think>b</think>4", "more than one <think>"),
        ("<think>a <think>b</think> c</think>4", "more than one <think>"),
        ("<think>2+2 is 4</think>", "no answer"),
        ("<think>2+2 is 4</think>  \n", "no answer"),
        ("<think>2+2 is 4", "no </think>"),
        ("<think>a</think>4</think>", "more than one </think>"),
        ("Sure! <think>a</think>4", "does not open"),
    ],
)
def test_think_fails_with_a_reason(completion: str, reason: str) -> None:
    verdict = grade_format(completion, THINK)
    assert verdict.score == 0.0 and reason in (verdict.reason or "")


def test_a_prompt_that_prefills_think_starts_inside_the_block() -> None:
    prompt = "<|User|>What is 2+2?<|Assistant|><think>\n"
    assert grade_format("2+2 is 4\n</think>\nThe answer is 4.", THINK, prompt).score == 1.0
    assert grade_format("<think>again</think>4", THINK, prompt).score == 0.0
    assert grade_format("The answer is 4.", THINK, prompt).score == 0.0


def test_require_boxed() -> None:
    options = FormatOptions(require_boxed=True)
    assert grade_format("<think>x</think>so $\\boxed{4}$", options).score == 1.0
    assert grade_format("<think>x</think>so 4", options).score == 0.0
    assert (
        grade_format("<think>\\boxed{4}</think>so 4", options).score == 0.0
    )  # a box in the reasoning is not the answer
    assert grade_format("<think>x</think>\\boxed{}", options).score == 0.0


@pytest.mark.parametrize(
    ("completion", "score"),
    [
        ("<think>2+2</think> <answer>4</answer>", 1.0),
        ("<think>\n2+2\n</think>\n<answer>\n4\n</answer>\n", 1.0),
        ("<think>2+2</think> 4", 0.0),
        ("<answer>4</answer>", 0.0),
        ("<think>x</think><answer>4</answer> ok", 0.0),
        ("<think>x</think> so <answer>4</answer>", 0.0),
        ("<think></think><answer>4</answer>", 0.0),
        ("<think>x</think><answer> </answer>", 0.0),
        ("<think>x</think><answer>4</answer><answer>5</answer>", 0.0),
        ("<answer>4</answer><think>x</think>", 0.0),
    ],
)
def test_think_answer(completion: str, score: float) -> None:
    assert grade_format(completion, THINK_ANSWER).score == score


def test_think_answer_with_boxed() -> None:
    options = FormatOptions(mode="think_answer", require_boxed=True)
    assert grade_format("<think>x</think><answer>\\boxed{4}</answer>", options).score == 1.0
    assert grade_format("<think>\\boxed{4}</think><answer>4</answer>", options).score == 0.0


def test_custom_regex_is_a_full_match_across_lines() -> None:
    pattern = compile_pattern(r"<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>")
    options = FormatOptions(mode="regex", pattern=pattern)
    assert grade_format("<think>\na\nb\n</think>\n<answer>\n4\n</answer>", options).score == 1.0
    assert grade_format("<think>\na\n</think>\n<answer>\n4\n</answer> trailing", options).score == 0.0


def test_a_catastrophic_pattern_times_out_instead_of_hanging() -> None:
    options = FormatOptions(mode="regex", pattern=compile_pattern(r"(a+)+$"))
    started = time.perf_counter()
    verdict = grade_format("a" * 50_000 + "!", options)
    assert verdict.score == 0.0 and "timeout" in (verdict.reason or "")
    assert time.perf_counter() - started < 2.0


def test_a_bad_pattern_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_pattern("(unclosed")


@pytest.mark.parametrize(
    ("completion", "score"),
    [
        ("<think>\nx\n</think>\n<answer>\n4\n</answer>", 1.0),
        ("<think>\nx\n</think>\n4", 0.5),
        ("<think>x</think><answer>4</answer>", 0.0),
        ("<think>\nx\n</think>\n<answer>\n4\n</answer>\n<answer>\n5\n</answer>", 0.5),
        ("", 0.0),
    ],
)
def test_tag_count_matches_open_r1(completion: str, score: float) -> None:
    assert tag_count(completion) == score
