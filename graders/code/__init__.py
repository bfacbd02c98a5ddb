"""Code accuracy: extract the program, build the harness per test kind, run it in a sandbox, score."""

from graders.code.executor import Executor, Job, JobOutcome, Limits, RunOutcome
from graders.code.grade import CodeOptions, CodeResult, CodeVerdict, build_job, grade_code, score_outcome

__all__ = [
    "CodeOptions",
    "CodeResult",
    "CodeVerdict",
    "Executor",
    "Job",
    "JobOutcome",
    "Limits",
    "RunOutcome",
    "build_job",
    "grade_code",
    "score_outcome",
]
