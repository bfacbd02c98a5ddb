"""Parsing (graders/math/parse.py): fast paths, structure, size guards, and no eval of model output."""

from fractions import Fraction

import pytest
import sympy
import sympy.parsing.sympy_parser

from graders.errors import UnscorableError
from graders.math.parse import AnswerRejected, Num, ParseError, Seq, Text, parse_answer, parse_reference


@pytest.mark.parametrize(
    ("text", "value", "places"),
    [
        ("-5", Fraction(-5), None),
        ("1000.0", Fraction(1000), 1),
        ("0.25", Fraction(1, 4), 2),
        (".4", Fraction(2, 5), 1),
        ("7,425,000", Fraction(7425000), None),
        ("1 000", Fraction(1000), None),
        ("1000,99", Fraction(100099, 100), 2),
        ("10/9", Fraction(10, 9), None),
        ("\\frac{10}{9}", Fraction(10, 9), None),
        ("4 4/9", Fraction(40, 9), None),
        ("4 0/9", Fraction(4), None),
    ],
)
def test_fast_paths_read_exact_numbers(text: str, value: Fraction, places: int | None) -> None:
    (item,) = parse_answer(text).items
    assert item == Num(value, places)


@pytest.mark.parametrize("text", ["4 4/0", "11 6/6", "11 7/6", "4 0/0"])
def test_malformed_mixed_numbers_are_rejected_not_reread(text: str) -> None:
    with pytest.raises(AnswerRejected):
        parse_answer(text)


def test_structure_is_read_without_sympy() -> None:
    answer = parse_answer("(1, 2), (3, 4)")
    assert answer.items == (
        Seq("(", ")", (Num(Fraction(1)), Num(Fraction(2)))),
        Seq("(", ")", (Num(Fraction(3)), Num(Fraction(4)))),
    )
    assert parse_answer("\\{1, 2\\}").bare_list is False
    assert parse_answer("1, 2").bare_list is True


def test_percent_flag() -> None:
    (item,) = parse_answer("28 percent").items
    assert item == Num(Fraction(28), None, percent=True)


def test_prose_is_not_an_expression() -> None:
    with pytest.raises(ParseError):
        parse_answer("We find that x is 3 or so")


def test_words_are_text() -> None:
    assert parse_answer("\\text{Evelyn}").items == (Text("evelyn", word=True),)


@pytest.mark.parametrize(
    "text",
    [
        "10^{10^{10^{10}}}",
        "9^{9^{9}}",
        "2^{99999999}",
        "1000000!",
        "(" * 5000 + "1" + ")" * 5000,
        "\\frac{" * 3000,
        "1" * 100_000,
        "x^" * 500 + "2",
        "\\sqrt{" * 2000 + "2" + "}" * 2000,
    ],
    ids=[
        "tower",
        "tower-short",
        "huge-exponent",
        "huge-factorial",
        "deep-parens",
        "unclosed-fracs",
        "long-number",
        "caret-chain",
        "deep-sqrt",
    ],
)
def test_size_guards_keep_huge_input_as_text(text: str) -> None:
    """Guarded input is compared as written, never evaluated (the engine's deadline is the backstop)."""
    try:
        answer = parse_answer(text)
    except ParseError:
        return
    assert all(isinstance(item, Text) for item in answer.items)


def test_model_output_never_reaches_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval-based parser called on model output")

    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", forbidden)
    import latex2sympy2_extended.latex2sympy2 as l2s

    monkeypatch.setattr(l2s, "parse_expr", forbidden)
    for text in ["__import__('os').system('true')", "x^2 + 1", "\\frac{1}{2}", "(1, 2)", "lambda: 1", "exec('1')"]:
        try:
            parse_answer(text)
        except ParseError:
            pass


def test_unparsable_reference_is_unscorable() -> None:
    with pytest.raises(UnscorableError):
        parse_reference("\\frac{")


def test_plus_minus_bomb_is_refused_before_expanding() -> None:
    assert len(parse_answer("1 \\pm \\sqrt{2} \\pm 3").items) == 4
    with pytest.raises(ParseError):
        parse_answer("\\pm 1 " * 30)
