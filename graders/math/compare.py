"""Decide whether a predicted answer equals the reference. Asymmetric: the reference goes first.

Policies:

- **Exact numbers.** Integers and rationals compare exactly (``12345`` != ``12346``), and so do
  symbolic constants, at 60 significant digits with a relative bound of 1e-45 (``1/2004!`` !=
  ``1/2006!``: a relative bound never makes tiny numbers equal).
- **Decimals against exact values.** A decimal equals an exact value when it is that value exactly
  (``0.5`` = ``1/2``), or when it is the value rounded or truncated to the decimal's own number of
  places *and* has at least ``min_significant`` (default 4) significant digits: ``0.3333`` and
  ``2.6667`` match ``1/3`` and ``8/3``; ``0.333`` and ``0.33`` do not.
- **Percent.** A reference ``50\\%`` accepts ``50``, ``50\\%`` and ``0.5``. A predicted ``p\\%`` means
  ``p/100``.
- **Expressions** with variables: the free symbols must match, then both sides are evaluated at
  three random points (60 digits); this is exact-arithmetic equivalence with bounded effort.
- **Lists and sets** are order-insensitive (a matching between items); tuples and intervals are
  order- and bracket-sensitive; an unbracketed list ``1, 2`` may stand for the tuple ``(1, 2)``.
- **Relations**: ``a < b`` equals ``b > a`` and any positive multiple; equations ``l = r`` equal
  when ``l - r`` are non-zero multiples of each other; a one-variable inequality equals the
  interval it describes (``-2 \\le x \\le 7`` and ``[-2, 7]``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.core.function import AppliedUndef

from graders.math.parse import Answer, Expr, Interval, Matrix, Num, Relation, Seq, Text, Union, Value

__all__ = ["CompareConfig", "DEFAULT_COMPARE", "answers_equal", "values_equal"]

_PRECISION = 60
_RELATIVE = sympy.Float("1e-45", _PRECISION)


@dataclass(frozen=True, slots=True)
class CompareConfig:
    """How lenient comparison is. ``min_significant``: digits a rounded decimal must show."""

    min_significant: int = 4
    points: int = 3
    seed: int = 20261206


DEFAULT_COMPARE = CompareConfig()


def _sig_digits(value: Fraction, places: int) -> int:
    digits = str(abs(value.numerator * 10**places // value.denominator)).lstrip("0")
    return len(digits)


def _decimal_matches(decimal: Num, exact: Fraction, config: CompareConfig) -> bool:
    if decimal.value == exact:
        return True
    places = decimal.places or 0
    if _sig_digits(decimal.value, places) < config.min_significant:
        return False
    scale = 10**places
    scaled = exact * scale
    rounded = Fraction(int((abs(scaled) + Fraction(1, 2)) // 1) * (1 if scaled >= 0 else -1), scale)
    truncated = Fraction(int(scaled), scale)
    return decimal.value in (rounded, truncated)


def _numeric(expr: sympy.Basic) -> sympy.Basic | None:
    try:
        value = sympy.N(expr, _PRECISION)
    except Exception:  # sympy raises anything from its evaluators
        return None
    return value if value.is_number and value.is_finite is not False else None


def _close(a: sympy.Basic, b: sympy.Basic) -> bool:
    diff = abs(sympy.N(a - b, _PRECISION))
    scale = max(abs(a), abs(b))
    if diff == 0:
        return True
    return bool(diff <= _RELATIVE * scale) if scale != 0 else False


def _same_structure(a: sympy.Basic, b: sympy.Basic) -> bool:
    """Identical trees; ``srepr`` also catches unevaluated products whose factors were written in another order."""
    return bool(a == b) or sympy.srepr(a) == sympy.srepr(b)


def _as_sympy(value: Num | Expr) -> sympy.Basic:
    if isinstance(value, Num):
        return sympy.Rational(value.value.numerator, value.value.denominator)
    return value.expr


def _exact_fraction(expr: sympy.Basic) -> Fraction | None:
    if isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    return None


def _scalars_equal(gold: Num | Expr, pred: Num | Expr, config: CompareConfig) -> bool:
    if isinstance(gold, Num) and isinstance(pred, Num):
        if gold.places is None and pred.places is None:
            return gold.value == pred.value
        if gold.places is not None and pred.places is not None:
            return gold.value == pred.value
        written, exact = (pred, gold) if pred.places is not None else (gold, pred)
        return _decimal_matches(written, exact.value, config)
    a, b = _as_sympy(gold), _as_sympy(pred)
    if a.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or b.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return bool(a == b) and not a.has(sympy.zoo, sympy.nan)
    if _same_structure(a, b):  # no evaluation needed
        return True
    if not isinstance(a, sympy.Expr) or not isinstance(b, sympy.Expr):
        return False
    free_a, free_b = a.free_symbols, b.free_symbols
    if not free_a and not free_b:
        decimal: Num | None = (
            gold if isinstance(gold, Num) and gold.places else pred if isinstance(pred, Num) and pred.places else None
        )
        na, nb = _numeric(a), _numeric(b)
        if na is None or nb is None:
            return bool(sympy.simplify(a - b) == 0)
        if decimal is not None:
            other = nb if decimal is gold else na
            if other.is_real:
                value = Fraction(str(sympy.Float(other, _PRECISION)))
                return _decimal_matches(decimal, value, config)
        return _close(na, nb)
    return _same_function(a, b, sorted(free_a | free_b, key=str), config)


_PROBES = tuple(
    sympy.Rational(p, q)
    for p, q in ((1, 2), (2, 1), (3, 1), (1, 3), (3, 2), (5, 1), (1, 10), (10007, 3))
    for p in (p, -p)
)
"""Values of both signs, small and large, integers and fractions: where branches (``sqrt``, ``abs``,
``log``, powers of negatives) part, some of them land on the real line on both sides."""


_POINT_TOLERANCE = sympy.Float("1e-30", _PRECISION)
"""At a sample point, values agree to 30 digits: a trigonometric function of a large argument loses
some of the 60 digits computed, and no two different expressions of a random point agree that far."""


def _tolerance(va: sympy.Expr, vb: sympy.Expr) -> bool:
    """Close at a sample point: relative, or absolute near zero (cancellation leaves dust)."""
    diff = abs(va - vb)
    return bool(diff <= _POINT_TOLERANCE * max(abs(va), abs(vb), 1))


def _evaluate(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Rational]) -> sympy.Expr | None:
    try:
        value = sympy.N(expr.subs(point), _PRECISION)
    except Exception:  # sympy raises anything from its evaluators
        return None
    if not value.is_number or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    return value


def _is_real(value: sympy.Expr) -> bool:
    return bool(abs(sympy.im(value)) <= _POINT_TOLERANCE * max(abs(value), 1))


def _points(symbols: list[sympy.Symbol], config: CompareConfig) -> list[dict[sympy.Symbol, sympy.Rational]]:
    """Positive random points (where the textbook identities hold), then points of both signs."""
    rng = random.Random(config.seed)
    points = [
        {s: sympy.Rational(rng.randint(11, 97), rng.randint(5, 23)) for s in symbols} for _ in range(config.points)
    ]
    if len(symbols) == 1:
        points.extend({symbols[0]: probe} for probe in _PROBES)
    else:
        points.extend({s: rng.choice(_PROBES) for s in symbols} for _ in range(10 * config.points))
    return points


def _same_function(a: sympy.Expr, b: sympy.Expr, symbols: list[sympy.Symbol], config: CompareConfig) -> bool:
    """Equal as functions of ``symbols``: agreeing at ``config.points`` points at least and never
    disagreeing where both sides are real. Points where either side is undefined are skipped, and so
    are points where the sides differ off the real line (principal branches may part there)."""
    agreements = 0
    for point in _points(symbols, config):
        va, vb = _evaluate(a, point), _evaluate(b, point)
        if va is None or vb is None:
            continue
        if _tolerance(va, vb):
            agreements += 1
            continue
        real_a, real_b = (
            abs(sympy.im(va)) <= _RELATIVE * max(abs(va), 1),
            abs(sympy.im(vb)) <= _RELATIVE * max(abs(vb), 1),
        )
        if real_a and real_b:
            return False
    if agreements >= config.points:
        return True
    return bool(sympy.simplify(a - b) == 0)


def _ratio_constant(a: sympy.Expr, b: sympy.Expr, *, positive: bool, config: CompareConfig) -> bool:
    """``a / b`` is the same non-zero constant everywhere (positive when ``positive``)."""
    if _same_structure(a, b):
        return True
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if a.free_symbols != b.free_symbols:
        return False
    rng = random.Random(config.seed)
    ratio = None
    for _ in range(config.points):
        point = {s: sympy.Rational(rng.randint(11, 97), rng.randint(5, 23)) for s in symbols}
        va, vb = sympy.N(a.subs(point), _PRECISION), sympy.N(b.subs(point), _PRECISION)
        if not (va.is_number and vb.is_number) or vb == 0:
            return bool(sympy.simplify(a - b) == 0)
        r = va / vb
        if ratio is None:
            ratio = r
            if r == 0 or (positive and not r > 0):
                return False
        elif not _close(r, ratio):
            return False
    return True


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _difference(rel_left: Value, op: str, rel_right: Value) -> tuple[str, sympy.Expr] | None:
    """Canonical ``(op, expr)`` meaning ``expr op 0`` with op among ``> >= = !=``."""
    if not isinstance(rel_left, Num | Expr) or not isinstance(rel_right, Num | Expr):
        return None
    left, right = _as_sympy(rel_left), _as_sympy(rel_right)
    if op in ("<", "<="):
        return _FLIP[op], right - left
    return op, left - right


def _relations_equal(gold: Relation, pred: Relation, config: CompareConfig) -> bool:
    if len(gold.ops) != len(pred.ops):
        return False
    if len(gold.ops) > 1:
        flipped = Relation(tuple(reversed(pred.sides)), tuple(_FLIP[o] for o in reversed(pred.ops)))
        return any(
            all(
                _relations_equal(
                    Relation(g.sides[i : i + 2], g.ops[i : i + 1]),
                    Relation(p.sides[i : i + 2], p.ops[i : i + 1]),
                    config,
                )
                for i in range(len(g.ops))
            )
            for g, p in ((gold, pred), (gold, flipped))
        )
    g = _difference(gold.sides[0], gold.ops[0], gold.sides[1])
    p = _difference(pred.sides[0], pred.ops[0], pred.sides[1])
    if g is None or p is None:
        return (
            all(values_equal(a, b, config) for a, b in zip(gold.sides, pred.sides, strict=True))
            and gold.ops == pred.ops
        )
    if g[0] != p[0]:
        return False
    try:
        return _ratio_constant(g[1], p[1], positive=g[0] not in ("=", "!="), config=config)
    except (TypeError, ValueError):
        return False


def _as_interval(value: Value) -> Interval | None:
    """A one-variable inequality (``x > 5``, ``-2 \\le x \\le 7``) or a 2-item bracket as an interval."""
    if isinstance(value, Interval):
        return value
    if isinstance(value, Seq) and len(value.items) == 2:
        return Interval(value.items[0], value.items[1], value.open == "[", value.close == "]")
    if not isinstance(value, Relation):
        return None
    inf = Expr(sympy.oo)
    ninf = Expr(-sympy.oo)

    def is_var(v: Value) -> bool:
        return (
            isinstance(v, Expr)
            and isinstance(v.expr, sympy.Symbol | AppliedUndef)  # x, f(x); |x| is solved instead
            and not isinstance(v.expr, sympy.Number)
        )

    sides, ops = value.sides, value.ops
    if len(ops) == 2 and is_var(sides[1]) and ops[0][0] == ops[1][0] and ops[0][0] in "<>":  # a < x <= b
        lo, hi = (sides[0], sides[2]) if ops[0][0] == "<" else (sides[2], sides[0])
        lo_op, hi_op = (ops[0], ops[1]) if ops[0][0] == "<" else (ops[1], ops[0])
        return Interval(lo, hi, lo_op.endswith("="), hi_op.endswith("="))
    if len(ops) == 1 and ops[0] in ("<", "<=", ">", ">="):
        var_left = is_var(sides[0])
        if not var_left and not is_var(sides[1]):
            return None
        bound = sides[1] if var_left else sides[0]
        op = ops[0] if var_left else _FLIP[ops[0]]
        closed = op.endswith("=")
        if op.startswith("<"):
            return Interval(ninf, bound, False, closed)
        return Interval(bound, inf, closed, False)
    return None


def _intervals_equal(gold: Interval, pred: Interval, config: CompareConfig) -> bool:
    return (
        gold.low_closed == pred.low_closed
        and gold.high_closed == pred.high_closed
        and values_equal(gold.low, pred.low, config)
        and values_equal(gold.high, pred.high, config)
    )


_SOLVABLE = ("<", "<=", ">", ">=")


def _solution_set(value: Relation) -> tuple[Interval, ...] | None:
    """The real solutions of a one-variable (chained) inequality, as intervals: ``|x-3| > 2`` is
    ``(-oo, 1) U (5, oo)``, ``1 <= |z| <= 3/2`` is ``[-3/2, -1] U [1, 3/2]``. None when it is not one."""
    if not value.ops or any(op not in _SOLVABLE for op in value.ops):
        return None
    if not all(isinstance(side, Num | Expr) for side in value.sides):
        return None
    sides = [_as_sympy(side) for side in value.sides]  # type: ignore[arg-type]
    symbols = set().union(*(side.free_symbols for side in sides))
    if len(symbols) != 1:
        return None
    (symbol,) = symbols
    real = sympy.Symbol(symbol.name, real=True)
    solutions: sympy.Set = sympy.S.Reals
    try:
        for left, op, right in zip(sides, value.ops, sides[1:], strict=False):
            relation = sympy.Rel(left.subs(symbol, real), right.subs(symbol, real), op)
            solutions = solutions.intersect(sympy.solve_univariate_inequality(relation, real, relational=False))
    except (NotImplementedError, TypeError, ValueError):
        return None
    return _intervals_of(solutions)


def _intervals_of(found: sympy.Set) -> tuple[Interval, ...] | None:
    parts = found.args if isinstance(found, sympy.Union) else (found,)
    intervals = []
    for part in parts:
        if part is sympy.S.EmptySet:
            continue
        if part is sympy.S.Reals:
            part = sympy.Interval(-sympy.oo, sympy.oo, True, True)
        if not isinstance(part, sympy.Interval):
            return None
        intervals.append(Interval(Expr(part.start), Expr(part.end), not part.left_open, not part.right_open))
    return tuple(intervals)


def _real_set(value: Value) -> tuple[Interval, ...] | None:
    """An interval, a union of intervals, or an inequality's solutions, as intervals."""
    if isinstance(value, Union):
        parts = [_real_set(part) for part in value.parts]
        return None if any(p is None for p in parts) else tuple(i for p in parts for i in p or ())
    if isinstance(value, Relation):
        simple = _as_interval(value)
        return (simple,) if simple is not None else _solution_set(value)
    interval = _as_interval(value)
    return (interval,) if interval is not None else None


