"""Referee on Ray Serve against plain ``referee serve``, on one machine: what Serve costs per request,
whether it keeps batch throughput, verl's per-sample handle calls, losing a node, and memory.

    python bench/ray_scaleout.py [--data DIR] [--prompts 512] [--samples 16] [--repeats 3] [--split 8]
        [--warm-passes 2] [--tiny 200] [--per-sample-items 2048] [--concurrency 64] [--plain-nice 15]

Three configurations, figures side by side at the end (medians). Math only, ``REFEREE_SANDBOX=off``
everywhere so that the comparison is about serving, and the same grader processes in total:

  A. plain ``referee serve`` (a subprocess on loopback, as ``bench/service_load.py`` starts it),
     ``REFEREE_WORKERS=2``, verdict cache off (``REFEREE_CACHE_SIZE=0``), reniced to ``--plain-nice``
     (default 15: Ray runs its workers, replicas included, at niceness 15; the driver stays at 0).
     It stays up for the whole run and is measured again beside B and C, in turns with them ("A
     beside"), since other tenants of a shared machine change the background load from minute to minute.
  B. ``service.ray_app.deploy`` on a one-node ``ray.cluster_utils.Cluster`` (head 127.0.0.2, 2 CPUs):
     one replica, ``REFEREE_WORKERS=2``, cache off.
  C. the same on two nodes (127.0.0.2 + 127.0.0.3, 1 CPU each: the same 2 CPUs), one replica per node,
     ``REFEREE_WORKERS=1`` each, cache off.

Measured:

  1. per-request overhead: p50 of a 1-item ``/v1/score`` sent ``--tiny`` times in a row (and for B/C
     the p50 of a 1-item handle ``score`` call from the driver), as a delta against A; and verl's
     per-sample call as its reward loop makes it: an async actor awaiting one handle ``score_traced``
     call at a time for ``--tiny`` ungraded items, its p50, the p50 of the time the replica spent on
     the call (``graded_s``: batch wait and grading) and the p50 of their difference, the overhead
     (A: 1-item HTTP requests for the same items);
  2. throughput of a GRPO-shaped math batch (``--prompts`` x ``--samples`` = 8192 items) over HTTP, split
     the way a trainer's workers send it: ``--split`` concurrent requests of 1024 items (A too), after
     ``--warm-passes`` untimed passes (grader processes get much faster over their first passes of a
     batch, even with the verdict cache off); with the CPU time of every process by role (``/proc``);
  3. verl's per-sample pattern (B/C): one handle ``score_traced`` call per item for the first
     ``--per-sample-items`` items, ``--concurrency`` in flight (``asyncio.gather`` in waves), each pass
     on a fresh deployment with the verdict cache ON (the default size; off, calls that do not overlap
     could not share verdicts): items/s, p50 per call (mostly waiting for the wave), CPU per call, and the
     grader calls made (the sum of the replicas' ``judged`` deltas) against A's ``referee_judged`` delta
     for the same items as ONE batch. A's column: today's path, one HTTP request per item, cache off;
  4. losing a node (C, at the end, on the cache-on deployment): the worker node is removed (processes
     killed, not drained) while HTTP batches (``RefereeClient(retries=8, backoff_s=0.5)``) and handle
     calls (``service.integrations.ray_handle.score``) are in flight: items sent, answered, wrong;
  5. memory each node gains from the deployment: RSS and PSS of the Serve controller, proxies, replicas
     and their grader processes (``/proc``), against plain ``referee serve`` and its children.

Loopback only: Ray nodes on 127.0.0.2/127.0.0.3 (``ray`` rewrites 127.0.0.1 to the outward address),
Serve's proxies and A on 127.0.0.1, usage stats off, ``include_dashboard=False``. Everything started
here is stopped on the way out, errors included (leftover processes are killed by pid and start time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before Ray is imported or started

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import ray  # noqa: E402
from ray import serve  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from bench.service_load import DEFAULT_DATA, free_port, grpo_batch, start_server  # noqa: E402
from service import ray_app  # noqa: E402
from service.client import RefereeClient  # noqa: E402
from service.integrations import ray_handle  # noqa: E402
from service.settings import Settings  # noqa: E402

HEAD_IP = "127.0.0.2"
WORKER_IP = "127.0.0.3"
TINY = [{"completion": "The answer is $\\boxed{1}$", "reference": "1"}]
REPLICA_TITLE = f"ray::ServeReplica:{ray_app.APP_NAME}:{ray_app.DEPLOYMENT_NAME}"
SERVE_ROLES = (("controller", "ray::ServeController"), ("proxy", "ray::ProxyActor"), ("replica", REPLICA_TITLE))
PLAIN_MARK = "-m service.cli serve"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
Expected = list[tuple[str, float | None]]
CACHE_ON = Settings.model_fields["cache_size"].default
"""The default verdict cache size, set explicitly where the cache is on."""


class _SlowProbes(logging.Filter):
    """Counts (and keeps off the terminal) Serve's router warnings that a replica did not answer its
    queue-length probe within the deadline: a sign of CPU contention, reported in the table."""

    count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "Failed to get queue length" in record.getMessage():
            _SlowProbes.count += 1
            return False
        return True


def warm_items(batch: list[dict[str, Any]], count: int = 256) -> list[dict[str, Any]]:
    """Warm-up items: the batch's last completions against a reference no batch item has, so that no
    measured item can reuse their verdicts (the engine's key holds the reference)."""
    references = {item["reference"] for item in batch}
    reference = next(str(n) for n in range(31415926, 31416926) if str(n) not in references)
    return [{"completion": item["completion"], "reference": reference} for item in batch[-count:]]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def p50_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


# ---------------------------------------------------------------- processes (/proc, no psutil)


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process that can be read now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline.strip())
    return table


