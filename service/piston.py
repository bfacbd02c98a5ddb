"""Piston's wire: ``GET /api/v2/runtimes`` and ``POST /api/v2/execute``, so that a Piston client (open-r1's
``PistonClient``, whose base URLs end in ``/api/v2``) switches to Referee by changing one URL.

Shapes and semantics are Piston's (engineer-man/piston ``api/src/api/v2.js``, ``job.js``): ``files[0]``
(strictly, the first utf8 file) is the program and the others are written beside it, ``stdin`` gets a
trailing newline when it has none, times are ms and sizes bytes, a stage has ``code`` (null when killed)
and a ``status`` RE|SG|TO|OL, a failed compile has no run stage so ``run`` repeats ``compile``, request
errors are 400 ``{"message"}``. Programs run as plain programs in the hardened containers, as on the
other execution wires; the caller decides the reward from stdout, so Referee's unforgeable verdicts apply
only through ``/v1/score``.

Also emulated: the ``codeforces`` package open-r1's ``cf_code_reward`` installs (guipenedo/piston,
``packages/codeforces/1.0.0``): languages ``c++17`` and ``python3`` (alias ``cf_python3``) that run a
solution on ``input.txt`` under ``grader_config``'s limits and print ``1`` or ``0``. Unlike the package,
a ``checker.py`` runs in a box of its own, so the solution cannot rewrite it. ``cms_ioi`` (IOI tasks with
graders, managers and communication) is not built: it is an unknown runtime (400).

Departures from Piston: a request that waited too long for a sandbox (or found none) is 503 with a
message, and a sandbox fault 500 with a message (Piston queues without limit and answers its faults with
an empty 500; open-r1's client retries any non-200 either way); stderr is capped at 16 KiB without a
kill, so there is no ``EL``; only the main file is compiled (Piston's gcc package compiles every utf8
file); version ranges are ``*``, exact or partial versions (``3``, ``3.11``, ``3.x``), not semver
operators; ``output`` is stdout then stderr, not interleaved.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import re
import signal
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graders.code.executor import RunOutcome
from graders.code.languages import plain_recipe
from graders.errors import InfrastructureError
from service.programs import Program, ProgramResult, ProgramRunner, QueueTimeout

__all__ = [
    "ExecuteRequest",
    "ExecuteResponse",
    "GraderConfig",
    "RUNTIMES",
    "Runtime",
    "Stage",
    "checker_accepts",
    "find_runtime",
    "memory_mb",
    "package_tokens",
    "router",
    "version_matches",
]

log = logging.getLogger("referee.service")
router = APIRouter(tags=["Piston"])

MAX_FILES_BYTES = 16 * 1024 * 1024
MAX_TIME_S = 60.0
MAX_COMPILE_S = 30.0
DEFAULT_RUN_MS = 3000
"""Piston's default ``run_timeout`` (config.js)."""
DEFAULT_COMPILE_MS = 10000
DEFAULT_MEMORY_MB = 1024
MEMORY_RANGE_MB = (32, 8192)


# --- runtimes ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Runtime:
    """One Piston runtime: its name, version and aliases as Piston lists them, and what runs it here."""

    language: str
    version: str
    aliases: tuple[str, ...]
    ours: str
    """The ``plain_recipe`` language that runs it (and must be in the image)."""
    runtime: str | None = None
    """Piston's ``runtime`` field: the package providing the language when it is not its own."""
    codeforces: bool = False

    def listing(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"language": self.language, "version": self.version, "aliases": list(self.aliases)}
        if self.runtime is not None:
            entry["runtime"] = self.runtime
        return entry


