"""The grader entry point (graders/math/grade.py): verdicts, never booleans."""

import pickle

import pytest

from graders.math import MathVerdict, Verdict, grade_math


@pytest.mark.parametrize(
    ("completion", "reference", "verdict"),
    [
        ("<think>easy</think> \\boxed{\\frac{63}{400}}", "\\frac{63}{400}", Verdict.CORRECT),
        ("<think>easy</think> \\boxed{\\frac{64}{400}}", "\\frac{63}{400}", Verdict.INCORRECT),
        ("<think>never closed \\boxed{1}", "1", Verdict.NO_ANSWER),
        ("<think>hmm</think>", "1", Verdict.NO_ANSWER),
        ("The answer is 11 6/6.", "12", Verdict.INCORRECT),
        ("Hence $\\boxed{2006!}$.", "2006!", Verdict.CORRECT),
        ("\\boxed{10^{10^{10}}}", "10^{10^{10}}", Verdict.CORRECT),
        ("\\boxed{10^{10^{11}}}", "10^{10^{10}}", Verdict.INCORRECT),
    ],
    ids=[
        "correct",
        "incorrect",
        "unclosed-think",
        "no-answer",
        "malformed-mixed",
        "factorial",
        "tower-same",
        "tower-different",
    ],
)
def test_verdicts(completion: str, reference: str, verdict: Verdict) -> None:
    result = grade_math(completion, reference)
    assert result.verdict is verdict
    assert result.score == (1.0 if verdict is Verdict.CORRECT else 0.0)


@pytest.mark.parametrize("reference", ["\\frac{", "", "\\begin{pmatrix}"])
def test_unparsable_reference_is_unscorable_with_null_score(reference: str) -> None:
    result = grade_math("\\boxed{1}", reference)
    assert result.verdict is Verdict.UNSCORABLE
    assert result.score is None
    assert result.reason


def test_reference_given_as_a_solution_uses_its_box() -> None:
    solution = "We add the numbers carefully and find the total. " * 10 + "Therefore $\\boxed{14{,}916}$."
    assert grade_math("The answer is 14916", solution).verdict is Verdict.CORRECT


def test_verdict_records_evidence_and_pickles() -> None:
    result = grade_math("so \\boxed{x = 5}", "5")
    assert (result.answer, result.rule, result.reference) == ("x = 5", "boxed", "5")
    assert result.elapsed_ms >= 0
    assert pickle.loads(pickle.dumps(result)) == result
    assert isinstance(result, MathVerdict)
