"""SandboxFusion's wire: ``POST /run_code`` and ``POST /submit``, so that verl's ``sandbox_fusion.url``,
the ``sandbox-fusion`` client, tinker-cookbook and ROLL switch to Referee by changing one URL.

The request and response shapes, enum values and semantics are SandboxFusion's (bytedance/SandboxFusion,
``sandbox/runners/types.py``, ``server/sandbox_api.py``, ``server/online_judge_api.py``): TLE and a
non-zero exit are ``Failed``, a compile error has a compile result and no run result, a fault of ours is
``SandboxError`` with the reason in ``message``. Programs run as plain programs (``python3 main.py``)
in the hardened containers. The caller decides the reward from stdout, so Referee's unforgeable
verdicts apply only through ``/v1/score``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
from enum import StrEnum
from typing import Any, Literal, get_args

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from graders.code.compare import outputs_match
from graders.code.extract import extract_program
from graders.errors import InfrastructureError
from service.errors import ErrorDetail
from service.programs import Program, ProgramResult, ProgramRunner, QueueTimeout

__all__ = ["RunCodeRequest", "RunCodeResponse", "SANDBOX_FUSION_LANGUAGES", "SubmitRequest", "lenient_match", "router"]

log = logging.getLogger("referee.service")
router = APIRouter(tags=["SandboxFusion"])

SandboxFusionLanguage = Literal[
    "python",
    "cpp",
    "nodejs",
    "go",
    "go_test",
    "java",
    "php",
    "csharp",
    "bash",
    "typescript",
    "sql",
    "rust",
    "cuda",
    "lua",
    "R",
    "perl",
    "D_ut",
    "ruby",
    "scala",
    "julia",
    "pytest",
    "junit",
    "kotlin_script",
    "jest",
    "verilog",
    "python_gpu",
    "lean",
    "swift",
    "racket",
    "python2",
    "gtest",
    "react",
]
"""SandboxFusion's language literals (its server's 29 and the 0.3.7 client's three more); others are 422."""
SANDBOX_FUSION_LANGUAGES: tuple[str, ...] = get_args(SandboxFusionLanguage)

OURS = {
    "python": "python",
    "cpp": "cpp",
    "nodejs": "javascript",
    "go": "go",
    "go_test": "go_test",
    "java": "java",
    "bash": "bash",
    "typescript": "typescript",
    "rust": "rust",
}
"""SandboxFusion literal -> the plain language that runs it; the other literals are not available here."""

MAX_FILES_BYTES = 16 * 1024 * 1024
MAX_TIME_S = 60.0
MAX_COMPILE_S = 30.0
DEFAULT_MEMORY_MB = 1024


class RunCodeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    language: SandboxFusionLanguage
    stdin: str | None = None
    compile_timeout: float | None = Field(default=10, gt=0)
    run_timeout: float | None = Field(default=10, gt=0)
    memory_limit_MB: int | None = -1
    files: dict[str, str | None] | None = Field(default_factory=dict)
    fetch_files: list[str] | None = Field(default_factory=list)


class RunStatus(StrEnum):
    FINISHED = "Finished"
    ERROR = "Error"
    TIME_LIMIT_EXCEEDED = "TimeLimitExceeded"


class CommandRunResult(BaseModel):
    status: RunStatus
    execution_time: float | None = None
    return_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None


class RunCodeStatus(StrEnum):
    SUCCESS = "Success"
    FAILED = "Failed"
    SANDBOX_ERROR = "SandboxError"


class RunCodeResponse(BaseModel):
    status: RunCodeStatus
    message: str
    compile_result: CommandRunResult | None = None
    run_result: CommandRunResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = Field(default_factory=dict)


def sandbox_error(message: str) -> RunCodeResponse:
    return RunCodeResponse(status=RunCodeStatus.SANDBOX_ERROR, message=message)


