"""Pool logic without Docker: retries, error reporting, and the guarded local backend."""

import time
from typing import Any

import pytest

from graders.code import CodeVerdict, grade_code
from graders.code.executor import Job, Limits
from graders.errors import InfrastructureError, SandboxUnavailable, WorkerCrashed
from sandbox.channel import Channel
from sandbox.pool import UNSAFE_ENV, LocalSandbox, WorkerPool


class BrokenChannel(Channel):
    """A worker whose every request fails, the way a dead container does."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    def send(self, data: bytes) -> None:
        raise WorkerCrashed("the worker is gone", where=self.name)

    def _readable(self) -> Any:
        raise WorkerCrashed("the worker is gone", where=self.name)

    def _read_more(self) -> None:
        raise WorkerCrashed("the worker is gone", where=self.name)

    def close(self) -> None:
        self.closed = True


def _job() -> Job:
    return Job(
        language="python", kind="stdio", source="print(1)", cases=({"stdin": "", "stdout": "1"},), limits=Limits()
    )


def test_infrastructure_failures_are_retried_then_raised() -> None:
    made: list[BrokenChannel] = []

    def factory(index: int) -> Channel:
        channel = BrokenChannel(f"broken-{index}")
        made.append(channel)
        return channel

    with WorkerPool(factory, 1, retries=2) as pool:
        with pytest.raises(InfrastructureError, match="3 times"):
            pool.execute(_job())
        assert pool.stats.retries == 2 and pool.stats.replaced == 3
        assert pool.stats.jobs == 0
    deadline = time.monotonic() + 5
    while not all(c.closed for c in made[:3]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(c.closed for c in made[:3])


def test_a_pool_that_cannot_start_says_why() -> None:
    def factory(index: int) -> Channel:
        raise OSError("no such runtime")

    with pytest.raises(SandboxUnavailable, match="no such runtime"):
        WorkerPool(factory, 1).start()


def test_local_backend_is_refused_unless_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNSAFE_ENV, raising=False)
    with pytest.raises(SandboxUnavailable, match="without isolation"):
        LocalSandbox(1)


def test_local_backend_warns_loudly_and_grades(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(UNSAFE_ENV, "1")
    with pytest.warns(RuntimeWarning, match="not isolation"):
        sandbox = LocalSandbox(1)
    assert "WARNING" in capsys.readouterr().err
    with sandbox.start():
        tests = {"kind": "call", "entry_point": "f", "cases": [{"args": [2], "expected": 4}]}
        assert grade_code("def f(x):\n    return x * 2\n", tests, "python", sandbox).score == 1.0
        assert grade_code("def f(x):\n    return x + 3\n", tests, "python", sandbox).score == 0.0
        forged = grade_code("import os\ndef f(x):\n    os._exit(0)\n", tests, "python", sandbox)
        assert forged.score == 0.0 and forged.verdict is not CodeVerdict.PASSED
