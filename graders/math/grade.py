"""The math accuracy grader: ``grade_math(completion, reference, options) -> MathVerdict``.

A pure function: no I/O, no global state and no timeout of its own (deadlines belong to the
engine's process pool). Phases: ``extract`` -> ``normalize`` -> ``parse`` -> ``compare``.
The first extraction candidate that parses is *the* answer; later candidates are never tried
to find one that happens to match (that would reward hedging).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import StrEnum

from graders.errors import UnscorableError
from graders.math.compare import DEFAULT_COMPARE, CompareConfig, answers_equal
from graders.math.extract import DEFAULT_SHORT_LIMIT, answer_candidates
from graders.math.normalize import normalize_answer
from graders.math.parse import Answer, AnswerRejected, ParseError, parse_answer, parse_reference

__all__ = ["DEFAULT_MATH_OPTIONS", "MathOptions", "MathVerdict", "Verdict", "grade_math", "read_reference"]

REFERENCE_SHORT_LIMIT = 400
"""A reference up to this long is taken whole (datasets store ``$1$ and $2$``); longer ones are solutions."""


class Verdict(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NO_ANSWER = "no_answer"
    TIMEOUT = "timeout"
    RESOURCE_LIMIT = "resource_limit"
    UNSCORABLE = "unscorable"


@dataclass(frozen=True, slots=True)
class MathOptions:
    """Options of the math grader. ``short_limit``: completions up to this length count as a bare answer."""

    short_limit: int = DEFAULT_SHORT_LIMIT
    compare: CompareConfig = field(default=DEFAULT_COMPARE)


DEFAULT_MATH_OPTIONS = MathOptions()


@dataclass(frozen=True, slots=True)
class MathVerdict:
    """The outcome for one item. ``score`` is ``None`` only when the reference is unscorable."""

    verdict: Verdict
    score: float | None
    answer: str | None = None
    rule: str | None = None
    reference: str | None = None
    elapsed_ms: float = 0.0
    reason: str | None = None


LAST_RESORT_RULES = frozenset({"math_env", "last_number"})
"""Never used for a reference: a number fished out of a reference that does not parse (a cut-off
``\\frac{3}{``, a solution without a final answer) would make a wrong gold answer."""


def read_reference(reference: str) -> Answer:
    """Parse a reference as datasets store it (a box, an anchored final answer, or the whole text);
    raises ``UnscorableError`` when it cannot be read."""
    last: Exception | None = None
    for candidate in answer_candidates(reference, short_limit=REFERENCE_SHORT_LIMIT):
        if candidate.rule in LAST_RESORT_RULES:
            continue
        try:
            return parse_reference(candidate.text)
        except UnscorableError as exc:
            last = exc
    raise UnscorableError(f"reference cannot be parsed: {reference[:80]!r}") from last


_PAIRS = {"{": "}", "(": ")", "[": "]"}


def _balanced(text: str) -> bool:
    """Brackets and environments close in order: the text was not cut off."""
    stack: list[str] = []
    for ch in re.sub(r"\\[{}()\[\]]", "", text):
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif ch in _PAIRS.values() and (not stack or stack.pop() != ch):
            return False
    return not stack and text.count("\\begin") == text.count("\\end")


def _verbatim(completion: str, reference: str, options: MathOptions) -> tuple[str, str] | None:
    """An unparsable reference is matched only by the answer written exactly as it is, and only when it
    is whole (balanced): nothing is read out of it. Returns (answer, rule) or None."""
    whole = normalize_answer(reference)
    if not whole or len(reference) > REFERENCE_SHORT_LIMIT or not _balanced(whole):
        return None
    candidates = answer_candidates(completion, short_limit=options.short_limit)
    if candidates and normalize_answer(candidates[0].text) == whole:
        return whole, candidates[0].rule
    return None


def grade_math(completion: str, reference: str, options: MathOptions = DEFAULT_MATH_OPTIONS) -> MathVerdict:
    """Judge ``completion`` against ``reference`` (gold first: the comparison is not symmetric)."""
    started = time.perf_counter()

    def done(verdict: Verdict, score: float | None, **kw: str | None) -> MathVerdict:
        return MathVerdict(verdict, score, elapsed_ms=(time.perf_counter() - started) * 1000, **kw)

    try:
        gold = read_reference(reference)
    except UnscorableError as exc:
        verbatim = _verbatim(completion, reference, options)
        if verbatim is not None:
            return done(
                Verdict.CORRECT, 1.0, answer=verbatim[0], rule=verbatim[1], reason="the unparsable reference, verbatim"
            )
        return done(Verdict.UNSCORABLE, None, reason=str(exc))
    for candidate in answer_candidates(completion, short_limit=options.short_limit):
        normalized = normalize_answer(candidate.text)
        if normalized and normalized == gold.text:
            return done(Verdict.CORRECT, 1.0, answer=normalized, rule=candidate.rule, reference=gold.text)
        try:
            pred = parse_answer(candidate.text)
        except AnswerRejected as exc:
            return done(
                Verdict.INCORRECT, 0.0, answer=normalized, rule=candidate.rule, reference=gold.text, reason=str(exc)
            )
        except (ParseError, RecursionError):
            continue
        correct = answers_equal(gold, pred, options.compare)
        verdict = Verdict.CORRECT if correct else Verdict.INCORRECT
        return done(verdict, 1.0 if correct else 0.0, answer=pred.text, rule=candidate.rule, reference=gold.text)
    return done(Verdict.NO_ANSWER, 0.0, reference=gold.text)
