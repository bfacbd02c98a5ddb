"""The grading engine (service/engine.py): deadlines by killing workers, retries, dedup, order."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from graders.math import MathOptions, MathVerdict, Verdict, grade_math
from service.engine import EngineConfig, GradingEngine
from service.schemas import Item, Status


def sleeping_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    """Stands for a hang inside C code: nothing but killing the process stops it."""
    if completion == "hang":
        time.sleep(3600)
    return grade_math(completion, reference, options)


def crashing_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    os._exit(3)


def crash_once_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    """Dies the first time it sees a marker path, then grades normally."""
    marker = Path(reference.split("|")[1])
    if not marker.exists():
        marker.write_text("crashed")
        os._exit(4)
    return grade_math(completion, reference.split("|")[0], options)


def greedy_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    """Allocates far beyond the worker's memory limit."""
    blocks = [bytearray(256 * 1024 * 1024) for _ in range(64)]
    return grade_math(completion, reference + str(len(blocks)), options)


def math(completion: str, reference: str, item_id: object = None) -> Item:
    return Item(completion=completion, reference=reference, id=item_id)


def test_a_hang_is_killed_at_the_deadline_and_scores_timeout() -> None:
    with GradingEngine(EngineConfig(workers=1, timeout_s=0.5), grader=sleeping_grader) as engine:
        started = time.monotonic()
        results = engine.grade([math("hang", "1", "a"), math("\\boxed{1}", "1", "b")])
        elapsed = time.monotonic() - started
    assert [r.id for r in results] == ["a", "b"]
    assert results[0].status is Status.OK
    assert results[0].reward == 0.0
    assert results[0].details["accuracy"]["verdict"] == Verdict.TIMEOUT
    assert results[1].reward == 1.0  # the replacement worker carried on
    assert elapsed < 0.5 + 1 + 3  # deadline + 1 s, plus starting a fresh worker


def test_a_dead_worker_is_retried_then_reported_as_error_not_zero() -> None:
    with GradingEngine(EngineConfig(workers=1, timeout_s=2, retries=2), grader=crashing_grader) as engine:
        (result,) = engine.grade([math("\\boxed{1}", "1")])
        assert engine.judged == 3  # the first try and two retries
    assert result.status is Status.ERROR
    assert result.reward is None
    assert result.error and "died" in result.error


def test_a_worker_that_dies_once_is_retried_transparently(tmp_path: Path) -> None:
    with GradingEngine(EngineConfig(workers=1, timeout_s=2), grader=crash_once_grader) as engine:
        (result,) = engine.grade([math("\\boxed{7}", f"7|{tmp_path / 'marker'}")])
    assert result.status is Status.OK
    assert result.reward == 1.0


def test_memory_beyond_the_worker_limit_scores_zero_not_an_outage() -> None:
    with GradingEngine(EngineConfig(workers=1, worker_memory_mb=512), grader=greedy_grader) as engine:
        (result,) = engine.grade([math("\\boxed{1}", "1")])
    assert result.status is Status.OK
    assert result.reward == 0.0
    assert result.details["accuracy"]["verdict"] == Verdict.RESOURCE_LIMIT


def test_identical_answers_are_judged_once_and_cached() -> None:
    items = [math(f"Reasoning number {i} that differs. " * 5 + "So \\boxed{42}.", "42") for i in range(20)]
    with GradingEngine(EngineConfig(workers=2)) as engine:
        first = engine.grade(items)
        assert engine.judged == 1
        second = engine.grade(items[:3])
        assert engine.judged == 1
        assert engine.cache_hits == 3
    assert all(r.reward == 1.0 for r in first + second)


def slow_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    time.sleep(0.5)
    return grade_math(completion, reference, options)


def test_concurrent_batches_share_a_verdict_in_flight() -> None:
    """Per-sample calls (Ray handles) and concurrent requests: an answer another batch is judging
    right now is waited for, not judged again, even with the verdict cache off."""
    from concurrent.futures import ThreadPoolExecutor

    batches = [[math("so \\boxed{3}", "3"), math(f"\\boxed{{{i}}}", "3")] for i in range(8)]
    with GradingEngine(EngineConfig(workers=2, cache_size=0), grader=slow_grader) as engine:
        with ThreadPoolExecutor(8) as threads:
            results = list(threads.map(engine.grade, batches))
        assert engine.judged == 8  # each distinct answer (0 to 7) once: "3" is in every batch
        assert engine.cache_hits == 0
    assert [[r.reward for r in batch] for batch in results] == [[1.0, 1.0 if i == 3 else 0.0] for i in range(8)]


