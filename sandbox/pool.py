"""The host side of the sandbox: a pool of long-lived workers, one job at a time each.

``SandboxPool`` keeps about one hardened container per core; ``LocalSandbox`` runs the same worker
as host subprocesses (no isolation, refused unless enabled). A job takes an idle worker from a queue;
a worker that misses its deadline, dies, or reports a leftover process is closed and a replacement
is started in the background, so the others keep serving. Workers are recycled after
``jobs_per_worker`` jobs. Infrastructure failures are retried on another worker, then raised as
``InfrastructureError`` (the item gets status ``error``, never a reward of 0).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from graders.code.executor import Job, JobOutcome, RunOutcome
from graders.errors import InfrastructureError, SandboxUnavailable, WorkerCrashed
from sandbox.audit import hardening_problems
from sandbox.channel import Channel, ProcessChannel, worker_source, zygote_source
from sandbox.containers import ContainerChannel, ContainerSettings, docker_client, remove_leftovers

__all__ = ["LocalSandbox", "PoolStats", "SandboxPool", "UNSAFE_ENV", "WorkerPool"]

log = logging.getLogger("referee.sandbox")
UNSAFE_ENV = "REFEREE_UNSAFE_LOCAL_SANDBOX"


@dataclass(slots=True)
class PoolStats:
    jobs: int = 0
    retries: int = 0
    replaced: int = 0
    recycled: int = 0
    startup_s: list[float] = field(default_factory=list)


def outcome_from_answer(answer: dict[str, Any]) -> JobOutcome:
    """The worker's JSON answer as the grader's types."""
    compiled = answer.get("compile") or {"ok": True, "stderr": ""}
    runs = tuple(
        RunOutcome(
            status=run["status"],
            passed=run.get("passed"),
            stdout=run.get("stdout"),
            stderr=run.get("stderr", ""),
            cpu_ms=run.get("cpu_ms", 0.0),
            wall_ms=run.get("wall_ms", 0.0),
            error=_error_text(run.get("error")),
            exit_code=run.get("exit_code"),
            signal=run.get("signal"),
            max_rss_kb=run.get("max_rss_kb") or 0,
            files=run.get("files"),
        )
        for run in answer.get("runs", [])
    )
    return JobOutcome(
        compiled=bool(compiled["ok"]),
        compile_output=compiled.get("stderr", ""),
        runs=runs,
        unavailable=answer.get("unavailable"),
        compile_ms=float(compiled.get("wall_ms", 0.0)),
        compile_exit_code=compiled.get("exit_code"),
        compile_timed_out=bool(compiled.get("timed_out")),
    )


def _error_text(event: Any) -> str | None:
    if not isinstance(event, dict):
        return None
    if event.get("event") == "compile_error":
        return str(event.get("message", ""))
    if event.get("event") == "missing":
        return f"the program defines no {event.get('name')!r}"
    return f"{event.get('type', 'error')}: {event.get('message', '')}"


class WorkerPool:
    """Workers made by ``factory``; ``execute`` is thread-safe and blocks while all are busy."""

    def __init__(
        self,
        factory: Callable[[int], Channel],
        size: int,
        *,
        jobs_per_worker: int = 1000,
        retries: int = 2,
        acquire_timeout_s: float = 120.0,
    ) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self._factory = factory
        self.size = size
        self.jobs_per_worker = jobs_per_worker
        self.retries = retries
        self.acquire_timeout_s = acquire_timeout_s
        self.stats = PoolStats()
        self._idle: queue.Queue[Channel] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._live: set[Channel] = set()
        self._counter = 0
        self._failures = 0
        self.last_error: str | None = None

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Start every worker in parallel; returns once all are ready (raises if none could start)."""
        threads = [threading.Thread(target=self._spawn, daemon=True) for _ in range(self.size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not self._live:
            raise SandboxUnavailable(f"no sandbox worker could start: {self.last_error}")
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            live = list(self._live)
            self._live.clear()
        for channel in live:
            channel.close()

    @property
    def ready(self) -> int:
        """Workers alive right now (busy or idle)."""
        return len(self._live)

    def _spawn(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._counter += 1
            index = self._counter
        started = time.monotonic()
        for attempt in range(3):
            try:
                channel = self._factory(index)
                break
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("sandbox worker %d failed to start (attempt %d): %s", index, attempt + 1, exc)
                time.sleep(0.5 * (attempt + 1))
        else:
            with self._lock:
                self._failures += 1
            return
        with self._lock:
            if self._closed:
                channel.close()
                return
            self._live.add(channel)
            self.stats.startup_s.append(time.monotonic() - started)
        self._idle.put(channel)

    def _retire(self, channel: Channel, *, replaced: bool) -> None:
        """Close a worker and start its successor in the background."""
        with self._lock:
            self._live.discard(channel)
            if replaced:
                self.stats.replaced += 1
            else:
                self.stats.recycled += 1
        threading.Thread(target=self._close_and_spawn, args=(channel,), daemon=True).start()

    def _close_and_spawn(self, channel: Channel) -> None:
        self._spawn()
        channel.close()

    # --- jobs -------------------------------------------------------------------------------
    def _acquire(self) -> Channel:
        deadline = time.monotonic() + self.acquire_timeout_s
        while True:
            if self._closed:
                raise SandboxUnavailable("the sandbox pool is closed")
            try:
                return self._idle.get(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise SandboxUnavailable(
                        f"no sandbox worker became free in {self.acquire_timeout_s:.0f} s "
                        f"({self.ready} alive; last error: {self.last_error})"
                    ) from None
                if not self._live and self._failures:
                    with self._lock:
                        self._failures = 0
                    threading.Thread(target=self._spawn, daemon=True).start()

    def execute(self, job: Job) -> JobOutcome:
        """Run a job on some worker; retried on other workers when the machinery fails."""
        message = job.wire()
        problem = ""
        for attempt in range(self.retries + 1):
            channel = self._acquire()
            try:
                answer = channel.request(message, job.deadline_s())
            except WorkerCrashed as exc:
                problem = str(exc)
                self.last_error = problem
                log.warning("sandbox worker %s failed a job: %s", channel.name, exc)
                self._retire(channel, replaced=True)
                self.stats.retries += attempt < self.retries
                continue
            channel.jobs_done += 1
            if answer.get("fault"):
                problem = str(answer["fault"])
                self._retire(channel, replaced=True)
                self.stats.retries += attempt < self.retries
                continue
            if not answer.get("healthy", False):
                self._retire(channel, replaced=True)
            elif channel.jobs_done >= self.jobs_per_worker:
                self._retire(channel, replaced=False)
            else:
                self._idle.put(channel)
            with self._lock:
                self.stats.jobs += 1
            return outcome_from_answer(answer)
        raise InfrastructureError(f"sandbox failed {self.retries + 1} times: {problem}")


class SandboxPool(WorkerPool):
    """Hardened Docker containers, about one per core."""

    def __init__(
        self,
        size: int | None = None,
        settings: ContainerSettings | None = None,
        *,
        client: Any = None,
        jobs_per_worker: int = 1000,
        retries: int = 2,
    ) -> None:
        self.settings = settings or ContainerSettings()
        self.client = client or docker_client()
        self.pool_id = secrets.token_hex(4)
        self.audits: list[tuple[str, list[str]]] = []
        """(container name, hardening problems) for every container this pool created."""
        super().__init__(self._make, size or os.cpu_count() or 1, jobs_per_worker=jobs_per_worker, retries=retries)

    def start(self) -> Self:
        try:
            self.client.images.get(self.settings.image)
        except Exception as exc:
            raise SandboxUnavailable(
                f"sandbox image {self.settings.image} is missing: run `referee sandbox build`"
            ) from exc
        removed = remove_leftovers(self.client)
        if removed:
            log.info("removed %d sandbox containers left by an earlier run", removed)
        super().start()
        return self

    def _make(self, index: int) -> Channel:
        channel = ContainerChannel(self.client, self.settings, self.pool_id, index)
        channel.container.reload()
        problems = hardening_problems(channel.container.attrs, self.settings)
        with self._lock:
            self.audits.append((channel.container.name, problems))
        if problems:  # never serve from a container that is not what it must be
            channel.close()
            raise SandboxUnavailable(f"container {channel.container.name} is not hardened: {'; '.join(problems)}")
        return channel

    def containers(self) -> list[Any]:
        """The Docker objects of this pool's live containers (for audits)."""
        return [c.container for c in list(self._live) if isinstance(c, ContainerChannel)]

    def close(self) -> None:
        super().close()
        try:
            remove_leftovers(self.client, self.pool_id)
        except Exception:
            pass


class LocalSandbox(WorkerPool):
    """The same worker as host subprocesses, with rlimits only. NOT isolation: development use only."""

    def __init__(self, size: int | None = None, *, allow_unsafe: bool | None = None, **kwargs: Any) -> None:
        if allow_unsafe is None:
            allow_unsafe = os.environ.get(UNSAFE_ENV) == "1"
        if not allow_unsafe:
            raise SandboxUnavailable(
                f"the local backend runs untrusted code on this host without isolation; "
                f"enable it explicitly (allow_unsafe=True or {UNSAFE_ENV}=1) on development machines only"
            )
        message = (
            "UNSAFE: the local sandbox backend runs model-written code as host subprocesses with rlimits only. "
            "It is not isolation; use the Docker pool for training."
        )
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        log.warning(message)
        print(f"referee: WARNING: {message}", file=sys.stderr)
        self._boxes: list[str] = []
        super().__init__(self._make, size or os.cpu_count() or 1, **kwargs)

    def _make(self, index: int) -> Channel:
        box = tempfile.mkdtemp(prefix=f"referee-local-{index}-")
        self._boxes.append(box)
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", worker_source()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin"},
        )
        channel = ProcessChannel(f"local-{index}", process)
        channel.send((json.dumps({"uid": None, "box": box, "zygote": zygote_source()}) + "\n").encode())
        ready = channel.receive(time.monotonic() + 30)
        if not ready.get("ready"):
            channel.close()
            raise WorkerCrashed(f"local worker did not start: {ready}")
        return channel

    def close(self) -> None:
        super().close()
        for box in self._boxes:
            shutil.rmtree(box, ignore_errors=True)


class LazySandbox:
    """An executor that starts its pool on the first code job, so math-only runs never touch Docker.

    ``backend``: "docker" (hardened containers) or "local" (unsafe; needs ``allow_unsafe``). A pool
    that cannot start makes every code job fail with ``SandboxUnavailable`` (status ``error``).
    """

    def __init__(self, backend: str = "docker", size: int | None = None, **kwargs: Any) -> None:
        self.backend = backend
        self.size = size or os.cpu_count() or 1
        self._kwargs = kwargs
        self._pool: WorkerPool | None = None
        self._failure: SandboxUnavailable | None = None
        self._lock = threading.Lock()

    def _get(self) -> WorkerPool:
        with self._lock:
            if self._pool is None and self._failure is None:
                try:
                    if self.backend == "local":
                        self._pool = LocalSandbox(self.size, **self._kwargs).start()
                    else:
                        self._pool = SandboxPool(self.size, **self._kwargs).start()
                except SandboxUnavailable as exc:
                    self._failure = exc
                    print(f"referee: code items cannot be graded: {exc}", file=sys.stderr)
            if self._failure is not None:
                raise self._failure
            assert self._pool is not None
            return self._pool

    def execute(self, job: Job) -> JobOutcome:
        return self._get().execute(job)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
