"""Referee as a Ray Serve application, inside the Ray cluster a verl or OpenRLHF job already runs.

One replica per node that can grade (``max_replicas_per_node=1``; when some node declares the custom
resource ``referee_sandbox``, only those nodes), each with today's app: its own grader processes and its
own sandbox pool on its node's Docker daemon. Every endpoint of ``referee serve`` works unchanged behind
Serve's proxy, which runs on every node (one URL per node, all equal: OpenRLHF's single URL). Ray actors
skip HTTP: ``serve.get_deployment_handle("Referee", app_name="referee").score.remote(items)`` returns
plain result dicts; calls made one sample at a time (verl's reward workers) are grouped by
``@serve.batch`` into engine batches, so a GRPO group is still deduplicated and cached as one batch.

Settings are the ``REFEREE_*`` environment variables and the fields set on the ``Settings`` passed to
``deploy``, carried to the replicas by the deployment's runtime environment. Ray does not see grader
processes or sandbox containers, so a replica asks for ``workers + sandboxes`` CPUs
(``REFEREE_RAY_NUM_CPUS`` overrides). A GRPO group's per-sample handle calls go to one replica
(``service/ray_router.py``), so its identical answers are judged once in the cluster.

Needs ``referee[ray]`` (Ray >= 2.41; tested with 2.60). From Ray 2.47 the app is built on the replica
from its environment; older Ray pickles an app built where this module is imported.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ray
from fastapi import FastAPI, HTTPException
from pydantic import SecretStr
from ray import serve

from service.app import create_app
from service.settings import Settings

try:  # Serve's public request router API: a GRPO group's handle calls go to one replica (service/ray_router.py)
    from ray.serve.config import RequestRouterConfig

    from service.ray_router import GroupAffinityRouter
except ImportError:  # older Ray: Serve's default router; rewards are the same, groups may be judged per replica
    ROUTER_OPTIONS: dict[str, Any] = {}
else:
    _ROUTER_PATH = f"{GroupAffinityRouter.__module__}.{GroupAffinityRouter.__qualname__}"  # what Serve stores
    _ROUTER_CONFIG = RequestRouterConfig(request_router_class=_ROUTER_PATH)  # type: ignore[arg-type]  # Ray's pydantic-1 stubs
    ROUTER_OPTIONS = {"request_router_config": _ROUTER_CONFIG}

__all__ = ["APP_NAME", "DEPLOYMENT_NAME", "Referee", "build", "deploy", "referee_app", "replica_env", "undeploy"]

APP_NAME = "referee"
DEPLOYMENT_NAME = "Referee"
SANDBOX_RESOURCE = "referee_sandbox"
BATCH_SIZE = 512
BATCH_WAIT_S = 0.002
"""How long a per-sample call waits for others to share its engine batch (verl sends a group at once)."""


def _build_app() -> FastAPI:
    """The app of ``referee serve``, from this replica's ``REFEREE_*`` environment."""
    return create_app(Settings())


def _builder_supported() -> bool:
    major, minor = (int(part) for part in ray.__version__.split(".")[:2])
    return (major, minor) >= (2, 47)


@dataclass(frozen=True, slots=True)
class _Call:
    items: list[dict[str, Any]]
    reward: str | dict[str, Any] | None


def _reward_key(reward: str | dict[str, Any] | None) -> str:
    return repr(sorted(reward.items())) if isinstance(reward, dict) else repr(reward)


