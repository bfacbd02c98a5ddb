import pytest

from graders.code.compare import outputs_match


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("1 2\n3\n", "1 2\n3"),
        ("1  2   \n3\n\n\n", "1 2\n3\n"),
        ("a\tb\r\n", "a b\n"),
        ("", ""),
    ],
)
def test_whitespace_differences_are_ignored(actual: str, expected: str) -> None:
    assert outputs_match(actual, expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [("1 2", "1\n2"), ("12", "1 2"), ("1\n\n2", "1\n2"), ("YES", "yes"), ("1.0", "1"), ("", "0")],
)
def test_real_differences_count(actual: str, expected: str) -> None:
    assert not outputs_match(actual, expected)


def test_float_tolerance_is_absolute_or_relative() -> None:
    assert outputs_match("0.3333333", "0.33333333333", float_tol=1e-6)
    assert outputs_match("1000000.5", "1000000.0", float_tol=1e-6)
    assert not outputs_match("0.334", "0.333", float_tol=1e-6)
    assert not outputs_match("nan", "nan5", float_tol=1e-6)
    assert not outputs_match("inf", "1e308", float_tol=1e-6)
    assert outputs_match("abc 1.0000001", "abc 1", float_tol=1e-6)
