"""Schedule a batch: deduplicate, consult the verdict cache, judge in a killable process pool.

Deadlines live here, not in the graders: each task gets ``timeout_s`` in a ``pebble.ProcessPool``.
A task past its deadline has its worker process killed and replaced (no ``signal.alarm``, which
fails outside the main thread and cannot stop a hang in C code); the item scores 0 with verdict
``timeout``. A worker that dies is an infrastructure failure: the task is retried, then the item
gets status ``error`` — never a silent 0. Results never depend on the number of workers.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from typing import Any

from pebble import ProcessExpired, ProcessPool

from graders.code import CodeOptions, CodeResult, CodeVerdict, Executor, grade_code
from graders.code.extract import extract_program
from graders.code.grade import normalize_language
from graders.errors import InfrastructureError
from graders.math import DEFAULT_MATH_OPTIONS, MathOptions, MathVerdict, Verdict, grade_math
from graders.math.extract import answer_candidates
from graders.math.normalize import normalize_answer
from graders.math.parse import is_plain_number
from graders.spec import Accuracy, RewardSpec, Sample
from service.grader_processes import cap_growth, grader_context
from service.schemas import Item, Result, Status

__all__ = ["DEFAULT_ENGINE_CONFIG", "EngineConfig", "GradingEngine", "MathGrader"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """Engine tunables. ``workers``: grader processes (default: one per core); ``timeout_s``: per item."""

    workers: int | None = None
    timeout_s: float = 5.0
    retries: int = 2
    cache_size: int = 100_000
    max_tasks_per_worker: int = 10_000
    worker_memory_mb: int | None = 2048
    """Address space each grader process may add to its warmed-up baseline; ``None`` for no limit.
    An answer that needs more scores 0 (``resource_limit``)."""
    math: MathOptions = DEFAULT_MATH_OPTIONS
    code: CodeOptions = CodeOptions()
    stall_s: float | None = None
    """No math task finishing for this long while work waits means a stuck pool, which is replaced
    (default: max(30 s, 4 x timeout_s))."""
    code_concurrency: int | None = None
    """Code jobs in flight at once (default: twice the executor's workers, so none waits idle)."""
    reward: RewardSpec = field(default_factory=lambda: RewardSpec.parse(None))
    """Which components make the reward; its accuracy ``timeout`` and ``mode`` override the above."""

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be at least 1 (deadlines need a separate process)")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")


DEFAULT_ENGINE_CONFIG = EngineConfig()

_Key = tuple[str, tuple[str, ...]]
MAX_KEYED_CHARS = 50_000
"""Longer completions are keyed by their raw text: extraction runs in the parent, outside any deadline."""
MathGrader = Callable[[str, str, MathOptions], MathVerdict]


def _start_worker(memory_mb: int | None) -> None:
    """Runs once in each new worker: pay for lazy imports before the first real item, then cap the
    memory the worker may add to what it holds (its own baseline, never the caller's)."""
    grade_math("1", "1")
    if memory_mb is not None:
        cap_growth(memory_mb)


def _math_key(item: Item, options: MathOptions) -> _Key:
    """Items with the same reference and the same answer candidates get the same verdict.

    Candidates after the first plain number are cut off: the grader never gets past that one, so
    completions that differ only in their reasoning share a key.
    """
    reference = item.reference or ""
    if len(item.completion) > MAX_KEYED_CHARS:  # keep the parent's work small: no dedup for giants
        return reference, (item.completion,)
    candidates: list[str] = []
    for candidate in answer_candidates(item.completion, short_limit=options.short_limit):
        candidates.append(normalize_answer(candidate.text))
        if is_plain_number(candidate.text):
            break
    return reference, tuple(candidates)


def _math_result(item: Item, verdict: MathVerdict) -> Result:
    detail: dict[str, Any] = {
        "verdict": verdict.verdict.value,
        "answer": verdict.answer,
        "rule": verdict.rule,
        "reference": verdict.reference,
        "elapsed_ms": round(verdict.elapsed_ms, 3),
    }
    if verdict.reason:
        detail["reason"] = verdict.reason
    status = Status.UNSCORABLE if verdict.verdict is Verdict.UNSCORABLE else Status.OK
    return Result(
        id=item.id,
        reward=verdict.score,
        status=status,
        components={"accuracy": verdict.score},
        details={"accuracy": detail},
    )


