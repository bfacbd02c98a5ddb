"""Turn a normalized answer string into values that ``compare`` can judge.

The structure of an answer is read here, without sympy: top-level lists (``1, 2`` · ``1 and 2`` ·
``a; b``), sets ``\\{...\\}``, tuples and intervals ``(a, b]``, unions ``\\cup``, relations and
equations, ``\\pm``, percent signs, mixed numbers. Numbers, decimals and plain fractions are read by
fast paths into exact ``Fraction`` values. Only what is left, a scalar expression, goes to
``latex2sympy2_extended`` (an ANTLR grammar: it never calls ``eval``). ``sympy.sympify`` and
``parse_expr`` are never given model output.

Size guards run before sympy: over-long or deeply nested input, power towers, big exponents and
huge factorials are kept as normalized text and judged by exact string equality only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import TypeAlias

import sympy
from latex2sympy2_extended import latex2sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig

from graders.errors import UnscorableError
from graders.math.normalize import normalize_answer
from graders.math.plain import PlainError, TooBig, looks_plain, parse_plain

__all__ = [
    "Answer",
    "AnswerRejected",
    "Expr",
    "Interval",
    "Matrix",
    "Num",
    "ParseError",
    "Relation",
    "Seq",
    "Text",
    "Union",
    "Value",
    "is_plain_number",
    "parse_answer",
    "parse_reference",
]

MAX_ANSWER_CHARS = 2000
MAX_NESTING = 40
MAX_EXPONENT = 10_000
MAX_FACTORIAL = 1_000
MAX_DIGITS = 4_000
MAX_ITEMS = 64
MAX_ANSWER_WORDS = 3
"""A word answer (``Evelyn``, ``no solution``) is short; more words are a sentence, never an answer."""


class ParseError(ValueError):
    """The text is not an answer Referee can read."""


class AnswerRejected(ParseError):
    """The text is an answer, but a malformed one (``11 6/6``): no other reading may be tried."""


@dataclass(frozen=True, slots=True)
class Num:
    """An exact rational; ``places`` is the number of decimals when written as a decimal."""

    value: Fraction
    places: int | None = None
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Expr:
    """A sympy expression (no relations, no sets)."""

    expr: sympy.Basic
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """Words (``\\text{Evelyn}``, ``odd``; ``word``) or math too big to evaluate, compared as written.

    Words compare case-insensitively; math text exactly (a sign, a digit, a letter's case matter)."""

    text: str
    word: bool = False


@dataclass(frozen=True, slots=True)
class Seq:
    """A bracketed sequence: a tuple/point ``(a, b)`` or, with two items, maybe an interval."""

    open: str
    close: str
    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval from an inequality or ``\\cup``: bounds may be infinite."""

    low: Value
    high: Value
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True, slots=True)
class Union:
    parts: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """``sides[0] ops[0] sides[1] ops[1] ...`` with ops among ``= < <= > >= !=``.

    ``assignment``: ``name = value`` (``x = 5``, ``f(x) = 1``, ``(p, q) = (3, 2)``); against a plain
    value only the value counts. ``sides[0]`` is then ``Text`` when the name is not an expression.
    """

    sides: tuple[Value, ...]
    ops: tuple[str, ...]
    assignment: bool = False


Value: TypeAlias = Num | Expr | Text | Seq | Interval | Union | Matrix | Relation


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer: one value, or several (a list or set, compared order-insensitively).

    ``bare_list`` is true for an unbracketed ``1, 2`` (which may also stand for the tuple ``(1, 2)``).
    """

    items: tuple[Value, ...]
    bare_list: bool = False
    text: str = ""


_OPENERS = "([{"
_CLOSERS = ")]}"
_FUNCTION_WORDS = frozenset(
    "sin cos tan sec csc cot arcsin arccos arctan sinh cosh tanh log ln exp sqrt frac dfrac max min "
    "gcd lcm det infty infinity pi cdot times div pm mp cup cap in le leq ge geq lt gt ne neq approx "
    "mod pmod begin end pmatrix bmatrix matrix vmatrix array circ prime overline mathbf vec hat bar "
    "sum prod int lim limits binom choose alpha beta gamma delta theta lambda mu sigma phi omega rho "
    "tau epsilon varepsilon varphi dots ldots cdots emptyset varnothing mathbb right left "
    # plain-text spellings (graders/math/plain.py)
    "abs asin acos atan asec acsc acot sinh cosh tanh sech csch coth asinh acosh atanh arsinh arcosh "
    "artanh arcsinh arccosh arctanh arcsec arccsc arccot cosec cotan cbrt inf oo".split()
)
_MATH_WORD_PREFIX = re.compile(
    "^(?:" + "|".join(sorted((w for w in _FUNCTION_WORDS if w.isalpha()), key=len, reverse=True)) + ")+"
)
_WORD = re.compile(r"(?<!\\)\b[A-Za-z]{3,}\b")
_WORDS_ONLY = re.compile(r"^\(?[A-Za-z][A-Za-z' \-]*\)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_SIGN_SPACE = re.compile(r"^([+-])\s+(?=\d)")
_LETTER = re.compile(r"^[A-DF-HJ-Za-df-hj-z]$")  # e and i are constants: latex2sympy decides
_THOUSANDS_COMMA = re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")
_THOUSANDS_SPACE = re.compile(r"^[+-]?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?(?:\d+,\d{2}|0,\d+)$")
_FRACTION = re.compile(r"^([+-]?)(?:(\d+)\s*/\s*(\d+)|\\frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d)))$")
_MIXED = re.compile(r"^([+-]?)(\d+)[ \t]+(?:(\d+)\s*/\s*(\d+)|\\frac\s*\{(\d+)\}\s*\{(\d+)\})$")
_PERCENT = re.compile(r"\s*(?:\\%|%|(?<![A-Za-z])(?:percentage|percent|pct))\s*$", re.IGNORECASE)
_RELATION = re.compile(
    r"\\leq?(?![a-zA-Z])|\\geq?(?![a-zA-Z])|\\neq?(?![a-zA-Z])|\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z])|<=|>=|!=|≤|≥|≠|=|<|>|\\approx(?![a-zA-Z])"
)
_REL_CANON = {
    "\\le": "<=",
    "\\leq": "<=",
    "≤": "<=",
    "<=": "<=",
    "\\ge": ">=",
    "\\geq": ">=",
    "≥": ">=",
    ">=": ">=",
    "\\ne": "!=",
    "\\neq": "!=",
    "≠": "!=",
    "!=": "!=",
    "\\lt": "<",
    "<": "<",
    "\\gt": ">",
    ">": ">",
    "=": "=",
    "\\approx": "~",
}
_LIST_WORD = re.compile(r"\s*(?<![A-Za-z\\])(?:and|or)(?![A-Za-z])\s*")
_SET_BRACES = re.compile(r"^\\\{(.*)\\\}$", re.DOTALL)
_IN = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s+")
_SUBSCRIPT = re.compile(r"_\{[^{}]*\}|_\w")
_HUGE_EXPONENT = re.compile(r"\^\s*\{?\s*\(?\s*(\d+)")
_POWER_TOWER = re.compile(r"\^\s*\{[^{}]*\^|\^\s*[\w.]+\s*\^")
_PLUS_MINUS = re.compile(r"\\pm(?![a-zA-Z])|±")
_LONG_DIGITS = re.compile(r"\d{" + str(MAX_DIGITS) + ",}")
_CLOCK_OR_RATIO = re.compile(r"^\d+\s*:\s*\d+$")
_FACTORIAL = re.compile(r"(\d+)\s*!")
_MATRIX = re.compile(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", re.DOTALL)


def _depth_split(text: str, separators: re.Pattern[str]) -> list[str]:
    """Split ``text`` at matches of ``separators`` that are outside every bracket."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
            depth += 1 if text[i + 1] == "{" else -1
            i += 2
            continue
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
        elif depth == 0:
            m = separators.match(text, i)
            if m and m.end() > i:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


_LIST_SEPARATOR = re.compile(r",|;|\s*(?<![A-Za-z\\])(?:and|or)(?![A-Za-z])\s*")


def _outer_pair(text: str) -> tuple[str, str, str] | None:
    """``(open, inner, close)`` when one bracket pair encloses all of ``text``."""
    if len(text) < 2 or text[0] not in "([" or text[-1] not in ")]":
        return None
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return None
    return text[0], text[1:-1], text[-1]


def _guard_size(text: str) -> None:
    """Raise ``_TooBig`` for input too long, too deeply nested or with too many digits to read at all."""
    if len(text) > MAX_ANSWER_CHARS or _LONG_DIGITS.search(text):
        raise _TooBig
    depth = best = 0
    for ch in text:
        if ch in "({[":
            depth += 1
            best = max(best, depth)
        elif ch in ")}]":
            depth -= 1
    if best > MAX_NESTING:
        raise _TooBig


def _guard(text: str) -> None:
    """Raise ``_TooBig`` for LaTeX that sympy must not evaluate (the plain-text parser guards while it
    builds, so it needs only ``_guard_size``)."""
    _guard_size(text)
    if text.count("^") > 12:
        raise _TooBig
    for m in _HUGE_EXPONENT.finditer(text):
        if len(m.group(1)) > 6 or int(m.group(1)) > MAX_EXPONENT:
            raise _TooBig
    if _POWER_TOWER.search(text):  # a^{b^{c}}
        raise _TooBig
    for m in _FACTORIAL.finditer(text):
        if len(m.group(1)) > 5 or int(m.group(1)) > MAX_FACTORIAL:
            raise _TooBig


class _TooBig(Exception):
    pass


_SCIENTIFIC = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))\s*(?:(?:\\times|\\cdot|×|\*)\s*10\s*\^\s*\{?\s*([+-−]?\d{1,4})\s*\}?"
    r"|[eE]([+-]?\d{1,4}))$"
)
_REPEATING = re.compile(r"^([+-]?)(\d*)\.(\d*)(?:\\(?:overline|bar|dot)\s*\{(\d+)\}|\\dot\s*(\d)|\((\d+)\))$")


def _scientific(s: str) -> Num | None:
    """``1.2 \\times 10^{3}``, ``1.2e3``: exact; the decimals kept are those of the scaled value."""
    m = _SCIENTIFIC.match(s)
    if not m:
        return None
    mantissa = Decimal(m.group(1))
    exponent = int((m.group(2) or m.group(3)).replace("−", "-"))
    value = Fraction(mantissa) * Fraction(10) ** exponent
    written = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
    places = written - exponent
    return Num(value, places if places > 0 else None)


def _repeating(s: str) -> Num | None:
    """``0.\\overline{3}`` = 1/3, ``0.1\\overline{6}`` = 1/6, ``0.(3)``, ``0.\\dot{3}``: exact."""
    m = _REPEATING.match(s)
    if not m:
        return None
    sign, whole, fixed = m.group(1), m.group(2) or "0", m.group(3)
    repetend = m.group(4) or m.group(5) or m.group(6)
    value = Fraction(int(whole)) + Fraction(int(fixed or "0"), 10 ** len(fixed))
    value += Fraction(int(repetend), (10 ** len(repetend) - 1) * 10 ** len(fixed))
    return Num(-value if sign == "-" else value)


def _number(text: str) -> Num | None:
    """The fast path: integers, decimals, plain and mixed fractions, scientific notation and repeating
    decimals, without sympy."""
    s = _SIGN_SPACE.sub(r"\1", text.strip())
    special = _scientific(s) or _repeating(s)
    if special is not None:
        return special
    if _THOUSANDS_COMMA.match(s):
        s = s.replace(",", "")
    elif _THOUSANDS_SPACE.match(s):
        s = s.replace(" ", "")
    elif _DECIMAL_COMMA.match(s):
        s = s.replace(",", ".")
    if _NUMBER.match(s):
        try:
            d = Decimal(s)
        except InvalidOperation:
            return None
        places = len(s.split(".")[1]) if "." in s else None
        return Num(Fraction(d), places if places else None)
    m = _FRACTION.match(s)
    if m:
        sign, a, b, c1, c2, d1, d2 = m.groups()
        num, den = int(a or c1 or c2), int(b or d1 or d2)
        if den == 0:
            raise ParseError("division by zero")
        value = Fraction(num, den)
        return Num(-value if sign == "-" else value)
    m = _MIXED.match(s)
    if m:
        sign, whole, a, b, frac_num, frac_den = m.groups()
        num, den = int(a or frac_num), int(b or frac_den)
        if den == 0 or num >= den:
            # "4 4/0", "11 6/6", "11 7/6": not a mixed number, and no other reading is safe.
            raise AnswerRejected(f"not a mixed number: {text!r}")
        value = int(whole) + Fraction(num, den)
        return Num(-value if sign == "-" else value)
    return None


_I = sympy.Symbol("i")


PARSE_CACHE_SIZE = int(os.environ.get("REFEREE_PARSE_CACHE", "4096"))
"""Parsed expressions kept per process (a group's reference is parsed once); 0 turns it off (benchmarks)."""


_CASE_KEPT = ConversionConfig(lowercase_symbols=False)
"""latex2sympy folds letters to lower case by default, which makes ``X^2+1`` equal ``x^2+1``."""


def _sympy_uncached(text: str) -> sympy.Basic:
    try:
        result = latex2sympy(text, normalization_config=None, conversion_config=_CASE_KEPT)
    except Exception as exc:  # the ANTLR grammar raises many types; none of them is ours
        raise ParseError(f"cannot parse {text!r}") from exc
    if isinstance(result, sympy.Basic) and _I in result.free_symbols:
        result = result.subs(_I, sympy.I)
    return result


_sympy = lru_cache(maxsize=PARSE_CACHE_SIZE)(_sympy_uncached)


def _is_math_word(word: str) -> bool:
    """A known name, or names and at most two single letters run together (``sinx``, ``lnx``, ``xy``)."""
    lower = word.lower()
    if lower in _FUNCTION_WORDS:
        return True
    rest = _MATH_WORD_PREFIX.sub("", lower)
    return rest != lower and len(rest) <= 2 or len(lower) <= 2


_SHORT_WORD = re.compile(
    r"(?<![\\A-Za-z])(?:is|of|to|it|at|by|an|as|so|we|if|be|do|no|on|up|us|my|he|me|am)(?![A-Za-z])"
)
"""Two-letter English words: ``is 14916`` is prose, not the product i·s·14916."""


def _is_prose(text: str) -> bool:
    return any(not _is_math_word(w.group(0)) for w in _WORD.finditer(text)) or bool(_SHORT_WORD.search(text))


def _scalar(text: str) -> Value:
    s = text.strip()
    if not s:
        raise ParseError("empty answer")
    num = _number(s)
    if num is not None:
        return num
    if _WORDS_ONLY.match(s) and (len(s.strip("()")) == 1 or _is_prose(s)):
        word = s.strip("()").strip()
        if len(word.split()) > MAX_ANSWER_WORDS:
            raise ParseError(f"a sentence, not an answer: {text!r}")
        if len(word) > 1:
            return Text(word.lower(), word=True)
    if _is_prose(s):
        raise ParseError(f"not a math expression: {text!r}")
    if _CLOCK_OR_RATIO.match(s):  # "12:00", "7:32": compared as written, never as a division
        return Text(s.replace(" ", ""))
    if _LETTER.match(s):  # one letter, case kept: X is not x
        return Expr(sympy.Symbol(s))
    if looks_plain(s):
        try:
            _guard_size(s)
            return _from_sympy(parse_plain(s))
        except (_TooBig, TooBig):
            return Text(re.sub(r"\s+", "", s))
        except PlainError as exc:
            raise ParseError(str(exc)) from exc
    try:
        _guard(s)
    except _TooBig:
        return Text(re.sub(r"\s+", "", s))
    result = _sympy(s)
    return _from_sympy(result)


def _from_sympy(result: object) -> Value:
    if isinstance(result, sympy.MatrixExpr):
        result = result.as_explicit()
    if isinstance(result, sympy.MatrixBase):
        return Matrix(tuple(tuple(_from_sympy(result[r, c]) for c in range(result.cols)) for r in range(result.rows)))
    if isinstance(result, sympy.Rational):
        return Num(Fraction(int(result.p), int(result.q)))
    if isinstance(result, sympy.Float):
        text = str(result)
        return Num(Fraction(Decimal(text)), len(text.split(".")[1].rstrip("0")) or None)
    if isinstance(result, sympy.Tuple | tuple):
        return Seq("(", ")", tuple(_from_sympy(x) for x in result))
    if isinstance(result, sympy.Expr):
        return Expr(result)
    raise ParseError(f"unsupported answer form: {type(result).__name__}")


def _matrix(text: str) -> Matrix | None:
    m = _MATRIX.match(text.strip())
    if not m or text.count("\\begin") > 1:  # products and sums of matrices go to sympy
        return None
    body = m.group(2).strip()
    rows = [r for r in re.split(r"\\\\", body) if r.strip() and r.strip() != "\\hline"]
    return Matrix(tuple(tuple(_element(c) for c in r.split("&")) for r in rows))


def _relation(text: str) -> Value | None:
    parts = _depth_split(text, _RELATION)
    if len(parts) < 2:
        return None
    ops = [_REL_CANON[m.group(0)] for m in _iter_top_level(text, _RELATION)]
    if "~" in ops:  # "x = 1/3 \approx 0.33": the exact value before the approximation counts
        cut = ops.index("~")
        if cut == 0 and _is_name(parts[0]):  # "x \approx 0.33": the approximation is all there is
            parts, ops = parts[1:], ops[1:]
        elif cut == 0:  # "\frac{\sqrt{3}}{3} \approx 0.577"
            parts, ops = parts[:1], []
        else:
            parts, ops = parts[: cut + 1], ops[:cut]
        if not ops:
            return _element(parts[0])
    if all(op == "=" for op in ops):
        if _is_name(parts[0]):
            try:
                name: Value = _element(parts[0])
            except ParseError:
                name = Text(parts[0])
            return Relation((name, _element(parts[-1])), ("=",), assignment=True)
        if len(parts) > 2 or _is_constant_pair(parts):
            return _element(parts[-1])
    sides = tuple(_element(p) for p in parts)
    if any(isinstance(side, Text) for side in sides):
        raise ParseError(f"words in a relation: {text!r}")
    return Relation(sides, tuple(ops))


def _is_constant_pair(parts: list[str]) -> bool:
    try:
        values = [_element(p) for p in parts]
    except ParseError:
        return False
    return all(isinstance(v, Num) or (isinstance(v, Expr) and not v.expr.free_symbols) for v in values)


def _iter_top_level(text: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
        elif depth == 0:
            m = pattern.match(text, i)
            if m:
                found.append(m)
                i = m.end()
                continue
        i += 1
    return found


def _is_name(text: str) -> bool:
    """A left-hand side that only names the answer: ``x``, ``f(x)``, ``a_{37}``, ``(p,q)``, ``|AB|``."""
    s = _SUBSCRIPT.sub("", text.strip())
    s = re.sub(r"\\(?:frac|mathrm|text|overline|angle|triangle)", "", s)
    if not s or len(s) > 40 or re.search(r"[0-9+=<>]|(?<!^)-", s):
        return False
    return bool(re.search(r"[A-Za-z]", s))


def _element(text: str) -> Value:
    s = text.strip()
    if not s:
        raise ParseError("empty answer")
    if s == EMPTY or _EMPTY_SET.match(s):
        return Seq("{", "}", ())
    percent = False
    m = _PERCENT.search(s)
    if m and m.start() > 0:
        s, percent = s[: m.start()].strip(), True
    if percent:
        base = _element(s)
        if isinstance(base, Num):
            return Num(base.value, base.places, percent=True)
        if isinstance(base, Expr):
            return Expr(base.expr, percent=True)
        raise ParseError(f"percent of a non-number: {text!r}")
    mat = _matrix(s)
    if mat is not None:
        return mat
    cups = _depth_split(s, re.compile(r"\\cup(?![a-zA-Z])|∪"))
    if len(cups) > 1:
        return Union(tuple(_element(c) for c in cups))
    rel = _relation(s)
    if rel is not None:
        return rel
    braces = _SET_BRACES.match(s)
    if braces:  # a set inside a larger answer, e.g. \{-1\} \cup [0, 7)
        return Seq("{", "}", tuple(_element(x) for x in _depth_split(braces.group(1), _LIST_SEPARATOR) if x))
    pair = _outer_pair(s)
    if pair is not None:
        open_, inner, close = pair
        items = _depth_split(inner, re.compile(r",|;"))
        if len(items) > 1:
            return Seq(open_, close, tuple(_element(x) for x in items))
        if open_ == "(" and close == ")":
            return _element(inner)
    return _scalar(s)


MAX_PLUS_MINUS = 4
"""Each ``\\pm`` doubles an answer: more than this many in one item is not an answer, it is a bomb."""


def _expand_pm(text: str) -> list[str]:
    if "\\pm" not in text and "±" not in text:
        return [text]
    if len(_PLUS_MINUS.findall(text)) > MAX_PLUS_MINUS:
        raise ParseError(f"more than {MAX_PLUS_MINUS} \\pm in one item")
    plus = _PLUS_MINUS.sub("+", text, count=1)
    minus = _PLUS_MINUS.sub("-", text, count=1)
    return _expand_pm(plus) + _expand_pm(minus)


_EMPTY_SET = re.compile(r"^(?:\\emptyset|\\varnothing|∅|\\\{\s*\\\}|\{\s*\})$")
EMPTY = "{}"
"""An ``_items`` marker for the empty set: one item, read by ``_element`` as a set with no members."""


def _items(text: str) -> tuple[list[str], bool]:
    """Top-level items of an answer and whether they form a bare (unbracketed) list."""
    s = _IN.sub("", text.strip())
    if _EMPTY_SET.match(s):
        return [EMPTY], False
    group = re.match(r"^\{(.*)\}$", s, re.DOTALL)  # TeX grouping braces: "{1,3}" is "1,3"
    if group and _depth_split(group.group(1), re.compile(r"$^")) == [group.group(1).strip()]:
        s = group.group(1).strip()
    braces = _SET_BRACES.match(s)
    bare = True
    if braces:
        s, bare = braces.group(1), False
    parts = [p for p in _depth_split(s, _LIST_SEPARATOR) if p]
    if len(parts) > 1 and not braces:
        # "1,000.99" style numbers were already joined by normalize/_number; re-check the whole.
        try:
            if _number(s) is not None:
                return [s], False
        except ParseError:
            pass
    expanded: list[str] = []  # order kept: a bare list may be read as a tuple
    for p in parts:
        if p.startswith("\\{") and p.endswith("\\}"):
            expanded.extend(x for x in _depth_split(p[2:-2], _LIST_SEPARATOR) if x)
        else:
            expanded.extend(_expand_pm(p))
    return expanded, bare and len(parts) > 1


def parse_answer(text: str) -> Answer:
    """Parse an extracted answer; raises ``ParseError`` when it is not readable."""
    s = normalize_answer(text)
    if not s:
        raise ParseError("empty answer")
    try:
        _guard_size(s)
    except _TooBig:
        return Answer((Text(re.sub(r"\s+", "", s)),), text=s)
    raw_items, bare = _items(s)
    if len(raw_items) > MAX_ITEMS:
        raise ParseError(f"more than {MAX_ITEMS} items")
    values: list[Value] = []
    for raw in raw_items:
        value = _element(raw)
        values.append(value)
    return Answer(tuple(values), bare_list=bare, text=s)


def is_plain_number(text: str) -> bool:
    """Cheap test (regular expressions only): ``text`` is one number the fast path reads."""
    try:
        return _number(normalize_answer(text)) is not None
    except ParseError:
        return True  # rejected outright: no later candidate is tried either


def parse_reference(text: str) -> Answer:
    """Like ``parse_answer``, but an unreadable reference is ``UnscorableError``."""
    try:
        return parse_answer(text)
    except (ParseError, RecursionError) as exc:
        raise UnscorableError(f"reference cannot be parsed: {exc}") from exc
