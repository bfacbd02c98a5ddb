"""Code accuracy: extract the program, build one job for its tests, run it through an executor, score.

The score is the fraction of tests passed (``mode="fraction"``, the default) or 1/0 when every test
must pass (``mode="all"``, which also stops at the first failure). An ``assert`` block is one test.
The verdict names the first failure: ``wrong_answer``, ``timeout``, ``memory_limit``,
``output_limit``, ``runtime_error``, ``compile_error``; ``no_code`` when no program was found.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from graders.code.compare import outputs_match
from graders.code.executor import Executor, Job, JobOutcome, Limits, RunOutcome
from graders.code.extract import extract
from graders.code.languages import LANGUAGES as RECIPE_LANGUAGES
from graders.code.languages import canonical_language, recipe
from graders.errors import UnscorableError

__all__ = ["CodeOptions", "CodeResult", "CodeVerdict", "LANGUAGES", "build_job", "grade_code", "score_outcome"]

LANGUAGES = ("python", "cpp", *RECIPE_LANGUAGES)
_LANGUAGE_ALIASES = {"python3": "python", "py": "python", "c++": "cpp", "cpp17": "cpp", "c++17": "cpp"}
MAX_PROGRAM_CHARS = 200_000
MAX_CASES = 10_000


class CodeVerdict(StrEnum):
    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    RUNTIME_ERROR = "runtime_error"
    COMPILE_ERROR = "compile_error"
    NO_CODE = "no_code"
    UNSCORABLE = "unscorable"


_RUN_VERDICTS = {
    "timeout": CodeVerdict.TIMEOUT,
    "memory": CodeVerdict.MEMORY_LIMIT,
    "output_limit": CodeVerdict.OUTPUT_LIMIT,
    "runtime_error": CodeVerdict.RUNTIME_ERROR,
    "compile_error": CodeVerdict.COMPILE_ERROR,
}


_FAILED_ASSERTION = ("AssertionError", "_NotPlain")
"""How the harness reports a failed assert (``_NotPlain``: an answer of a type that cannot be trusted)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeOptions:
    """``mode``: "fraction" or "all"; ``limits``: defaults for items that set none.

    ``assert_time_s`` is the default CPU time of an ``assert`` test, which runs every check of a
    task in one run (MBPP's slowest reference needs about 3.5 s); stdio and call cases get
    ``limits.time_s`` each."""

    mode: Literal["fraction", "all"] = "fraction"
    limits: Limits = field(default_factory=Limits)
    assert_time_s: float = 6.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeResult:
    verdict: CodeVerdict
    score: float | None
    passed: int = 0
    total: int = 0
    tests: tuple[str, ...] = ()
    reason: str | None = None
    elapsed_ms: float = 0.0

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "verdict": self.verdict.value,
            "passed": self.passed,
            "total": self.total,
            "tests": list(self.tests[:100]),
            "elapsed_ms": round(self.elapsed_ms, 3),
        }
        if self.reason:
            detail["reason"] = self.reason[:2000]
        return detail


def normalize_language(language: str) -> str:
    name = language.strip().lower()
    return _LANGUAGE_ALIASES.get(name) or canonical_language(name) or name


def build_job(program: str, tests: Mapping[str, Any], language: str, options: CodeOptions) -> Job:
    """The sandbox job for ``tests`` (a validated tests object as a mapping); UnscorableError if impossible."""
    language = normalize_language(language)
    if language not in LANGUAGES:
        raise UnscorableError(f"language {language!r} is not supported (supported: {', '.join(LANGUAGES)})")
    kind = tests["kind"]
    if kind == "call" and language != "python":
        raise UnscorableError(f"'call' tests are for Python; use stdio or assert tests for {language}")
    if kind == "assert":
        cases: tuple[dict[str, Any], ...] = ({"code": tests["code"]},)
    elif kind == "call":
        entry = tests["entry_point"]
        if not entry.isidentifier():
            raise UnscorableError(f"entry_point {entry!r} is not a Python identifier")
        cases = tuple({"args": list(c["args"]), "expected": c["expected"]} for c in tests["cases"])
    else:
        cases = tuple({"stdin": c.get("stdin", "")} for c in tests["cases"])
    if len(cases) > MAX_CASES:
        raise UnscorableError(f"{len(cases)} test cases exceed the limit of {MAX_CASES}")
    base = options.limits
    try:
        limits = Limits(
            time_s=tests.get("time_limit") or (options.assert_time_s if kind == "assert" else base.time_s),
            memory_mb=tests.get("memory_limit") or base.memory_mb,
            output_bytes=base.output_bytes,
        )
    except ValueError as exc:
        raise UnscorableError(f"bad limits: {exc}") from exc
    plan = None
    if language in RECIPE_LANGUAGES or (language == "cpp" and kind == "assert"):
        plan = recipe(language, program, tests["code"] if kind == "assert" else None, limits.memory_mb).wire()
    return Job(
        language=language,
        kind=kind,
        source=program,
        cases=cases,
        entry_point=tests.get("entry_point"),
        limits=limits,
        stop_on_failure=options.mode == "all",
        recipe=plan,
    )