def _descendants(pid: int, table: dict[int, tuple[int, str]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB; (0, 0) for a process that is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _node_of(pid: int, table: dict[int, tuple[int, str]]) -> str:
    """The node a Ray process belongs to: the ``--node_ip_address`` of the raylet above it."""
    seen = 0
    while pid in table and seen < 64:
        parent, cmdline = table[pid]
        if "/raylet/raylet " in cmdline or cmdline.endswith("/raylet/raylet"):
            for word in cmdline.split():
                if word.startswith("--node_ip_address="):
                    return word.split("=", 1)[1]
        pid, seen = parent, seen + 1
    return HEAD_IP  # GCS, autoscaler monitor, dashboard head, log monitor: children of this driver


def classify(table: dict[int, tuple[int, str]]) -> dict[int, tuple[str, str]]:
    """pid -> (node, role) of every process this driver started: the Serve roles (``graders``: a replica's
    child processes), ``plain`` and ``plain graders`` (``referee serve`` and its children), and ``ray``
    (raylets, GCS, agents, idle workers)."""
    me, roles = os.getpid(), {}
    for pid in _descendants(me, table):
        ancestors, parent = [], table[pid][0]
        while parent in table and parent != me and len(ancestors) < 64:
            ancestors.append(table[parent][1])
            parent = table[parent][0]
        own = table[pid][1]
        role = next((name for name, title in SERVE_ROLES if own.startswith(title)), "ray")
        if role == "ray":
            if PLAIN_MARK in own:
                role = "plain"
            elif any(PLAIN_MARK in cmdline for cmdline in ancestors):
                role = "plain graders"
            elif any(cmdline.startswith(REPLICA_TITLE) for cmdline in ancestors):
                role = "graders"
        roles[pid] = (_node_of(pid, table), role)
    return roles


def memory_by_node(wanted: tuple[str, ...]) -> dict[str, dict[str, tuple[int, int, int]]]:
    """node -> role -> (RSS KiB, PSS KiB, processes), for the ``wanted`` roles."""
    usage: dict[str, dict[str, tuple[int, int, int]]] = {}
    for pid, (node, role) in classify(_processes()).items():
        if role in wanted:
            rss, pss = _memory_kib(pid)
            total = usage.setdefault(node, {}).get(role, (0, 0, 0))
            usage[node][role] = (total[0] + rss, total[1] + pss, total[2] + 1)
    return {node: {role: roles[role] for role in wanted if role in roles} for node, roles in usage.items()}


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # utime + stime, and cutime + cstime: a grader worker that exits (pebble replaces one after
    # max_tasks) is reaped by its fork server, which then carries the worker's CPU time
    return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])


def cpu_snapshot() -> dict[int, tuple[str, int]]:
    """pid -> (role, CPU ticks so far) for this driver and everything it started."""
    snapshot = {os.getpid(): ("driver", _cpu_ticks(os.getpid()))}
    for pid, (_, role) in classify(_processes()).items():
        snapshot[pid] = (role, _cpu_ticks(pid))
    return snapshot


def cpu_ms_by_role(before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]) -> dict[str, float]:
    """CPU ms each role used between two snapshots. Over both snapshots' processes: one that ended in
    between had its time moved to its parent's children's time (counted in ``after``)."""
    used: dict[str, float] = {}
    for pid in before.keys() | after.keys():
        role, ticks = after.get(pid) or (before[pid][0], 0)
        used[role] = used.get(role, 0.0) + (ticks - before.get(pid, (role, 0))[1]) * 1000 / CLOCK_TICKS
    return used


def add_cpu(total: dict[str, float], used: dict[str, float], share: float) -> None:
    for role, ms in used.items():
        total[role] = total.get(role, 0.0) + ms * share


def timed_pass(
    url: str, batch: list[dict[str, Any]], split: int, cpu: dict[str, float], share: float
) -> tuple[float, list[Any]]:
    """``batch_pass``, adding ``share`` of the CPU time each role used to ``cpu``."""
    before = cpu_snapshot()
    elapsed, results = batch_pass(url, batch, split)
    add_cpu(cpu, cpu_ms_by_role(before, cpu_snapshot()), share)
    return elapsed, results


Identity = tuple[int, int]
"""(pid, start time in ticks since boot): a process, not a reused pid."""