@serve.deployment(name=DEPLOYMENT_NAME, max_replicas_per_node=1, max_ongoing_requests=256, health_check_period_s=5)
@serve.ingress(_build_app if _builder_supported() else _build_app())
class Referee:
    """The deployment: HTTP through ``serve.ingress``, and ``score`` for handles."""

    app: FastAPI

    async def score(
        self, items: list[dict[str, Any]], reward: str | dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Results for ``items`` as plain dicts, in order (the ``/v1/score`` result schema). Concurrent
        calls are graded together: one engine batch per reward spec."""
        return await self._grouped(_Call(list(items), reward))

    async def score_traced(
        self, items: list[dict[str, Any]], reward: str | dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``score`` with the node, replica and process that graded it, and how many grader calls that
        replica has made so far (placement checks, benchmarks)."""
        context = serve.get_replica_context()
        started = time.perf_counter()
        results = await self.score(items, reward)
        graded_s = time.perf_counter() - started
        return {
            "node_id": ray.get_runtime_context().get_node_id(),
            "replica": context.replica_id.unique_id,
            "pid": os.getpid(),
            "judged": self.app.state.service.engine.judged,
            "graded_s": graded_s,
            "results": results,
        }

    @serve.batch(max_batch_size=BATCH_SIZE, batch_wait_timeout_s=BATCH_WAIT_S)
    async def _grouped(self, calls: list[_Call]) -> list[list[dict[str, Any]]]:
        service = self.app.state.service
        answers: list[list[dict[str, Any]] | None] = [None] * len(calls)
        by_reward: dict[str, list[int]] = {}
        for index, call in enumerate(calls):
            by_reward.setdefault(_reward_key(call.reward), []).append(index)

        async def grade(indices: list[int]) -> None:
            items = [item for i in indices for item in calls[i].items]
            try:
                results = await service.score_request(items, calls[indices[0]].reward, "handle")
            except HTTPException as exc:
                raise ValueError(f"HTTP {exc.status_code}: {exc.detail}") from None
            at = 0
            for i in indices:
                size = len(calls[i].items)
                answers[i] = [r.model_dump(mode="json") for r in results[at : at + size]]
                at += size

        await asyncio.gather(*(grade(indices) for indices in by_reward.values()))
        return [answer if answer is not None else [] for answer in answers]

    async def check_health(self) -> None:
        """The readiness of ``/readyz``, less "starting": Serve replaces a replica whose grader pool is
        gone or whose sandbox could not start (the new one tries Docker and the image again), rather
        than let it answer every code item routed to it with an error. A sandbox still starting (an
        image being built) is healthy: its math is served meanwhile."""
        state = getattr(getattr(self, "app", None), "state", None)
        service = getattr(state, "service", None)
        if service is None:  # the app's lifespan has not run yet
            return
        if service.engine.workers <= 0:
            raise RuntimeError("the grader pool has no workers")
        if service.sandbox.state == "unavailable":
            raise RuntimeError(f"the sandbox is unavailable: {service.sandbox.reason}")


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def replica_env(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """The replicas' ``REFEREE_*`` variables: the deploying process's, overridden by every field set on
    ``settings`` (a replica builds its ``Settings`` from its environment; lists travel as JSON)."""
    env = {key: value for key, value in environ.items() if key.startswith("REFEREE_")}
    for name in settings.model_fields_set:
        key, value = f"REFEREE_{name.upper()}", _plain(getattr(settings, name))
        if value is None:
            env.pop(key, None)
        else:
            env[key] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return env


def _grading_nodes() -> tuple[int, bool]:
    """How many alive nodes can host a replica, and whether that is by the ``referee_sandbox`` resource."""
    nodes = [node for node in ray.nodes() if node.get("Alive")]  # type: ignore[no-untyped-call]
    marked = [node for node in nodes if node.get("Resources", {}).get(SANDBOX_RESOURCE)]
    return (len(marked), True) if marked else (len(nodes), False)


def referee_app(
    settings: Settings | None = None, *, replicas: int | None = None, environ: Mapping[str, str] | None = None
) -> Any:
    """The bound application: ``replicas`` (default: one per grading node), CPUs, settings in the runtime env."""
    settings = settings or Settings()
    environ = os.environ if environ is None else environ
    count, by_resource = _grading_nodes() if ray.is_initialized() else (1, False)
    workers = settings.workers or os.cpu_count() or 1
    sandboxes = settings.sandboxes or os.cpu_count() or 1
    cpus = float(environ.get("REFEREE_RAY_NUM_CPUS", workers + (sandboxes if settings.sandbox != "off" else 0)))
    options: dict[str, Any] = {"num_cpus": cpus, "runtime_env": {"env_vars": replica_env(settings, environ)}}
    if by_resource:
        options["resources"] = {SANDBOX_RESOURCE: 0.001}
    return Referee.options(  # type: ignore[attr-defined]
        num_replicas=replicas or max(count, 1), ray_actor_options=options, **ROUTER_OPTIONS
    ).bind()


def build(args: dict[str, Any] | None = None) -> Any:
    """For ``serve run service.ray_app:build`` and Serve config files (``import_path``)."""
    replicas = (args or {}).get("replicas")
    return referee_app(replicas=int(replicas) if replicas else None)


def deploy(address: str | None, settings: Settings, *, replicas: int | None = None) -> str:
    """Deploy into the cluster at ``address`` (``auto``: the local one): Serve's proxy on every node on
    ``settings.host:settings.port``, the app at ``/``. Returns the URL; the app outlives this process."""
    if not ray.is_initialized():
        ray.init(address=address or "auto", namespace="serve", log_to_driver=False)
    serve.start(http_options={"host": settings.host, "port": settings.port}, proxy_location="EveryNode")
    serve.run(referee_app(settings, replicas=replicas), name=APP_NAME, route_prefix="/", blocking=False)
    return f"http://{settings.host}:{settings.port}"


def undeploy(address: str | None) -> None:
    """Remove the app (its replicas stop their sandboxes)."""
    if not ray.is_initialized():
        ray.init(address=address or "auto", namespace="serve", log_to_driver=False)
    serve.delete(APP_NAME)
