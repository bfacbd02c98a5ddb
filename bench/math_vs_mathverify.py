"""Referee's math grader against math-verify 0.9.0 on the shared peer cases, in one run.

Prints, for both graders: agreement with ``expected``, false positives/negatives, the cases where
they disagree, warm throughput in one process (median of ``--repeats`` passes), p50/p99 latency,
and the speed ratio; then Referee through its process pool on all cores.

    python bench/math_vs_mathverify.py [--data PATH] [--repeats 5]

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

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "math_peer_cases.jsonl"

Case = dict[str, Any]


def referee_judge(case: Case) -> bool:
    return grade_math(case["prediction"], case["gold"]).verdict == "correct"


def mathverify_judge() -> Callable[[Case], bool]:
    from math_verify import parse, verify

    def judge(case: Case) -> bool:
        try:
            return bool(verify(parse(case["gold"]), parse(case["prediction"])))
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
    expected = [c["expected"] for c in cases]
    reports = []
    for name in judges:
        got = verdicts[name]
        reports.append(
            {
                "name": name,
                "verdicts": got,
                "rates": rates[name],
                "agree": sum(v == e for v, e in zip(got, expected, strict=True)),
                "false_pos": sum(v and not e for v, e in zip(got, expected, strict=True)),
                "false_neg": sum(e and not v for v, e in zip(got, expected, strict=True)),
                "cold_rate": len(cases) / cold[name],
                "rate": statistics.median(rates[name]),
                "p50_ms": percentile(latencies[name], 0.50) * 1000,
                "p99_ms": percentile(latencies[name], 0.99) * 1000,
                "max_ms": max(latencies[name]) * 1000,
            }
        )
    return reports


def pool_rate(cases: list[Case], repeats: int) -> tuple[float, int]:
    """Warm the workers with one pass, then time passes with the verdict cache cleared."""
    items = [Item(completion=c["prediction"], reference=c["gold"]) for c in cases]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--show", type=int, default=60, help="disagreeing cases to list")
    args = parser.parse_args()
    cases = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    n = len(cases)
    ref, mv = measure_pair({"referee": referee_judge, "math-verify 0.9.0": mathverify_judge()}, cases, args.repeats)
    ratios = [a / b for a, b in zip(ref["rates"], mv["rates"], strict=True)]

    print(f"{n} cases from {args.data}; one default configuration for each grader; {os.cpu_count()} cores\n")
    columns = ["false +", "false -", "cold/s", "warm/s", "p50 ms", "p99 ms", "max ms"]
    header = f"{'':26}{'agree':>14}" + "".join(f"{c:>9}" for c in columns)
    print(header)
    for r in (ref, mv):
        print(
            f"{r['name']:26}{r['agree']:>5}/{n} {100 * r['agree'] / n:5.1f}%{r['false_pos']:>9}{r['false_neg']:>9}"
            f"{r['cold_rate']:>9.0f}{r['rate']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['max_ms']:>9.1f}"
        )
    print(
        f"\nwarm speed ratio, one process: median {statistics.median(ratios):.1f}x "
        f"(per interleaved pass: {', '.join(f'{r:.1f}' for r in ratios)})"
    )
    rate, workers = pool_rate(cases, args.repeats)
    print(
        f"referee process pool, {workers} workers, 5 s deadline per item: {rate:.0f} cases/s "
        f"({rate / mv['rate']:.1f}x math-verify's one process)"
    )

    print("\nCases where the graders disagree with each other or with expected (R = referee, M = math-verify):")
    shown = 0
    for case, r, m in zip(cases, ref["verdicts"], mv["verdicts"], strict=True):
        if r == m == case["expected"]:
            continue
        if shown >= args.show:
            break
        shown += 1
        marks = ["ok " if v == case["expected"] else "BAD" for v in (r, m)]
        print(
            f"  {case['id']} expected={str(case['expected'])[0]} R:{marks[0]} M:{marks[1]}  "
            f"gold={case['gold'][:40]!r} pred={case['prediction'][-50:]!r}"
        )


if __name__ == "__main__":
    main()