def _identity(pid: int) -> Identity | None:
    try:
        return pid, int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(process: Identity) -> bool:
    """Still running (a zombie waiting for init to reap it is not)."""
    try:
        fields = Path(f"/proc/{process[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and int(fields[19]) == process[1]


def identities(pids: list[int]) -> set[Identity]:
    return {ident for ident in map(_identity, pids) if ident is not None}


def serve_processes() -> set[Identity]:
    """Every process the cluster runs for this driver (Serve roles, raylets, GCS...), not plain A's."""
    return identities(
        [pid for pid, (_, role) in classify(_processes()).items() if role not in ("plain", "plain graders")]
    )


def stop_leftovers(processes: set[Identity], grace_s: float = 10) -> list[str]:
    """SIGKILL the processes of ours (the very processes recorded, not reused pids) still alive after
    ``grace_s`` (they are on their way out when their parent stopped)."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(map(_alive, processes)):
        time.sleep(0.25)
    table = _processes()
    left = [pid for pid, started in processes if _alive((pid, started))]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return [f"{pid} {table.get(pid, (0, '?'))[1][:60]}" for pid in left]


# ---------------------------------------------------------------- measurements


def tiny_http(url: str, count: int) -> float:
    """p50 ms of a 1-item /v1/score request, sent ``count`` times in a row on one keep-alive connection."""
    latencies = []
    with httpx.Client(timeout=60) as http:
        for index in range(10 + count):
            started = time.perf_counter()
            response = http.post(f"{url}/v1/score", json={"items": TINY})
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or response.json()["results"][0]["reward"] != 1.0:
                raise RuntimeError(f"1-item request failed: {response.status_code} {response.text[:200]}")
            if index >= 10:
                latencies.append(elapsed)
    return p50_ms(latencies)


def tiny_handle(handle: Any, count: int) -> float:
    latencies = []
    for index in range(10 + count):
        started = time.perf_counter()
        answer = handle.score.remote(TINY).result()
        elapsed = time.perf_counter() - started
        if answer[0]["reward"] != 1.0:
            raise RuntimeError(f"1-item handle call answered {answer}")
        if index >= 10:
            latencies.append(elapsed)
    return p50_ms(latencies)


def one_at_a_time_http(url: str, items: list[dict[str, Any]]) -> float:
    """p50 ms of 1-item /v1/score requests for ``items``, one after another on one keep-alive connection."""
    latencies = []
    with httpx.Client(timeout=60) as http:
        for item in items:
            started = time.perf_counter()
            http.post(f"{url}/v1/score", json={"items": [item]}).raise_for_status()
            latencies.append(time.perf_counter() - started)
    return p50_ms(latencies)


@ray.remote(num_cpus=0)
class SampleCaller:
    """An async actor that scores one sample per handle call, one call at a time: verl's
    ``RewardLoopWorker`` awaiting ``compute_score`` for a rollout that just finished."""

    async def one_at_a_time(self, items: list[dict[str, Any]]) -> list[tuple[float, float, float | None]]:
        handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
        await handle.score_traced.remote(items[:1])  # this process's router learns the replicas
        calls = []
        for item in items:
            started = time.perf_counter()
            answer = await handle.score_traced.remote([item])
            calls.append((time.perf_counter() - started, answer["graded_s"], answer["results"][0]["reward"]))
        return calls


def one_at_a_time_handle(items: list[dict[str, Any]]) -> dict[str, float]:
    """p50 ms of a per-sample handle call from an actor, of the time the replica spent on it (batch wait
    and grading), and of their difference: what the handle path adds to grading the item."""
    caller = SampleCaller.remote()  # type: ignore[attr-defined]
    try:
        calls = ray.get(caller.one_at_a_time.remote(items))
    finally:
        ray.kill(caller)
    return {
        "call": p50_ms([c[0] for c in calls]),
        "replica": p50_ms([c[1] for c in calls]),
        "overhead": p50_ms([c[0] - c[1] for c in calls]),
    }


def wrong(results: list[Any], expected: Expected, offset: int = 0) -> int:
    """Results that differ from plain A's verdicts for the same items (``ScoredItem`` or dicts)."""
    count = 0
    for index, result in enumerate(results):
        status, reward = (
            (result["status"], result["reward"]) if isinstance(result, dict) else (result.status, result.reward)
        )
        count += (status, reward) != expected[(offset + index) % len(expected)]
    return count


def batch_pass(url: str, batch: list[dict[str, Any]], split: int) -> tuple[float, list[Any]]:
    """One pass of the whole batch as ``split`` concurrent requests: (seconds, results in order)."""
    size = -(-len(batch) // split)
    with RefereeClient(url, chunk_size=size, concurrency=split) as client:
        started = time.perf_counter()
        results = client.score(batch)
        return time.perf_counter() - started, results


def judged_metric(url: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith("referee_judged "):
            return float(line.split()[1])
    raise RuntimeError("no referee_judged in /metrics")


async def per_sample_http(
    url: str, items: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float], list[Any]]:
    """Today's per-sample path: one HTTP request per item, ``concurrency`` in flight, in waves."""
    latencies: list[float] = []
    answers: list[Any] = [None] * len(items)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def one(index: int) -> None:
            started = time.perf_counter()
            response = await http.post(f"{url}/v1/score", json={"items": [items[index]]})
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            answers[index] = response.json()["results"][0]

        started = time.perf_counter()
        for start in range(0, len(items), concurrency):
            await asyncio.gather(*(one(i) for i in range(start, min(start + concurrency, len(items)))))
        return time.perf_counter() - started, latencies, answers


async def per_sample_handle(
    handle: Any, items: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float], list[dict[str, Any]]]:
    """verl's pattern: one ``score_traced`` call per item, ``concurrency`` in flight, in waves."""
    latencies: list[float] = []
    answers: list[Any] = [None] * len(items)

    async def one(index: int) -> None:
        started = time.perf_counter()
        answers[index] = await handle.score_traced.remote([items[index]])
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    for start in range(0, len(items), concurrency):
        await asyncio.gather(*(one(i) for i in range(start, min(start + concurrency, len(items)))))
    return time.perf_counter() - started, latencies, answers


def replica_counters(handle: Any, replicas: int) -> dict[str, dict[str, Any]]:
    """Each replica's ``judged`` counter (and node, pid), read by empty ``score_traced`` calls."""
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(40):
        for answer in [r.result() for r in [handle.score_traced.remote([]) for _ in range(8)]]:
            seen[answer["replica"]] = answer
        if len(seen) >= replicas:
            return seen
    raise RuntimeError(f"saw {len(seen)} of {replicas} replicas")


# ---------------------------------------------------------------- configurations


def clear_referee_env() -> None:
    for key in [k for k in os.environ if k.startswith("REFEREE_")]:
        del os.environ[key]


def set_referee_env(workers: int, cache: bool) -> None:
    """The REFEREE_* variables the plain server inherits and ``ray_app`` carries to the replicas. All are
    explicit: a replica also inherits the environment its raylet was started with."""
    clear_referee_env()
    os.environ.update(
        {
            "REFEREE_SANDBOX": "off",
            "REFEREE_WORKERS": str(workers),
            "REFEREE_MAX_ITEMS": "100000",
            "REFEREE_CACHE_SIZE": str(CACHE_ON if cache else 0),
        }
    )


def replica_env(pid: int) -> str:
    """The REFEREE_* settings a replica process was started with (``/proc/<pid>/environ``)."""
    try:
        entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return "?"
    keys = ("REFEREE_WORKERS", "REFEREE_CACHE_SIZE", "REFEREE_SANDBOX")
    found = dict(e.decode(errors="replace").split("=", 1) for e in entries if b"=" in e)
    return " ".join(f"{k.removeprefix('REFEREE_')}={found.get(k, '-')}" for k in keys)


@contextmanager
def plain_server(nice: int, warm: list[dict[str, Any]]) -> Iterator[tuple[int, str]]:
    """A: ``referee serve`` (REFEREE_WORKERS=2, cache off) on loopback, warm, at Ray's worker niceness;
    alive for the whole run (A is measured again beside B and C), stopped at the end."""
    set_referee_env(workers=2, cache=False)
    process, url = start_server("off")
    tree: set[Identity] = set()
    try:
        with RefereeClient(url, chunk_size=32, concurrency=8) as client:
            client.score(warm)  # the grader processes up
        for pid in [process.pid, *_descendants(process.pid, _processes())]:
            os.setpriority(os.PRIO_PROCESS, pid, nice)  # new grader workers inherit it from the fork server
        yield process.pid, url
    finally:
        tree = identities(_descendants(process.pid, _processes()))
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        left = stop_leftovers(tree)
        if left:
            log(f"A: killed {len(left)} leftover processes of referee serve: {left}")


def run_plain(
    args: argparse.Namespace, pid: int, url: str, batch: list[dict[str, Any]], sample: list[dict[str, Any]]
) -> dict[str, Any]:
    figures: dict[str, Any] = {"nice": _niceness(pid)}
    figures["tiny_http"] = tiny_http(url, args.tiny)
    log(f"A: 1-item p50 {figures['tiny_http']:.2f} ms")
    for _ in range(args.warm_passes):
        batch_pass(url, batch, args.split)
    times, expected, cpu = [], None, {}
    for _ in range(args.repeats):
        elapsed, results = timed_pass(url, batch, args.split, cpu, 1 / args.repeats)
        times.append(elapsed)
        if expected is None:
            expected = [(r.status, r.reward) for r in results]
    figures["throughput"] = len(batch) / statistics.median(times)
    figures["batch_cpu"] = cpu
    figures["expected"] = expected
    log(f"A: {figures['throughput']:.0f} items/s")
    figures["memory"] = memory_by_node(("plain", "plain graders"))

    before = judged_metric(url)
    with RefereeClient(url, chunk_size=len(sample)) as client:
        client.score(sample)
    figures["one_batch_judged"] = int(judged_metric(url) - before)
    waves = []
    with RefereeClient(url, chunk_size=args.concurrency) as client:
        for start in range(0, len(sample), args.concurrency):
            started = time.perf_counter()
            client.score(sample[start : start + args.concurrency])
            waves.append(time.perf_counter() - started)
    figures["wave_p50"] = p50_ms(waves)
    cpu = cpu_snapshot()
    elapsed, latencies, answers = asyncio.run(per_sample_http(url, sample, args.concurrency))
    figures["ps_cpu"] = cpu_ms_by_role(cpu, cpu_snapshot())
    figures["ps_rate"], figures["ps_p50"] = len(sample) / elapsed, p50_ms(latencies)
    figures["ps_wrong"] = wrong(answers, expected or [])
    log(f"A: per-sample HTTP {figures['ps_rate']:.0f} items/s, p50 {figures['ps_p50']:.1f} ms")
    return figures


def wait_ready(url: str, replicas: int, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app = serve.status().applications.get(ray_app.APP_NAME)
        running = app.deployments[ray_app.DEPLOYMENT_NAME].replica_states.get("RUNNING", 0) if app else 0
        if running >= replicas:
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.25)
    raise RuntimeError(f"the app did not get {replicas} ready replicas in {timeout_s:.0f} s")


def deploy(port: int, replicas: int, workers: int, cache: bool, warm: list[dict[str, Any]]) -> tuple[str, Any]:
    """(Re)deploy the app with fresh replicas, warm them up; (url, handle)."""
    if ray_app.APP_NAME in serve.status().applications:
        serve.delete(ray_app.APP_NAME)
    set_referee_env(workers=workers, cache=cache)
    url = ray_app.deploy(None, Settings(port=port))
    wait_ready(url, replicas)
    handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
    with RefereeClient(url, chunk_size=32, concurrency=8) as client:  # proxies: a connection lands on one
        client.score(warm)
    for response in [handle.score.remote(warm[i : i + 8]) for i in range(0, len(warm), 8)]:  # every replica
        response.result()
    cold = [a["replica"] for a in replica_counters(handle, replicas).values() if a["judged"] == 0]
    if cold:
        log(f"warning: replicas {cold} got no warm-up item")
    return url, handle


@contextmanager
def cluster_of(nodes: list[tuple[str, int]]) -> Iterator[tuple[Cluster, list[Any]]]:
    """A loopback Ray cluster with these (ip, CPUs) nodes and this driver connected; all stopped after."""
    clear_referee_env()  # the raylets (and so every replica) inherit this process's environment
    cluster = Cluster()
    added: list[Any] = []
    try:
        for ip, cpus in nodes:
            added.append(cluster.add_node(node_ip_address=ip, num_cpus=cpus, include_dashboard=False))
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, _node_ip_address=HEAD_IP, log_to_driver=False, logging_level=logging.WARNING)
        yield cluster, added
    finally:
        for step in (serve.shutdown, ray.shutdown, cluster.shutdown):
            try:
                step()
            except Exception as exc:  # go on stopping the rest
                log(f"cleanup: {step.__qualname__} failed: {exc!r}")


