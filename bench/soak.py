"""Soak: 16 concurrent clients send mixed batches for a bounded time; nothing may be lost or differ.

    python bench/soak.py [--seconds 120] [--clients 16] [--batch 128] [--sandbox docker|off] [--runtime runsc]

A ``referee serve`` is started on loopback (verdict cache off, so every batch is really graded).
Each client sends batches drawn from a fixed pool of items (math peer cases with a think block,
format checks, and code items when the sandbox is on). Printed: items scored, errors, lost items
(requests whose answer does not hold one result per item), results that differ from a sequential
reference run of the same items, p50/p99 batch latency, and the service's memory (RSS of the server
and its grader processes) at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.service_load import DEFAULT_DATA, start_server  # noqa: E402
from service.client import RefereeClient  # noqa: E402

SPEC = {"accuracy": 1.0, "format": 0.2, "repetition": 0.1}


def item_pool(cases: list[dict[str, Any]], code: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        items.append(
            {
                "id": f"m{index}",
                "completion": f"<think>\nstep {index}\n</think>\n{case['prediction']}",
                "reference": case["gold"],
            }
        )
    if code:
        for n in range(40):
            items.append(
                {
                    "id": f"c{n}",
                    "completion": f"```python\ndef f(x):\n    return x * {n % 7}\n```",
                    "tests": {"kind": "call", "entry_point": "f", "cases": [{"args": [3], "expected": 3 * (n % 5)}]},
                }
            )
    return items


def rss_kb(pid: int) -> int:
    """RSS of a process and its children (the grader processes), from /proc."""
    total = 0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def key(result: Any) -> tuple[Any, ...]:
    return (result.status, result.reward, tuple(sorted(result.components.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--sandbox", choices=("docker", "off"), default="docker")
    parser.add_argument("--runtime", default=None, help="the sandbox containers' OCI runtime, e.g. runsc (gVisor)")
    args = parser.parse_args()
    if args.runtime:
        os.environ["REFEREE_SANDBOX_RUNTIME"] = args.runtime  # the server started below inherits it
    cases = [json.loads(line) for line in (args.data / "math_peer_cases.jsonl").read_text().splitlines() if line]
    pool = item_pool(cases, args.sandbox == "docker")
    process, url = start_server(args.sandbox)
    try:
        with RefereeClient(url) as client:
            reference = {item["id"]: key(r) for item, r in zip(pool, client.score(pool, reward=SPEC), strict=True)}
        memory_start = rss_kb(process.pid)
        stop = time.monotonic() + args.seconds
        lock = threading.Lock()
        totals = {"items": 0, "errors": 0, "lost": 0, "differ": 0}
        latencies: list[float] = []

        def run_client(seed: int) -> None:
            rng = random.Random(seed)
            with RefereeClient(url) as client:
                while time.monotonic() < stop:
                    batch = rng.sample(pool, min(args.batch, len(pool)))
                    started = time.perf_counter()
                    results = client.score(batch, reward=SPEC)
                    elapsed = time.perf_counter() - started
                    with lock:
                        latencies.append(elapsed)
                        totals["items"] += len(results)
                        totals["lost"] += len(batch) - len(results)
                        for item, result in zip(batch, results, strict=False):
                            totals["errors"] += result.status == "error"
                            totals["differ"] += result.id != item["id"] or key(result) != reference[item["id"]]

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as threads:
            list(threads.map(run_client, range(args.clients)))
        elapsed = time.perf_counter() - started
        memory_end = rss_kb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    runtime = args.runtime or "runc"
    print(
        f"soak: {args.clients} clients, {elapsed:.0f} s, batches of {args.batch} from {len(pool)} distinct items, "
        f"sandbox runtime {runtime}"
    )
    print(f"  items scored:           {totals['items']} ({totals['items'] / elapsed:.0f}/s)")
    print(f"  errors:                 {totals['errors']}")
    print(f"  lost items:             {totals['lost']}")
    print(f"  differ from reference:  {totals['differ']}")
    print(f"  batch latency:          p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    growth = (memory_end - memory_start) / 1024
    print(f"  service memory (RSS):   {memory_start / 1024:.0f} MB -> {memory_end / 1024:.0f} MB ({growth:+.0f} MB)")


if __name__ == "__main__":
    main()