def _code_key(item: Item) -> tuple[str, ...]:
    """Completions with the same program for the same tests get the same verdict."""
    program = extract_program(item.completion, normalize_language(item.language))
    tests = item.tests.model_dump_json() if item.tests is not None else ""
    return ("code", item.language, program if program is not None else item.completion, tests)


def _code_result(item: Item, verdict: CodeResult) -> Result:
    status = Status.UNSCORABLE if verdict.verdict is CodeVerdict.UNSCORABLE else Status.OK
    return Result(
        id=item.id,
        reward=verdict.score,
        status=status,
        components={"accuracy": verdict.score},
        details={"accuracy": verdict.detail()},
    )


def _error_result(item: Item, message: str) -> Result:
    return Result(id=item.id, reward=None, status=Status.ERROR, components={"accuracy": None}, error=message)


_CRASH_CODES = frozenset({-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT})
"""Deaths an answer can cause itself (a stack that cannot grow within the memory budget, a C library's
assertion); the engine confirms them in a fresh worker before calling them a verdict. SIGKILL (the OOM
killer, an operator) and other deaths are infrastructure failures."""


class GradingEngine:
    """Owns the grader process pool; ``grade(items)`` returns one result per item, in order.

    Use as a context manager (or call ``close``): the pool's processes belong to the engine.
    """

    def __init__(
        self,
        config: EngineConfig = DEFAULT_ENGINE_CONFIG,
        *,
        grader: MathGrader = grade_math,
        executor: Executor | None = None,
    ) -> None:
        """``grader`` must be a picklable top-level function; tests swap in misbehaving ones.

        ``executor`` runs code items (a sandbox pool, owned by the caller); without one, code items
        get status ``error``.
        """
        accuracy = config.reward.accuracy_params()
        if accuracy.timeout is not None:
            config = replace(config, timeout_s=accuracy.timeout)
        if accuracy.mode is not None:
            config = replace(config, code=replace(config.code, mode=accuracy.mode))
        self.config = config
        self.executor = executor
        size = getattr(executor, "size", None) or os.cpu_count() or 1
        self._code_threads = ThreadPoolExecutor(
            max_workers=config.code_concurrency or 2 * size, thread_name_prefix="referee-code"
        )
        self._grader = grader
        self.workers = config.workers or os.cpu_count() or 1
        self._pool = self._new_pool()
        self._pool_lock = threading.Lock()
        self._generation = 0
        self._progress = time.monotonic()
        self.pool_restarts = 0
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._cache_lock = threading.Lock()  # batches may be graded from several threads at once
        self._in_flight: dict[Any, Future[Any]] = {}
        """Verdicts being judged now, by key: a batch that meets one another batch is judging waits for
        it instead of judging it again (per-sample calls from Ray handles, concurrent requests)."""
        self.cache_hits = 0
        self.judged = 0
        """Tasks sent to the pool (after deduplication and the cache), retries included."""

    def __enter__(self) -> GradingEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_pool(self, workers: int | None = None, max_tasks: int | None = None) -> ProcessPool:
        return ProcessPool(
            max_workers=workers or self.workers,
            max_tasks=max_tasks or self.config.max_tasks_per_worker,
            initializer=_start_worker,
            initargs=(self.config.worker_memory_mb,),
            context=grader_context(),
        )

    @property
    def stall_s(self) -> float:
        """No task of the pool finished for this long while work waits: the pool is stuck (a worker
        killed while it held the pool's channel lock deadlocks pebble) and is replaced."""
        return self.config.stall_s or max(30.0, 4 * self.config.timeout_s)

    def _mark_progress(self, _future: Any) -> None:
        self._progress = time.monotonic()

    def _restart_pool(self, generation: int) -> None:
        with self._pool_lock:
            if generation != self._generation:
                return  # another waiter restarted it already
            stuck, self._pool = self._pool, self._new_pool()
            self._generation += 1
            self._progress = time.monotonic()
            self.pool_restarts += 1
        threading.Thread(target=stuck.stop, daemon=True).start()  # its futures end as cancelled

    def _wait(self, future: Future[MathVerdict]) -> MathVerdict:
        """``future.result()``, watching for a stuck pool while it waits."""
        generation = getattr(future, "referee_generation", self._generation)
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                if future.done():
                    raise  # the task itself ran past its deadline
            if generation != self._generation:
                raise CancelledError("the grader pool was replaced")
            if time.monotonic() - self._progress > self.stall_s:
                self._restart_pool(generation)
                raise CancelledError("the grader pool stalled and was replaced")

    def close(self) -> None:
        """Stop the workers (pending work is dropped: callers wait for their batches first)."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()
        self._code_threads.shutdown(wait=True, cancel_futures=True)

    def _lookup(self, key: Any) -> Any:
        with self._cache_lock:
            return self._cache.get(key)

    def _remember(self, key: Any, verdict: Any) -> None:
        with self._cache_lock:
            self._cache[key] = verdict
            self._cache.move_to_end(key)
            while len(self._cache) > self.config.cache_size:
                self._cache.popitem(last=False)

    def _claim(self, key: Any) -> tuple[Future[Any], bool]:
        """The shared future of ``key``'s verdict, and whether this caller must judge it (and then
        ``_settle`` it). A claimer never waits for another batch before settling what it owns."""
        with self._cache_lock:
            shared = self._in_flight.get(key)
            if shared is not None:
                return shared, False
            shared = Future()
            self._in_flight[key] = shared
            return shared, True

    def _settle(self, key: Any, shared: Future[Any], outcome: Any) -> None:
        with self._cache_lock:
            if self._in_flight.get(key) is shared:
                del self._in_flight[key]
        shared.set_result(outcome)

    def _submit(self, item: Item) -> Future[MathVerdict]:
        self.judged += 1
        for attempt in range(2):
            with self._pool_lock:
                generation = self._generation
                try:
                    future: Future[MathVerdict] = self._pool.schedule(
                        self._grader,
                        args=(item.completion, item.reference or "", self.config.math),
                        timeout=self.config.timeout_s,
                    )
                except RuntimeError:  # the pool broke (pebble marks it so after a channel error)
                    if attempt:
                        raise
                    broken = True
                else:
                    broken = False
                    future.referee_generation = generation  # type: ignore[attr-defined]
            if broken:
                self._restart_pool(generation)
                continue
            future.add_done_callback(self._mark_progress)
            return future
        raise RuntimeError("unreachable")  # pragma: no cover

    def _judge(self, item: Item, future: Future[MathVerdict]) -> MathVerdict | str:
        """The verdict, or an error message after the retries are spent."""
        attempts = 0
        while True:
            try:
                return self._wait(future)
            except FutureTimeout:
                return MathVerdict(Verdict.TIMEOUT, 0.0, elapsed_ms=self.config.timeout_s * 1000)
            except MemoryError:
                return MathVerdict(Verdict.RESOURCE_LIMIT, 0.0, reason="the answer needs more memory than allowed")
            except ProcessExpired as exc:
                if exc.exitcode in _CRASH_CODES:
                    return self._confirm_crash(item, exc)
                attempts += 1
                if attempts > self.config.retries:
                    return f"grader worker died {attempts} times: {exc}"
                future = self._submit(item)
            except CancelledError as exc:
                attempts += 1
                if attempts > self.config.retries:
                    return f"grader worker died {attempts} times: {exc}"
                future = self._submit(item)
            except Exception as exc:  # a grader bug must not take the batch down
                return f"grader failed: {type(exc).__name__}: {exc}"

    def _confirm_crash(self, item: Item, first: ProcessExpired) -> MathVerdict | str:
        """A worker crashed on this answer: grade it again alone in a brand-new worker with the full
        memory budget. Only a crash there too makes ``resource_limit``; any other outcome stands as it is."""
        self.judged += 1
        pool = self._new_pool(workers=1, max_tasks=1)
        try:
            future = pool.schedule(
                self._grader,
                args=(item.completion, item.reference or "", self.config.math),
                timeout=self.config.timeout_s,
            )
            return future.result(timeout=self.config.timeout_s + self.stall_s)
        except FutureTimeout:
            if not future.done():
                return f"the grader crashed ({first}) and its confirmation run did not finish"
            return MathVerdict(Verdict.TIMEOUT, 0.0, elapsed_ms=self.config.timeout_s * 1000)
        except MemoryError:
            return MathVerdict(Verdict.RESOURCE_LIMIT, 0.0, reason="the answer needs more memory than allowed")
        except ProcessExpired as again:
            if again.exitcode in _CRASH_CODES:
                reason = (
                    f"the grader crashed on this answer twice (signal {-again.exitcode}), "
                    "the second time alone in a fresh process with the full memory budget"
                )
                return MathVerdict(Verdict.RESOURCE_LIMIT, 0.0, reason=reason)
            return f"grader worker died twice: {first}; then {again}"
        except Exception as exc:  # a grader bug must not take the batch down
            return f"grader failed: {type(exc).__name__}: {exc}"
        finally:
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join()

    def _grade_code(self, item: Item) -> CodeResult:
        assert self.executor is not None and item.tests is not None
        return grade_code(item.completion, item.tests.model_dump(), item.language, self.executor, self.config.code)

    def _start_code(
        self, items: Sequence[Item], results: list[Result | None]
    ) -> dict[Any, tuple[Future[Any], list[int]]]:
        """Send each distinct program to the sandbox threads; cached ones are answered at once."""
        pending: dict[Any, tuple[Future[Any], list[int]]] = {}
        for index, item in enumerate(items):
            if item.task != "code":
                continue
            if self.executor is None:
                results[index] = _error_result(item, "code items need the sandbox, which is not running")
                continue
            key = _code_key(item)
            cached = self._lookup(key)
            if cached is not None:
                self.cache_hits += 1
                results[index] = _code_result(item, cached)
            elif key in pending:
                pending[key][1].append(index)
            else:
                pending[key] = (self._code_future(key, item), [index])
        return pending

    def _code_future(self, key: Any, item: Item) -> Future[Any]:
        """The sandbox run of this program: a new one, or the one another batch has in flight."""
        with self._cache_lock:
            running = self._in_flight.get(("code", key))
            if running is not None:
                return running
            self.judged += 1
            future = self._code_threads.submit(self._grade_code, item)
            self._in_flight[("code", key)] = future

        def forget(done: Future[Any]) -> None:
            with self._cache_lock:
                if self._in_flight.get(("code", key)) is done:
                    del self._in_flight[("code", key)]

        future.add_done_callback(forget)
        return future

    def _finish_code(
        self,
        items: Sequence[Item],
        results: list[Result | None],
        pending: dict[Any, tuple[Future[Any], list[int]]],
        progress: Callable[[int], None] | None,
    ) -> None:
        for key, (future, indices) in pending.items():
            try:
                verdict: CodeResult | str = future.result()
            except InfrastructureError as exc:
                verdict = str(exc)
            except Exception as exc:  # a grader bug must not take the batch down
                verdict = f"code grader failed: {type(exc).__name__}: {exc}"
            for index in indices:
                if isinstance(verdict, str):
                    results[index] = _error_result(items[index], verdict)
                else:
                    results[index] = _code_result(items[index], verdict)
            if not isinstance(verdict, str):
                self._remember(key, verdict)
            if progress:
                progress(len(indices))

    def grade(
        self,
        items: Sequence[Item],
        progress: Callable[[int], None] | None = None,
        reward: RewardSpec | None = None,
    ) -> list[Result]:
        """Judge a batch; identical (answer, reference) pairs are judged once.

        ``reward`` replaces the engine's spec for this batch (its accuracy ``timeout`` and ``mode``
        are the engine's own: they are fixed when the engine starts)."""
        results: list[Result | None] = [None] * len(items)
        pending: dict[_Key, tuple[Future[MathVerdict], list[int], Future[Any]]] = {}
        waiting: dict[_Key, tuple[Future[Any], list[int]]] = {}
        claimed: dict[_Key, Future[Any]] = {}
        try:
            code_pending = self._math_and_code(items, results, pending, waiting, claimed, progress)
        finally:  # a claim this batch could not settle (an exception) must not leave others waiting
            for key, shared in claimed.items():
                if not shared.done():
                    self._settle(key, shared, "grader failed: the batch that was judging this answer failed")
        self._finish_code(items, results, code_pending, progress)
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:  # a bug, never a silent drop
            raise RuntimeError(f"no result for items {missing[:10]}")
        return self._combine(items, [r for r in results if r is not None], reward or self.config.reward)

    def _math_and_code(
        self,
        items: Sequence[Item],
        results: list[Result | None],
        pending: dict[_Key, tuple[Future[MathVerdict], list[int], Future[Any]]],
        waiting: dict[_Key, tuple[Future[Any], list[int]]],
        claimed: dict[_Key, Future[Any]],
        progress: Callable[[int], None] | None,
    ) -> dict[Any, tuple[Future[Any], list[int]]]:
        """Start the code items, judge the math items this batch owns, then wait for those another batch
        is judging; the code items' futures are returned for ``_finish_code``."""
        code_pending = self._start_code(items, results)
        for index, item in enumerate(items):
            if item.task != "math":
                continue
            key = _math_key(item, self.config.math)
            cached = self._lookup(key)
            if cached is not None:
                self.cache_hits += 1
                results[index] = _math_result(item, cached)
                continue
            if key in pending:
                pending[key][1].append(index)
            elif key in waiting:
                waiting[key][1].append(index)
            else:
                shared, owned = self._claim(key)
                if owned:
                    claimed[key] = shared
                    pending[key] = (self._submit(item), [index], shared)
                else:
                    waiting[key] = (shared, [index])
        done = len(items) - sum(len(entry[1]) for entry in pending.values())
        done -= sum(len(indices) for _, indices in waiting.values())
        done -= sum(len(indices) for _, indices in code_pending.values())
        if progress:
            progress(done)
        for key, (future, indices, shared) in pending.items():  # first what this batch owns, then the rest
            outcome: MathVerdict | str = "grader failed: the batch was interrupted"
            try:
                outcome = self._judge(items[indices[0]], future)
                if not isinstance(outcome, str):
                    self._remember(key, outcome)
            finally:
                self._settle(key, shared, outcome)
            self._fill_math(items, results, indices, outcome, progress)
        for shared, indices in waiting.values():
            self._fill_math(items, results, indices, shared.result(), progress)
        return code_pending

    @staticmethod
    def _fill_math(
        items: Sequence[Item],
        results: list[Result | None],
        indices: list[int],
        outcome: MathVerdict | str,
        progress: Callable[[int], None] | None,
    ) -> None:
        for index in indices:
            if isinstance(outcome, str):
                results[index] = _error_result(items[index], outcome)
            else:
                results[index] = _math_result(items[index], outcome)
        if progress:
            progress(len(indices))

    def _combine(self, items: Sequence[Item], accuracy: list[Result], reward: RewardSpec) -> list[Result]:
        """Add the spec's other components to the accuracy results; one key set for the whole batch."""
        samples = [
            Sample(
                completion=item.completion,
                prompt=item.prompt,
                completion_tokens=item.completion_tokens,
                target_language=item.target_language,
                group=item.group,
            )
            for item in items
        ]
        outcomes = [
            Accuracy(
                score=r.reward if r.status is Status.OK else None,
                correct=r.status is Status.OK and r.details.get("accuracy", {}).get("verdict") in ("correct", "passed"),
                detail=r.details.get("accuracy", {}),
            )
            for r in accuracy
        ]
        final = []
        for result, scored in zip(accuracy, reward.score(samples, outcomes), strict=True):
            status, error = result.status, result.error
            if status is Status.OK and scored.reward is None:
                status, error = Status.UNSCORABLE, scored.problem
            final.append(
                Result(
                    id=result.id,
                    reward=scored.reward if status is Status.OK else None,
                    status=status,
                    components=scored.components,
                    details=scored.details,
                    error=error,
                )
            )
        return final
