"""Plain-text (calculator-style) math into sympy, without ``eval``: ``1/8 e^(2x) - 2e^(-2x)``,
``sin^2 x + cos^2 x``, ``sqrt(12)``, ``|x-1|``, ``acos(x)``, ``2*log(a)+log(b)``, ``x_1^2``.

A tokenizer and a precedence-climbing parser build sympy objects directly (``sympify`` and
``parse_expr``, which run ``eval``, never see the text). No library does this without ``eval``:
sympy's own parser compiles Python, and ``latex2sympy`` reads LaTeX, where ``2^10`` is not ``2^(10)``
and letters are case-folded.

Conventions (each tested):

- ``^`` and ``**`` are powers, right-associative; ``-x^2`` is ``-(x^2)``; an exponent may carry a sign
  (``2^-1``).
- Implicit multiplication (``2x``, ``2(x+1)``, ``(x-1)(x+1)``, ``x y``, ``2 sin x``) binds like ``*``
  and ``/``, left to right: ``1/8 e^(2x)`` is ``(1/8)·e^(2x)``. Two numbers side by side are refused.
- Letter runs are split into known names and single letters: ``sinx`` is ``sin(x)``, ``xy`` is
  ``x·y``; Greek names (``theta``) are single symbols. Case is kept: ``X`` and ``x`` differ.
- Functions take a parenthesised argument, or a bare one that runs to the next ``+ - * /`` or
  function name (``sin 2x cos x`` is ``sin(2x)·cos(x)``). ``f^n x`` is ``f(x)^n``; ``f^(-1)`` and
  ``f^-1`` of a trigonometric or hyperbolic ``f`` is its inverse; ``log_b(x)`` has base ``b``;
  ``log`` and ``ln`` are natural.
- ``e`` is Euler's number, ``i`` the imaginary unit, ``pi``/``π`` and ``inf``/``oo``/``∞`` what
  they say; ``x_1``/``x_n`` are subscripted symbols (named like latex2sympy's: ``x_1``, ``x_{12}``).
- ``1.2e3`` is 1200 (scientific notation: digits on both sides of the ``e``); ``204_5`` is a numeral
  in base 5 (54); ``f(x)``, ``g(x)``, ``h(x)`` are function values, other letters before a bracket
  multiply (``a(b+c)``).

Size guards run while building: a numeric power whose result would exceed ``MAX_DIGITS`` digits, an
exponent over ``MAX_EXPONENT``, a factorial over ``MAX_FACTORIAL``, or nesting deeper than ``MAX_DEPTH``
raises ``TooBig``, before sympy computes anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy

__all__ = ["PlainError", "TooBig", "looks_plain", "parse_plain"]


class PlainError(ValueError):
    """Not plain-text math this parser reads."""


class TooBig(PlainError):
    """Readable, but too big to build (a numeric power or factorial beyond the guards)."""


MAX_DIGITS = 4_000
MAX_EXPONENT = 10_000
MAX_FACTORIAL = 1_000
MAX_DEPTH = 40

_TRIG = ("sin", "cos", "tan", "sec", "csc", "cot")
_HYPERBOLIC = ("sinh", "cosh", "tanh", "sech", "csch", "coth")
_FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "cosec": sympy.csc,
    "cot": sympy.cot,
    "cotan": sympy.cot,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "sech": sympy.sech,
    "csch": sympy.csch,
    "coth": sympy.coth,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "asec": sympy.asec,
    "acsc": sympy.acsc,
    "acot": sympy.acot,
    "asinh": sympy.asinh,
    "acosh": sympy.acosh,
    "atanh": sympy.atanh,
    "asech": sympy.asech,
    "acsch": sympy.acsch,
    "acoth": sympy.acoth,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sqrt": sympy.sqrt,
    "cbrt": lambda x: sympy.root(x, 3),  # the real cube root's principal branch, as sympy.root gives
    "abs": sympy.Abs,
}
for _name in _TRIG + _HYPERBOLIC:  # arcsin, arsinh, arcsinh: every common spelling of the inverses
    _inverse = _FUNCTIONS["a" + _name]
    _FUNCTIONS["arc" + _name] = _inverse
    if _name in _HYPERBOLIC:
        _FUNCTIONS["ar" + _name] = _inverse
_INVERSES = {name: _FUNCTIONS["a" + name] for name in _TRIG + _HYPERBOLIC}
_INVERSES["cosec"] = sympy.acsc
_INVERSES["cotan"] = sympy.acot

_GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho "
    "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega".split()
)
_CONSTANTS: dict[str, sympy.Expr] = {
    "pi": sympy.pi,
    "π": sympy.pi,
    "e": sympy.E,
    "i": sympy.I,
    "inf": sympy.oo,
    "infty": sympy.oo,
    "infinity": sympy.oo,
    "oo": sympy.oo,
    "∞": sympy.oo,
}
_NAMES = sorted((*_FUNCTIONS, *_GREEK, *(c for c in _CONSTANTS if len(c) > 1 and c.isascii())), key=len, reverse=True)
_NAME_AT = re.compile("|".join(_NAMES))

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+(?![A-Za-z(]))?)
  | (?P<word>[A-Za-z]+)
  | (?P<sub>_(?:\{[A-Za-z0-9]+\}|[A-Za-z0-9]+))
  | (?P<op>\*\*|[-+*/^()\[\],|!·×÷−√πσ∞²³])
    """,
    re.VERBOSE,
)
_UNICODE = {"·": "*", "×": "*", "÷": "/", "−": "-", "²": "^2", "³": "^3"}
_PLAIN = re.compile(r"^[A-Za-z0-9\s.+\-*/^()\[\],|!_·×÷−√π∞²³]+$")