def run_serve(
    name: str,
    args: argparse.Namespace,
    nodes: list[tuple[str, int]],
    workers: int,
    data: dict[str, Any],
    ours: set[Identity],
) -> dict[str, Any]:
    batch, sample, expected, warm, plain_url = (data[k] for k in ("batch", "sample", "expected", "warm", "plain"))
    figures: dict[str, Any] = {}
    replicas = len(nodes)
    log(f"{name}: starting a {replicas}-node cluster")
    with cluster_of(nodes) as (cluster, added):
        port = free_port()
        url, handle = deploy(port, replicas, workers, cache=False, warm=warm)
        counters = replica_counters(handle, replicas)
        figures["nice"] = sorted({_niceness(a["pid"]) for a in counters.values()})
        figures["env_off"] = sorted({replica_env(a["pid"]) for a in counters.values()})
        log(f"{name}: deployed, {replicas} replica(s) with REFEREE_WORKERS={workers}, cache off")
        figures["a_tiny_http"] = tiny_http(plain_url, args.tiny)
        figures["tiny_http"] = tiny_http(url, args.tiny)
        figures["tiny_handle"] = tiny_handle(handle, args.tiny)
        log(f"{name}: 1-item p50 HTTP {figures['tiny_http']:.2f} ms, handle {figures['tiny_handle']:.2f} ms")
        figures["a_fresh_http"] = one_at_a_time_http(plain_url, data["fresh"])
        figures["fresh"] = one_at_a_time_handle(data["fresh"])
        log(f"{name}: per-sample handle calls one at a time from an actor: {figures['fresh']}")
        for _ in range(args.warm_passes):  # A's grader processes are warm already
            batch_pass(url, batch, args.split)
        times, plain_times, mistakes, cpu, plain_cpu = [], [], 0, {}, {}
        before = replica_counters(handle, replicas)
        for _ in range(args.repeats):  # A and this one in turns: the same background load
            plain_times.append(timed_pass(plain_url, batch, args.split, plain_cpu, 1 / args.repeats)[0])
            elapsed, results = timed_pass(url, batch, args.split, cpu, 1 / args.repeats)
            times.append(elapsed)
            mistakes += wrong(results, expected)
        after = replica_counters(handle, replicas)
        figures["throughput"] = len(batch) / statistics.median(times)
        figures["a_throughput"] = len(batch) / statistics.median(plain_times)
        figures["pairs"] = [a / x for a, x in zip(plain_times, times, strict=True)]
        figures["batch_cpu"], figures["a_batch_cpu"] = cpu, plain_cpu
        figures["wrong"] = mistakes
        figures["split"] = sorted((after[r]["judged"] - before[r]["judged"] for r in after), reverse=True)
        log(f"{name}: {figures['throughput']:.0f} items/s (A beside it: {figures['a_throughput']:.0f})")
        figures["memory"] = memory_by_node(("controller", "proxy", "replica", "graders"))
        figures["ray_base"] = memory_by_node(("ray",))
        ours.update(serve_processes())

        rates, p50s, judged, ps_wrong, cpu_total = [], [], [], 0, {}
        for repeat in range(args.repeats):
            url, handle = deploy(port, replicas, workers, cache=True, warm=warm)
            figures["env_on"] = sorted({replica_env(a["pid"]) for a in replica_counters(handle, replicas).values()})
            ours.update(serve_processes())
            before, cpu = replica_counters(handle, replicas), cpu_snapshot()
            elapsed, latencies, answers = asyncio.run(per_sample_handle(handle, sample, args.concurrency))
            add_cpu(cpu_total, cpu_ms_by_role(cpu, cpu_snapshot()), 1 / args.repeats)
            after = replica_counters(handle, replicas)
            rates.append(len(sample) / elapsed)
            p50s.append(p50_ms(latencies))
            judged.append(sum(after[r]["judged"] - before[r]["judged"] for r in after))
            ps_wrong += wrong([a["results"][0] for a in answers], expected)
            log(
                f"{name}: per-sample pass {repeat + 1}: {rates[-1]:.0f} items/s, "
                f"p50 {p50s[-1]:.1f} ms, {judged[-1]} judged"
            )
        figures["ps_rate"], figures["ps_p50"] = statistics.median(rates), statistics.median(p50s)
        figures["ps_judged"], figures["ps_wrong"], figures["ps_cpu"] = judged, ps_wrong, cpu_total

        if len(added) > 1:
            figures["loss"] = node_loss(cluster, added[-1], url, handle, batch, expected)
            log(f"{name}: node loss {figures['loss']}")
    return figures


