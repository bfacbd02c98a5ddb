"""verl's custom reward function, backed by the Referee service.

In the trainer config::

    custom_reward_function:
      path: /path/to/referee/service/integrations/verl.py
      name: compute_score
    reward_model:
      reward_kwargs: {reward: r1, url: http://127.0.0.1:8000}     # optional; else REFEREE_URL

``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)`` returns a dict
with ``"score"`` (the spec's reward, 0.0 where it could not be scored) and a fixed key set:
``"acc"`` (accuracy component), ``"scored"`` (1.0 when the item was judged) and one key per spec
component. ``ground_truth`` is the math reference, or a JSON object (or its text) with ``tests``
for code. Batch reward managers may pass lists for the first three arguments: the answer is then
one dict per row, scored in one request. ``compute_score_async`` is the awaitable twin.

Inside a Ray cluster that runs the ``referee`` Serve app (``referee serve --ray``), a call without
``url`` goes through the app's handle instead of HTTP (``service/integrations/ray_handle.py``); calls
made one sample at a time are grouped into engine batches there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from graders.presets import component_names
from service.client import AsyncRefereeClient, ScoredItem
from service.integrations import ray_handle
from service.integrations.common import client, item_from_row

__all__ = ["compute_score", "compute_score_async"]


def _item(solution_str: str, ground_truth: Any, extra_info: Mapping[str, Any] | None) -> dict[str, Any]:
    tests = None
    reference = ground_truth
    if isinstance(ground_truth, str) and ground_truth.strip().startswith("{"):
        try:
            ground_truth = json.loads(ground_truth)
        except json.JSONDecodeError:
            pass
    if isinstance(ground_truth, Mapping):
        tests, reference = ground_truth.get("tests"), ground_truth.get("reference")
        extra_info = {**ground_truth, **(extra_info or {})}
    prompt = (extra_info or {}).get("prompt")
    return item_from_row(solution_str, prompt, reference, tests, extra_info)


def _answer(result: ScoredItem, names: Sequence[str]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "score": result.reward if result.reward is not None else 0.0,
        "acc": float(result.components.get("accuracy") or 0.0),
        "scored": 1.0 if result.status == "ok" else 0.0,
    }
    for name in names:
        answer[name] = float(result.components.get(name) or 0.0)
    return answer


def _names(reward: Any) -> list[str]:
    return list(component_names(reward))


def _rows(solution_str: Any, ground_truth: Any, extra_info: Any) -> tuple[bool, list[dict[str, Any]]]:
    """(whether the call is a batch, its items): lists in for batch reward managers, one row otherwise."""
    batch = isinstance(solution_str, list)
    solutions = solution_str if batch else [solution_str]
    truths = ground_truth if batch else [ground_truth]
    infos = extra_info if isinstance(extra_info, list) else [extra_info] * len(solutions)
    return batch, [_item(s, g, e) for s, g, e in zip(solutions, truths, infos, strict=True)]


def compute_score(
    data_source: Any,
    solution_str: Any,
    ground_truth: Any,
    extra_info: Any = None,
    *,
    reward: str | Mapping[str, Any] = "accuracy",
    url: str | None = None,
    **kwargs: Any,
) -> dict[str, Any] | list[dict[str, Any]]:
    names = _names(reward)
    batch, items = _rows(solution_str, ground_truth, extra_info)
    target = ray_handle.handle() if url is None else None
    results = ray_handle.score(target, items, reward) if target is not None else client(url).score(items, reward=reward)
    answers = [_answer(r, names) for r in results]
    return answers if batch else answers[0]


async def compute_score_async(
    data_source: Any,
    solution_str: Any,
    ground_truth: Any,
    extra_info: Any = None,
    *,
    reward: str | Mapping[str, Any] = "accuracy",
    url: str | None = None,
    **kwargs: Any,
) -> dict[str, Any] | list[dict[str, Any]]:
    names = _names(reward)
    batch, items = _rows(solution_str, ground_truth, extra_info)
    target = ray_handle.handle() if url is None else None
    if target is not None:
        results = await ray_handle.score_async(target, items, reward)
    else:
        async with AsyncRefereeClient(url) as async_client:
            results = await async_client.score(items, reward=reward)
    answers = [_answer(r, names) for r in results]
    return answers if batch else answers[0]