CODEFORCES_VERSION = "1.0.0"
RUNTIMES: tuple[Runtime, ...] = (
    Runtime("python", "3.11.2", ("py", "py3", "python3", "python3.11"), "python"),
    Runtime("c++", "12.2.0", ("cpp", "g++"), "cpp", runtime="gcc"),
    Runtime("c", "12.2.0", ("gcc",), "c", runtime="gcc"),
    Runtime("java", "17.0.19", ("java17",), "java"),
    Runtime("javascript", "18.20.4", ("node-javascript", "node-js", "js", "node", "nodejs"), "javascript", "node"),
    Runtime("typescript", "0.17.0", ("ts", "node-ts"), "typescript", runtime="esbuild"),
    Runtime("go", "1.19.8", ("golang",), "go"),
    Runtime("rust", "1.85.0", ("rs",), "rust"),
    Runtime("bash", "5.2.15", ("sh",), "bash"),
    Runtime(
        "c++17",
        CODEFORCES_VERSION,
        ("C++17 (GCC 7-32)", "C++17 (GCC 9-64)", "cf_c++17-32", "cf_c++17-64"),
        "cpp",
        runtime="codeforces",
        codeforces=True,
    ),
    Runtime("python3", CODEFORCES_VERSION, ("Python 3", "cf_python3"), "python", runtime="codeforces", codeforces=True),
)
"""Debian bookworm's versions as the image holds them (TypeScript is esbuild's type stripping on Node 18,
so its version is esbuild's). ``c++17`` and ``python3`` are the ``codeforces`` package's languages."""


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def version_matches(wanted: str, version: str) -> bool:
    """Piston takes a semver range; here ``*``, an exact version, or a prefix of one (``3``, ``3.11``, ``3.x``)."""
    wanted = wanted.strip()
    if wanted in ("*", "x", "X", ""):
        return True
    parts, have = wanted.split("."), version.split(".")
    if len(parts) > len(have):
        return False
    return all(p in ("*", "x", "X") or p == h for p, h in zip(parts, have, strict=False))


def find_runtime(language: str, version: str, available: Collection[str]) -> Runtime | None:
    """The latest runtime named or aliased ``language`` whose version matches, among those the image
    holds. As in Piston, ``python3`` is the Python runtime (3.11.2 is later than codeforces' 1.0.0)."""
    matches = [
        rt
        for rt in RUNTIMES
        if rt.ours in available and (language == rt.language or language in rt.aliases)
        if version_matches(version, rt.version)
    ]
    return max(matches, key=lambda rt: _version_key(rt.version), default=None)


# --- the wire's models ------------------------------------------------------------------------------------
class PistonFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    content: str
    encoding: str = "utf8"
    """utf8, base64 or hex; Piston reads anything else as utf8."""


class ExecuteRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language: str = Field(min_length=1)
    version: str = Field(min_length=1)
    """``*`` or a version; required, as in Piston."""
    files: list[PistonFile]
    stdin: str | None = None
    args: list[str] | None = None
    compile_timeout: float | None = None
    run_timeout: float | None = None
    compile_cpu_time: float | None = None
    run_cpu_time: float | None = None
    compile_memory_limit: float | None = None
    run_memory_limit: float | None = None


class Stage(BaseModel):
    """One stage (compile or run) as Piston reports it: ms, bytes, ``code`` null when killed."""

    stdout: str
    stderr: str
    output: str
    code: int | None
    signal: str | None
    message: str | None
    status: str | None
    cpu_time: int | None
    wall_time: int | None
    memory: int | None


class ExecuteResponse(BaseModel):
    language: str
    version: str
    run: Stage
    compile: Stage | None = None
    """Only for compiled runtimes (and always for ``codeforces``, whose callers read ``compile.code``)."""

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude={"compile"} if self.compile is None else set())


class PistonMessage(BaseModel):
    message: str