def node_loss(
    cluster: Cluster, worker: Any, url: str, handle: Any, batch: list[dict[str, Any]], expected: Expected
) -> dict[str, Any]:
    """Remove the worker node while two HTTP clients (64-item batches) and two handle callers (8 items
    per call) keep sending; count items sent, answered and wrong (against A's verdicts)."""
    stop = threading.Event()
    lock = threading.Lock()
    tally = {"sent": 0, "answered": 0, "wrong": 0, "http": 0, "handle": 0}
    failures: list[str] = []

    def loop(kind: str, size: int, offset: int, call: Callable[[list[dict[str, Any]]], list[Any]]) -> None:
        at = offset
        while not stop.is_set():
            chunk = [batch[(at + i) % len(batch)] for i in range(size)]
            with lock:
                tally["sent"] += size
            try:
                results = call(chunk)
            except Exception as exc:
                with lock:
                    failures.append(f"{kind}: {exc!r}"[:300])
                continue
            bad = wrong(results, expected, at) if len(results) == size else size
            with lock:
                tally["answered"] += len(results)
                tally["wrong"] += bad
                tally[kind] += len(results)
            at = (at + size) % len(batch)

    table = _processes()
    doomed = identities([pid for pid in _descendants(os.getpid(), table) if _node_of(pid, table) == WORKER_IP])
    clients = [RefereeClient(url, retries=8, backoff_s=0.5) for _ in range(2)]
    threads = [
        threading.Thread(target=loop, args=("http", 64, i * 4096, client.score)) for i, client in enumerate(clients)
    ]
    threads += [
        threading.Thread(target=loop, args=("handle", 8, 2048 + i * 4096, lambda c: ray_handle.score(handle, c, None)))
        for i in range(2)
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(3)
        with lock:
            answered_before = tally["answered"]
        removed_at = time.monotonic()
        cluster.remove_node(worker, allow_graceful=False)
        while time.monotonic() - removed_at < 60 and sum(1 for n in ray.nodes() if n["Alive"]) > 1:
            time.sleep(0.5)
        detected_s = time.monotonic() - removed_at
        time.sleep(5)  # and a while with one node
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=180)
        for client in clients:
            client.close()
    alive = sum(1 for node in ray.nodes() if node["Alive"])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(map(_alive, doomed)):
        time.sleep(0.5)
    gone = not any(map(_alive, doomed))
    return {
        **tally,
        "lost": tally["sent"] - tally["answered"],
        "failures": failures,
        "alive": alive,
        "detected_s": detected_s,
        "after": tally["answered"] - answered_before,
        "gone": gone,
    }


