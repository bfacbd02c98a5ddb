"""Format rewards: does the completion follow the layout the trainer asked for?

Modes (each returns 1.0 or 0.0 with the reason it failed):

``think`` (default): the completion opens with exactly one non-empty ``<think>…</think>`` block,
followed by a non-empty answer; no other ``<think>`` or ``</think>`` anywhere. Chat templates that
pre-fill ``<think>`` (DeepSeek-R1, Qwen3) leave it in the prompt: when the item's prompt ends with
``<think>``, the completion starts inside the block.

    passes: "<think>2+2 is 4</think>The answer is 4."
    fails:  "The answer is 4."                       (no think block)
            "<think></think>4"                       (empty reasoning)
            "<think>a</think><think>b</think>4"      (two blocks)
            "<think>a <think>b</think> c</think>4"   (nested)
            "<think>2+2 is 4</think>"                (no answer)

``think_answer``: the R1-Zero template, ``<think>…</think>`` then ``<answer>…</answer>`` and nothing
else (whitespace aside), each tag exactly once, both non-empty.

    passes: "<think>2+2</think> <answer>4</answer>"
    fails:  "<think>2+2</think> 4"  ·  "<answer>4</answer>"  ·  "<think>x</think><answer>4</answer> ok"

``regex``: the whole completion matches ``pattern`` (``fullmatch``, ``.`` matches newlines). The
pattern is compiled once per spec by the ``regex`` library and every match runs with a time limit,
so a catastrophically backtracking pattern on a long completion scores 0 (reason ``timeout``)
instead of hanging the service.

``require_boxed``: additionally the answer (after ``</think>``, or inside ``<answer>``) holds a
non-empty ``\\boxed{…}``.

``tag_count`` is open-r1's ``tag_count_reward``: 0.25 for each of ``<think>\\n``, ``\\n</think>\\n``,
``\\n<answer>\\n`` and ``\\n</answer>`` that occurs exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

__all__ = ["FormatOptions", "FormatVerdict", "compile_pattern", "grade_format", "tag_count"]

FormatMode = Literal["think", "think_answer", "regex"]
REGEX_TIMEOUT_S = 0.05
"""Per match: a linear pattern checks a 100,000-character completion in well under a millisecond."""

OPEN, CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
_BOXED = regex.compile(r"\\boxed\s*\{\s*[^\s}]")


@dataclass(frozen=True, slots=True)
class FormatOptions:
    mode: FormatMode = "think"
    pattern: regex.Pattern[str] | None = None
    require_boxed: bool = False


@dataclass(frozen=True, slots=True)
class FormatVerdict:
    score: float
    reason: str | None = None


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile a spec's pattern once; ``ValueError`` naming the problem when it is not a regex."""
    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error as exc:
        raise ValueError(f"format pattern is not a valid regular expression: {exc}") from exc


def _prefilled(prompt: str | None) -> bool:
    return bool(prompt) and prompt.rstrip().endswith(OPEN)  # type: ignore[union-attr]


def _boxed(answer: str) -> bool:
    return _BOXED.search(answer) is not None


def _think(completion: str, prompt: str | None, require_boxed: bool) -> FormatVerdict:
    text = completion if _prefilled(prompt) else completion.lstrip()
    if not _prefilled(prompt):
        if not text.startswith(OPEN):
            return FormatVerdict(0.0, "the completion does not open with <think>")
        text = text[len(OPEN) :]
    if OPEN in text:
        return FormatVerdict(0.0, "more than one <think> tag")
    if text.count(CLOSE) != 1:
        return FormatVerdict(0.0, "no </think>" if CLOSE not in text else "more than one </think>")
    reasoning, answer = text.split(CLOSE)
    if not reasoning.strip():
        return FormatVerdict(0.0, "the think block is empty")
    if not answer.strip():
        return FormatVerdict(0.0, "no answer after </think>")
    if require_boxed and not _boxed(answer):
        return FormatVerdict(0.0, "the answer has no \\boxed{}")
    return FormatVerdict(1.0)


def _think_answer(completion: str, prompt: str | None, require_boxed: bool) -> FormatVerdict:
    text = completion.strip()
    if _prefilled(prompt):
        text = OPEN + text
    for tag in (OPEN, CLOSE, ANSWER_OPEN, ANSWER_CLOSE):
        if text.count(tag) != 1:
            return FormatVerdict(0.0, f"{tag} must occur exactly once")
    if not (text.startswith(OPEN) and text.endswith(ANSWER_CLOSE)):
        return FormatVerdict(0.0, "the completion must be <think>…</think> <answer>…</answer> and nothing else")
    reasoning, rest = text[len(OPEN) :].split(CLOSE)
    between, answer = rest.split(ANSWER_OPEN)
    answer = answer[: -len(ANSWER_CLOSE)]
    if between.strip():
        return FormatVerdict(0.0, "text between </think> and <answer>")
    if not reasoning.strip():
        return FormatVerdict(0.0, "the think block is empty")
    if not answer.strip():
        return FormatVerdict(0.0, "the answer block is empty")
    if require_boxed and not _boxed(answer):
        return FormatVerdict(0.0, "the answer has no \\boxed{}")
    return FormatVerdict(1.0)


def _regex(completion: str, pattern: regex.Pattern[str], require_boxed: bool) -> FormatVerdict:
    try:
        matched = pattern.fullmatch(completion, timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        return FormatVerdict(0.0, "timeout: the pattern took too long on this completion")
    if matched is None:
        return FormatVerdict(0.0, "the completion does not match the pattern")
    if require_boxed and not _boxed(completion.rsplit(CLOSE, 1)[-1]):
        return FormatVerdict(0.0, "the answer has no \\boxed{}")
    return FormatVerdict(1.0)


def grade_format(completion: str, options: FormatOptions, prompt: str | None = None) -> FormatVerdict:
    if options.mode == "think":
        return _think(completion, prompt, options.require_boxed)
    if options.mode == "think_answer":
        return _think_answer(completion, prompt, options.require_boxed)
    if options.pattern is None:
        raise ValueError("format mode 'regex' needs a pattern")
    return _regex(completion, options.pattern, options.require_boxed)


def tag_count(completion: str) -> float:
    """open-r1's partial credit: 0.25 per tag used exactly once, with its newlines."""
    markers = ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")
    return sum(0.25 for marker in markers if completion.count(marker) == 1)