class PistonError(Exception):
    """A request answered with Piston's error shape, ``{"message": ...}``."""

    def __init__(self, status: int, message: str, outcome: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.outcome = outcome


def _bad_request(message: str) -> PistonError:
    return PistonError(400, message, "bad_request")


async def _request_body(request: Request) -> ExecuteRequest:
    """The body, with Piston's 400 ``{"message"}`` for what it refuses (FastAPI would answer 422)."""
    try:
        raw = await request.json()
    except ValueError as exc:
        raise _bad_request("the body is not valid JSON") from exc
    try:
        return ExecuteRequest.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise _bad_request(f"{where}: {error['msg']}") from exc


# --- files and limits -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Files:
    """The program (the first utf8 file) and the other files by name, decoded."""

    main: str
    others: dict[str, bytes]


def _safe_name(name: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise _bad_request(f'File path "{name[:100]}" is not a relative path inside the box')
    return name


def _decode(file: PistonFile, index: int) -> bytes:
    try:
        if file.encoding == "base64":
            return base64.b64decode(file.content)
        if file.encoding == "hex":
            return bytes.fromhex(file.content)
    except (binascii.Error, ValueError) as exc:
        raise _bad_request(f"files[{index}].content is not valid {file.encoding}") from exc
    return well_formed(file.content).encode()


_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    """JSON may carry lone surrogates, which UTF-8 cannot: they become U+FFFD, as in Node's ``Buffer``."""
    return _SURROGATE.sub("\ufffd", text)


def split_files(files: list[PistonFile]) -> Files:
    """Piston's file handling: unnamed files are ``file<i>.code``, paths stay inside the box, and the
    program is the first utf8 file (Piston runs ``code_files[0]``)."""
    main_index = next((i for i, f in enumerate(files) if f.encoding not in ("base64", "hex")), None)
    if main_index is None:
        raise _bad_request("files must include at least one utf8 encoded file")
    others: dict[str, bytes] = {}
    total = 0
    for index, file in enumerate(files):
        name = _safe_name(file.name or f"file{index}.code")
        data = _decode(file, index)
        total += len(data)
        if index != main_index:
            others[name] = data
    if total > MAX_FILES_BYTES:
        raise _bad_request(f"files hold {total} bytes, over {MAX_FILES_BYTES}")
    return Files(main=well_formed(files[main_index].content), others=others)


def _blobs(files: dict[str, bytes]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, base64.b64encode(data).decode()) for name, data in files.items()))


def _limit_ms(body: ExecuteRequest, name: str, default: float) -> float:
    """A Piston time limit: absent or 0 means the default (``if (!value)`` in v2.js), negative is 400."""
    value = getattr(body, name)
    if not value:
        return default
    if value < 0:
        raise _bad_request(f"{name} must be non-negative")
    return float(value)


def run_seconds(body: ExecuteRequest) -> float:
    """``run_timeout`` (wall) or a smaller ``run_cpu_time``, in seconds, clamped to (0, 60]: Referee's one
    limit is both the CPU and the wall-clock limit."""
    limit_ms = _limit_ms(body, "run_timeout", DEFAULT_RUN_MS)
    if body.run_cpu_time:
        limit_ms = min(limit_ms, _limit_ms(body, "run_cpu_time", DEFAULT_RUN_MS))
    return min(max(limit_ms / 1000, 0.001), MAX_TIME_S)


def compile_seconds(body: ExecuteRequest) -> float:
    return min(max(_limit_ms(body, "compile_timeout", DEFAULT_COMPILE_MS) / 1000, 0.001), MAX_COMPILE_S)


def memory_mb(limit_bytes: float | None) -> int:
    """``run_memory_limit`` in bytes: absent or negative (Piston's -1) means 1024 MB; else clamped to [32, 8192]."""
    if limit_bytes is None or limit_bytes <= 0:
        return DEFAULT_MEMORY_MB
    return min(max(math.ceil(limit_bytes / (1024 * 1024)), MEMORY_RANGE_MB[0]), MEMORY_RANGE_MB[1])


def _with_newline(stdin: str | None) -> str:
    """Piston's job.js adds a trailing newline to stdin when it has none (so "" becomes "\\n")."""
    stdin = stdin or ""
    return stdin if stdin.endswith("\n") else stdin + "\n"


# --- stages -----------------------------------------------------------------------------------------------
def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None


def _ms(value: float | None) -> int | None:
    return None if value is None else round(value)


def compile_stage(result: ProgramResult) -> Stage:
    """The compile as a stage; Referee keeps the compiler's stdout and stderr together, in ``stderr``."""
    code = result.compile_exit_code
    text = result.compile_output
    common: dict[str, Any] = {"stdout": "", "stderr": text, "output": text, "cpu_time": None, "memory": None}
    wall = _ms(result.compile_ms)
    if result.compile_timed_out:
        return Stage(**common, code=None, signal="SIGKILL", status="TO", message="Time limit exceeded", wall_time=wall)
    if code is None:
        return Stage(**common, code=None, signal=None, status="SG", message="The compiler was killed", wall_time=wall)
    status, message = (None, None) if code == 0 else ("RE", f"Exited with error status {code}")
    return Stage(**common, code=code, signal=None, status=status, message=message, wall_time=wall)


