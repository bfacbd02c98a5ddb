"""The HTTP service (FastAPI): batch scoring for trainers, health, readiness and metrics.

``POST /v1/score`` takes ``{"items": [...], "reward": spec or preset}`` and answers
``{"results": [...]}`` in input order with one key set. Grading runs in worker threads that feed
the engine's process pool and the sandbox pool, so the event loop keeps answering health checks
while a batch is graded. ``create_app`` builds the app; ``referee serve`` runs it under uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field, ValidationError

from graders.code import CodeOptions
from graders.spec import COMPONENTS, PARAMS, PRESETS, RewardSpec, SpecError
from service.background_sandbox import BackgroundSandbox
from service.engine import EngineConfig, GradingEngine
from service.errors import COMMON_ERRORS, ErrorDetail
from service.open_r1 import router as open_r1_router
from service.path_tokens import PathTokens, path_token_checked, valid_token
from service.piston import router as piston_router
from service.programs import ProgramRunner
from service.sandbox_fusion import router as sandbox_fusion_router
from service.schemas import ITEM_ADAPTER, Item, Result, Status
from service.settings import Settings

__all__ = ["OpenRLHFRequest", "ScoreRequest", "ScoreResponse", "create_app"]

log = logging.getLogger("referee.service")


class ScoreRequest(BaseModel):
    items: list[dict[str, Any]]
    reward: str | dict[str, Any] | None = None


class ScoreResponse(BaseModel):
    results: list[Result]


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward model request: ``query`` is prompt + response as the model saw them."""

    query: list[str]
    prompts: list[str] = Field(default_factory=list)
    labels: list[Any] = Field(default_factory=list)
    reward: str | dict[str, Any] | None = None


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.items = Counter("referee_items", "Items scored", ["task", "status"], registry=self.registry)
        self.batches = Counter("referee_batches", "Batches answered", ["endpoint", "code"], registry=self.registry)
        self.latency = Histogram(
            "referee_batch_seconds",
            "Time to score a batch",
            ["endpoint"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.queued = Gauge("referee_queued_items", "Items accepted and not yet scored", registry=self.registry)
        self.sandbox_workers = Gauge("referee_sandbox_workers", "Live sandbox workers", registry=self.registry)
        self.grader_workers = Gauge("referee_grader_workers", "Math grader processes", registry=self.registry)
        self.cache_hits = Gauge("referee_cache_hits", "Verdicts answered from the cache", registry=self.registry)
        self.judged = Gauge(
            "referee_judged", "Grader calls made (after dedup within batches and the cache)", registry=self.registry
        )
        self.wire_requests = Counter(
            "referee_wire_requests",
            "Requests on the execution wires (SandboxFusion, Piston, open-r1) by outcome",
            ["wire", "outcome"],
            registry=self.registry,
        )
        self.runtime = Gauge(
            "referee_sandbox_runtime",
            "The sandbox containers' OCI runtime (1 for the one in use)",
            ["runtime"],
            registry=self.registry,
        )
        self.merged_runs = Gauge(
            "referee_merged_runs", "Execution-wire runs that shared another request's job", registry=self.registry
        )


class _Service:
    """What the app holds while it runs."""

    def __init__(self, settings: Settings, engine: GradingEngine, sandbox: BackgroundSandbox) -> None:
        self.settings = settings
        self.engine = engine
        self.sandbox = sandbox
        self.metrics = _Metrics()
        self.queued = 0
        self.default_reward = RewardSpec.parse(settings.default_reward)
        self.programs = ProgramRunner(sandbox, queue_s=settings.wire_queue_s)

    async def score(self, entries: list[Item | Result], reward: RewardSpec, endpoint: str) -> list[Result]:
        """Grade the valid entries in a worker thread (the event loop keeps answering); one result each, in
        order. Raises 413/429 ``HTTPException`` past the queue limit. Used by every route and Ray's handle."""
        items = [e for e in entries if isinstance(e, Item)]
        limit = self.settings.max_queued_items
        if len(items) > limit:
            raise HTTPException(413, detail=f"{len(items)} items can never fit REFEREE_MAX_QUEUED_ITEMS={limit}")
        if self.queued + len(items) > limit:
            self.metrics.batches.labels(endpoint, "429").inc()
            raise HTTPException(
                429,
                detail=f"{self.queued} items are queued (REFEREE_MAX_QUEUED_ITEMS={self.settings.max_queued_items})",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            )
        self.queued += len(items)
        self.metrics.queued.set(self.queued)
        started = time.perf_counter()
        try:
            graded = iter(await asyncio.to_thread(self.engine.grade, items, None, reward))
        finally:
            self.queued -= len(items)
            self.metrics.queued.set(self.queued)
        results = [next(graded) if isinstance(e, Item) else e for e in entries]
        self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
        self.metrics.batches.labels(endpoint, "200").inc()
        for entry, result in zip(entries, results, strict=True):
            task = entry.task if isinstance(entry, Item) and entry.task else "invalid"
            self.metrics.items.labels(task, result.status.value).inc()
        return results

    async def score_request(
        self, items: list[dict[str, Any]], reward: str | dict[str, Any] | None, endpoint: str
    ) -> list[Result]:
        """A ``/v1/score`` body's items and reward, validated as the route does (invalid items get
        ``invalid`` results; a bad spec is a 422 ``HTTPException``)."""
        return await self.score(_parse_items(items, self.settings), _spec(reward, self.default_reward), endpoint)


def _service(request: Request) -> _Service:
    return request.app.state.service  # type: ignore[no-any-return]


ServiceDep = Annotated[_Service, Depends(_service)]


def _spec(value: str | dict[str, Any] | None, default: RewardSpec) -> RewardSpec:
    if value is None:
        return default
    try:
        return RewardSpec.parse(value)
    except SpecError as exc:
        raise HTTPException(422, detail=f"reward: {exc}") from exc


def _invalid(reason: str, raw: dict[str, Any]) -> Result:
    raw_id = raw.get("id")
    return Result(
        id=raw_id if isinstance(raw_id, str | int) else None, reward=None, status=Status.INVALID, error=reason
    )


def _parse_items(raw_items: list[dict[str, Any]], settings: Settings) -> list[Item | Result]:
    """Valid items, and ``invalid`` results for the others (nothing is dropped); limits are 4xx."""
    if len(raw_items) > settings.max_items:
        raise HTTPException(413, detail=f"{len(raw_items)} items exceed REFEREE_MAX_ITEMS={settings.max_items}")
    parsed: list[Item | Result] = []
    for index, raw in enumerate(raw_items):
        completion = raw.get("completion")
        if isinstance(completion, str) and len(completion) > settings.max_completion_chars:
            raise HTTPException(
                422,
                detail=f"items[{index}].completion has {len(completion)} characters, "
                f"over REFEREE_MAX_COMPLETION_CHARS={settings.max_completion_chars}",
            )
        tests = raw.get("tests")
        cases = tests.get("cases") if isinstance(tests, dict) else None
        if isinstance(cases, list) and len(cases) > settings.max_cases:
            raise HTTPException(
                422, detail=f"items[{index}].tests has {len(cases)} cases, over REFEREE_MAX_CASES={settings.max_cases}"
            )
        try:
            parsed.append(ITEM_ADAPTER.validate_python(raw))
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
            parsed.append(_invalid(reasons, raw))
    return parsed


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sandbox = BackgroundSandbox(
            settings.sandbox, settings.sandboxes, settings.sandbox_runtime, settings.sandbox_languages
        ).start()
        config = EngineConfig(
            workers=settings.workers, timeout_s=settings.timeout_s, cache_size=settings.cache_size, code=CodeOptions()
        )
        engine = GradingEngine(config, executor=sandbox)
        app.state.service = _Service(settings, engine, sandbox)
        try:
            yield
        finally:
            engine.close()
            sandbox.close()

    app = FastAPI(
        responses=COMMON_ERRORS,
        title="Referee",
        version="0.1.0",
        summary="Rule-based, sandboxed rewards for RL on reasoning models",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        """Refuse a body over REFEREE_MAX_BODY_BYTES from its Content-Length, before reading it."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > settings.max_body_bytes:
            detail = f"the body has {length} bytes, over REFEREE_MAX_BODY_BYTES={settings.max_body_bytes}"
            return JSONResponse({"detail": detail}, status_code=413)
        return await call_next(request)

    app.add_middleware(PathTokens, tokens=settings.tokens)

    def authorized(request: Request) -> None:
        if not settings.tokens or path_token_checked(request.scope):
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not (scheme.lower() == "bearer" and valid_token(token, settings.tokens)):
            raise HTTPException(401, detail="a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    busy: dict[int | str, dict[str, Any]] = {
        429: {"model": ErrorDetail, "description": "too many items queued; retry after Retry-After"}
    }

    @app.post("/v1/score", response_model=ScoreResponse, dependencies=[Depends(authorized)], responses=busy)
    async def score_batch(body: ScoreRequest, svc: ServiceDep) -> ScoreResponse:
        """Score a batch: one result per item, in order, with the same component keys for all."""
        reward = _spec(body.reward, svc.default_reward)
        return ScoreResponse(results=await svc.score(_parse_items(body.items, svc.settings), reward, "score"))

    @app.post("/v1/openrlhf", dependencies=[Depends(authorized)], responses=busy)
    async def openrlhf(body: OpenRLHFRequest, svc: ServiceDep) -> dict[str, Any]:
        """OpenRLHF's ``--remote_rm_url``: rewards for prompt+response queries, with per-component logs."""
        reward = _spec(body.reward, svc.default_reward)
        raw = [openrlhf_item(q, p, lab) for q, p, lab in _openrlhf_rows(body)]
        results = await svc.score(_parse_items(raw, svc.settings), reward, "openrlhf")
        rewards = [r.reward if r.reward is not None else 0.0 for r in results]
        logs: dict[str, list[float]] = {
            name: [float(r.components.get(name) or 0.0) for r in results] for name in reward.names
        }
        logs["scored"] = [1.0 if r.status is Status.OK else 0.0 for r in results]
        return {"rewards": rewards, "scores": rewards, "extra_logs": logs}

    for wire in (sandbox_fusion_router, piston_router, open_r1_router):
        app.include_router(wire, dependencies=[Depends(authorized)])

    @app.get("/v1/graders")
    async def graders(svc: ServiceDep) -> dict[str, Any]:
        """The reward components with their parameters and defaults, the presets, and the languages the
        running sandbox image holds (empty until the sandbox is ready)."""
        components = {
            name: {key: field.default for key, field in PARAMS[name].model_fields.items()} for name in COMPONENTS
        }
        languages = list(svc.sandbox.image_languages) or (["python", "cpp"] if svc.sandbox.backend == "local" else [])
        return {"components": components, "presets": PRESETS, "tasks": ["math", "code"], "languages": languages}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz(svc: ServiceDep) -> JSONResponse:
        """Ready when the grader pool is up; the sandbox is reported, and needed only when enabled."""
        sandbox = svc.sandbox.details()
        graders_ok = svc.engine.workers > 0
        ready = graders_ok and sandbox["state"] in ("ready", "off")
        not_ready = [] if ready else [n for n, ok in (("graders", graders_ok), ("sandbox", False)) if not ok]
        body = {"ready": ready, "not_ready": not_ready, "graders": {"workers": svc.engine.workers}, "sandbox": sandbox}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}})
    async def metrics(svc: ServiceDep) -> Response:
        svc.metrics.sandbox_workers.set(svc.sandbox.pool_size)
        svc.metrics.grader_workers.set(svc.engine.workers)
        svc.metrics.cache_hits.set(svc.engine.cache_hits)
        svc.metrics.judged.set(svc.engine.judged)
        svc.metrics.merged_runs.set(svc.programs.merged_runs)
        if svc.sandbox.runtime_name:
            svc.metrics.runtime.labels(svc.sandbox.runtime_name).set(1)
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _openrlhf_rows(body: OpenRLHFRequest) -> list[tuple[str, str | None, Any]]:
    count = len(body.query)
    for name, values in (("prompts", body.prompts), ("labels", body.labels)):
        if values and len(values) != count:
            raise HTTPException(422, detail=f"{name} has {len(values)} entries for {count} queries")
    prompts: list[str | None] = list(body.prompts) if body.prompts else [None] * count
    labels: list[Any] = list(body.labels) if body.labels else [None] * count
    return list(zip(body.query, prompts, labels, strict=True))


def openrlhf_item(query: str, prompt: str | None, label: Any) -> dict[str, Any]:
    """An item from OpenRLHF's row: the response is the query after its prompt; a label is the
    math reference, or a JSON object (or its text) with ``tests`` (and ``language``) for code."""
    response = query
    if prompt:
        at = query.find(prompt)
        response = query[at + len(prompt) :] if at >= 0 else query
    item: dict[str, Any] = {"completion": response, "prompt": prompt}
    if isinstance(label, str) and label.lstrip().startswith("{"):
        try:
            label = json.loads(label)
        except json.JSONDecodeError:
            pass
    if isinstance(label, dict):
        item.update({k: v for k, v in label.items() if k in ("tests", "language", "reference", "target_language")})
    elif label is not None:
        item["reference"] = str(label)
    return item
