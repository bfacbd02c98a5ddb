"""SandboxFusion's ``POST /run_code`` under verl's load, side by side with its anchors.

    python bench/compat_load.py [--concurrency 64] [--seconds 20] [--repeats 3] [--url URL] [--all-cases]

Without ``--url`` a ``referee serve`` is started on a free loopback port (REFEREE_SANDBOX=docker,
REFEREE_SANDBOXES=2) and the run waits for ``/readyz``. Every request carries verl's fields (language
python, compile_timeout 10, run_timeout 10, memory_limit_MB 1024, files {}, fetch_files []), and an answer
passes as verl passes it: ``status == "Success"``, ``run_result.status == "Finished"`` and
``stdout.rstrip("\\n") == expected.rstrip("\\n")``.

a. ``print(1)``: ``--concurrency`` clients on one asyncio loop, each an ``httpx.AsyncClient`` of one
   connection, post back-to-back for ``--seconds``: requests/s, p50/p99 latency and the answers that are
   not ``Success`` with stdout "1\\n" (must be 0), the median of ``--repeats``. The client's own CPU time is
   reported, to show that it is not what limits (it shares the 2 cores with the service). Anchor:
   SandboxFusion without isolation, ~100 requests/s; target >= 150.
b. verl's pattern over the CodeContests sample: for each problem, its correct and its wrong program from
   ``bench/code_contests_programs.py``, one request per test case (the first 10 cases, as verl scores
   them; ``--all-cases`` for all), ``--concurrency`` in flight. Requests/s and p50/p99, and every case's
   verdict against the same program run directly on the host (``python -c``, 2 at a time): the verdicts
   must agree, zero differences under load. The host runs' own rate is printed beside (no isolation), and
   the service's ``referee_merged_runs`` gauge (identical concurrent requests share one sandbox job).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.code_contests_programs import DEFAULT_DATA, PROGRAMS, load_problems, run_direct, verl_match  # noqa: E402

VERL_FIELDS: dict[str, Any] = {
    "language": "python",
    "compile_timeout": 10,
    "run_timeout": 10,
    "memory_limit_MB": 1024,
    "files": {},
    "fetch_files": [],
}
"""What verl 0.9.1's ``sandbox_fusion/utils.py`` sends besides ``code`` and ``stdin``."""

VERL_CASES = 10
"""verl's compute_score scores the first <= 10 cases of a sample."""


# --- the service ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "REFEREE_PORT": str(port), "REFEREE_SANDBOX": "docker", "REFEREE_SANDBOXES": "2"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    process.wait()
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the service did not become ready in 300 s; its log ends:\n{tail}")


def merged_runs(url: str) -> float:
    """The ``referee_merged_runs`` gauge from ``/metrics``."""
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("referee_merged_runs "):
            return float(line.split()[1])
    raise RuntimeError("/metrics has no referee_merged_runs")


def verl_verdict(response: httpx.Response | None, expected: str) -> bool:
    """verl's pass rule for one case (a transport error or a non-200 answer fails it)."""
    if response is None or response.status_code != 200:
        return False
    body = response.json()
    run = body.get("run_result") or {}
    return bool(
        body.get("status") == "Success"
        and run.get("status") == "Finished"
        and verl_match(run.get("stdout") or "", expected)
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Pass:
    """One timed pass: requests done, wall seconds, latencies (s), the client's CPU seconds."""

    requests: int
    seconds: float
    latencies: list[float]
    client_cpu_s: float
    bad: int = 0
    verdicts: list[bool] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def client_cpu(self) -> float:
        """The client's CPU time per wall second (1.0 = one core busy)."""
        return self.client_cpu_s / self.seconds


def clients(url: str, count: int) -> list[httpx.AsyncClient]:
    """One client of one connection per simulated caller: a single ``httpx.AsyncClient`` shared by 64
    connections spends ~7 ms of CPU per request in its pool (measured here) and would cap the run near
    140 req/s; separate ones cost ~1 ms each."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # verl's own HTTP timeout is compile + run + 10 = 30 s; a longer one here shows any slow answer as such
    return [httpx.AsyncClient(base_url=url, limits=limits, timeout=120) for _ in range(count)]


async def close(opened: list[httpx.AsyncClient]) -> None:
    await asyncio.gather(*(c.aclose() for c in opened))


# --- a. print(1) ------------------------------------------------------------------------------------------
PRINT_ONE = {"code": "print(1)", "stdin": "", **VERL_FIELDS}


def print_one_ok(response: httpx.Response | None) -> bool:
    if response is None or response.status_code != 200:
        return False
    body = response.json()
    return body.get("status") == "Success" and (body.get("run_result") or {}).get("stdout") == "1\n"


async def flood(url: str, concurrency: int, seconds: float) -> Pass:
    """``concurrency`` clients posting ``print(1)`` back-to-back until ``seconds`` have passed."""
    latencies: list[float] = []
    bad = 0
    opened = clients(url, concurrency)

    async def one_client(http: httpx.AsyncClient, deadline: float) -> None:
        nonlocal bad
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response: httpx.Response | None = await http.post("/run_code", json=PRINT_ONE)
            except httpx.HTTPError:
                response = None
            latencies.append(time.perf_counter() - started)
            bad += not print_one_ok(response)

    try:
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one_client(http, started + seconds) for http in opened))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await close(opened)
    return Pass(len(latencies), elapsed, latencies, cpu, bad=bad)


# --- b. verl's pattern over CodeContests ------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    problem: int
    kind: str
    code: str
    stdin: str
    expected: str


def contest_cases(data: Path, all_cases: bool) -> list[Case]:
    """Problem by problem, the correct then the wrong program, each on its first 10 cases (or all)."""
    cases = []
    for problem in load_problems(data):
        entry = PROGRAMS[problem["id"]]
        for kind in ("correct", "wrong"):
            if entry[kind] is None:
                continue
            tests = problem["tests"] if all_cases else problem["tests"][:VERL_CASES]
            cases += [Case(problem["id"], kind, entry[kind], stdin, out) for stdin, out in tests]
    return cases


def host_verdicts(cases: list[Case], workers: int = 2) -> tuple[list[bool], float]:
    """Each case run directly on the host, judged as verl judges it; and the wall seconds."""

    def one(case: Case) -> bool:
        exit_code, stdout, _ = run_direct(case.code, case.stdin)
        return exit_code == 0 and verl_match(stdout, case.expected)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as threads:
        verdicts = list(threads.map(one, cases))
    return verdicts, time.perf_counter() - started


async def verl_pass(url: str, cases: list[Case], concurrency: int) -> Pass:
    """Every case posted as verl posts it: in order, sample by sample, ``concurrency`` in flight."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(cases)):
        queue.put_nowait(index)
    verdicts = [False] * len(cases)
    latencies: list[float] = []
    opened = clients(url, concurrency)

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            index = queue.get_nowait()
            case = cases[index]
            body = {"code": case.code, "stdin": case.stdin, **VERL_FIELDS}
            started = time.perf_counter()
            try:
                response: httpx.Response | None = await http.post("/run_code", json=body)
            except httpx.HTTPError:
                response = None
            latencies.append(time.perf_counter() - started)
            verdicts[index] = verl_verdict(response, case.expected)

    try:
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(http) for http in opened))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await close(opened)
    return Pass(len(cases), elapsed, latencies, cpu, verdicts=verdicts)


