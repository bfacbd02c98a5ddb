"""Compare a program's standard output with the expected one.

Line by line and token by token: trailing whitespace on each line and trailing empty lines are
ignored, runs of spaces/tabs between tokens are equivalent. With ``float_tol`` set, two tokens that
both parse as finite decimal numbers match when they differ by at most ``float_tol`` absolutely or
relatively; otherwise tokens compare exactly.
"""

from __future__ import annotations

import math

__all__ = ["outputs_match"]


def _lines(text: str) -> list[list[str]]:
    lines = [line.split() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _number(token: str) -> float | None:
    if len(token) > 64:
        return None
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _tokens_match(actual: str, expected: str, float_tol: float | None) -> bool:
    if actual == expected:
        return True
    if float_tol is None:
        return False
    a, e = _number(actual), _number(expected)
    if a is None or e is None:
        return False
    return abs(a - e) <= float_tol or abs(a - e) <= float_tol * abs(e)


def outputs_match(actual: str, expected: str, float_tol: float | None = None) -> bool:
    got, want = _lines(actual), _lines(expected)
    if len(got) != len(want):
        return False
    for got_line, want_line in zip(got, want, strict=True):
        if len(got_line) != len(want_line):
            return False
        if not all(_tokens_match(a, e, float_tol) for a, e in zip(got_line, want_line, strict=True)):
            return False
    return True