def _run_passed(run: RunOutcome, kind: str, case: Mapping[str, Any] | None, float_tol: float | None) -> bool:
    if run.status != "ok":
        return False
    if kind == "stdio":
        assert case is not None
        return outputs_match(run.stdout or "", case["stdout"], float_tol)
    return bool(run.passed)


def score_outcome(
    outcome: JobOutcome, tests: Mapping[str, Any], options: CodeOptions, elapsed_ms: float = 0.0
) -> CodeResult:
    kind = tests["kind"]
    total = 1 if kind == "assert" else len(tests["cases"])
    if not outcome.compiled:
        return CodeResult(
            verdict=CodeVerdict.COMPILE_ERROR,
            score=0.0,
            total=total,
            reason=outcome.compile_output,
            elapsed_ms=elapsed_ms,
        )
    statuses: list[str] = []
    passed = 0
    first_failure: tuple[CodeVerdict, str | None] | None = None
    cases = tests.get("cases") or [None]
    for run, case in zip(outcome.runs, cases, strict=False):
        ok = _run_passed(run, kind, case, tests.get("float_tol"))
        if ok:
            passed += 1
            statuses.append("passed")
            continue
        verdict = _RUN_VERDICTS.get(run.status, CodeVerdict.WRONG_ANSWER)
        if kind == "assert" and run.status == "runtime_error" and (run.error or "").startswith(_FAILED_ASSERTION):
            verdict = CodeVerdict.WRONG_ANSWER  # a test's assert failed: a wrong answer, not a crash
        statuses.append(verdict.value)
        if first_failure is None:
            first_failure = (verdict, run.error or (run.stderr[-500:] if run.stderr else None))
    statuses.extend("skipped" for _ in range(total - len(statuses)))
    if passed == total:
        score, verdict, reason = 1.0, CodeVerdict.PASSED, None
    else:
        verdict, reason = first_failure or (CodeVerdict.WRONG_ANSWER, None)
        score = 0.0 if options.mode == "all" else passed / total
    return CodeResult(
        verdict=verdict,
        score=score,
        passed=passed,
        total=total,
        tests=tuple(statuses),
        reason=reason,
        elapsed_ms=elapsed_ms,
    )


def _did_not_compile(outcome: JobOutcome) -> bool:
    return not outcome.compiled or (bool(outcome.runs) and all(r.status == "compile_error" for r in outcome.runs))


def grade_code(
    completion: str,
    tests: Mapping[str, Any],
    language: str,
    executor: Executor,
    options: CodeOptions | None = None,
) -> CodeResult:
    """Judge one completion; raises ``InfrastructureError`` when the executor cannot run it."""
    options = options or CodeOptions()
    started = time.perf_counter()
    found = extract(completion, normalize_language(language))
    program = found.program
    if program is None or not program.strip():
        return CodeResult(verdict=CodeVerdict.NO_CODE, score=0.0, reason="no program found in the completion")
    if len(program) > MAX_PROGRAM_CHARS:
        return CodeResult(verdict=CodeVerdict.NO_CODE, score=0.0, reason="the program is too long")
    try:
        job = build_job(program, tests, language, options)
    except UnscorableError as exc:
        return CodeResult(verdict=CodeVerdict.UNSCORABLE, score=None, reason=str(exc))
    outcome = executor.execute(job)
    if outcome.unavailable:
        return CodeResult(verdict=CodeVerdict.UNSCORABLE, score=None, reason=outcome.unavailable)
    if found.rule == "bare" and _did_not_compile(outcome):
        failure = outcome.compile_output or next((r.error for r in outcome.runs if r.error), None) or ""
        reason = f"no fenced code block, and the text is not a program ({failure[-300:]})"
        return CodeResult(verdict=CodeVerdict.NO_CODE, score=0.0, total=0, reason=reason)
    return score_outcome(outcome, tests, options, (time.perf_counter() - started) * 1000)
