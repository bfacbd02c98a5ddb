"""The Ray path of the trainer adapters: score through a deployed Referee app's Serve handle, no HTTP.

Used when the calling process is already a Ray process (``ray`` imported and initialised, as in verl's
reward workers) and the cluster runs the ``referee`` app (``referee serve --ray``); otherwise the
adapters use HTTP. Ray is never imported here: a process that has not imported it has no cluster to
use. A call that a dying replica drops is sent again (grading is a pure function of the items, so a
repeat gives the same rewards), up to ``ATTEMPTS`` times.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from service.client import ScoredItem

__all__ = ["ATTEMPTS", "handle", "score", "score_async"]

APP_NAME = "referee"
DEPLOYMENT_NAME = "Referee"
ATTEMPTS = 4
_lock = threading.Lock()
_handles: dict[str, Any] = {}


def handle() -> Any | None:
    """The deployment's handle, or None when this process is not in a cluster running the app."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return None
    with _lock:
        if APP_NAME not in _handles:
            from ray import serve

            try:
                if APP_NAME not in serve.status().applications:
                    return None
                _handles[APP_NAME] = serve.get_deployment_handle(DEPLOYMENT_NAME, app_name=APP_NAME)
            except Exception:  # no Serve in this cluster
                return None
        return _handles[APP_NAME]


def _retryable(exc: BaseException) -> bool:
    from ray import exceptions

    return isinstance(exc, exceptions.RayActorError | exceptions.ActorUnavailableError) or type(exc).__name__ in (
        "DeploymentUnavailableError",
        "RequestCancelledError",
    )


def score(target: Any, items: Sequence[Mapping[str, Any]], reward: Any) -> list[ScoredItem]:
    for attempt in range(ATTEMPTS):
        try:
            answers = target.score.remote([dict(i) for i in items], reward).result()
            return [ScoredItem.model_validate(a) for a in answers]
        except Exception as exc:
            if attempt == ATTEMPTS - 1 or not _retryable(exc):
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


async def score_async(target: Any, items: Sequence[Mapping[str, Any]], reward: Any) -> list[ScoredItem]:
    for attempt in range(ATTEMPTS):
        try:
            answers = await target.score.remote([dict(i) for i in items], reward)
            return [ScoredItem.model_validate(a) for a in answers]
        except Exception as exc:
            if attempt == ATTEMPTS - 1 or not _retryable(exc):
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")
