"""open-r1's E2B and Morph router wire: ``POST /execute_batch`` and ``POST /morph/execute_batch``, so that
open-r1's ``code_reward`` (``e2b_router_url`` / ``morph_router_url``) switches to Referee by changing one URL.

open-r1's clients post ``{"scripts", "languages", "timeout", "request_timeout"}`` to
``http://{router_url}/execute_batch`` (huggingface/open-r1, ``src/open_r1/utils/routed_sandbox.py`` and
``routed_morph.py``; the routers are ``scripts/e2b_router.py`` and ``scripts/morph_router.py``):

- ``e2b_router_url: host:port/t/<token>`` gets the E2B shape, one entry per script in order:
  ``{"execution": {"results", "logs", "error", "execution_count"} | null, "exception_str": str | null}``.
  The reward is ``float(execution.text)``, the Jupyter main result (the repr of the script's final bare
  expression), so a null execution is a reward of None.
- ``morph_router_url: host:port/t/<token>/morph`` gets the Morph shape, ``{"text", "exception_str"}``
  with ``text`` the main result, else stdout, as Morph's router answers. The Morph client builds its URL
  the same way, so the ``/morph`` prefix is what selects the shape.

The body is always a JSON list (open-r1's E2B client parses the body whatever the status, and anything
but a list crashes training): a script that fails, times out, asks for another language or meets a
fault of ours gets its ``exception_str``, and the batch is 200. Only a body with no ``scripts`` list to
count is 422, still with a list body.

Each script runs as a plain Python program in a hardened container (it may start ``python3``
subprocesses, as ``code_reward``'s template does) under a small runner that does what the Jupyter
kernel does with a cell: it dedents the script (the template is indented), runs every statement but the
last, and evaluates a final bare expression, whose ``repr`` is the main result (None is no result).
The runner sends that result, or the exception, after a random marker line that the host makes per
request and strips from stdout. A script can print the marker itself, which only fools its own result:
on this wire the caller computes the reward from what the script says, so Referee's unforgeable
verdicts apply only through ``/v1/score``.

Limits: ``timeout`` is the wall time of each script, clamped to [1, 60] s (E2B's client sends 30,
Morph's 90); 1024 MB of memory per process; ``request_timeout`` is the client's own and is ignored.
Differences from a Jupyter kernel: the result is ``repr``, not IPython's pretty printer (equal for
numbers and short values); tracebacks are Python's, without IPython's colours; no IPython magics.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graders.code.executor import RunOutcome
from graders.errors import InfrastructureError
from service.programs import Program, ProgramResult, ProgramRunner, QueueTimeout

__all__ = [
    "BatchRequest",
    "E2BEntry",
    "E2BExecution",
    "MorphEntry",
    "entry_of",
    "morph_entry",
    "router",
    "runner_source",
    "split_report",
]

log = logging.getLogger("referee.service")
router = APIRouter(tags=["open-r1"])

MIN_TIME_S = 1.0
MAX_TIME_S = 60.0
MEMORY_MB = 1024
PYTHON_NAMES = ("python", "python3", "py")
SCRIPT_FILE = "script.py"


class BatchRequest(BaseModel):
    """What open-r1's routed clients send. Morph's own router reads one ``language``; both are accepted."""

    model_config = ConfigDict(extra="ignore")

    scripts: list[Any]
    languages: list[Any] | None = None
    language: str | None = None
    timeout: float = Field(default=30, allow_inf_nan=False)
    request_timeout: float | None = None

    def language_of(self, index: int) -> Any:
        if self.languages is not None and index < len(self.languages):
            return self.languages[index]
        return self.language or "python"


class E2BResult(BaseModel):
    text: str
    is_main_result: bool = True


class E2BLogs(BaseModel):
    stdout: list[str]
    stderr: list[str]


class E2BError(BaseModel):
    name: str
    value: str
    traceback: str


class E2BExecution(BaseModel):
    """``e2b_code_interpreter.models.Execution`` as JSON: open-r1 builds one from each field."""

    results: list[E2BResult]
    logs: E2BLogs
    error: E2BError | None = None
    execution_count: int = 1


class E2BEntry(BaseModel):
    execution: E2BExecution | None
    exception_str: str | None = None


class MorphEntry(BaseModel):
    text: str | None
    exception_str: str | None = None


def _failed(message: str) -> E2BEntry:
    return E2BEntry(execution=None, exception_str=message)


# --- the runner (runs inside the box: standard library only, Python 3.8+) ------------------------------
_RUNNER = r"""
import ast, builtins, json, linecache, os, sys, textwrap, traceback, types

