"""Each normalization rule (graders/math/normalize.py)."""

import pytest

from graders.math.normalize import normalize_answer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\\left( \\frac{1}{3} \\right)", "( \\frac{1}{3} )"),
        ("1\\,000", "1 000"),
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("\\tfrac12", "\\frac{1}{2}"),
        ("\\frac3{4}", "\\frac{3}{4}"),
        ("\\sqrt3", "\\sqrt{3}"),
        ("$5$", "5"),
        ("\\$10", "10"),
        ("\\frac{1}{3}.", "\\frac{1}{3}"),
        ("(1,2),", "(1,2)"),
        ("90^\\circ", "90"),
        ("90^{\\circ}", "90"),
        ("10\\text{ cm}", "10"),
        ("15\\mbox{ cm}^2", "15"),  # the unit and its power go
        ("125 miles", "125"),
        ("\\text{Evelyn}", "Evelyn"),
        ("11,\\!111,\\!100", "11111100"),
        ("14{,}916", "14916"),
        ("\\\\frac{1}{2}", "\\frac{1}{2}"),
        ("1, 2, 3, ...", "1, 2, 3, ..."),
    ],
    ids=[
        "left-right",
        "spacing",
        "dfrac",
        "tfrac-short",
        "frac-half-short",
        "sqrt-short",
        "dollars",
        "escaped-dollar",
        "trailing-period",
        "trailing-comma",
        "degrees",
        "degrees-braced",
        "text-unit",
        "mbox-unit",
        "bare-unit",
        "text-word",
        "thin-space-thousands",
        "braced-thousands",
        "double-backslash",
        "ellipsis-kept",
    ],
)
def test_rules(raw: str, expected: str) -> None:
    assert normalize_answer(raw) == expected


def test_single_letter_is_never_a_unit() -> None:
    assert normalize_answer("3c") == "3c"
    assert normalize_answer("3 m") == "3 m"


def test_percent_is_kept_for_the_parser() -> None:
    assert normalize_answer("50\\%") == "50\\%"