def run_stage(run: RunOutcome) -> Stage:
    """A run as a stage: TO and OL are SIGKILL with a null code, as in Piston; a crash is SG (its signal)
    or RE (its exit code); running out of memory is one of those, named in ``message``."""
    stdout = run.stdout or ""
    common: dict[str, Any] = {
        "stdout": stdout,
        "stderr": run.stderr,
        "output": stdout + run.stderr,
        "cpu_time": _ms(run.cpu_ms),
        "wall_time": _ms(run.wall_ms),
        "memory": run.max_rss_kb * 1024,
    }
    if run.status == "timeout":
        return Stage(**common, code=None, signal="SIGKILL", status="TO", message="Time limit exceeded")
    if run.status == "output_limit":
        return Stage(**common, code=None, signal="SIGKILL", status="OL", message="stdout length exceeded")
    note = " (memory limit exceeded)" if run.status == "memory" else ""
    if run.signal is not None:
        message = f"Caught fatal signal {run.signal}{note}"
        return Stage(**common, code=None, signal=_signal_name(run.signal), status="SG", message=message)
    code = run.exit_code if run.exit_code is not None else (0 if run.status == "ok" else 1)
    if code == 0 and run.status == "ok":
        return Stage(**common, code=0, signal=None, status=None, message=None)
    code = code or 1
    return Stage(**common, code=code, signal=None, status="RE", message=f"Exited with error status {code}{note}")


# --- plain runtimes ---------------------------------------------------------------------------------------
async def _run(runner: ProgramRunner, program: Program, stdin: str) -> ProgramResult:
    """The runner's result; its faults in Piston's error shape (500, and 503 for the queue timeout)."""
    try:
        result = await runner.run(program, stdin)
    except QueueTimeout as exc:
        raise PistonError(503, f"{exc}; retry", "queue_timeout") from exc
    except InfrastructureError as exc:
        log.warning("piston: sandbox fault: %s", exc)
        raise PistonError(500, f"sandbox fault: {exc}", "sandbox_error") from exc
    if result.unavailable:
        raise PistonError(500, f"sandbox fault: {result.unavailable}", "sandbox_error")
    return result


def _no_clash(language: str, code: str, names: Collection[str]) -> None:
    """Extra files are written after the program: one with the program's own file name would replace it."""
    clash = sorted(set(plain_recipe(language, code, DEFAULT_MEMORY_MB).files) & set(names))
    if clash:
        raise _bad_request(f"files: {clash[0]!r} is where the program itself is written; rename that file")


def plain_program(body: ExecuteRequest, runtime: Runtime) -> Program:
    """The request as a ``Program``: the first utf8 file is the program, the others go beside it."""
    files = split_files(body.files)
    _no_clash(runtime.ours, files.main, files.others)
    return Program(
        language=runtime.ours,
        code=files.main,
        time_s=run_seconds(body),
        memory_mb=memory_mb(body.run_memory_limit),
        compile_time_s=compile_seconds(body),
        args=tuple(body.args or ()),
        files=_blobs(files.others),
    )


async def execute_plain(body: ExecuteRequest, runtime: Runtime, runner: ProgramRunner) -> ExecuteResponse:
    """One program on one stdin, as Piston runs it."""
    result = await _run(runner, plain_program(body, runtime), _with_newline(body.stdin))
    compile_ = compile_stage(result) if result.has_compile else None
    if result.compiled and result.run is not None:
        run = run_stage(result.run)
    elif compile_ is not None:
        run = compile_  # Piston's v2.js: "Backward compatibility when the run stage is not started"
    else:
        raise PistonError(500, "sandbox fault: neither a compile nor a run came back", "sandbox_error")
    return ExecuteResponse(language=runtime.language, version=runtime.version, compile=compile_, run=run)


