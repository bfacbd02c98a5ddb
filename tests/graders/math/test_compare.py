"""Comparison policies (graders/math/compare.py), through parse -> compare. Gold first."""

import pytest

from graders.math.compare import CompareConfig, answers_equal
from graders.math.parse import parse_answer

CASES = [
    # exact integers and rationals
    ("12345", "12345", True),
    ("12345", "12346", False),
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}", False),
    ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", False),
    ("1000", "1,000", True),
    ("7425000", "7 425 000", True),
    ("1/2", "\\frac{1}{2}", True),
    ("-10/9", "-\\frac{10}{9}", True),
    # decimals against exact values (policy: rounded/truncated with >= 4 significant digits)
    ("\\frac{1}{2}", "0.5", True),
    ("\\frac{1}{3}", "0.3333", True),
    ("\\frac{1}{3}", "0.333", False),
    ("\\frac{8}{3}", "2.6667", True),
    ("\\frac{1}{3}", "0.33", False),
    ("\\sqrt{17}", "4.123105625617661", True),
    ("1000.99", "1,000.99", True),
    ("0.1", ".1", True),
    # percent
    ("50\\%", "50", True),
    ("50\\%", "0.5", True),
    ("50\\%", "50\\%", True),
    ("0.5", "50", False),
    ("28", "28/100", False),
    ("40/900", "4 4/9\\%", True),
    ("40/9", "4 4/9\\%", False),
    # mixed numbers
    ("40/9", "4 4/9", True),
    ("4", "4 4/9", False),
    ("4", "4 0/9", True),
    ("71/6", "11 - 5/6", False),
    # symbolic equivalence
    ("\\frac{\\sqrt2}{2}", "\\frac{1}{\\sqrt2}", True),
    ("\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", True),
    ("\\tan^2(y)+1", "\\sec^2(y)", True),
    ("1 - \\frac{1}{e}", "1 + \\frac{1}{e}", False),
    ("f(x)", "f(y)", False),
    ("(x-2)(x+2)", "x^2-4", True),
    # sets and lists: order-insensitive
    ("\\{1, 2, 3\\}", "3, 1, 2", True),
    ("1, 2, 3", "1, 2", False),
    ("\\pm 2021", "-2021, 2021", True),
    ("\\pm 2021", "2021", False),
    # tuples and intervals: order- and bracket-sensitive
    ("(1, 2)", "(1, 2)", True),
    ("(1, 2)", "(2, 1)", False),
    ("[0, 1)", "[0, 1)", True),
    ("[0, 1)", "(0, 1)", False),
    ("[0, 1)", "[0, 1]", False),
    ("(1, \\frac{9}{2})", "(1, 4.5)", True),
    ("[-1, 0) \\cup (0, 1]", "[-1, 0) \\cup (0, 1]", True),
    # intervals vs inequalities
    ("[-2, 7]", "-2 \\le x \\le 7", True),
    ("(-793, 10)", "-793 < a < 10", True),
    ("(5, \\infty)", "x > 5", True),
    ("[5, \\infty)", "x > 5", False),
    # relations and equations
    ("x \\leq 5", "5 \\geq x", True),
    ("x < 1", "-x > -1", True),
    ("x < 1", "x > -1", False),
    ("x \\neq 3", "x != 3", True),
    ("2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", True),
    ("x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", True),
    ("5x - 7y + 11z + 4 = 0", "x + y - z + 2 = 0", False),
    # x = 5 against a numeric reference
    ("5", "x = 5", True),
    ("k = 1", "1", True),
    ("a + 3z = 0", "0", False),
    ("7 = 11a + c", "11a + c", False),
    # matrices
    ("\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}", True),
    ("\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}", False),
    ("\\begin{pmatrix}1 & 2\\end{pmatrix}", "\\begin{pmatrix}1 \\\\ 2\\end{pmatrix}", False),
    # complex numbers
    ("3 + 4i", "4i + 3", True),
    ("i^2", "-1", True),
    ("3 + 4i", "3 - 4i", False),
    # words
    ("\\text{Evelyn}", "Evelyn", True),
    ("\\text{odd}", "even", False),
    ("12:00", "1:00", False),
]


@pytest.mark.parametrize(("gold", "pred", "expected"), CASES, ids=[f"{g} ~ {p}" for g, p, _ in CASES])
def test_policy(gold: str, pred: str, expected: bool) -> None:
    assert answers_equal(parse_answer(gold), parse_answer(pred)) is expected


def test_decimal_policy_threshold_is_configurable() -> None:
    lenient = CompareConfig(min_significant=2)
    assert answers_equal(parse_answer("\\frac{1}{3}"), parse_answer("0.33"), lenient)
    assert not answers_equal(parse_answer("\\frac{1}{3}"), parse_answer("0.34"), lenient)
