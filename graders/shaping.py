"""Shaping rewards: length and repetition terms added to the accuracy reward.

Lengths are counted in tokens when the item carries ``completion_tokens`` and in characters
otherwise; every result says which (``unit``), because a limit meant in tokens applied to
characters punishes about four times too early.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Length", "cosine", "kimi_length", "measure", "overlong", "repetition", "words"]


@dataclass(frozen=True, slots=True)
class Length:
    value: int
    unit: str  # "tokens" or "characters"


def measure(completion: str, completion_tokens: int | None) -> Length:
    if completion_tokens is not None:
        return Length(completion_tokens, "tokens")
    return Length(len(completion), "characters")


def overlong(length: int, max_tokens: int, cache_tokens: int) -> float:
    """DAPO's soft overlong punishment, with L = length, L_max = max_tokens, L_cache = cache_tokens:

    0                               if L <= L_max - L_cache
    ((L_max - L_cache) - L) / L_cache   if L_max - L_cache < L <= L_max   (0 down to -1)
    -1                              if L > L_max
    """
    if not 0 <= cache_tokens <= max_tokens or max_tokens <= 0:
        raise ValueError("overlong needs 0 <= cache_tokens <= max_tokens and max_tokens > 0")
    start = max_tokens - cache_tokens
    if length <= start:
        return 0.0
    if length <= max_tokens:
        return (start - length) / cache_tokens
    return -1.0


def kimi_length(lengths: Sequence[int], correct: Sequence[bool]) -> list[float]:
    """Kimi 1.5's length reward over one group of completions of the same prompt:

        lambda_i = 0.5 - (len_i - min_len) / (max_len - min_len)
        reward_i = lambda_i            if completion i is correct
                   min(0, lambda_i)    otherwise

    Shorter correct answers earn up to +0.5; long wrong ones lose up to -0.5; a group whose
    completions all have the same length gets 0 everywhere.
    """
    if len(lengths) != len(correct):
        raise ValueError("one correctness flag per length")
    if not lengths:
        return []
    low, high = min(lengths), max(lengths)
    if high == low:
        return [0.0] * len(lengths)
    rewards = []
    for length, ok in zip(lengths, correct, strict=True):
        value = 0.5 - (length - low) / (high - low)
        rewards.append(value if ok else min(0.0, value))
    return rewards


def cosine(
    length: int,
    correct: bool,
    *,
    max_len: int = 1000,
    min_value_wrong: float = -1.0,
    max_value_wrong: float = -0.5,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
) -> float:
    """Cosine-scaled reward (Yeo et al., "Demystifying Long CoT"; open-r1's ``cosine_scaled``):

        progress = min(length, max_len) / max_len          (clamped at the maximum)
        c = cos(pi * progress)                             (1 when empty, -1 at max_len)
        correct: min_value_correct + 0.5 * (max_value_correct - min_value_correct) * (1 + c)
        wrong:   max_value_wrong  + 0.5 * (min_value_wrong  - max_value_wrong)  * (1 + c)

    A short correct answer earns max_value_correct, a correct one at max_len min_value_correct;
    a short wrong answer is punished hardest (min_value_wrong), a long wrong one least
    (max_value_wrong): the model is pushed to think longer when it is wrong.
    """
    if max_len <= 0:
        raise ValueError("cosine needs max_len > 0")
    progress = min(length, max_len) / max_len
    c = math.cos(math.pi * progress)
    if correct:
        return min_value_correct + 0.5 * (max_value_correct - min_value_correct) * (1.0 + c)
    return max_value_wrong + 0.5 * (min_value_wrong - max_value_wrong) * (1.0 + c)


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


def words(text: str) -> list[str]:
    """Lower-cased words; each CJK character (Han, kana, Hangul syllable) is a word of its own."""
    return _WORD.findall(text.lower())


def repetition(text: str, ngram: int = 3, max_penalty: float = -1.0) -> float:
    """n-gram repetition penalty (open-r1's ``repetition_penalty_reward``, CJK-aware words):

        penalty = (1 - distinct n-grams / total n-grams) * max_penalty

    0 for text without repeats or shorter than n words; approaches max_penalty (<= 0) as the text
    repeats itself.
    """
    if ngram < 1:
        raise ValueError("repetition needs ngram >= 1")
    if max_penalty > 0:
        raise ValueError("repetition's max_penalty must be <= 0")
    tokens = words(text)
    if len(tokens) < ngram:
        return 0.0
    grams = [tuple(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)]
    return (1.0 - len(set(grams)) / len(grams)) * max_penalty + 0.0  # never -0.0