# --- the codeforces package -------------------------------------------------------------------------------
CHECKER_ARGS = ("input.txt", "correct_output.txt", "solution_output.txt")
CHECKER_TIME_S = 15.0
CHECKER_MEMORY_MB = 1024
PACKAGE_FILES = frozenset({"checker.py", "input.txt", "correct_output.txt", "grader_config"})
ONLINE_JUDGE = '#define ONLINE_JUDGE\n#line 1 "main.cpp"\n'
"""The package compiles with ``-DONLINE_JUDGE``; a define before the source (line numbers kept) does the
same without another compile recipe, and g++ still uses the precompiled ``<bits/stdc++.h>``."""
PYTHON_COMPILE = Stage(
    stdout="Skipping compile - python3\n",
    stderr="",
    output="Skipping compile - python3\n",
    code=0,
    signal=None,
    message=None,
    status=None,
    cpu_time=0,
    wall_time=0,
    memory=0,
)
"""What the package's compile script says for Python; open-r1 reads ``compile.code`` for every language."""


@dataclass(frozen=True, slots=True)
class GraderConfig:
    """``grader_config`` (sourced by the package's bash script): seconds, MB, ``stdio`` or ``file``."""

    time_limit: float | None = None
    memory_limit: float | None = None
    input_mode: str = "stdio"

    @classmethod
    def parse(cls, text: str) -> GraderConfig:
        values: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep and key.strip().isidentifier():
                values[key.strip()] = value.strip().strip("\"'")
        return cls(
            time_limit=_positive(values.get("TIME_LIMIT")),
            memory_limit=_positive(values.get("MEMORY_LIMIT")),
            input_mode=values.get("INPUT_MODE") or "stdio",
        )


