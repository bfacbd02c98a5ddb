"""The executor interface: what the code grader asks of a sandbox, and what it gets back.

``sandbox/`` implements it (containers, or the unsafe local backend); the grader never imports
``sandbox``. A job is one program with its test runs; the executor returns one outcome per run it
made, or raises ``InfrastructureError`` when it could not judge (the item is then status ``error``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["Executor", "Job", "JobOutcome", "Limits", "RunOutcome", "RunStatus"]

RunStatus = Literal["ok", "timeout", "memory", "runtime_error", "output_limit", "compile_error"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Per-test limits. ``time_s`` is CPU time (wall time backstop: twice that, at least +1 s)."""

    time_s: float = 2.0
    memory_mb: int = 512
    output_bytes: int = 8 * 1024 * 1024
    wall_s: float | None = None
    """A wall-clock limit instead of the backstop (execution wires, whose callers' limits are wall time)."""

    def __post_init__(self) -> None:
        if not 0 < self.time_s <= 60:
            raise ValueError("time_s must be in (0, 60]")
        if self.wall_s is not None and not 0 < self.wall_s <= 60:
            raise ValueError("wall_s must be in (0, 60]")
        if not 32 <= self.memory_mb <= 8192:
            raise ValueError("memory_mb must be in [32, 8192]")
        if not 1024 <= self.output_bytes <= 256 * 1024 * 1024:
            raise ValueError("output_bytes must be in [1 KiB, 256 MiB]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One program and its runs. ``cases``: stdio ``{"stdin"}``, call ``{"args", "expected"}``, assert ``{"code"}``."""

    language: str
    kind: Literal["stdio", "call", "assert"]
    source: str
    cases: tuple[dict[str, Any], ...]
    entry_point: str | None = None
    limits: Limits = field(default_factory=Limits)
    stop_on_failure: bool = False
    recipe: dict[str, Any] | None = None
    """Languages other than Python (and C++ stdio): files, commands and memory policy (``languages.py``)."""

    def wire(self) -> dict[str, Any]:
        """The JSON message the in-sandbox worker reads."""
        return {
            "recipe": self.recipe,
            "language": self.language,
            "kind": self.kind,
            "source": self.source,
            "cases": list(self.cases),
            "entry_point": self.entry_point,
            "limits": {
                "time_s": self.limits.time_s,
                "memory_mb": self.limits.memory_mb,
                "output_bytes": self.limits.output_bytes,
                "wall_s": self.limits.wall_s,
            },
            "stop_on_failure": self.stop_on_failure,
        }

    def deadline_s(self) -> float:
        """How long the host waits for the answer before it declares the sandbox broken."""
        per_run = (self.limits.wall_s or max(2 * self.limits.time_s, self.limits.time_s + 1.0)) + 1.0
        compile_s = 35.0 if self.language == "cpp" or (self.recipe and self.recipe.get("compile")) else 0.0
        factor = float(self.recipe.get("time_factor", 1.0)) if self.recipe else 1.0
        return compile_s + factor * per_run * len(self.cases) + 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """How one run ended. ``passed`` is the worker's verdict for call/assert; stdio leaves it to the grader."""

    status: RunStatus
    passed: bool | None = None
    stdout: str | None = None
    stderr: str = ""
    cpu_ms: float = 0.0
    wall_ms: float = 0.0
    error: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    max_rss_kb: int = 0
    files: dict[str, str] | None = None
    """Plain runs: the requested files, base64, read back after the run."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobOutcome:
    compiled: bool = True
    compile_output: str = ""
    runs: tuple[RunOutcome, ...] = ()
    unavailable: str | None = None
    """Set when the sandbox cannot run the job's language at all (its image lacks the toolchain)."""
    compile_ms: float = 0.0
    compile_exit_code: int | None = None
    compile_timed_out: bool = False


class Executor(Protocol):
    """Runs jobs in isolation. Thread-safe: the grader calls it from several threads at once."""

    def execute(self, job: Job) -> JobOutcome:
        """Run ``job``; raise ``InfrastructureError`` (after the executor's own retries) when it cannot."""
        ...
