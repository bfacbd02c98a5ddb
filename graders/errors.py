"""Exceptions shared by every Referee layer.

The tree (catch the highest class that fits)::

    RefereeError                 anything Referee raises on purpose
    ├── UnscorableError          the item's own data prevents judging -> status "unscorable"
    └── InfrastructureError      the machinery failed; retried, then status "error"
        ├── WorkerCrashed        a grader process or container died (exit code, where)
        └── SandboxUnavailable   no sandbox could be reached

"Wrong" is never an exception: a wrong answer is a verdict.
"""

from __future__ import annotations

__all__ = [
    "InfrastructureError",
    "RefereeError",
    "SandboxUnavailable",
    "UnscorableError",
    "WorkerCrashed",
]


class RefereeError(Exception):
    """Base of every error Referee raises deliberately."""


class UnscorableError(RefereeError):
    """The item cannot be judged because of its own data (e.g. an unparsable reference)."""


class InfrastructureError(RefereeError):
    """Grading machinery failed; the item is retried and then reported as status "error"."""


class WorkerCrashed(InfrastructureError):
    """A worker process or container died while judging."""

    def __init__(self, message: str, *, exit_code: int | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.where = where


class SandboxUnavailable(InfrastructureError):
    """The sandbox could not be reached or started."""
