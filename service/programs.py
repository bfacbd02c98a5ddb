"""Plain programs for the execution wires (SandboxFusion, Piston, open-r1): one program, one stdin, one run.

These callers send one request per test case, all at once for one sample (verl: every case of a
sample, 64 in flight). Requests for the same program with the same limits that wait at the same time
are merged into one sandbox job, so a compiled program is compiled once; the worker restores the box
between the job's runs, so each run starts exactly as it would alone. Nothing is refused for load:
a request waits for a sandbox (callers such as verl turn 429/503 into a reward of 0) and only one
that could not start within ``queue_s`` gets ``QueueTimeout`` (HTTP 504, which verl retries).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from graders.code.executor import Executor, Job, JobOutcome, Limits, RunOutcome
from graders.code.languages import plain_recipe
from graders.errors import InfrastructureError

__all__ = ["Program", "ProgramResult", "ProgramRunner", "QueueTimeout"]

MAX_RUNS_PER_JOB = 64


class QueueTimeout(Exception):
    """No sandbox took the request within the wire's queue budget."""


@dataclass(frozen=True, slots=True)
class Program:
    """What identifies a job: requests equal in all of this share one compile."""

    language: str
    """A name ``plain_recipe`` knows: python, cpp, java, javascript, typescript, go, go_test, rust, c, bash."""
    code: str
    time_s: float
    """CPU and wall-clock limit per run, seconds (the callers' limits are wall time)."""
    memory_mb: int
    compile_time_s: float = 30.0
    args: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    """(relative path, base64 content) written beside the program."""
    fetch: tuple[str, ...] = ()
    output_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ProgramResult:
    """The compile (when the language has one) and the run (None when the compile failed)."""

    compiled: bool
    compile_output: str = ""
    compile_exit_code: int | None = None
    compile_ms: float = 0.0
    compile_timed_out: bool = False
    has_compile: bool = False
    run: RunOutcome | None = None
    unavailable: str | None = None


@dataclass(slots=True)
class _Group:
    program: Program
    stdins: list[str] = field(default_factory=list)
    waiters: list[asyncio.Future[ProgramResult]] = field(default_factory=list)
    dispatched: bool = False


class ProgramRunner:
    """Runs plain programs through ``executor`` with at most ``slots()`` jobs in flight."""

    def __init__(self, executor: Executor, slots: int | None = None, *, queue_s: float = 20.0) -> None:
        self.executor = executor
        self.fixed_slots = slots
        self.queue_s = queue_s
        self._waiting: dict[Program, _Group] = {}
        self._queue: deque[_Group] = deque()
        self._busy = 0
        self.merged_runs = 0
        """Runs that joined another request's job (shared its compile)."""

    def slots(self) -> int:
        """Jobs in flight at once: one per live sandbox worker (or the number given)."""
        if self.fixed_slots is not None:
            return self.fixed_slots
        return max(1, int(getattr(self.executor, "pool_size", 1) or 1))

    async def run(self, program: Program, stdin: str = "") -> ProgramResult:
        """The program's result on ``stdin``. Raises ``QueueTimeout``, ``InfrastructureError``."""
        await self._until_sandbox_starts()
        group = self._waiting.get(program)
        if group is None or len(group.stdins) >= MAX_RUNS_PER_JOB:
            group = _Group(program)
            self._waiting[program] = group
            self._queue.append(group)
        else:
            self.merged_runs += 1
        waiter: asyncio.Future[ProgramResult] = asyncio.get_running_loop().create_future()
        group.stdins.append(stdin)
        group.waiters.append(waiter)
        self._pump()
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), self.queue_s)
        except TimeoutError:
            if group.dispatched:
                return await waiter  # it runs now: the job's own deadline bounds it
            index = group.waiters.index(waiter)
            del group.waiters[index], group.stdins[index]
            raise QueueTimeout(f"no sandbox was free within {self.queue_s:g} s") from None

    async def _until_sandbox_starts(self) -> None:
        state = getattr(self.executor, "state", "ready")
        if state == "starting":
            await asyncio.to_thread(self.executor.wait, self.queue_s)  # type: ignore[attr-defined]

    def _pump(self) -> None:
        while self._queue and self._busy < self.slots():
            group = self._queue.popleft()
            if self._waiting.get(group.program) is group:
                del self._waiting[group.program]
            if not group.waiters:
                continue
            group.dispatched = True
            self._busy += 1
            asyncio.get_running_loop().create_task(self._dispatch(group))

    async def _dispatch(self, group: _Group) -> None:
        try:
            outcome = await asyncio.to_thread(self.executor.execute, _job(group.program, group.stdins))
        except Exception as exc:  # an infrastructure fault: every waiter gets it, none is lost
            for waiter in group.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
        else:
            for index, waiter in enumerate(group.waiters):
                if waiter.done():
                    continue
                try:
                    waiter.set_result(_result(outcome, index))
                except InfrastructureError as exc:
                    waiter.set_exception(exc)
        finally:
            self._busy -= 1
            self._pump()


def _job(program: Program, stdins: list[str]) -> Job:
    plan = plain_recipe(
        program.language,
        program.code,
        program.memory_mb,
        args=program.args,
        files=dict(program.files),
        fetch=program.fetch,
        compile_time_s=program.compile_time_s,
    )
    return Job(
        language="go" if program.language == "go_test" else program.language,
        kind="stdio",
        source=program.code,
        cases=tuple({"stdin": stdin} for stdin in stdins),
        limits=Limits(
            time_s=program.time_s,
            memory_mb=program.memory_mb,
            output_bytes=program.output_bytes,
            wall_s=program.time_s,
        ),
        recipe=plan.wire(),
    )


def _result(outcome: JobOutcome, index: int) -> ProgramResult:
    if outcome.unavailable:
        return ProgramResult(compiled=False, unavailable=outcome.unavailable)
    common = {
        "compile_output": outcome.compile_output,
        "compile_exit_code": outcome.compile_exit_code,
        "compile_ms": outcome.compile_ms,
        "compile_timed_out": outcome.compile_timed_out,
        "has_compile": outcome.compile_exit_code is not None,
    }
    if not outcome.compiled:
        return ProgramResult(compiled=False, **common)  # type: ignore[arg-type]
    if index >= len(outcome.runs):
        raise InfrastructureError("the sandbox answered fewer runs than it was given")
    return ProgramResult(compiled=True, run=outcome.runs[index], **common)  # type: ignore[arg-type]
