"""Referee's math grader against math-verify 0.9.0 on the shared math cases, in one run.

Loads one or more JSONL files (default: the peer cases ``math_peer_cases.jsonl`` and the labelled
cases from public repositories ``math_external.jsonl``, both in ../shared/bench), and normalises
their rows into one shape: a peer row's ``gold``/``prediction`` become ``reference``/``completion``
and its kind is ``peer``; an external row keeps its ``kind`` (``answer``, ``model_output``,
``cas_expression``) and its ``note``. Both graders run with their default configuration on every case.

Prints one table with, per grader and kind and per grader overall, agreement with ``expected``,
false positives and false negatives; a combined false-positive count (peer + external) per grader;
then, over all loaded cases, warm throughput in one process (median of ``--repeats`` passes, the
graders' passes interleaved), cold throughput, p50/p99/max latency and the median speed ratio;
then Referee through its process pool on all cores; then up to ``--show`` cases where the graders
disagree with each other or with ``expected``, Referee's false positives first.

    python bench/math_vs_mathverify.py [--data PATH [PATH ...]] [--kinds KIND [KIND ...]]
                                       [--repeats 5] [--show 60]

"Warm" means imports done and one pass already run (so ANTLR's and sympy's internal tables are
built); Referee's parse cache is off and its verdict cache cleared, so no pass reuses parses or
verdicts of an earlier one — in this process and in the pool's workers alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["REFEREE_PARSE_CACHE"] = "0"  # every pass parses afresh, in this process and in the pool

from graders.math import grade_math  # noqa: E402
from service.engine import EngineConfig, GradingEngine  # noqa: E402
from service.schemas import Item  # noqa: E402

SHARED_BENCH = ROOT.parent / "shared" / "bench"
DEFAULT_DATA = [SHARED_BENCH / "math_peer_cases.jsonl", SHARED_BENCH / "math_external.jsonl"]
KIND_ORDER = ("peer", "answer", "model_output", "cas_expression")
"""Display order of kinds; kinds not listed here follow in the order they are first seen."""

Case = dict[str, Any]
"""A normalised case: ``id``, ``kind``, ``reference``, ``completion``, ``expected`` (bool), ``note``."""


def normalise(row: dict[str, Any], where: str) -> Case:
    """One row of either file format in the shape the rest of this script uses."""
    if "gold" in row and "prediction" in row:  # math_peer_cases.jsonl
        kind, reference, completion = "peer", row["gold"], row["prediction"]
    elif "reference" in row and "completion" in row and row.get("kind"):  # math_external.jsonl
        kind, reference, completion = row["kind"], row["reference"], row["completion"]
    else:
        raise SystemExit(f"{where}: neither gold/prediction (peer) nor reference/completion/kind (external)")
    if not isinstance(row.get("expected"), bool):
        raise SystemExit(f"{where}: expected must be true or false, not {row.get('expected')!r}")
    return {
        "id": str(row.get("id", where)),
        "kind": str(kind),
        "reference": reference,
        "completion": completion,
        "expected": row["expected"],
        "note": row.get("note") or "",
    }


def load_cases(paths: list[Path]) -> list[Case]:
    cases = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                cases.append(normalise(json.loads(line), f"{path}:{number}"))
    return cases


def kinds_in_order(cases: list[Case]) -> list[str]:
    seen = list(dict.fromkeys(c["kind"] for c in cases))
    return [k for k in KIND_ORDER if k in seen] + [k for k in seen if k not in KIND_ORDER]


def referee_judge(case: Case) -> bool:
    return grade_math(case["completion"], case["reference"]).verdict == "correct"


def _math_mode(case: Case, text: str) -> str:
    """math-verify extracts LaTeX from math mode: the external file's bare answers and plain-text
    expressions are wrapped in ``$…$`` (as the figures in the shared data's README were measured);
    peer cases and model outputs are passed as they are."""
    if case["kind"] not in ("answer", "cas_expression") or "$" in text or "\\boxed" in text:
        return text
    return f"${text}$"


def mathverify_judge() -> Callable[[Case], bool]:
    from math_verify import parse, verify

    def judge(case: Case) -> bool:
        try:
            gold = parse(_math_mode(case, case["reference"]))
            return bool(verify(gold, parse(_math_mode(case, case["completion"]))))
        except Exception:
            return False

    return judge


def one_pass(judge: Callable[[Case], bool], cases: list[Case]) -> tuple[list[bool], list[float], float]:
    verdicts, latencies = [], []
    started = time.perf_counter()
    for case in cases:
        t0 = time.perf_counter()
        verdicts.append(judge(case))
        latencies.append(time.perf_counter() - t0)
    return verdicts, latencies, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_pair(judges: dict[str, Callable[[Case], bool]], cases: list[Case], repeats: int) -> list[dict[str, Any]]:
    """Passes of the graders interleaved (A, B, A, B, ...), so machine noise hits both alike."""
    cold = {name: one_pass(judge, cases)[2] for name, judge in judges.items()}
    rates: dict[str, list[float]] = {name: [] for name in judges}
    latencies: dict[str, list[float]] = {name: [] for name in judges}
    verdicts: dict[str, list[bool]] = {}
    for _ in range(repeats):
        for name, judge in judges.items():
            verdicts[name], lat, elapsed = one_pass(judge, cases)
            rates[name].append(len(cases) / elapsed)
            latencies[name].extend(lat)
    reports = []
    for name in judges:
        reports.append(
            {
                "name": name,
                "verdicts": verdicts[name],
                "rates": rates[name],
                "cold_rate": len(cases) / cold[name],
                "rate": statistics.median(rates[name]),
                "p50_ms": percentile(latencies[name], 0.50) * 1000,
                "p99_ms": percentile(latencies[name], 0.99) * 1000,
                "max_ms": max(latencies[name]) * 1000,
            }
        )
    return reports


def tally(verdicts: list[bool], cases: list[Case], keep: Callable[[Case], bool]) -> dict[str, int]:
    """Agreement with ``expected`` and false positives/negatives over the cases ``keep`` selects."""
    pairs = [(v, c["expected"]) for v, c in zip(verdicts, cases, strict=True) if keep(c)]
    return {
        "n": len(pairs),
        "agree": sum(v == e for v, e in pairs),
        "false_pos": sum(v and not e for v, e in pairs),
        "false_neg": sum(e and not v for v, e in pairs),
        "negatives": sum(not e for _, e in pairs),
    }


def pool_rate(cases: list[Case], repeats: int) -> tuple[float, int]:
    """Warm the workers with one pass, then time passes with the verdict cache cleared."""
    items = [Item(completion=c["completion"], reference=c["reference"]) for c in cases]
    rates = []
    with GradingEngine(EngineConfig(timeout_s=5.0)) as engine:
        for _ in range(2):  # each worker sees the data at least once
            engine._cache.clear()
            engine.grade(items)
        for _ in range(repeats):
            engine._cache.clear()
            started = time.perf_counter()
            results = engine.grade(items)
            rates.append(len(items) / (time.perf_counter() - started))
            assert len(results) == len(items)
        return statistics.median(rates), engine.workers


def clip(text: str, limit: int, tail: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if tail else text[: limit - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=DEFAULT_DATA,
        help="JSONL files, peer (gold/prediction) or external (reference/completion/kind) rows; default: both",
    )
    parser.add_argument(
        "--kinds",
        nargs="+",
        metavar="KIND",
        help=f"only these kinds ({', '.join(KIND_ORDER)}); commas work too",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--show", type=int, default=60, help="disagreeing cases to list")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    cases = load_cases(args.data)
    if args.kinds:
        wanted = {k.strip() for spec in args.kinds for k in spec.split(",") if k.strip()}
        unknown = wanted - {c["kind"] for c in cases}
        if unknown:
            parser.error(
                f"--kinds: {', '.join(sorted(unknown))} not in the data (have: {', '.join(kinds_in_order(cases))})"
            )
        cases = [c for c in cases if c["kind"] in wanted]
    if not cases:
        parser.error("no cases loaded")
    n = len(cases)
    kinds = kinds_in_order(cases)

    ref, mv = measure_pair({"referee": referee_judge, "math-verify 0.9.0": mathverify_judge()}, cases, args.repeats)
    ratios = [a / b for a, b in zip(ref["rates"], mv["rates"], strict=True)]

    counts = ", ".join(f"{kind} {sum(c['kind'] == kind for c in cases)}" for kind in kinds)
    print(f"{n} cases ({counts}) from {', '.join(str(p) for p in args.data)}")
    print(f"one default configuration for each grader; {os.cpu_count()} cores\n")

    print(f"{'grader':20}{'kind':16}{'agree':>17}{'false +':>9}{'false -':>9}")
    for r in (ref, mv):
        for label, keep in [(k, lambda c, k=k: c["kind"] == k) for k in kinds] + [("all", lambda c: True)]:
            t = tally(r["verdicts"], cases, keep)
            print(
                f"{r['name']:20}{label:16}{t['agree']:>5}/{t['n']:<4}{100 * t['agree'] / t['n']:6.1f}%"
                f"{t['false_pos']:>9}{t['false_neg']:>9}"
            )
        print()
    for r in (ref, mv):
        peer = tally(r["verdicts"], cases, lambda c: c["kind"] == "peer")
        external = tally(r["verdicts"], cases, lambda c: c["kind"] != "peer")
        total = peer["false_pos"] + external["false_pos"]
        print(
            f"combined false positives (peer + external), {r['name']}: {total} = "
            f"{peer['false_pos']} + {external['false_pos']} "
            f"(of {peer['negatives'] + external['negatives']} cases labelled false: "
            f"{peer['negatives']} peer + {external['negatives']} external)"
        )

    print(
        f"\nspeed over all {n} cases, one process (cold: first pass; warm: median of {args.repeats} "
        "interleaved passes; latencies over the warm passes):"
    )
    for r in (ref, mv):
        print(
            f"  {r['name']:20}cold {r['cold_rate']:6.0f}/s   warm {r['rate']:6.0f}/s   "
            f"p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms   max {r['max_ms']:7.1f} ms"
        )
    print(
        f"warm speed ratio, one process: median {statistics.median(ratios):.1f}x "
        f"(per interleaved pass: {', '.join(f'{r:.1f}' for r in ratios)})"
    )
    rate, workers = pool_rate(cases, args.repeats)
    print(
        f"referee process pool, {workers} workers, 5 s deadline per item: {rate:.0f} cases/s "
        f"({rate / mv['rate']:.1f}x math-verify's one process)"
    )

    def order(i: int) -> tuple[int, int, int]:
        """Referee's false positives, then its false negatives, then math-verify's mistakes (its FPs first)."""
        e, r, m = cases[i]["expected"], ref["verdicts"][i], mv["verdicts"][i]
        return (0 if r and not e else 1 if r != e else 2, 0 if m and not e else 1, i)

    disagreeing = sorted(
        (i for i in range(n) if not ref["verdicts"][i] == mv["verdicts"][i] == cases[i]["expected"]), key=order
    )
    print(
        f"\n{len(disagreeing)} cases where the graders disagree with each other or with expected "
        f"(R = referee, M = math-verify; FP/FN = false positive/negative), Referee's false positives first"
        + (f"; the first {args.show}:" if len(disagreeing) > args.show else ":")
    )
    for i in disagreeing[: args.show]:
        case = cases[i]
        marks = [
            "ok" if v == case["expected"] else "FP" if v else "FN" for v in (ref["verdicts"][i], mv["verdicts"][i])
        ]
        note = f"  note={clip(case['note'], 60)!r}" if case["note"] else ""
        print(
            f"  {case['kind']:14} {case['id']:28} expected={str(case['expected'])[0]} R:{marks[0]} M:{marks[1]}  "
            f"ref={clip(case['reference'], 40)!r} completion={clip(case['completion'], 50, tail=True)!r}{note}"
        )


if __name__ == "__main__":
    main()