def _real_sets_equal(gold: tuple[Interval, ...], pred: tuple[Interval, ...], config: CompareConfig) -> bool:
    if len(gold) != len(pred):
        return False
    remaining = list(pred)
    for interval in gold:
        match = next((p for p in remaining if _intervals_equal(interval, p, config)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def _texts(value: Value) -> str | None:
    """What a text comparison compares: words case-folded; math kept as text (too big to evaluate) and
    single letters exactly as written, so a sign, a digit or a letter's case always counts."""
    if isinstance(value, Text):
        return value.text.replace(" ", "").lower() if value.word else value.text.replace(" ", "")
    if isinstance(value, Expr) and isinstance(value.expr, sympy.Symbol):
        return str(value.expr)
    return None


def values_equal(gold: Value, pred: Value, config: CompareConfig = DEFAULT_COMPARE) -> bool:
    """Whether ``pred`` equals ``gold`` (see the module docstring for the policies)."""
    if isinstance(gold, Num | Expr) and isinstance(pred, Num | Expr) and gold.percent and pred.percent:
        gold = Num(gold.value, gold.places) if isinstance(gold, Num) else Expr(gold.expr)
        pred = Num(pred.value, pred.places) if isinstance(pred, Num) else Expr(pred.expr)
    if isinstance(gold, Relation) and gold.assignment and not isinstance(pred, Relation):
        return values_equal(gold.sides[-1], pred, config)
    if isinstance(pred, Relation) and pred.assignment and not isinstance(gold, Relation):
        return values_equal(gold, pred.sides[-1], config)
    if isinstance(gold, Relation) and isinstance(pred, Relation) and (gold.assignment or pred.assignment):
        if not all(isinstance(v, Num | Expr) for v in (*gold.sides, *pred.sides)):
            return values_equal(gold.sides[-1], pred.sides[-1], config)
    if isinstance(gold, Num | Expr) and gold.percent:
        plain = Num(gold.value, gold.places) if isinstance(gold, Num) else Expr(gold.expr)
        if isinstance(pred, Num | Expr) and not pred.percent:
            scaled = (
                Num(gold.value / 100, None if gold.places is None else gold.places + 2)
                if isinstance(gold, Num)
                else Expr(gold.expr / 100)
            )
            return values_equal(plain, pred, config) or values_equal(scaled, pred, config)
        gold = plain
    if isinstance(pred, Num | Expr) and pred.percent:  # against a bare reference, p% means p/100 only
        pred = (
            Num(pred.value / 100, None if pred.places is None else pred.places + 2)
            if isinstance(pred, Num)
            else Expr(pred.expr / 100)
        )
    if isinstance(gold, Num | Expr) and isinstance(pred, Num | Expr):
        try:
            return _scalars_equal(gold, pred, config)
        except (TypeError, ValueError, ZeroDivisionError):
            return False
    text_gold, text_pred = _texts(gold), _texts(pred)
    if text_gold is not None and text_pred is not None:
        return text_gold == text_pred
    if isinstance(gold, Seq) and isinstance(pred, Seq):
        if gold.open != pred.open or gold.close != pred.close or len(gold.items) != len(pred.items):
            return False
        return all(values_equal(g, p, config) for g, p in zip(gold.items, pred.items, strict=True))
    if isinstance(gold, Matrix) and isinstance(pred, Matrix):
        if len(gold.rows) != len(pred.rows) or any(len(g) != len(p) for g, p in zip(gold.rows, pred.rows, strict=True)):
            return False
        return all(
            values_equal(g, p, config)
            for gr, pr in zip(gold.rows, pred.rows, strict=True)
            for g, p in zip(gr, pr, strict=True)
        )
    if isinstance(gold, Union) and isinstance(pred, Union):
        return len(gold.parts) == len(pred.parts) and all(
            values_equal(g, p, config) for g, p in zip(gold.parts, pred.parts, strict=True)
        )
    if isinstance(gold, Relation) and isinstance(pred, Relation):
        return _relations_equal(gold, pred, config)
    if isinstance(gold, Relation | Interval | Seq | Union) and isinstance(pred, Relation | Interval | Seq | Union):
        gold_set, pred_set = _real_set(gold), _real_set(pred)
        if gold_set is not None and pred_set is not None:
            return _real_sets_equal(gold_set, pred_set, config)
    return False


def _distinct(items: tuple[Value, ...]) -> tuple[Value, ...]:
    """Items with exact repeats removed: ``(3, 17), (3, 17)`` lists one solution twice."""
    return tuple(dict.fromkeys(items))


def _match_all(gold: tuple[Value, ...], pred: tuple[Value, ...], config: CompareConfig) -> bool:
    """Every gold item matched to a distinct predicted item (bipartite matching)."""
    gold, pred = _distinct(gold), _distinct(pred)
    if len(gold) != len(pred):
        return False
    edges = [[j for j, p in enumerate(pred) if values_equal(g, p, config)] for g in gold]
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or assign(owner[j], seen):
                owner[j] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(gold)))