MARKER = __MARKER__
CELL = "<cell>"


def report(fd, payload):
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass
    data = (MARKER + json.dumps(payload) + "\n").encode("utf-8", "replace")
    while data:
        data = data[os.write(fd, data):]


def error_of(exc):
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CELL:
        tb = tb.tb_next  # the runner's own frames are not the cell's
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    try:
        value = str(exc)
    except Exception:
        value = "<unprintable>"
    return {"name": type(exc).__name__, "value": value, "traceback": text}


def quiet(source):
    lines = [line for line in source.rstrip().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and lines[-1].rstrip().endswith(";")


def run(source):
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = module
    sys.argv = [""]
    tree = ast.parse(source, CELL)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
    exec(compile(tree, CELL, "exec"), module.__dict__)
    if last is None:
        return None
    value = eval(compile(ast.Expression(last.value), CELL, "eval"), module.__dict__)
    return None if value is None or quiet(source) else repr(value)


def main():
    fd = os.dup(1)  # the script may close or replace its stdout; the report still gets out
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, __SCRIPT__), encoding="utf-8", errors="replace") as file:
        source = textwrap.dedent(file.read())
    linecache.cache[CELL] = (len(source), None, source.splitlines(True), CELL)
    try:
        payload = {"result": run(source)}
    except BaseException as exc:  # SystemExit too: a cell that exits is an error in Jupyter
        payload = {"error": error_of(exc)}
    report(fd, payload)
    os._exit(0)  # the cell is done: threads it left running do not hold the answer


main()
"""


def runner_source(marker: str) -> str:
    """The runner program for one request, its result marker embedded."""
    return _RUNNER.replace("__MARKER__", repr(marker)).replace("__SCRIPT__", repr(SCRIPT_FILE))


def new_marker() -> str:
    """A marker no script can predict, made per request."""
    return f"\x1e__referee_result_{secrets.token_hex(16)}__"


def split_report(stdout: str, marker: str) -> tuple[str, dict[str, Any] | None]:
    """The script's own stdout, and the runner's report after the last marker (None when absent)."""
    at = stdout.rfind(marker)
    if at < 0:
        return stdout, None
    line, _, rest = stdout[at + len(marker) :].partition("\n")
    try:
        report = json.loads(line)
    except ValueError:
        return stdout, None
    if not isinstance(report, dict):
        return stdout, None
    return stdout[:at] + rest, report


def program_of(script: str, marker: str, timeout: float) -> Program:
    """The script under the runner: ``timeout`` is its wall (and CPU) limit, clamped to [1, 60] s."""
    encoded = base64.b64encode(script.encode("utf-8", "replace")).decode()
    return Program(
        language="python",
        code=runner_source(marker),
        files=((SCRIPT_FILE, encoded),),
        time_s=min(max(timeout, MIN_TIME_S), MAX_TIME_S),
        memory_mb=MEMORY_MB,
    )


def _error(report: dict[str, Any]) -> E2BError | None:
    raw = report.get("error")
    if not isinstance(raw, dict):
        return None
    return E2BError(**{key: str(raw.get(key, "")) for key in ("name", "value", "traceback")})


def _no_report_error(run: RunOutcome) -> E2BError:
    """Why a script that did not time out never finished its cell: memory, output, or its process ended."""
    if run.status == "memory":
        return E2BError(name="MemoryError", value=f"the script went over {MEMORY_MB} MB", traceback="")
    if run.status == "output_limit":
        return E2BError(name="OutputLimitExceeded", value="the script printed too much and was killed", traceback="")
    how = f"signal {run.signal}" if run.signal is not None else f"exit code {run.exit_code}"
    return E2BError(name="ProcessExit", value=f"the script ended its process ({how}) before its cell", traceback="")


def entry_of(result: ProgramResult, marker: str) -> E2BEntry:
    """A run of the runner in E2B's terms."""
    if result.unavailable or result.run is None:
        return _failed(f"the sandbox could not run python: {result.unavailable or result.compile_output}")
    run = result.run
    if run.status == "timeout":
        return _failed("timeout")
    stdout, report = split_report(run.stdout or "", marker)
    logs = E2BLogs(stdout=stdout.splitlines(keepends=True), stderr=run.stderr.splitlines(keepends=True))
    if report is None:
        return E2BEntry(execution=E2BExecution(results=[], logs=logs, error=_no_report_error(run)))
    error = _error(report)
    text = report.get("result")
    results = [E2BResult(text=text)] if error is None and isinstance(text, str) else []
    return E2BEntry(execution=E2BExecution(results=results, logs=logs, error=error))