def test_every_item_gets_one_result_in_order() -> None:
    items = [
        math("\\boxed{2}", "2", 0),
        Item(completion="print(1)", tests={"kind": "assert", "code": "assert True"}, id=1),
        math("\\boxed{3}", "\\frac{", 2),
        math("\\boxed{4}", "5", 3),
    ]
    with GradingEngine(EngineConfig(workers=1)) as engine:
        results = engine.grade(items)
    assert [r.id for r in results] == [0, 1, 2, 3]
    assert [r.status for r in results] == [Status.OK, Status.ERROR, Status.UNSCORABLE, Status.OK]
    assert [r.reward for r in results] == [1.0, None, None, 0.0]


HOSTILE = [
    "\\boxed{10^{10^{10^{10}}}}",
    "\\boxed{9^{9^{9^{9}}}}",
    "\\boxed{2^{99999999}}",
    "\\boxed{1000000!}",
    "\\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}",
    "\\boxed{" + "\\frac{" * 2000 + "}",
    "\\boxed{" + "1" * 200_000 + "}",
    "\\boxed{" + "+".join(["x"] * 3000) + "}",
    "\\boxed{" + ", ".join(str(i) for i in range(5000)) + "}",
    "\\boxed{\\sin(10^{9999})}",
    "\\boxed{(x+1)^{9999}}",
    "\\boxed{\\sum_{k=1}^{n} k^{k}}",
    "\\boxed{\\int_0^{x} e^{t^2} dt}",
    "$" * 50_000,
    "\\boxed{" * 20_000,
    "{" * 50_000,
    "\\boxed{" + "\\pm 1 " * 30 + "}",
    "\\boxed{" + "\\{" * 5000 + "}",
]


@pytest.mark.slow
def test_hostile_inputs_each_return_within_the_deadline() -> None:
    deadline = 2.0
    items = [math(text, ref) for text in HOSTILE for ref in ("1", "x^2 + 1")]
    with GradingEngine(EngineConfig(workers=2, timeout_s=deadline)) as engine:
        engine.grade([math("1", "1")] * 4)  # workers up
        for item in items:
            started = time.monotonic()
            (result,) = engine.grade([item])
            assert time.monotonic() - started < deadline + 1, item.completion[:40]
            assert result.status is Status.OK
            assert result.details["accuracy"]["verdict"] in ("incorrect", "no_answer", "timeout", "resource_limit")


def test_results_do_not_depend_on_the_number_of_workers() -> None:
    items = [
        math(text, ref)
        for text in [
            "\\boxed{1/2}",
            "0.5",
            "\\boxed{x^2-1}",
            "(x-1)(x+1)",
            "\\boxed{[0,1)}",
            "no idea",
            "\\boxed{3,1,2}",
        ]
        for ref in ["\\frac12", "x^2-1", "\\{1,2,3\\}", "[0,1)"]
    ]
    with GradingEngine(EngineConfig(workers=1)) as one, GradingEngine(EngineConfig(workers=2)) as two:
        a = one.grade(items)
        b = two.grade(items)

    def strip(results: list) -> list:
        return [(r.reward, r.status, r.details["accuracy"]["verdict"]) for r in results]

    assert strip(a) == strip(b)


def test_config_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        EngineConfig(workers=0)
    with pytest.raises(ValueError):
        EngineConfig(timeout_s=0)


def test_the_reward_spec_adds_components_with_one_key_set_and_never_hides_a_null() -> None:
    from graders.spec import RewardSpec

    spec = RewardSpec.parse({"accuracy": 1.0, "format": 0.5, "language_consistency": 0.5})
    items = [
        Item(id="fine", completion="<think>We add them.</think> \\boxed{4}", reference="4", target_language="en"),
        Item(id="no-target", completion="<think>We add them.</think> \\boxed{4}", reference="4"),
        Item(id="bad-reference", completion="\\boxed{4}", reference="\\frac{", target_language="en"),
    ]
    with GradingEngine(EngineConfig(workers=1, reward=spec)) as engine:
        fine, no_target, bad = engine.grade(items)
    assert fine.status is Status.OK and fine.reward == 2.0
    assert list(fine.components) == list(no_target.components) == list(bad.components)
    assert no_target.status is Status.UNSCORABLE and no_target.reward is None
    assert "language_consistency" in (no_target.error or "")
    assert bad.status is Status.UNSCORABLE and bad.reward is None and bad.components["accuracy"] is None