def looks_plain(text: str) -> bool:
    """Whether ``text`` is plain-text math (no LaTeX commands or braces) this parser should read."""
    return bool(_PLAIN.match(text)) and "\\" not in text


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, name, symbol, sub, op, end
    text: str


def _split_word(word: str) -> list[_Token]:
    """``sinx`` -> sin, x; ``xy`` -> x, y; ``theta`` -> theta: known names first, else single letters."""
    tokens: list[_Token] = []
    i = 0
    while i < len(word):
        match = _NAME_AT.match(word, i)
        if match:
            name = match.group(0)
            kind = "function" if name in _FUNCTIONS else "symbol"
            tokens.append(_Token(kind, name))
            i = match.end()
        else:
            tokens.append(_Token("symbol", word[i]))
            i += 1
    return tokens


def _tokenize(text: str) -> list[_Token]:
    return [*_tokens(text), _Token("end", "")]


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise PlainError(f"unexpected {text[pos]!r} in {text!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(0)
        if kind == "space":
            continue
        if kind == "word":
            tokens.extend(_split_word(value))
        elif kind == "op" and value in _UNICODE:
            tokens.extend(_tokens(_UNICODE[value]))
        elif kind == "op" and value in ("π", "∞"):
            tokens.append(_Token("symbol", value))
        elif kind == "op" and value == "√":
            tokens.append(_Token("function", "sqrt"))
        elif kind == "op" and value == "**":
            tokens.append(_Token("op", "^"))
        else:
            tokens.append(_Token(kind, value))
    return tokens


def _digits(value: sympy.Expr) -> float:
    """Decimal digits of a number's magnitude (0 for non-numbers)."""
    if value.is_Integer:
        return len(str(abs(int(value))))
    if value.is_Rational:
        return max(len(str(abs(int(value.p)))), len(str(int(value.q))))
    return 0.0


def _power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base ** exponent``, refusing numeric powers too big to compute."""
    if base.is_Rational and exponent.is_Integer and base not in (0, 1, -1):
        magnitude = abs(int(exponent)) * max(_digits(base), 1)
        if magnitude > MAX_DIGITS:
            raise TooBig(f"a power of about {magnitude:.0f} digits")
    elif exponent.is_number and exponent.is_real and abs(float(exponent)) > MAX_EXPONENT:
        raise TooBig("an exponent beyond the guard")  # x^(10^9) would be computed exactly at a sample point
    return sympy.Pow(base, exponent)


def _factorial(value: sympy.Expr) -> sympy.Expr:
    if value.is_number and (not value.is_Integer or value > MAX_FACTORIAL or value < 0):
        if value.is_Integer and value > MAX_FACTORIAL:
            raise TooBig(f"{value}! is beyond the guard")
        raise PlainError(f"factorial of {value}")
    return sympy.factorial(value)


class _Parser:
    """Precedence climbing over the tokens: sum > product (explicit and implicit) > unary > power."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.abs_depth = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        if self.peek.text != text:
            raise PlainError(f"expected {text!r}")
        self.pos += 1

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooBig("nested too deeply")

    def parse(self) -> sympy.Expr:
        result = self.sum()
        if self.peek.kind != "end":
            raise PlainError(f"unexpected {self.peek.text!r}")
        return result

    def sum(self) -> sympy.Expr:
        result = self.product()
        while self.peek.text in ("+", "-"):
            sign = self.take().text
            term = self.product()
            result = result + term if sign == "+" else result - term
        return result

    def starts_factor(self, token: _Token) -> bool:
        if token.kind in ("number", "symbol", "function"):
            return True
        return token.text in ("(", "[") or (token.text == "|" and self.abs_depth == 0)

    def product(self, *, bare: bool = False) -> sympy.Expr:
        """Factors joined by ``*``, ``/`` or juxtaposition; ``bare``: a function's unbracketed argument,
        which stops at ``*``, ``/`` and at the next function name."""
        result = self.unary()
        previous_number = self.tokens[self.pos - 1].kind == "number"
        while True:
            token = self.peek
            if token.text in ("*", "/") and not bare:
                self.take()
                factor = self.unary()
                if token.text == "*":
                    result = result * factor
                elif factor == 0:
                    raise PlainError("division by zero")
                else:
                    result = result / factor
                previous_number = False
            elif self.starts_factor(token) and not (bare and token.kind == "function"):
                if token.kind == "number" and previous_number:
                    raise PlainError("two numbers side by side")
                result = result * self.power()
                previous_number = self.tokens[self.pos - 1].kind == "number"
            else:
                return result

    def unary(self) -> sympy.Expr:
        if self.peek.text in ("-", "+"):
            sign = self.take().text
            self.nested()
            value = self.unary()
            self.depth -= 1
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.postfix()
        if self.peek.text == "^":
            self.take()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            return _power(base, exponent)
        return base

    def postfix(self) -> sympy.Expr:
        value = self.primary()
        while self.peek.text == "!":
            self.take()
            value = _factorial(value)
        return value

    def group(self, close: str) -> sympy.Expr:
        self.nested()
        saved, self.abs_depth = self.abs_depth, 0
        value = self.sum()
        self.abs_depth = saved
        self.expect(close)
        self.depth -= 1
        return value

    def primary(self) -> sympy.Expr:
        token = self.take()
        if token.kind == "number" and self.peek.kind == "sub":  # 204_5: a numeral in base 5
            return _numeral(token.text, self.take().text[1:].strip("{}"))
        if token.kind == "number":
            return _number(token.text)
        if token.kind == "symbol":
            return self.symbol(token.text)
        if token.kind == "function":
            return self.function(token.text)
        if token.text == "(":
            return self.group(")")
        if token.text == "[":
            return self.group("]")
        if token.text == "|":
            self.nested()
            self.abs_depth += 1
            value = self.sum()
            self.abs_depth -= 1
            self.expect("|")
            self.depth -= 1
            return sympy.Abs(value)
        raise PlainError(f"unexpected {token.text or 'end'!r}")

    def symbol(self, name: str) -> sympy.Expr:
        if name in _FUNCTION_LETTERS and self.peek.text == "(":  # f(x): a function's value, not f·x
            self.take()
            return sympy.Function(name)(self.group(")"))
        if name in _CONSTANTS and self.peek.kind != "sub":
            return _CONSTANTS[name]
        if self.peek.kind == "sub":
            sub = self.take().text[1:].strip("{}")
            name = f"{name}_{sub}" if len(sub) == 1 else f"{name}_{{{sub}}}"
        return sympy.Symbol(name)

    def function(self, name: str) -> sympy.Expr:
        base = None
        if name in ("log", "ln") and self.peek.kind == "sub":
            sub = self.take().text[1:].strip("{}")
            base = _number(sub) if sub.isdigit() else sympy.Symbol(sub)
        exponent = None
        if self.peek.text == "^":  # sin^2 x, sin^(-1)(x), sin^-1 x
            self.take()
            self.nested()
            exponent = self.postfix() if self.peek.text not in ("-", "+") else self.unary()
            self.depth -= 1
        if self.peek.text == "(":
            self.take()
            argument = self.group(")")
        elif self.peek.kind == "end" or self.peek.text in (")", "]", ",", "|", "^", "!"):
            raise PlainError(f"{name} without an argument")
        else:
            self.nested()
            argument = self.product(bare=True)
            self.depth -= 1
        if exponent is not None and exponent == -1 and name in _INVERSES:
            return _INVERSES[name](argument)
        value = _FUNCTIONS[name](argument) if base is None else sympy.log(argument, base)
        return value if exponent is None else _power(value, exponent)


_FUNCTION_LETTERS = frozenset("fgh")
"""Letters read as function names before a bracket, as latex2sympy reads them: ``f(x)``, ``g(2)``."""


def _numeral(digits: str, base: str) -> sympy.Expr:
    if not (digits.isdigit() and base.isdigit() and 2 <= int(base) <= 36):
        raise PlainError(f"not a numeral: {digits}_{base}")
    try:
        return sympy.Integer(int(digits, int(base)))
    except ValueError as exc:
        raise PlainError(f"{digits} has digits beyond base {base}") from exc


def _number(text: str) -> sympy.Expr:
    mantissa, _, exponent = text.lower().partition("e")
    if len(mantissa.replace(".", "")) > MAX_DIGITS:
        raise TooBig("too many digits")
    if exponent and abs(int(exponent)) > MAX_DIGITS:
        raise TooBig("an exponent beyond the guard")
    if "." in mantissa or exponent:
        whole, _, fraction = mantissa.partition(".")
        value = sympy.Rational(int(whole or "0") * 10 ** len(fraction) + int(fraction or "0"), 10 ** len(fraction))
        if exponent:
            value *= sympy.Rational(10) ** int(exponent)
        return value
    return sympy.Integer(int(mantissa))


def parse_plain(text: str) -> sympy.Expr:
    """``text`` as a sympy expression; ``PlainError`` when it is not plain-text math, ``TooBig`` when a
    guard refuses it."""
    if not looks_plain(text):
        raise PlainError("not plain-text math")
    try:
        return _Parser(_tokenize(text)).parse()
    except (TypeError, ValueError, ZeroDivisionError, RecursionError) as exc:
        if isinstance(exc, PlainError):
            raise
        raise PlainError(f"cannot read {text!r}: {exc}") from exc
