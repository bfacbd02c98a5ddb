"""Round-2 categories of the math grader, each with examples of our own: references that cannot be read,
the empty set, scientific notation, repeating decimals, units with powers, chained and absolute-value
inequalities against intervals, percent, text comparison, anchors."""

from __future__ import annotations

import pytest

from graders.math import grade_math


def verdict(answer: str, reference: str) -> str:
    return str(grade_math(answer, reference).verdict)


@pytest.mark.parametrize(
    "reference",
    [
        "\\frac{7}{",  # cut off inside a fraction
        "(2, \\infty",  # an interval missing its bracket
        "\\sqrt{5",
        "x = \\begin{cases} 3",
        "We add the two numbers, 3 and 4, and then",  # prose: no number is fished out of it
        "First note that $a = 2$ and $b = 5$, so that the product is",
    ],
)
def test_an_unreadable_reference_is_unscorable_whatever_number_it_holds(reference: str) -> None:
    for answer in ("\\boxed{7}", "\\boxed{2}", "\\boxed{5}", "\\boxed{3}", "\\boxed{4}"):
        result = grade_math(answer, reference)
        assert result.verdict == "unscorable" and result.score is None, (answer, reference)


def test_a_whole_unreadable_reference_matches_only_verbatim() -> None:
    assert verdict("\\boxed{\\mathcal{A}\\uplus\\mathcal{B}}", "\\mathcal{A}\\uplus\\mathcal{B}") == "correct"
    assert verdict("\\boxed{\\mathcal{A}}", "\\mathcal{A}\\uplus\\mathcal{B}") == "unscorable"
    assert verdict("\\boxed{\\frac{7}{}", "\\frac{7}{") == "unscorable"  # cut off: never, not even verbatim


def test_gsm8k_style_references_are_read_by_their_anchor() -> None:
    reference = "She sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs, and 9 * 2 = <<9*2=18>>18 dollars.\n#### 18"
    assert verdict("so she makes \\boxed{18}", reference) == "correct"
    assert verdict("so she makes \\boxed{9}", reference) == "incorrect"


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("\\varnothing", "\\emptyset", "correct"),
        ("\\{\\}", "\\varnothing", "correct"),
        ("∅", "\\{ \\}", "correct"),
        ("\\emptyset", "\\{0\\}", "incorrect"),
        ("0", "\\emptyset", "incorrect"),
        ("\\{0\\}", "\\emptyset", "incorrect"),
    ],
)
def test_the_empty_set(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("3.5 \\times 10^{4}", "35000", "correct"),
        ("3.5e4", "35000", "correct"),
        ("3.5E4", "3.5 \\cdot 10^4", "correct"),
        ("3.5 \\times 10^{4}", "35012", "incorrect"),  # two significant digits are not a rounding we accept
        ("2.718 \\times 10^{-2}", "0.02718", "correct"),
        ("2.718 \\times 10^{-2}", "0.2718", "incorrect"),
    ],
)
def test_scientific_notation(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("0.\\overline{6}", "\\frac{2}{3}", "correct"),
        ("0.08\\overline{3}", "\\frac{1}{12}", "correct"),
        ("1.\\overline{27}", "\\frac{14}{11}", "correct"),
        ("0.(6)", "2/3", "correct"),
        ("0.\\overline{6}", "0.66", "incorrect"),
        ("0.\\overline{6}", "\\frac{3}{5}", "incorrect"),
    ],
)
def test_repeating_decimals(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("49", "49\\text{ cm}^2", "correct"),
        ("49 \\text{cm}^{2}", "49", "correct"),
        ("49 cm^2", "49\\text{ cm}^2", "correct"),
        ("2401", "49\\text{ cm}^2", "incorrect"),  # the unit's power is not the number's
        ("49", "49\\text{ m}^2", "incorrect"),  # a single letter is never a unit: 49 m^2 is 49·m²
        ("343", "7\\mbox{ cm}^3", "incorrect"),
    ],
)
def test_units_with_a_power(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("-1 < y \\le 4", "(-1, 4]", "correct"),
        ("-1 \\le y < 4", "[-1, 4)", "correct"),
        ("4 \\ge y > -1", "(-1, 4]", "correct"),
        ("-1 \\le y \\le 4", "(-1, 4]", "incorrect"),
        ("-1 < y < 4", "(-1, 4]", "incorrect"),
        ("(-1, 4]", "-1 < y \\le 4", "correct"),
    ],
)
def test_a_chained_inequality_against_an_interval(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("|y+1| \\ge 3", "(-\\infty, -4] \\cup [2, \\infty)", "correct"),
        ("(-\\infty, -4] \\cup [2, \\infty)", "|y+1| \\ge 3", "correct"),
        ("[2, \\infty) \\cup (-\\infty, -4]", "|y+1| \\ge 3", "correct"),
        ("(-\\infty, -4) \\cup (2, \\infty)", "|y+1| \\ge 3", "incorrect"),
        ("|2y - 1| < 5", "(-2, 3)", "correct"),
        ("|2y - 1| < 5", "(-2, 3]", "incorrect"),
        ("[-\\frac{5}{2}, -2] \\cup [2, \\frac{5}{2}]", "2 \\le |y| \\le \\frac{5}{2}", "correct"),
        ("y^2 > 9", "(-\\infty,-3)\\cup(3,\\infty)", "correct"),
    ],
)
def test_an_absolute_value_inequality_against_a_union(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("35\\%", "35\\%", "correct"),
        ("35", "35\\%", "correct"),  # a percent reference accepts the bare number
        ("0.35", "35\\%", "correct"),  # and the fraction
        ("35\\%", "0.35", "correct"),  # a percent answer means p/100 ...
        ("35\\%", "35", "incorrect"),  # ... so it does not match the bare number (the peers' convention)
        ("\\boxed{35} percent", "0.35", "correct"),  # a percent word after the box belongs to the answer
    ],
)
def test_percent_policy(answer: str, reference: str, expected: str) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("\\text{Tuesday}", "tuesday", "correct"),  # words: case does not matter
        ("Q", "q", "incorrect"),  # a letter: case matters
        ("\\frac{Q}{2}", "\\frac{q}{2}", "incorrect"),
        ("10^{10^{10}}+Q", "10^{10^{10}}+q", "incorrect"),  # kept as text (too big): compared exactly
        ("10^{10^{10}}-1", "10^{10^{10}}+1", "incorrect"),
        ("10^{10^{10}}+2", "10^{10^{10}}+1", "incorrect"),
        ("10^{10^{10}}+1", "10^{10^{10}} + 1", "correct"),
    ],
)
def test_text_comparison_never_ignores_a_sign_a_digit_or_a_letters_case(
    answer: str, reference: str, expected: str
) -> None:
    assert verdict(answer, reference) == expected


@pytest.mark.parametrize(
    ("completion", "reference"),
    [
        ("Réponse : il reste 45 euros après 3 mois.", "45"),
        ("La respuesta es 45.", "45"),
        ("Die Antwort ist 45.", "45"),
        ("所以答案是 (\\frac{3}{7}) 。", "3/7"),
        ("Ответ: 45", "45"),
        ("\\frac{\\sqrt{2}}{2} \\approx 0.707", "\\frac{1}{\\sqrt{2}}"),
    ],
)
def test_anchors_in_other_languages_and_approximations(completion: str, reference: str) -> None:
    assert verdict(completion, reference) == "correct"


def test_inline_math_broken_over_lines_is_not_read() -> None:
    assert verdict("Result $\n 12 \n$", "12") == "no_answer"
    assert verdict("Result $12$", "12") == "correct"