def test_the_spec_accuracy_timeout_overrides_the_engine_default() -> None:
    from graders.spec import RewardSpec

    config = EngineConfig(workers=1, reward=RewardSpec.parse({"accuracy": {"timeout": 0.5}}))
    with GradingEngine(config, grader=sleeping_grader) as engine:
        started = time.monotonic()
        (result,) = engine.grade([math("hang", "1")])
    assert result.details["accuracy"]["verdict"] == "timeout" and time.monotonic() - started < 3


def test_a_stuck_grader_pool_is_replaced_and_the_batch_completes() -> None:
    """A pool whose tasks never finish (pebble deadlocks when a worker dies holding its channel lock)."""
    from concurrent.futures import Future

    with GradingEngine(EngineConfig(workers=1, stall_s=1.5)) as engine:
        stuck = engine._pool
        never: Future[MathVerdict] = Future()
        original = stuck.schedule
        stuck.schedule = lambda *args, **kwargs: never  # type: ignore[method-assign]
        started = time.monotonic()
        results = engine.grade([math("\\boxed{2}", "2"), math("\\boxed{3}", "2")])
        assert [r.reward for r in results] == [1.0, 0.0]
        assert engine.pool_restarts == 1 and engine._pool is not stuck
        assert 1.5 <= time.monotonic() - started < 15
        stuck.schedule = original  # type: ignore[method-assign]


def test_a_broken_grader_pool_is_replaced_when_work_arrives() -> None:
    with GradingEngine(EngineConfig(workers=1)) as engine:
        broken = engine._pool
        broken.stop()
        broken.join()
        (result,) = engine.grade([math("\\boxed{5}", "5")])
        assert result.reward == 1.0 and engine.pool_restarts == 1 and engine._pool is not broken


def segfaulting_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    import ctypes

    ctypes.string_at(0)  # SIGSEGV
    raise AssertionError("unreachable")


def test_an_answer_that_crashes_a_fresh_worker_too_scores_zero_as_a_resource_limit() -> None:
    with GradingEngine(EngineConfig(workers=1), grader=segfaulting_grader) as engine:
        (result,) = engine.grade([math("\\boxed{1}", "1")])
        assert engine.judged == 2  # the pool's attempt, then one confirmation in a fresh process
    assert result.status is Status.OK and result.reward == 0.0
    assert result.details["accuracy"]["verdict"] == "resource_limit"
    assert "crashed on this answer twice (signal 11)" in result.details["accuracy"]["reason"]
    assert "fresh process with the full memory budget" in result.details["accuracy"]["reason"]


def segfault_once_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    """Crashes the first worker that sees the marker path, like a worker with too little room."""
    marker = Path(reference.split("|")[1])
    if not marker.exists():
        marker.write_text("crashed")
        os.kill(os.getpid(), signal.SIGSEGV)
    return grade_math(completion, reference.split("|")[0], options)


def test_a_crash_that_a_fresh_worker_does_not_repeat_is_not_a_verdict(tmp_path: Path) -> None:
    with GradingEngine(EngineConfig(workers=1), grader=segfault_once_grader) as engine:
        (result,) = engine.grade([math("\\boxed{7}", f"7|{tmp_path / 'marker'}")])
    assert result.status is Status.OK and result.reward == 1.0
    assert result.details["accuracy"]["verdict"] == "correct"


def killed_grader(completion: str, reference: str, options: MathOptions) -> MathVerdict:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def test_a_worker_killed_every_time_is_an_error_not_a_verdict() -> None:
    with GradingEngine(EngineConfig(workers=1, retries=1), grader=killed_grader) as engine:
        (result,) = engine.grade([math("\\boxed{1}", "1")])
    assert result.status is Status.ERROR and result.reward is None
    assert result.components == {"accuracy": None}
    assert result.error and "died 2 times" in result.error
