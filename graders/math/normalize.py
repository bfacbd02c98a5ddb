"""Normalize an extracted answer string before parsing.

Each rule removes notation that does not change the value:

- doubled backslashes from over-escaped JSON (``\\\\frac`` -> ``\\frac``);
- thousands separators written ``1{,}000`` or ``1,\\!000``;
- ``\\left`` / ``\\right`` / ``\\big``..., spacing macros (``\\,`` ``\\;`` ``\\!`` ``\\quad`` ``~``),
  ``\\displaystyle``;
- ``\\dfrac`` / ``\\tfrac`` / ``\\cfrac`` -> ``\\frac``;
- dollar signs (``$`` and ``\\$``) and math delimiters ``\\( \\) \\[ \\]``;
- degrees: ``^\\circ``, ``^{\\circ}``, ``°``;
- ``\\text{}``, ``\\mathrm{}``, ``\\textbf{}``, ``\\mbox{}``, ``\\textnormal{}``: known unit words inside
  are dropped (``10\\text{ cm}`` -> ``10``), anything else is unwrapped;
- known unit words after a value (``125 miles``). A unit is never a single letter, so ``3c`` stays
  ``3c`` (it is not ``3``);
- trailing sentence punctuation (``.``, ``,``, ``;``) and line breaks ``\\\\``.

Percent signs are kept: ``parse`` turns them into a percent flag.
"""

from __future__ import annotations

import re

__all__ = ["UNIT_WORDS", "normalize_answer"]

UNIT_WORDS = frozenset(
    """
    cm mm km meter meters metre metres centimeter centimeters kilometer kilometers inch inches
    foot feet ft yard yards mile miles mph kmph kph sq square cubic units unit degree degrees deg
    radian radians rad second seconds sec minute minutes min hour hours hr hrs day days week weeks
    month months year years gram grams kg kilogram kilograms pound pounds lb lbs ounce ounces oz
    liter liters litre litres ml dollar dollars cent cents yuan euro euros rupees rs people
    students student points point ways times
    """.split()
)

_DOUBLE_BACKSLASH_CMD = re.compile(r"(?<!\\)\\\\(?=[a-zA-Z])")
_THOUSANDS_BRACED = re.compile(r"(\d)\s*\{\s*,\s*\}\s*(?=\d{3})")
_THOUSANDS_THIN = re.compile(r"(\d),\\!\s*(?=\d{3})")
_SIZING = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![a-zA-Z])")
_SPACING = re.compile(r"(?<!\\)\\(?:[,;:! ]|q?quad(?![a-zA-Z])|displaystyle(?![a-zA-Z])|hspace\{[^}]*\})|~")
_FRAC_VARIANTS = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_DELIMITERS = re.compile(r"\\[()\[\]]|\\?\$")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![a-zA-Z])")
_TEXT_MACRO = re.compile(
    r"\\(?:text|mathrm|textbf|textit|mbox|textnormal|mathbf|operatorname|textrm)\s*\{([^{}]*)\}"
    r"(\s*(?:\^\s*\{?\s*[23]\s*\}?|[²³]))?"  # a unit's power: 12\text{ cm}^2
)
_TRAILING_NOTE = re.compile(r"(?<=[\d})])\s*\\(?:text|mbox|textnormal|textrm)\s*\{\s*[A-Za-z][A-Za-z\s.,'-]*\}\s*$")
"""Words in ``\\text{}`` after a value, at the very end: a comment (``17\\text{ apples left}``), not the answer."""
_AMBIGUOUS_BARE = frozenset({"sec", "min", "rad", "deg", "sq", "point", "points", "times", "ways"})
_UNIT_TAIL = re.compile(
    r"(?<=[\d}\s)])\s*(?:"
    + "|".join(sorted(UNIT_WORDS - _AMBIGUOUS_BARE, key=len, reverse=True))
    + r")\b(?:\s*(?:\^\s*\{?[23]\}?|[²³]))?",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"(?:\s|(?<!\.)\.|[,;]|\\\\|(?<!\\)\\)+$")
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_FRAC_SHORT = (
    (re.compile(r"\\frac\s*(\d)\s*(\d)"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\frac\s*(\d)\s*\{"), r"\\frac{\1}{"),
    (re.compile(r"\\frac\s*(\{[^{}]*\})\s*(\d)"), r"\\frac\1{\2}"),
    (re.compile(r"\\sqrt\s*(\d|[a-zA-Z](?![a-zA-Z]))"), r"\\sqrt{\1}"),
)


def _unwrap_text(match: re.Match[str]) -> str:
    content = match.group(1).strip()
    power = match.group(2) or ""
    words = content.lower().split()
    if words and all(w.strip(".") in UNIT_WORDS for w in words):
        return " "  # a unit, with its power: 12\text{ cm}^2 is 12
    text = f" {content} " if " " in content or content in ("and", "or") else content
    return text + power


def normalize_answer(text: str) -> str:
    """Return ``text`` with value-preserving notation removed (see the module docstring)."""
    s = _DOUBLE_BACKSLASH_CMD.sub(r"\\", text)
    s = _THOUSANDS_BRACED.sub(r"\1", s)
    s = _THOUSANDS_THIN.sub(r"\1", s)
    s = _SIZING.sub("", s)
    s = _SPACING.sub(" ", s)
    s = _FRAC_VARIANTS.sub(r"\\frac", s)
    for pattern, replacement in _FRAC_SHORT:
        s = pattern.sub(replacement, s)
    s = _DELIMITERS.sub(" ", s)
    s = _DEGREES.sub("", s)
    if not re.search(r"\\text\s*\{\s*(?:and|or)\s*\}", s):
        s = _TRAILING_NOTE.sub("", s)
    for _ in range(3):  # nested \text{\textbf{...}}
        new = _TEXT_MACRO.sub(_unwrap_text, s)
        if new == s:
            break
        s = new
    s = _UNIT_TAIL.sub(" ", s)
    s = _TRAILING.sub("", s)
    s = _WHITESPACE.sub(" ", s).strip()
    return _NEWLINES.sub("\n", s)