# --- report -----------------------------------------------------------------------------------------------
def latency_text(passes: list[Pass]) -> str:
    """p50/p99 of the median pass (by rate)."""
    middle = sorted(passes, key=lambda p: p.rate)[len(passes) // 2]
    return (
        f"p50 {percentile(middle.latencies, 0.5) * 1000:.0f} ms, p99 {percentile(middle.latencies, 0.99) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--url", help="a running service (default: start one)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--all-cases", action="store_true", help="every test case, not verl's first 10")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="referee-compat-") as work:
        process = None
        url = args.url.rstrip("/") if args.url else None
        if url is None:
            process, url = start_server(Path(work) / "serve.log")
        try:
            run(url, args)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=60)


def run(url: str, args: argparse.Namespace) -> None:
    n = args.concurrency
    asyncio.run(flood(url, n, 3))  # the sandboxes up and warm
    before = merged_runs(url)
    floods = [asyncio.run(flood(url, n, args.seconds)) for _ in range(args.repeats)]
    merged = merged_runs(url) - before
    rate = statistics.median(p.rate for p in floods)
    print(
        f"print(1) via /run_code, {n} concurrent, {args.seconds:g} s: {rate:.0f} req/s (median of {args.repeats}), "
        f"{latency_text(floods)}, wrong {sum(p.bad for p in floods)} of {sum(p.requests for p in floods)} "
        f"| SandboxFusion (no isolation): ~100 req/s, target >= 150"
    )
    print(f"  passes: {', '.join(f'{p.rate:.0f}' for p in floods)} req/s")
    cpu = statistics.median(p.client_cpu for p in floods)
    cpu_per_request = statistics.median(p.client_cpu_s / p.requests for p in floods)
    print(
        f"  client (one asyncio loop, httpx): {cpu * 100:.0f}% of one core, {cpu_per_request * 1000:.2f} ms CPU "
        f"per request, so it alone could drive ~{1 / cpu_per_request:.0f} req/s"
    )
    total = sum(p.requests for p in floods)
    print(f"  referee_merged_runs: +{merged:.0f} of {total} runs shared another request's sandbox job")

    cases = contest_cases(args.data, args.all_cases)
    programs = len({(c.problem, c.kind) for c in cases})
    direct, direct_s = host_verdicts(cases)
    before = merged_runs(url)
    passes = [asyncio.run(verl_pass(url, cases, n)) for _ in range(args.repeats)]
    merged = merged_runs(url) - before
    rate = statistics.median(p.rate for p in passes)
    differ = sum(a != b for p in passes for a, b in zip(p.verdicts, direct, strict=True))
    scope = "every case" if args.all_cases else f"first <= {VERL_CASES} cases"
    print(
        f"CodeContests, verl's pattern ({programs} programs x {scope}: {len(cases)} requests, {n} in flight): "
        f"{rate:.0f} req/s (median of {args.repeats}), {latency_text(passes)}, verdicts differing from direct "
        f"runs {differ} of {len(cases) * args.repeats} | direct host runs (no isolation, 2 at a time): "
        f"{len(cases) / direct_s:.0f} runs/s"
    )
    print(f"  passes: {', '.join(f'{p.rate:.0f}' for p in passes)} req/s")
    for kind in ("correct", "wrong"):
        chosen = [i for i, c in enumerate(cases) if c.kind == kind]
        passed = sum(direct[i] for i in chosen)
        print(f"  {kind} programs: {passed} of {len(chosen)} cases pass verl's compare (direct and under load alike)")
    print(
        f"  referee_merged_runs: +{merged:.0f} of {len(cases) * args.repeats} runs shared another request's "
        f"sandbox job (verl sends a sample's cases at once, same code)"
    )


if __name__ == "__main__":
    main()
