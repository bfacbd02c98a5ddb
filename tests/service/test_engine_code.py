"""Code items in the engine, with a scripted executor: dedup, order, error statuses, never a false 0."""

from __future__ import annotations

import threading

from graders.code.executor import Job, JobOutcome, RunOutcome
from graders.errors import InfrastructureError
from service.engine import EngineConfig, GradingEngine
from service.schemas import Item, Status

TESTS = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}, {"stdin": "", "stdout": "2"}]}


class ScriptedExecutor:
    """Case i prints the i-th digit of the program's source (or nothing); counts the jobs it gets."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.jobs: list[Job] = []
        self.fail_on = fail_on
        self._lock = threading.Lock()

    def execute(self, job: Job) -> JobOutcome:
        with self._lock:
            self.jobs.append(job)
        if self.fail_on is not None and self.fail_on in job.source:
            raise InfrastructureError("sandbox failed 3 times: container vanished")
        digits = [ch for ch in job.source if ch.isdigit()]
        runs = tuple(
            RunOutcome(status="ok", stdout=digits[i] if i < len(digits) else "") for i in range(len(job.cases))
        )
        return JobOutcome(runs=runs)


def code(completion: str, item_id: str) -> Item:
    return Item.model_validate({"id": item_id, "completion": completion, "tests": TESTS})


def test_code_items_are_scored_in_order_among_math_items() -> None:
    executor = ScriptedExecutor()
    items = [
        code("```python\nprint(1); print(2)\n```", "both"),
        Item(id="math", completion="\\boxed{2}", reference="2"),
        code("```python\nprint(1)\n```", "half"),
        code("no program here at all", "none"),
    ]
    with GradingEngine(EngineConfig(workers=1), executor=executor) as engine:
        results = engine.grade(items)
    assert [r.id for r in results] == ["both", "math", "half", "none"]
    assert [r.reward for r in results] == [1.0, 1.0, 0.5, 0.0]
    assert results[2].details["accuracy"]["passed"] == 1
    assert all(r.status is Status.OK for r in results)


def test_identical_programs_for_identical_tests_run_once() -> None:
    executor = ScriptedExecutor()
    same = "thinking...</think>\n```python\nprint(1)\n```"
    items = [code(same, f"copy-{i}") for i in range(8)] + [code(same.replace("thinking", "other"), "other")]
    with GradingEngine(EngineConfig(workers=1), executor=executor) as engine:
        results = engine.grade(items)
        assert len(executor.jobs) == 1  # the same extracted program, the same tests
        again = engine.grade(items[:1])
    assert len(executor.jobs) == 1  # cached across batches
    assert {r.reward for r in results} == {0.5} and again[0].reward == 0.5


def test_infrastructure_failure_is_status_error_never_reward_zero() -> None:
    executor = ScriptedExecutor(fail_on="print(2)")
    items = [code("```python\nprint(2)\n```", "broken"), code("```python\nprint(1)\n```", "fine")]
    with GradingEngine(EngineConfig(workers=1), executor=executor) as engine:
        broken, fine = engine.grade(items)
    assert broken.status is Status.ERROR and broken.reward is None
    assert "container vanished" in (broken.error or "")
    assert fine.status is Status.OK and fine.reward == 0.5


def test_without_a_sandbox_code_items_are_errors_and_math_still_grades() -> None:
    items = [code("print(1)", "code"), Item(id="math", completion="\\boxed{3}", reference="3")]
    with GradingEngine(EngineConfig(workers=1)) as engine:
        code_result, math_result = engine.grade(items)
    assert code_result.status is Status.ERROR and code_result.reward is None
    assert "sandbox" in (code_result.error or "")
    assert math_result.status is Status.OK and math_result.reward == 1.0