def _name_key(value: Value) -> str:
    return value.text if isinstance(value, Text) else str(value.expr) if isinstance(value, Expr) else repr(value)


def _solution_tuples(items: tuple[Value, ...]) -> tuple[Value, ...] | None:
    """``p=5, q=2; p=7, q=2`` as the solutions ``(5, 2), (7, 2)``: assignments whose names repeat in the
    same order, grouped into tuples. None when the items are not such a list."""
    if len(items) < 4 or not all(isinstance(v, Relation) and v.assignment for v in items):
        return None
    names = [_name_key(v.sides[0]) for v in items]  # type: ignore[union-attr]
    width = len(dict.fromkeys(names))
    if width < 2 or len(items) % width or any(names[i] != names[i % width] for i in range(len(items))):
        return None
    values = [v.sides[-1] for v in items]  # type: ignore[union-attr]
    return tuple(Seq("(", ")", tuple(values[i : i + width])) for i in range(0, len(values), width))


def answers_equal(gold: Answer, pred: Answer, config: CompareConfig = DEFAULT_COMPARE) -> bool:
    """Whole-answer comparison: one value, or an order-insensitive list of values."""
    gold_tuples, pred_tuples = _solution_tuples(gold.items), _solution_tuples(pred.items)
    if gold_tuples is not None or pred_tuples is not None:
        return _match_all(gold_tuples or gold.items, pred_tuples or pred.items, config)
    if len(gold.items) == 1 and len(pred.items) == 1:
        return values_equal(gold.items[0], pred.items[0], config)
    if len(gold.items) == 1 and isinstance(gold.items[0], Seq) and pred.bare_list:
        return values_equal(gold.items[0], Seq(gold.items[0].open, gold.items[0].close, pred.items), config)
    if len(pred.items) == 1 and isinstance(pred.items[0], Seq) and gold.bare_list:
        return values_equal(Seq(pred.items[0].open, pred.items[0].close, gold.items), pred.items[0], config)
    return _match_all(gold.items, pred.items, config)