def _positive(text: str | None) -> float | None:
    """A limit from the config; open-r1 writes Python's ``None`` for a missing one, which is no limit."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _unix(text: str) -> str:
    """``sed 's/\\r$//'``: a carriage return ending a line goes."""
    return re.sub(r"\r(?=\n|$)", "", text)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


_YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


def package_tokens(text: str) -> list[str]:
    """The package's ``normalize_output``: yes/no as whole words in any case are equal, and all
    whitespace (newlines included) is one separator."""
    return _YES_NO.sub(lambda m: m.group(1).upper(), text).split()


def checker_accepts(stdout: str) -> bool:
    """A checker passes the output when its first token is 1 or 100 (a 0/1 verdict or a percentage)."""
    tokens = stdout.split()
    if not tokens:
        return False
    try:
        return float(tokens[0]) in (1.0, 100.0)
    except ValueError:
        return False


def _package_stage(stdout: str, stderr: str, code: int, run: RunOutcome) -> Stage:
    """The package script's own run: what it prints, its exit code, the solution's resources."""
    status, message = (None, None) if code == 0 else ("RE", f"Exited with error status {code}")
    return Stage(
        stdout=stdout,
        stderr=stderr,
        output=stdout + stderr,
        code=code,
        signal=None,
        message=message,
        status=status,
        cpu_time=_ms(run.cpu_ms),
        wall_time=_ms(run.wall_ms),
        memory=run.max_rss_kb * 1024,
    )


def solution_failure(run: RunOutcome, time_s: float, memory: int) -> Stage | None:
    """A solution that did not end cleanly, as the package reports it: "0", and the script exits 124
    (time), 134 (memory), 153 (output: SIGXFSZ's 128+25) or the solution's exit code (128+signal)."""
    if run.status == "ok":
        return None
    if run.status == "timeout":
        code, why = 124, f"Time limit exceeded ({time_s:g}s)"
    elif run.status == "memory":
        code, why = 134, f"Memory limit exceeded ({memory}MB)"
    elif run.status == "output_limit":
        code, why = 153, "Output limit exceeded"
    else:
        code = run.exit_code or (128 + run.signal if run.signal else 1)
        why = f"Runtime error with exit code {code}"
    return _package_stage("0\n", run.stderr + why + "\n", code, run)


async def _checker_verdict(
    runner: ProgramRunner, source: str, input_text: str, expected: str, output: str
) -> tuple[bool, str]:
    """``python3 checker.py input.txt correct_output.txt solution_output.txt`` in a box of its own: the
    solution never shares a box with the checker, so it cannot rewrite it (in the package it could)."""
    files = {"input.txt": input_text, "correct_output.txt": expected, "solution_output.txt": output}
    program = Program(
        language="python",
        code=source,
        time_s=CHECKER_TIME_S,
        memory_mb=CHECKER_MEMORY_MB,
        args=CHECKER_ARGS,
        files=_blobs({name: text.encode() for name, text in files.items()}),
    )
    result = await _run(runner, program, "")
    run = result.run
    if run is None:
        raise PistonError(500, "sandbox fault: the checker did not run", "sandbox_error")
    said = (run.stdout or "").strip()[:200]
    if run.status != "ok":
        return False, f"Checker failed ({run.status}): {run.stderr[-300:].strip() or said}"
    accepted = checker_accepts(run.stdout or "")
    return accepted, f"{_verdict_words(accepted)} (checker: {said!r})"


def _verdict_words(accepted: bool) -> str:
    return "Output is correct" if accepted else "Output isn't correct"


@dataclass(frozen=True, slots=True)
class CodeforcesTask:
    """What the package reads from the request's files."""

    solution: str
    input_text: str
    expected: str | None
    checker: str | None
    config: GraderConfig
    extras: dict[str, bytes]


def codeforces_task(body: ExecuteRequest) -> CodeforcesTask:
    files = split_files(body.files)
    others = files.others
    expected = others.get("correct_output.txt")
    checker = others.get("checker.py")
    return CodeforcesTask(
        solution=files.main,
        input_text=_unix(_text(others.get("input.txt", b""))),
        # `echo "$(cat correct_output.txt)"`: trailing newlines become one; then `sed 's/\r$//'`
        expected=None if expected is None else _unix(_text(expected).rstrip("\n") + "\n"),
        checker=None if checker is None else _text(checker),
        config=GraderConfig.parse(_text(others.get("grader_config", b""))),
        extras={name: data for name, data in others.items() if name not in PACKAGE_FILES},
    )


def codeforces_program(body: ExecuteRequest, runtime: Runtime, task: CodeforcesTask) -> Program:
    """The solution under ``TIME_LIMIT`` and ``MEMORY_LIMIT`` (else the request's limits). In ``file`` mode
    it reads ``input.txt`` and writes ``output.txt``; in ``stdio`` mode ``input.txt`` is not in its box
    (the package moves it away), and neither are the checker and the expected output."""
    config = task.config
    time_s = min(config.time_limit, MAX_TIME_S) if config.time_limit else run_seconds(body)
    memory = memory_mb(config.memory_limit * 1024 * 1024 if config.memory_limit else body.run_memory_limit)
    extras = dict(task.extras)
    if config.input_mode == "file":
        extras["input.txt"] = task.input_text.encode()
    source = ONLINE_JUDGE + task.solution if runtime.ours == "cpp" else task.solution
    _no_clash(runtime.ours, source, extras)
    return Program(
        language=runtime.ours,
        code=source,
        time_s=time_s,
        memory_mb=memory,
        compile_time_s=compile_seconds(body),
        files=_blobs(extras),
        fetch=("output.txt",) if config.input_mode == "file" else (),
    )


def _solution_output(run: RunOutcome, file_mode: bool) -> str:
    if not file_mode:
        return run.stdout or ""
    encoded = (run.files or {}).get("output.txt")
    return _text(base64.b64decode(encoded)) if encoded else ""


async def execute_codeforces(body: ExecuteRequest, runtime: Runtime, runner: ProgramRunner) -> ExecuteResponse:
    """The package's run: compile, run the solution, then "1" when the checker (or the normalized
    comparison) accepts its output and "0" otherwise; without ``correct_output.txt``, the output itself."""
    task = codeforces_task(body)
    program = codeforces_program(body, runtime, task)
    file_mode = task.config.input_mode == "file"
    result = await _run(runner, program, "" if file_mode else task.input_text)
    compile_ = compile_stage(result) if result.has_compile else PYTHON_COMPILE

    def respond(run: Stage) -> ExecuteResponse:
        return ExecuteResponse(language=runtime.language, version=runtime.version, compile=compile_, run=run)

    if not result.compiled or result.run is None:
        return respond(compile_)
    run = result.run
    failed = solution_failure(run, program.time_s, program.memory_mb)
    if failed is not None:
        return respond(failed)
    output = _solution_output(run, file_mode)
    if task.expected is None:
        stage = _package_stage(output, run.stderr, 0, run)
        return respond(stage)
    if task.checker is not None:
        accepted, note = await _checker_verdict(runner, task.checker, task.input_text, task.expected, output)
    else:
        accepted = package_tokens(output) == package_tokens(task.expected)
        note = f"{_verdict_words(accepted)} (diff)"
    stage = _package_stage("1\n" if accepted else "0\n", run.stderr + note + "\n", 0, run)
    return respond(stage)


# --- endpoints --------------------------------------------------------------------------------------------
def _runner(request: Request) -> ProgramRunner:
    return request.app.state.service.programs  # type: ignore[no-any-return]


def _count(request: Request, outcome: str) -> None:
    request.app.state.service.metrics.wire_requests.labels("piston", outcome).inc()


async def _image_languages(request: Request) -> tuple[str, ...] | None:
    """The languages the running image holds, waiting (up to the wire's queue budget) for a sandbox
    that is still starting; None when there is no sandbox to run on."""
    service = request.app.state.service
    sandbox = service.sandbox
    if sandbox.state == "starting":
        await asyncio.to_thread(sandbox.wait, service.settings.wire_queue_s)
    if sandbox.state != "ready":
        return None
    languages: tuple[str, ...] = sandbox.image_languages
    return languages or (("python", "cpp") if sandbox.backend == "local" else ())


@router.get("/api/v2/runtimes")
async def runtimes(request: Request) -> list[dict[str, Any]]:
    """The runtimes the running image holds, in Piston's listing (empty while there is no sandbox)."""
    languages = await _image_languages(request) or ()
    return [rt.listing() for rt in RUNTIMES if rt.ours in languages]


def _outcome(response: ExecuteResponse, runtime: Runtime) -> str:
    if response.compile is not None and response.compile.code != 0:
        return "compile_error"
    if runtime.codeforces:
        return "accepted" if response.run.code == 0 and response.run.stdout.strip() == "1" else "rejected"
    return {None: "ok", "RE": "runtime_error", "SG": "signal", "TO": "timeout", "OL": "output_limit"}.get(
        response.run.status, "other"
    )


async def _execute(request: Request) -> tuple[ExecuteResponse, Runtime]:
    body = await _request_body(request)
    languages = await _image_languages(request)
    if languages is None:
        reason = request.app.state.service.sandbox.reason or "the sandbox is not ready"
        raise PistonError(503, f"no sandbox: {reason}", "no_sandbox")
    runtime = find_runtime(body.language, body.version, languages)
    if runtime is None:
        raise PistonError(400, f"{body.language}-{body.version} runtime is unknown", "unknown_runtime")
    execute = execute_codeforces if runtime.codeforces else execute_plain
    return await execute(body, runtime, _runner(request)), runtime


@router.post(
    "/api/v2/execute",
    response_model=None,
    responses={
        200: {"model": ExecuteResponse},
        400: {"model": PistonMessage},
        500: {"model": PistonMessage},
        503: {"model": PistonMessage},
    },
)
async def execute(request: Request) -> JSONResponse:
    """Run a program as Piston does. The body (``ExecuteRequest``) is read here, not by FastAPI, so that
    its errors are Piston's 400 ``{"message"}``. A queue timeout or a missing sandbox is 503 and a sandbox
    fault 500, both with a message: open-r1's client retries any non-200 that has a JSON body."""
    try:
        response, runtime = await _execute(request)
    except PistonError as exc:
        _count(request, exc.outcome)
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return JSONResponse({"message": exc.message}, status_code=exc.status, headers=headers)
    _count(request, _outcome(response, runtime))
    return JSONResponse(response.body())