def _safe_path(name: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise HTTPException(422, detail=f"files: {name[:100]!r} is not a relative path inside the box")
    return name


def _files(files: dict[str, str | None]) -> tuple[tuple[str, str], ...]:
    total = 0
    checked = []
    for name, content in files.items():
        if content is None:
            continue
        try:
            total += len(base64.b64decode(content, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise HTTPException(422, detail=f"files[{name[:100]!r}] is not base64") from exc
        checked.append((_safe_path(name), content))
    if total > MAX_FILES_BYTES:
        raise HTTPException(422, detail=f"files hold {total} bytes, over {MAX_FILES_BYTES}")
    return tuple(sorted(checked))


def program_of(body: RunCodeRequest, language: str) -> Program:
    """The request as a ``Program``: ``run_timeout`` (wall time) capped at 60 s, ``compile_timeout`` at
    30 s, ``memory_limit_MB`` -1 meaning 1024 and others clamped to [32, 8192]."""
    asked = body.memory_limit_MB or -1
    memory = DEFAULT_MEMORY_MB if asked <= 0 else min(max(asked, 32), 8192)
    return Program(
        language=language,
        code=body.code,
        time_s=min(body.run_timeout or 10.0, MAX_TIME_S),
        memory_mb=memory,
        compile_time_s=min(body.compile_timeout or 10.0, MAX_COMPILE_S),
        files=_files(body.files or {}),
        fetch=tuple(_safe_path(name) for name in body.fetch_files or ()),
    )


def _seconds(ms: float) -> float:
    return round(ms / 1000, 4)


def response_of(result: ProgramResult) -> RunCodeResponse:
    """A ``ProgramResult`` in SandboxFusion's terms."""
    if result.unavailable:
        return sandbox_error(f"language not available here: {result.unavailable}")
    compile_result = None
    if result.has_compile:
        compile_result = CommandRunResult(
            status=RunStatus.TIME_LIMIT_EXCEEDED if result.compile_timed_out else RunStatus.FINISHED,
            execution_time=_seconds(result.compile_ms),
            return_code=None if result.compile_timed_out else result.compile_exit_code,
            stdout="",
            stderr=result.compile_output,
        )
    if not result.compiled or result.run is None:
        return RunCodeResponse(status=RunCodeStatus.FAILED, message="", compile_result=compile_result)
    run = result.run
    stderr = run.stderr
    if run.status == "timeout":
        status, code = RunStatus.TIME_LIMIT_EXCEEDED, None
    else:
        status = RunStatus.FINISHED
        code = run.exit_code if run.signal is None else -run.signal
        if run.status == "output_limit":
            code = -9
            stderr += "\n[referee: output limit reached, the program was killed]"
        if code is None:
            code = 0 if run.status == "ok" else 1
    run_result = CommandRunResult(
        status=status,
        execution_time=_seconds(run.wall_ms),
        return_code=code,
        stdout=run.stdout or "",
        stderr=stderr,
    )
    success = status is RunStatus.FINISHED and code == 0
    return RunCodeResponse(
        status=RunCodeStatus.SUCCESS if success else RunCodeStatus.FAILED,
        message="",
        compile_result=compile_result,
        run_result=run_result,
        files=dict(run.files or {}),
    )


def _runner(request: Request) -> ProgramRunner:
    return request.app.state.service.programs  # type: ignore[no-any-return]


def _count(request: Request, wire: str, outcome: str) -> None:
    request.app.state.service.metrics.wire_requests.labels(wire, outcome).inc()


async def run_code(body: RunCodeRequest, request: Request) -> RunCodeResponse:
    """One program on one stdin, as SandboxFusion runs it."""
    language = OURS.get(body.language)
    if language is None:
        _count(request, "run_code", "language_unavailable")
        return sandbox_error(f"language not available here: {body.language} (Referee runs {', '.join(OURS)})")
    program = program_of(body, language)
    try:
        result = await _runner(request).run(program, body.stdin or "")
    except QueueTimeout as exc:
        _count(request, "run_code", "504")
        raise HTTPException(504, detail=str(exc)) from exc
    except InfrastructureError as exc:
        _count(request, "run_code", "sandbox_error")
        return sandbox_error(str(exc))
    response = response_of(result)
    _count(request, "run_code", "language_unavailable" if result.unavailable else response.status.value)
    return response


@router.post("/run_code", response_model=RunCodeResponse, responses={504: {"model": ErrorDetail}})
async def run_code_endpoint(body: RunCodeRequest, request: Request) -> RunCodeResponse:
    return await run_code(body, request)


# --- /submit --------------------------------------------------------------------------------------------
class TestInput(BaseModel):
    model_config = ConfigDict(extra="ignore")
    stdin: str | None = None


class TestOutput(BaseModel):
    model_config = ConfigDict(extra="ignore")
    stdout: str | None = None


class ProvidedTest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    input: TestInput | dict[str, Any] = Field(default_factory=TestInput)
    output: TestOutput | dict[str, Any] = Field(default_factory=TestOutput)


class SubmitExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    run_all_cases: bool = False
    return_full_case: bool = False
    compare: Literal["sandbox_fusion", "referee"] = "sandbox_fusion"
    """Referee's addition: ``referee`` compares line by line and token by token, exactly."""


class SubmitConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")
    language: SandboxFusionLanguage | None = None
    locale: str | None = None
    compile_timeout: float | None = Field(default=10, gt=0)
    run_timeout: float | None = Field(default=10, gt=0)
    memory_limit_MB: int | None = -1
    dataset_type: str | None = None
    provided_data: dict[str, Any] | None = None
    extra: SubmitExtra | None = Field(default_factory=SubmitExtra)
    custom_extract_logic: str | None = None
    is_fewshot: bool | None = False


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    dataset: str = ""
    id: int | str = 0
    completion: str
    config: SubmitConfig


class TestResult(BaseModel):
    passed: bool
    exec_info: RunCodeResponse
    test_info: dict[str, Any] | None = None


class SubmitResult(BaseModel):
    id: int | str
    accepted: bool
    extracted_code: str
    full_code: str | None = None
    test_code: str | None = None
    tests: list[TestResult]
    extracted_type: str | None = None
    extra: dict[str, Any] | None = None


def _float(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def lenient_match(actual: str, expected: str) -> bool:
    """SandboxFusion's online-judge compare: lines stripped and lower-cased, trailing empty lines
    ignored, tokens equal or numbers within a relative 1e-5."""
    got = [line.strip().lower() for line in actual.strip().splitlines()]
    want = [line.strip().lower() for line in expected.strip().splitlines()]
    if len(got) != len(want):
        return False
    for got_line, want_line in zip(got, want, strict=True):
        if got_line == want_line:
            continue
        got_tokens, want_tokens = got_line.split(), want_line.split()
        if len(got_tokens) != len(want_tokens):
            return False
        for a, e in zip(got_tokens, want_tokens, strict=True):
            if a == e:
                continue
            x, y = _float(a), _float(e)
            if x is None or y is None or not math.isclose(x, y, rel_tol=1e-5):
                return False
    return True


def _field(value: TestInput | TestOutput | dict[str, Any], name: str) -> str:
    raw = getattr(value, name, None) if not isinstance(value, dict) else value.get(name)
    return raw if isinstance(raw, str) else ""


@router.post("/submit", response_model=SubmitResult, responses={400: {"model": ErrorDetail}})
async def submit(body: SubmitRequest, request: Request) -> SubmitResult:
    """A completion judged on the stdio tests in ``config.provided_data.test``."""
    config = body.config
    if config.custom_extract_logic:
        raise HTTPException(400, detail="custom_extract_logic runs Python on the server: Referee refuses it")
    if config.language is None:
        raise HTTPException(400, detail="config.language is required")
    tests_raw = (config.provided_data or {}).get("test")
    if not isinstance(tests_raw, list) or not tests_raw:
        raise HTTPException(
            400, detail="only provided_data.test (stdio tests in the request) is supported; registered datasets are not"
        )
    tests = [ProvidedTest.model_validate(t) for t in tests_raw]
    language = OURS.get(config.language)
    fence = {"go_test": "go"}.get(language or "", language or config.language)
    code = extract_program(body.completion, fence) or ""
    if language is None:
        results = [TestResult(passed=False, exec_info=sandbox_error(f"language not available here: {config.language}"))]
        return SubmitResult(id=body.id, accepted=False, extracted_code=code, tests=results)
    run_body = RunCodeRequest(
        code=code,
        language=config.language,
        compile_timeout=config.compile_timeout,
        run_timeout=config.run_timeout,
        memory_limit_MB=config.memory_limit_MB,
    )
    extra = config.extra or SubmitExtra()
    match = outputs_match if extra.compare == "referee" else lenient_match

    async def one(test: ProvidedTest) -> TestResult:
        info = await run_code(run_body.model_copy(update={"stdin": _field(test.input, "stdin")}), request)
        stdout = info.run_result.stdout if info.run_result else None
        passed = info.status is RunCodeStatus.SUCCESS and match(stdout or "", _field(test.output, "stdout"))
        test_info = test.model_dump() if extra.return_full_case else None
        return TestResult(passed=passed, exec_info=info, test_info=test_info)

    # Every case at once (one compile, merged by the runner); SandboxFusion stops at the first failure,
    # so unless run_all_cases the answer lists the cases up to it, as SandboxFusion's does.
    results = list(await asyncio.gather(*(one(test) for test in tests)))
    if not extra.run_all_cases:
        first_failure = next((i for i, r in enumerate(results) if not r.passed), None)
        if first_failure is not None:
            results = results[: first_failure + 1]
    accepted = all(r.passed for r in results) and len(results) == len(tests)
    return SubmitResult(id=body.id, accepted=accepted, extracted_code=code, tests=results)