def morph_entry(entry: E2BEntry) -> MorphEntry:
    """Morph's router's answer: the main result, else stdout; an error or empty run says why."""
    execution = entry.execution
    if execution is None:
        return MorphEntry(text=None, exception_str=entry.exception_str)
    main = next((r.text for r in execution.results if r.is_main_result), None)
    text = main if main else "".join(execution.logs.stdout)
    if execution.error is not None:
        return MorphEntry(text=text, exception_str=f"{execution.error.name}: {execution.error.value}")
    return MorphEntry(text=text, exception_str=None if text else "No output from execution")


def _outcome(entry: E2BEntry) -> str:
    if entry.execution is None:
        return "timeout" if entry.exception_str == "timeout" else "failed"
    return "error" if entry.execution.error else "ok"


def _count(request: Request, outcome: str) -> None:
    request.app.state.service.metrics.wire_requests.labels("execute_batch", outcome).inc()


def _parallel(runner: ProgramRunner) -> int:
    """How many of a batch's scripts go to the runner at once: as many as it runs at a time. The rest
    wait here, not in the runner's queue, whose budget (``REFEREE_WIRE_QUEUE_S``) would otherwise fail
    the tail of a batch longer than the pool (open-r1 sends one script per completion)."""
    return runner.slots()


async def _one(request: Request, body: BatchRequest, index: int, marker: str, gate: asyncio.Semaphore) -> E2BEntry:
    script, language = body.scripts[index], body.language_of(index)
    if not isinstance(script, str):
        entry, outcome = _failed(f"scripts[{index}] is not a string"), "invalid"
    elif not isinstance(language, str) or language.lower() not in PYTHON_NAMES:
        entry, outcome = (
            _failed(f"language not available here: {language!r} (Referee runs python)"),
            "language_unavailable",
        )
    else:
        runner: ProgramRunner = request.app.state.service.programs
        try:
            async with gate:
                result = await runner.run(program_of(script, marker, body.timeout))
        except (QueueTimeout, InfrastructureError) as exc:
            log.warning("execute_batch: script %d not run: %s", index, exc)
            entry, outcome = _failed(f"sandbox error: {exc}"), "sandbox_error"
        else:
            entry = entry_of(result, marker)
            outcome = _outcome(entry)
    _count(request, outcome)
    return entry


class _Unreadable(Exception):
    """A body with no ``scripts`` list: there is nothing to answer one by one."""


async def _batch(request: Request) -> list[E2BEntry]:
    """Every script of the body, concurrently, in order. A body that fails validation is answered per
    script when its ``scripts`` can be counted; otherwise ``_Unreadable``."""
    try:
        raw = await request.json()
    except ValueError:
        raw = None
    try:
        body = BatchRequest.model_validate(raw)
    except ValidationError as exc:
        _count(request, "invalid")
        reason = "invalid request: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        scripts = raw.get("scripts") if isinstance(raw, dict) else None
        if not isinstance(scripts, list):
            raise _Unreadable(reason) from exc
        return [_failed(reason) for _ in scripts]
    marker = new_marker()
    gate = asyncio.Semaphore(_parallel(request.app.state.service.programs))
    jobs = (_one(request, body, index, marker, gate) for index in range(len(body.scripts)))
    return list(await asyncio.gather(*jobs))


def _unreadable(entry: E2BEntry | MorphEntry) -> JSONResponse:
    """422, with a list body still: open-r1's E2B client parses the body whatever the status."""
    return JSONResponse([entry.model_dump()], status_code=422)


@router.post("/execute_batch", response_model=list[E2BEntry], responses={422: {"model": list[E2BEntry]}})
async def execute_batch(request: Request) -> Any:
    """open-r1's E2B router: one ``Execution`` (or a null one with ``exception_str``) per script."""
    try:
        return await _batch(request)
    except _Unreadable as exc:
        return _unreadable(_failed(str(exc)))


@router.post("/morph/execute_batch", response_model=list[MorphEntry], responses={422: {"model": list[MorphEntry]}})
async def morph_execute_batch(request: Request) -> Any:
    """open-r1's Morph router: ``{"text", "exception_str"}`` per script."""
    try:
        entries = await _batch(request)
    except _Unreadable as exc:
        return _unreadable(MorphEntry(text=None, exception_str=str(exc)))
    return [morph_entry(entry) for entry in entries]
