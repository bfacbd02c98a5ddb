"""Isolation audit: every container the pool creates is hardened; jobs never see each other."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from graders.code import CodeVerdict, grade_code
from sandbox.attacks import PROBE_PROGRAM
from sandbox.audit import hardening_problems
from sandbox.containers import ContainerSettings
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker

ADD = ("def add(a, b):\n    return a + b\n", {"kind": "assert", "code": "assert add(2, 3) == 5\n"})


def test_every_container_the_pool_creates_is_audited_and_hardened(docker: Any) -> None:
    with SandboxPool(2, client=docker, jobs_per_worker=3) as pool:
        pool.containers()[0].kill()  # a replacement
        for _ in range(10):  # and recycling after 3 jobs each
            assert grade_code(*ADD, "python", pool).verdict is CodeVerdict.PASSED
        deadline = time.monotonic() + 10
        while pool.ready < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        for container in pool.containers():
            container.reload()
            assert hardening_problems(container.attrs, pool.settings) == []
        assert len(pool.audits) >= 2 + 1 + 2  # the first two, the replacement, recycled ones
        assert all(problems == [] for _, problems in pool.audits)
        assert pool.stats.replaced >= 1 and pool.stats.recycled >= 2


def test_the_audit_names_what_is_wrong() -> None:
    settings = ContainerSettings()
    attrs = {
        "HostConfig": {
            "NetworkMode": "bridge",
            "ReadonlyRootfs": False,
            "CapDrop": [],
            "CapAdd": ["SYS_ADMIN"],
            "SecurityOpt": [],
            "Privileged": True,
            "Binds": ["/:/host"],
            "PidMode": "host",
        },
        "Config": {"Env": ["PATH=/usr/bin", "AWS_SECRET_ACCESS_KEY=x"]},
    }
    problems = " | ".join(hardening_problems(attrs, settings))
    for expected in ("network is 'bridge'", "writable", "SYS_ADMIN", "no-new-privileges", "privileged",
                     "host paths are mounted", "PID namespace shared", "AWS_SECRET_ACCESS_KEY"):  # fmt: skip
        assert expected in problems
    assert "=x" not in problems  # names only, never values


def test_a_job_sees_nothing_of_a_job_running_next_to_it(docker: Any) -> None:
    writer = (
        "import os, time\n"
        "for d in ('/box', '/tmp', '/dev/shm'):\n"
        "    open(os.path.join(d, 'secret'), 'w').write('x')\n"
        "time.sleep(1.5)\nprint('wrote')\n"
    )
    with SandboxPool(2, client=docker) as pool:
        verdicts: dict[str, CodeVerdict] = {}

        def run(name: str, program: str, language: str, expected: str) -> None:
            tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": expected}], "time_limit": 3}
            verdicts[name] = grade_code(program, tests, language, pool).verdict

        first = threading.Thread(target=run, args=("writer", writer, "python", "wrote"))
        first.start()
        time.sleep(0.5)
        # the probe lists /box, /tmp, /dev/shm and every process of its uid (C++: Python may not read /proc)
        run("looker", PROBE_PROGRAM, "cpp", "clean")  # on the other container, while the writer runs
        first.join()
        run("after", PROBE_PROGRAM, "cpp", "clean")  # and nothing of the writer survives it
        assert verdicts == {"writer": CodeVerdict.PASSED, "looker": CodeVerdict.PASSED, "after": CodeVerdict.PASSED}
