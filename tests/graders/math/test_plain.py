"""Plain-text (calculator-style) math: the parser (graders/math/plain.py) and equivalence through the
grader. Examples are our own, not the shared benchmark files'."""

from __future__ import annotations

import pytest
import sympy

from graders.math import grade_math
from graders.math.parse import parse_answer
from graders.math.plain import PlainError, TooBig, looks_plain, parse_plain

x, y, t, X = sympy.symbols("x y t X")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3x^2 - 2x", 3 * x**2 - 2 * x),
        ("3*x**2", 3 * x**2),
        ("-t^2", -(t**2)),
        ("5^-2", sympy.Rational(1, 25)),
        ("2^3^2", sympy.Integer(512)),  # right-associative
        ("1/4 e^(3t)", sympy.exp(3 * t) / 4),  # implicit product binds like * and /
        ("(t+2)(t-2)", (t + 2) * (t - 2)),
        ("x y", x * y),
        ("4 cos t", 4 * sympy.cos(t)),
        ("cos 3t sin t", sympy.cos(3 * t) * sympy.sin(t)),  # a bare argument stops at a function
        ("cos^3 t", sympy.cos(t) ** 3),
        ("tan^(-1)(y)", sympy.atan(y)),
        ("cos^-1 y", sympy.acos(y)),
        ("arctan(y)", sympy.atan(y)),
        ("atan(y)", sympy.atan(y)),
        ("arsinh(y)", sympy.asinh(y)),
        ("tanx", sympy.tan(x)),
        ("sqrt(18)", 3 * sympy.sqrt(2)),
        ("sqrt t", sympy.sqrt(t)),
        ("|t-4|", sympy.Abs(t - 4)),
        ("abs(t-4)", sympy.Abs(t - 4)),
        ("3|t|", 3 * sympy.Abs(t)),
        ("exp(2t)", sympy.exp(2 * t)),
        ("ln(t)", sympy.log(t)),
        ("log_3(81)", sympy.Integer(4)),
        ("pi/4", sympy.pi / 4),
        ("2π", 2 * sympy.pi),
        ("3 − x", 3 - x),  # a Unicode minus
        ("x²", x**2),
        ("X^2", X**2),  # case kept
        ("y_2 + y_10", sympy.Symbol("y_2") + sympy.Symbol("y_{10}")),  # named as latex2sympy names them
        ("theta/2", sympy.Symbol("theta") / 2),
        ("4!", sympy.Integer(24)),
        ("2.5e2", sympy.Integer(250)),
        ("2e^t", 2 * sympy.exp(t)),  # an e with no digits after it is Euler's number
        ("101_2", sympy.Integer(5)),
        ("g(t)+1", sympy.Function("g")(t) + 1),
        ("a(t+1)", sympy.Symbol("a") * (t + 1)),
    ],
)
def test_reads(text: str, expected: sympy.Expr) -> None:
    assert sympy.simplify(parse_plain(text) - expected) == 0


@pytest.mark.parametrize("text", ["2 3", "sin", "sin()", "(x+1", "x+", "9_3", "x @ y"])
def test_refuses(text: str) -> None:
    with pytest.raises(PlainError):
        parse_plain(text)


@pytest.mark.parametrize(
    "text",
    [
        "9^9^9",
        "7^123456",
        "x^(10^9)",
        "10000!",
        "((((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))))))",
    ],
)
def test_guards_refuse_before_computing(text: str) -> None:
    with pytest.raises(TooBig):
        parse_plain(text)


def test_latex_is_not_plain() -> None:
    assert not looks_plain("\\frac{1}{2}") and not looks_plain("x^{2}") and looks_plain("x^2 + 1")


def test_never_evaluates_python(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("sympify/parse_expr must never see model output")

    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr("sympy.parsing.sympy_parser.parse_expr", forbidden)
    assert parse_plain("2 sin(x)^2 + sqrt(y)") == 2 * sympy.sin(x) ** 2 + sympy.sqrt(y)
    with pytest.raises(PlainError):
        parse_plain("__import__('os').system('true')")


# --- equivalence through the grader (reference first) ------------------------------------------------
EQUIVALENT = [
    ("3^(1/3)", "cbrt(3)"),
    ("sqrt(50)", "5 sqrt(2)"),
    ("9^(1/2)", "3"),
    ("t^(1/3)", "t^(2/6)"),
    ("sqrt(t^2)", "|t|"),  # branches: equal for every real t
    ("2 sin t cos t", "sin(2t)"),
    ("1", "sec^2 t - tan^2 t"),
    ("acos(y)", "arccos(y)"),
    ("acos(y)", "cos^(-1)(y)"),
    ("log(y^3)", "3 log(y)"),  # equal where the logarithms are real
    ("log(t) - log(2)", "log(t/2)"),
    ("e^(2t) e^t", "exp(3t)"),
    ("(t+1)^2", "t^2 + 2t + 1"),
    ("sin(pi/6)", "1/2"),
    ("0*t", "0"),
    ("1", "|t^2-1|/(|t-1| |t+1|)"),
]
DIFFERENT = [
    ("2 - |t|", "2 + |t|"),  # a sign
    ("1/4 e^(3t) + 3e^(-3t)", "1/4 e^(3t) - 3e^(-3t)"),  # a sign inside
    ("5*10^(-12)", "10^(-12)"),  # a digit
    ("T^3", "t^3"),  # a letter's case
    ("e^(3t) + C", "e^(3t)"),  # the constant of integration
    ("sqrt(t^2)", "t"),  # wrong for negative t
    ("|t|", "t"),
    ("|t+5|-5", "|t+4|-4"),  # equal for t >= -4 only
    ("sqrt(t-1) sqrt(t-2)", "sqrt((t-1)(t-2))"),  # wrong for t < 1
    ("t^(y z)", "(t^y)^z"),  # wrong for negative t
    ("acos(y)", "asin(y)"),
]


@pytest.mark.parametrize(("reference", "answer"), EQUIVALENT)
def test_equivalent(reference: str, answer: str) -> None:
    assert grade_math(answer, reference).verdict == "correct", (reference, answer)
    assert grade_math(reference, answer).verdict == "correct", (answer, reference)


@pytest.mark.parametrize(("reference", "answer"), DIFFERENT)
def test_different(reference: str, answer: str) -> None:
    assert grade_math(answer, reference).verdict == "incorrect", (reference, answer)
    assert grade_math(reference, answer).verdict == "incorrect", (answer, reference)


def test_plain_and_latex_meet() -> None:
    assert grade_math("\\boxed{\\frac{1}{4}e^{3t}}", "1/4 e^(3t)").verdict == "correct"
    assert grade_math("\\boxed{\\sqrt{t}\\,\\cos t}", "sqrt(t) cos(t)").verdict == "correct"
    assert grade_math("\\boxed{y_{10}^2}", "y_10^2").verdict == "correct"
    assert parse_answer("X^{2}+1") != parse_answer("x^{2}+1")  # LaTeX keeps case too


def test_a_long_one_line_formula_is_the_answer() -> None:
    expanded = " + ".join(f"{k}*t^{k}" for k in range(1, 40))
    assert len(expanded) > 80
    assert grade_math(expanded, expanded).verdict == "correct"
