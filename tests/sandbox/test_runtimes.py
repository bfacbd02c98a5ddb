"""The same security and agreement tests under both container runtimes: runc (the host kernel) and
gVisor's runsc (its own kernel in user space), which ``make test`` installs and registers with Docker.

runc already runs the full hostile suite (test_hostile.py); here runsc runs it too, both runtimes run
the cross-job clean-up proof, HumanEval and MBPP canonical programs (all under runc, a sample under
runsc: about 8x slower there) and a container killed mid-service.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graders.code import CodeVerdict, grade_code
from sandbox.attacks import ATTACKS, PROBE_PROGRAM, Attack, run_attack
from sandbox.containers import ContainerSettings
from sandbox.pool import SandboxPool
from tests.conftest import _serve

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
RUNTIMES = ("runc", "runsc")
SAMPLE = {"runc": None, "runsc": 40}
"""HumanEval tasks (and a quarter as many x 2.5 MBPP tasks) per runtime; None: all."""


@pytest.fixture(scope="module", params=RUNTIMES)
def runtime_pool(request: pytest.FixtureRequest, docker: Any) -> Iterator[tuple[str, SandboxPool]]:
    runtime = request.param
    settings = ContainerSettings(runtime=None if runtime == "runc" else runtime)
    with SandboxPool(1, settings, client=docker) as pool:
        yield runtime, pool


LEAVER = r"""
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
static void leave(const char* suffix) {
    const char* paths[] = {"/box/left", "/tmp/left", "/dev/shm/left", "/box/sub/dir/left"};
    for (const char* path : paths) {
        char name[128]; std::snprintf(name, sizeof name, "%s%s", path, suffix);
        if (FILE* f = std::fopen(name, "w")) { std::fputs("x", f); std::fclose(f); }
    }
}
int main() {
    mkdir("/box/sub", 0755); mkdir("/box/sub/dir", 0755);
    leave("");
    if (fork() == 0) {            // a daemon in its own session that keeps writing after the job
        setsid();
        if (fork() == 0) { for (int i = 0; i < 400; ++i) { leave(".daemon"); usleep(10000); } }
        return 0;
    }
    std::puts("ok");
}
"""


def _stdio(expected: str) -> dict[str, Any]:
    return {"kind": "stdio", "cases": [{"stdin": "", "stdout": expected}]}


def test_nothing_a_job_leaves_reaches_the_next(runtime_pool: tuple[str, SandboxPool]) -> None:
    """A job that writes everywhere it can and leaves a daemon writing, then a job that looks."""
    _, pool = runtime_pool
    for _ in range(3):
        assert grade_code(LEAVER, _stdio("ok"), "cpp", pool).verdict is CodeVerdict.PASSED
        looked = grade_code(PROBE_PROGRAM, _stdio("clean"), "cpp", pool)  # files in any writable place, processes
        assert looked.verdict is CodeVerdict.PASSED, looked
        time.sleep(0.5)  # the daemon would have written again by now, had it survived
        assert grade_code(PROBE_PROGRAM, _stdio("clean"), "cpp", pool).verdict is CodeVerdict.PASSED


@pytest.mark.parametrize("runtime_pool", ["runsc"], indirect=True)  # runc: test_hostile.py
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_hostile_suite_under_gvisor(runtime_pool: tuple[str, SandboxPool], attack: Attack) -> None:
    _, pool = runtime_pool
    report = run_attack(pool, attack)
    if attack.name == "fork bomb (C++)" and report.verdict == "error":
        # Known under gVisor's ptrace platform: with the machine loaded (the full suite), the C++ fork
        # bomb can take the whole gVisor sandbox down (alone it is a timeout). Never a reward: the
        # item is `error`, and the pool replaces the container and serves the next job.
        assert report.score is None, report
        add = ("def add(a, b):\n    return a + b\n", {"kind": "assert", "code": "assert add(2, 3) == 5\n"})
        assert grade_code(*add, "python", pool).verdict is CodeVerdict.PASSED
        return
    assert report.score == 0.0 and report.contained and report.next_job_ok and report.clean, report


def _sample(rows: list[dict[str, Any]], count: int | None) -> list[dict[str, Any]]:
    if count is None or count >= len(rows):
        return rows
    step = len(rows) / count
    return [rows[int(i * step)] for i in range(count)]


def test_humaneval_and_mbpp_canonical_programs_pass(runtime_pool: tuple[str, SandboxPool]) -> None:
    runtime, pool = runtime_pool
    with gzip.open(BENCH / "humaneval.jsonl.gz", "rt") as handle:
        humaneval = _sample([json.loads(line) for line in handle], SAMPLE[runtime])
    mbpp_rows = [json.loads(line) for line in (BENCH / "mbpp.jsonl").read_text().splitlines()]
    mbpp = _sample(mbpp_rows, None if SAMPLE[runtime] is None else SAMPLE[runtime] * 5 // 2)
    failed = []
    for row in humaneval:
        test = row["test"] + f"\ncheck({row['entry_point']})\n"
        result = grade_code(row["prompt"] + row["canonical_solution"], {"kind": "assert", "code": test}, "python", pool)
        if result.verdict is not CodeVerdict.PASSED:
            failed.append(row["task_id"])
    for row in mbpp:
        test = row["test_setup_code"] + "\n" + "\n".join(row["test_list"])
        result = grade_code(row["code"], {"kind": "assert", "code": test}, "python", pool)
        if result.verdict is not CodeVerdict.PASSED:
            failed.append(f"MBPP/{row['task_id']}")
    assert not failed, failed
    assert len(humaneval) == (164 if runtime == "runc" else SAMPLE[runtime])


def test_a_killed_container_is_replaced(runtime_pool: tuple[str, SandboxPool]) -> None:
    _, pool = runtime_pool
    add = ("def add(a, b):\n    return a + b\n", {"kind": "assert", "code": "assert add(2, 3) == 5\n"})
    pool.containers()[0].kill()
    results = [grade_code(*add, "python", pool).verdict for _ in range(4)]  # the first is retried elsewhere
    assert results == [CodeVerdict.PASSED] * 4
    assert pool.stats.replaced >= 1


def test_the_service_reports_and_uses_gvisor(docker: Any) -> None:
    env = {"REFEREE_SANDBOX": "docker", "REFEREE_SANDBOXES": "1", "REFEREE_SANDBOX_RUNTIME": "runsc"}
    for url in _serve(env):
        deadline = time.monotonic() + 120
        while httpx.get(f"{url}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert httpx.get(f"{url}/readyz").json()["sandbox"]["runtime"] == "runsc"
        assert 'referee_sandbox_runtime{runtime="runsc"} 1.0' in httpx.get(f"{url}/metrics").text
        kernel = {"completion": "import os\nprint(os.uname().release)", "tests": _stdio("4.4.0")}
        result = httpx.post(f"{url}/v1/score", json={"items": [kernel]}, timeout=60).json()["results"][0]
        assert result["reward"] == 1.0, result  # gVisor's kernel answers, not the host's