# ---------------------------------------------------------------- report


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def memory_line(label: str, roles: dict[str, tuple[int, int, int]]) -> str:
    rss, pss = sum(v[0] for v in roles.values()), sum(v[1] for v in roles.values())
    parts = ", ".join(f"{role} {mib(v[0])}/{mib(v[1])} ({v[2]}p)" for role, v in roles.items())
    return f"  {label}: {mib(rss)}/{mib(pss)} = {parts}"


def split_cpu(used: dict[str, float], per: float, plain: bool = False) -> str:
    """CPU time by role: the driver, Serve's proxies, the serving processes (the replicas, or with
    ``plain`` ``referee serve``), their grader processes, and the rest (controller, raylets, GCS, agents,
    the other configuration idle)."""
    driver, proxies = used.get("driver", 0.0), used.get("proxy", 0.0)
    server = used.get("plain" if plain else "replica", 0.0)
    graders = used.get("plain graders" if plain else "graders", 0.0)
    rest = sum(used.values()) - driver - proxies - server - graders
    return "/".join(f"{value / per:.1f}" for value in (driver, proxies, server, graders, rest))


def report(
    args: argparse.Namespace, items: int, sample: int, a: dict[str, Any], b: dict[str, Any], c: dict[str, Any]
) -> None:
    def cols(label: str, va: str, vb: str, vc: str, target: str) -> str:
        return f"{label:<52} {va:>14} {vb:>21} {vc:>21}   {target}"

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    def plus(value: float, base: float, digits: int = 2) -> str:
        return f"{value:.{digits}f} ({value - base:+.{digits}f})"

    def times(value: float, base: float) -> str:
        return f"{value:.0f} ({value / base:.2f}x {verdict(value / base >= 0.9)})"

    tiny, one_batch, thr = a["tiny_http"], a["one_batch_judged"], a["throughput"]
    print()
    print(f"Referee on Ray Serve vs plain `referee serve`: {os.cpu_count()} cores, math only, medians")
    print(f"  A  plain `referee serve`: WORKERS=2 CACHE_SIZE=0 SANDBOX=off, niceness {a['nice']}")
    for name, fig, nodes in (
        ("B", b, f"1 node {HEAD_IP} (2 CPUs), 1 replica"),
        ("C", c, f"2 nodes {HEAD_IP} + {WORKER_IP} (1 CPU each), 1 replica per node"),
    ):
        print(f"  {name}  Serve on {nodes}; replicas: {', '.join(fig['env_off'])}, niceness {fig['nice']}")
        print(f"     row 3{' and 4' if name == 'C' else ''} (fresh deployments): {', '.join(fig['env_on'])}")
    print(
        "  'A beside': plain A measured again in the same minutes, in turns with B / C (their cluster idle meanwhile)"
    )
    print()
    print(cols("", "A plain", "B 1 node", "C 2 nodes", "target / anchor"))
    print(
        cols(
            f"1. 1-item /v1/score, p50 ms of {args.tiny} in a row",
            f"{tiny:.2f}",
            plus(b["tiny_http"], tiny),
            plus(c["tiny_http"], tiny),
            "(delta vs A; prototype: plain 2.1-2.2, Serve HTTP 11.8-13.5)",
        )
    )
    print(
        cols(
            "   ... vs A beside: A's p50, delta",
            "",
            f"{b['a_tiny_http']:.2f}, {b['tiny_http'] - b['a_tiny_http']:+.2f}",
            f"{c['a_tiny_http']:.2f}, {c['tiny_http'] - c['a_tiny_http']:+.2f}",
            "",
        )
    )
    print(
        cols(
            "   1-item handle `score` from the driver, p50 ms",
            "-",
            plus(b["tiny_handle"], tiny),
            plus(c["tiny_handle"], tiny),
            "(delta vs A's HTTP; prototype: 4.7 from an actor)",
        )
    )
    for row, key in (("call", "call"), ("in the replica (batch wait + grading)", "replica")):
        print(
            cols(
                f"   per-sample handle call from an actor, {row}" if key == "call" else f"   ... {row}",
                f"{b['a_fresh_http']:.2f} (HTTP)" if key == "call" else "",
                f"{b['fresh'][key]:.2f}",
                f"{c['fresh'][key]:.2f}",
                f"p50 ms; {args.tiny} ungraded items one at a time, cache off (A: 1-item HTTP, the same items)"
                if key == "call"
                else "",
            )
        )
    print(
        cols(
            "   ... the handle path's overhead (call - replica)",
            "",
            f"{b['fresh']['overhead']:.2f} {verdict(b['fresh']['overhead'] <= 5)}",
            f"{c['fresh']['overhead']:.2f} {verdict(c['fresh']['overhead'] <= 5)}",
            "p50 <= 5 ms",
        )
    )
    print(
        cols(
            f"2. {items} items as {args.split} concurrent x {-(-items // args.split)}, HTTP, items/s",
            f"{thr:.0f}",
            times(b["throughput"], thr),
            times(c["throughput"], thr),
            f">= 0.9x A (median of {args.repeats} passes after {args.warm_passes} untimed; cache off)",
        )
    )
    print(
        cols(
            "   ... vs A beside: A's items/s, ratio",
            "",
            f"{b['a_throughput']:.0f}, {b['throughput'] / b['a_throughput']:.2f}x",
            f"{c['a_throughput']:.0f}, {c['throughput'] / c['a_throughput']:.2f}x",
            f"pass by pass, X/A: B {' '.join(f'{r:.2f}' for r in b['pairs'])}, "
            f"C {' '.join(f'{r:.2f}' for r in c['pairs'])}",
        )
    )
    print(
        cols(
            "   CPU s per pass: driver/proxies/server/graders/rest",
            split_cpu(a["batch_cpu"], 1000, plain=True),
            split_cpu(b["batch_cpu"], 1000),
            split_cpu(c["batch_cpu"], 1000),
            f"(A beside B: {split_cpu(b['a_batch_cpu'], 1000, True)}; "
            f"beside C: {split_cpu(c['a_batch_cpu'], 1000, True)})",
        )
    )
    a_cpu = sum(a["batch_cpu"].values())

    def cpu_ratio(fig: dict[str, Any]) -> str:
        total = sum(fig["batch_cpu"].values())
        return f"{total / 1000:.1f} ({a_cpu / total:.2f}x)"

    print(
        cols(
            "   CPU s per pass, all processes (A's / this)",
            f"{a_cpu / 1000:.1f}",
            cpu_ratio(b),
            cpu_ratio(c),
            "the throughput ratio to expect when the 2 cores are the limit (noise-free, unlike wall time)",
        )
    )
    print(
        cols(
            "   wrong vs A | grader calls per replica",
            "(reference)",
            f"{b['wrong']} | {b['split']}",
            f"{c['wrong']} | {c['split']}",
            f"0 wrong; the split: how {args.split} connections spread over C's proxies",
        )
    )
    print(
        cols(
            f"3. per-sample: {sample} items, {args.concurrency} in flight, items/s",
            f"{a['ps_rate']:.0f} (HTTP)",
            f"{b['ps_rate']:.0f} {verdict(b['ps_rate'] >= 300)}",
            f"{c['ps_rate']:.0f} {verdict(c['ps_rate'] >= 300)}",
            f">= 300 (B, C: handle `score_traced`, cache ON, median of {args.repeats} fresh deployments;"
            " A: one HTTP request per item, cache off, 1 pass)",
        )
    )
    print(
        cols(
            "   p50 ms per call (minus A's 1-item HTTP p50)",
            plus(a["ps_p50"], tiny, 1),
            plus(b["ps_p50"], tiny, 1),
            plus(c["ps_p50"], tiny, 1),
            f"(each call waits for its wave of {args.concurrency}: queueing, not overhead; see row 1)",
        )
    )
    print(
        cols(
            f"   p50 ms per call (minus A's p50 for a wave of {args.concurrency} as 1 request)",
            f"{a['wave_p50']:.1f}",
            plus(b["ps_p50"], a["wave_p50"], 1),
            plus(c["ps_p50"], a["wave_p50"], 1),
            "(context: the wave's grading time taken out)",
        )
    )

    print(
        cols(
            "   CPU ms per call: driver/proxies/server/graders/rest",
            split_cpu(a["ps_cpu"], sample, plain=True),
            split_cpu(b["ps_cpu"], sample),
            split_cpu(c["ps_cpu"], sample),
            "(server: replicas or plain; rest: controller, raylets, GCS, agents, idle A)",
        )
    )

    def calls(fig: dict[str, Any]) -> str:
        worst = max(fig["ps_judged"])
        return f"{statistics.median(fig['ps_judged']):.0f} ({worst / one_batch:.2f}x {verdict(worst <= one_batch)})"

    print(
        cols(
            "   grader calls: sum of the replicas' judged deltas",
            f"{one_batch} (1 batch)",
            calls(b),
            calls(c),
            f"<= A's referee_judged for the {sample} items as ONE batch; "
            f"passes: B {b['ps_judged']}, C {c['ps_judged']}",
        )
    )
    print(cols("   wrong verdicts vs A", str(a["ps_wrong"]), str(b["ps_wrong"]), str(c["ps_wrong"]), "0"))
    loss = c["loss"]
    ok = loss["lost"] == 0 and loss["wrong"] == 0
    print(
        cols(
            "4. worker node removed mid-load: sent / answered",
            "-",
            "-",
            f"{loss['sent']} / {loss['answered']}",
            f"lost {loss['lost']}, wrong {loss['wrong']}: {verdict(ok)} (target 0 lost, 0 wrong)",
        )
    )
    print(
        f"{'':56}answered: HTTP {loss['http']}, handle {loss['handle']}; {loss['after']} after the removal; "
        f"node marked dead after {loss['detected_s']:.1f} s; nodes alive after: {loss['alive']}; "
        f"its processes gone: {loss['gone']}"
    )
    for failure in loss["failures"][:5]:
        print(f"     failure: {failure}")
    print("5. memory, MiB RSS/PSS (p: processes), after row 2 (cache off)")
    for node, roles in a["memory"].items():
        print(memory_line(f"A plain (node {node})", roles))
    for name, fig in (("B", b), ("C", c)):
        for node, roles in sorted(fig["memory"].items()):
            print(memory_line(f"{name} node {node}, the deployment adds", roles))
        for node, roles in sorted(fig["ray_base"].items()):
            print(memory_line(f"{name} node {node}, Ray itself, not counted", roles))
    print("  (prototype anchors: controller 146, proxy ~145 per node, replica 188 + grader 133; plain 105 + 82)")
    print(f"\nServe router warnings 'Failed to get queue length ... within 0.1s' (CPU contention): {_SlowProbes.count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--prompts", type=int, default=512)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--split", type=int, default=8, help="concurrent requests the batch is sent as")
    parser.add_argument(
        "--warm-passes", type=int, default=2, help="untimed passes of the batch before row 2's (grader caches warm)"
    )
    parser.add_argument("--tiny", type=int, default=200, help="sequential 1-item requests")
    parser.add_argument("--per-sample-items", type=int, default=2048)
    parser.add_argument("--concurrency", type=int, default=64, help="per-sample calls in flight")
    parser.add_argument("--plain-nice", type=int, default=15, help="niceness of plain referee serve (Ray's: 15)")
    args = parser.parse_args()
    cases = [json.loads(line) for line in (args.data / "math_peer_cases.jsonl").read_text().splitlines() if line]
    batch = grpo_batch(cases, args.prompts, args.samples)
    middle = len(batch) // 2  # ungraded items for the one-at-a-time calls: the passes of row 2 come after
    data: dict[str, Any] = {
        "batch": batch,
        "sample": batch[: args.per_sample_items],
        "fresh": batch[middle : middle + args.tiny],
        "warm": warm_items(batch),
    }
    for name in ("ray", "ray.serve"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("ray.serve").addFilter(_SlowProbes())
    started = time.monotonic()
    ours: set[Identity] = set()
    saved = {k: v for k, v in os.environ.items() if k.startswith("REFEREE_")}
    left: list[str] = []
    try:
        log("A: starting plain referee serve (REFEREE_WORKERS=2, cache off)")
        with plain_server(args.plain_nice, data["warm"]) as (pid, url):
            a = run_plain(args, pid, url, batch, data["sample"])
            data["expected"], data["plain"] = a.pop("expected"), url
            b = run_serve("B", args, [(HEAD_IP, 2)], 2, data, ours)
            c = run_serve("C", args, [(HEAD_IP, 1), (WORKER_IP, 1)], 1, data, ours)
    finally:
        left = stop_leftovers(ours)
        if left:
            log(f"killed {len(left)} leftover processes: {left[:5]}")
        clear_referee_env()
        os.environ.update(saved)
    report(args, len(batch), len(data["sample"]), a, b, c)
    print(f"\n(the whole run: {time.monotonic() - started:.0f} s; leftover processes killed at the end: {len(left)})")


if __name__ == "__main__":
    main()
