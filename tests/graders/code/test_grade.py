"""Scoring logic against a scripted executor (no sandbox needed)."""

from dataclasses import dataclass, field

import pytest

from graders.code import CodeOptions, CodeVerdict, Job, JobOutcome, Limits, RunOutcome, grade_code
from graders.errors import InfrastructureError


@dataclass
class Scripted:
    outcome: JobOutcome | Exception
    jobs: list[Job] = field(default_factory=list)

    def execute(self, job: Job) -> JobOutcome:
        self.jobs.append(job)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


STDIO = {"kind": "stdio", "cases": [{"stdin": "1", "stdout": "2"}, {"stdin": "2", "stdout": "4"}]}


def _runs(*runs: RunOutcome) -> JobOutcome:
    return JobOutcome(runs=runs)


def test_fraction_of_stdio_tests() -> None:
    executor = Scripted(_runs(RunOutcome(status="ok", stdout="2\n"), RunOutcome(status="ok", stdout="5\n")))
    result = grade_code("```python\nprint(2)\n```", STDIO, "python", executor)
    assert (result.score, result.verdict, result.passed, result.total) == (0.5, CodeVerdict.WRONG_ANSWER, 1, 2)
    assert result.tests == ("passed", "wrong_answer")
    assert executor.jobs[0].cases == ({"stdin": "1"}, {"stdin": "2"})  # expected output stays on the host


def test_all_or_nothing_stops_early() -> None:
    executor = Scripted(_runs(RunOutcome(status="timeout")))
    result = grade_code("print(1)", STDIO, "python", executor, CodeOptions(mode="all"))
    assert (result.score, result.verdict, result.tests) == (0.0, CodeVerdict.TIMEOUT, ("timeout", "skipped"))
    assert executor.jobs[0].stop_on_failure


def test_all_pass() -> None:
    executor = Scripted(_runs(RunOutcome(status="ok", stdout="2"), RunOutcome(status="ok", stdout="4 ")))
    assert grade_code("print(1)", STDIO, "python", executor).verdict is CodeVerdict.PASSED


def test_call_expected_values_go_to_the_worker_not_the_program() -> None:
    tests = {"kind": "call", "entry_point": "f", "cases": [{"args": [1], "expected": 2}]}
    executor = Scripted(_runs(RunOutcome(status="ok", passed=True)))
    assert grade_code("def f(x): return 2*x", tests, "python", executor).score == 1.0
    assert executor.jobs[0].cases == ({"args": [1], "expected": 2},)


def test_compile_error() -> None:
    executor = Scripted(JobOutcome(compiled=False, compile_output="error: expected ';'"))
    result = grade_code("```cpp\nint main(){}\n```", STDIO, "cpp", executor)
    assert (result.verdict, result.score) == (CodeVerdict.COMPILE_ERROR, 0.0)
    assert "expected" in (result.reason or "")


def test_no_code_scores_zero_without_running() -> None:
    executor = Scripted(_runs())
    result = grade_code("```java\nclass A {}\n```", STDIO, "python", executor)
    assert (result.verdict, result.score, executor.jobs) == (CodeVerdict.NO_CODE, 0.0, [])


@pytest.mark.parametrize(
    ("tests", "language"),
    [
        ({"kind": "call", "entry_point": "f", "cases": [{"args": [], "expected": 1}]}, "cpp"),
        ({"kind": "call", "entry_point": "not valid", "cases": [{"args": [], "expected": 1}]}, "python"),
        ({"kind": "stdio", "cases": [{"stdin": "", "stdout": ""}]}, "cobol"),  # a language Referee does not run
        ({"kind": "stdio", "cases": [{"stdin": "", "stdout": ""}], "time_limit": 1000}, "python"),
    ],
)
def test_unscorable_tests(tests: dict[str, object], language: str) -> None:
    result = grade_code("print(1)", tests, language, Scripted(_runs()))
    assert (result.verdict, result.score) == (CodeVerdict.UNSCORABLE, None)


def test_item_limits_override_defaults() -> None:
    executor = Scripted(_runs(RunOutcome(status="ok", stdout="2"), RunOutcome(status="ok", stdout="4")))
    tests = {**STDIO, "time_limit": 0.5, "memory_limit": 128}
    grade_code("print(1)", tests, "python", executor, CodeOptions(limits=Limits(time_s=3)))
    assert executor.jobs[0].limits == Limits(time_s=0.5, memory_mb=128)


def test_infrastructure_errors_propagate() -> None:
    with pytest.raises(InfrastructureError):
        grade_code("print(1)", STDIO, "python", Scripted(InfrastructureError("down")))


def test_float_tolerance_applies() -> None:
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "0.333333"}], "float_tol": 1e-4}
    executor = Scripted(_runs(RunOutcome(status="ok", stdout="0.3333")))
    assert grade_code("print(1/3)", tests, "python", executor).score == 1.0
