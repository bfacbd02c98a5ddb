"""The service under a trainer's load, side by side with math-verify and the in-process library.

    python bench/service_load.py [--data DIR] [--prompts 512] [--samples 16] [--repeats 3] [--sandbox docker|off]

1. A GRPO-shaped math batch: ``--prompts`` problems x ``--samples`` completions each, drawn from a few
   distinct answers per problem (the duplication such groups have), built from the math peer cases.
   Timed: math-verify 0.9.0 in one process; Referee's engine called in process; Referee over HTTP
   (a ``referee serve`` started on loopback by this script, through ``RefereeClient``, with its
   verdict cache off so that no pass reuses an earlier one). Medians.
2. Mixed batches (math, format, and code when the sandbox is on) from 1, 4 and 16 concurrent
   clients: items/s and p50/p99 batch latency, and the number of errors (must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from service.client import RefereeClient  # noqa: E402
from service.engine import EngineConfig, GradingEngine  # noqa: E402
from service.schemas import Item  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench"


def grpo_batch(cases: list[dict[str, Any]], prompts: int, samples: int, seed: int = 0) -> list[dict[str, Any]]:
    """Each problem's group holds at most four distinct answers: the peer prediction, the gold in a
    box, a wrong number, and a phrasing of the gold, repeated as sampled completions repeat."""
    rng = random.Random(seed)
    items = []
    for index in range(prompts):
        case = cases[index % len(cases)]
        gold = case["gold"]
        answers = [
            case["prediction"],
            f"<think>\nLet me solve problem {index}.\n</think>\nThe answer is $\\boxed{{{gold}}}$.",
            f"<think>\nI think it is {index + 7}.\n</think>\n\\boxed{{{index + 7}}}",
            f"So the final answer is {gold}",
        ]
        for _ in range(samples):
            items.append({"completion": rng.choice(answers), "reference": gold, "group": index})
    return items


def mathverify_pass(items: list[dict[str, Any]]) -> float:
    from math_verify import parse, verify

    started = time.perf_counter()
    for item in items:
        try:
            verify(parse(item["reference"]), parse(item["completion"]))
        except Exception:
            pass
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(sandbox: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "REFEREE_PORT": str(port),
        "REFEREE_SANDBOX": sandbox,
        "REFEREE_MAX_ITEMS": "100000",
        "REFEREE_CACHE_SIZE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the service did not become ready in 120 s")


def mixed_batch(cases: list[dict[str, Any]], size: int, code: bool, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for i in range(size):
        case = rng.choice(cases)
        if code and i % 8 == 0:
            n = rng.randint(1, 50)
            items.append(
                {
                    "completion": f"```python\ndef f(x):\n    return x * {n}\n```",
                    "tests": {"kind": "call", "entry_point": "f", "cases": [{"args": [2], "expected": 2 * n}]},
                }
            )
        else:
            items.append(
                {"completion": f"<think>\nwork {i}\n</think>\n{case['prediction']}", "reference": case["gold"]}
            )
    return items


def load(url: str, cases: list[dict[str, Any]], clients: int, code: bool) -> tuple[float, list[float], int]:
    """``clients`` threads each sending 4 mixed batches of 256: items/s, sorted latencies, errors."""

    def one(seed: int) -> tuple[float, int]:
        items = mixed_batch(cases, 256, code, seed)
        with RefereeClient(url) as client:
            started = time.perf_counter()
            results = client.score(items, reward={"accuracy": 1, "format": 0.2})
            return time.perf_counter() - started, sum(r.status == "error" for r in results)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as threads:
        outcomes = list(threads.map(one, range(clients * 4)))
    elapsed = time.perf_counter() - started
    return clients * 4 * 256 / elapsed, sorted(o[0] for o in outcomes), sum(o[1] for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--prompts", type=int, default=512)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sandbox", choices=("docker", "off"), default="off")
    args = parser.parse_args()
    cases = [json.loads(line) for line in (args.data / "math_peer_cases.jsonl").read_text().splitlines() if line]
    batch = grpo_batch(cases, args.prompts, args.samples)
    distinct = len({(i["completion"], i["reference"]) for i in batch})
    print(f"GRPO-shaped math batch: {len(batch)} items ({args.prompts} x {args.samples}), {distinct} distinct")

    process, url = start_server(args.sandbox)
    try:
        with RefereeClient(url) as warm:
            warm.score(grpo_batch(cases, 64, 2, seed=1))  # the server's grader processes up and warm
        items = [Item.model_validate(i) for i in batch]
        mv, library, http = [], [], []
        for _ in range(args.repeats):
            mv.append(mathverify_pass(batch))
            with GradingEngine(EngineConfig()) as engine:
                engine.grade(items[:8])  # processes up
                started = time.perf_counter()
                engine.grade(items)
                library.append(time.perf_counter() - started)
            with RefereeClient(url, chunk_size=len(batch)) as client:
                started = time.perf_counter()  # the server keeps no verdicts across batches here
                results = client.score(batch)
                http.append(time.perf_counter() - started)
                assert len(results) == len(batch) and all(r.status in ("ok", "unscorable") for r in results)
        mv_s, lib_s, http_s = (statistics.median(v) for v in (mv, library, http))
        print(f"  math-verify 0.9.0, one process:   {mv_s:7.2f} s")
        print(f"  Referee library, in process:      {lib_s:7.2f} s")
        print(f"  Referee over HTTP:                {http_s:7.2f} s")
        print(f"  HTTP vs math-verify: {mv_s / http_s:.1f}x faster (target >= 3x)")
        print(f"  HTTP vs library throughput: {lib_s / http_s:.2f}x (target >= 0.8x)")

        print(f"\nmixed batches of 256 items{' (1 in 8 code)' if args.sandbox == 'docker' else ''}, median latencies")
        for clients in (1, 4, 16):
            rate, latencies, errors = load(url, cases, clients, args.sandbox == "docker")
            p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
            print(
                f"  {clients:2} clients: {rate:7.0f} items/s, "
                f"p50 {statistics.median(latencies) * 1000:6.0f} ms, p99 {p99 * 1000:6.0f} ms, errors {errors}"
            )
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
