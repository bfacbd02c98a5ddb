"""TRL (``GRPOTrainer``) reward functions backed by the Referee service.

    from service.integrations.trl import reward_funcs
    trainer = GRPOTrainer(..., reward_funcs=reward_funcs("r1"))       # one function per component

or, from the command line, the ready-made functions (they read ``REFEREE_URL``):
``trl grpo ... --reward_funcs service.integrations.trl.accuracy service.integrations.trl.format``.

TRL calls each function with ``prompts``, ``completions`` (plain strings, or conversations) and the
dataset's columns as keyword arguments; the reference comes from the first present of ``solution``,
``answer``, ``reference``, ``ground_truth`` (configurable), code tests from ``tests``. Every function
returns one float per completion, or ``None`` where the item could not be scored (TRL then ignores it).
The functions of one factory share their batch: the service is called once per step, not once per
component. They are picklable objects with a ``__name__`` that TRL logs (``referee_accuracy`` …).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from graders.presets import component_names
from service.client import AsyncRefereeClient, ScoredItem
from service.integrations.common import REFERENCE_COLUMNS, client, item_from_row

__all__ = ["RefereeRewardFunction", "accuracy", "format", "reward_funcs", "total"]


def _items(
    prompts: Sequence[Any] | None, completions: Sequence[Any], columns: Sequence[str], kwargs: Any
) -> list[dict[str, Any]]:
    items = []
    for index, completion in enumerate(completions):
        row = {
            key: values[index]
            for key, values in kwargs.items()
            if isinstance(values, list | tuple) and len(values) == len(completions)
        }
        reference = next((row[c] for c in columns if row.get(c) is not None), None)
        prompt = prompts[index] if prompts is not None and index < len(prompts) else None
        items.append(item_from_row(completion, prompt, reference, row.get("tests"), row))
    return items


class _SharedBatch:
    """Scores each distinct batch once for all the functions of a factory (a few batches remembered)."""

    def __init__(self, url: str | None, reward: str | Mapping[str, Any], columns: Sequence[str]) -> None:
        self.url, self.reward, self.columns = url, reward, tuple(columns)
        self._recent: OrderedDict[str, list[ScoredItem]] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "reward": self.reward, "columns": self.columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], state["reward"], state["columns"])  # type: ignore[misc]

    def results(self, items: list[dict[str, Any]]) -> list[ScoredItem]:
        import json

        key = json.dumps(items, sort_keys=True, default=str)
        with self._lock:
            if key in self._recent:
                return self._recent[key]
        results = client(self.url).score(items, reward=self.reward)
        with self._lock:
            self._recent[key] = results
            while len(self._recent) > 4:
                self._recent.popitem(last=False)
        return results

    async def aresults(self, items: list[dict[str, Any]]) -> list[ScoredItem]:
        async with AsyncRefereeClient(self.url) as async_client:
            return await async_client.score(items, reward=self.reward)


class RefereeRewardFunction:
    """One component (or the total reward, ``component=None``) as a TRL reward function."""

    def __init__(self, shared: _SharedBatch, component: str | None) -> None:
        self.shared = shared
        self.component = component
        self.__name__ = f"referee_{component or 'reward'}"

    def _pick(self, results: list[ScoredItem]) -> list[float | None]:
        if self.component is None:
            return [r.reward for r in results]
        return [r.components.get(self.component) if r.status == "ok" else None for r in results]

    def __call__(
        self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **kwargs: Any
    ) -> list[float | None]:
        items = _items(prompts, completions, self.shared.columns, kwargs)
        return self._pick(self.shared.results(items))

    async def acall(
        self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **kwargs: Any
    ) -> list[float | None]:
        """The async twin (for trainers that await their reward functions)."""
        items = _items(prompts, completions, self.shared.columns, kwargs)
        return self._pick(await self.shared.aresults(items))


def reward_funcs(
    reward: str | Mapping[str, Any] = "accuracy",
    *,
    url: str | None = None,
    reference_columns: Sequence[str] = REFERENCE_COLUMNS,
    total: bool = False,
) -> list[RefereeRewardFunction]:
    """One function per component of ``reward`` (TRL sums them, weighting with ``reward_weights``;
    set those to the spec's weights, or pass ``total=True`` for one function giving the spec's reward)."""
    names = component_names(reward)  # an unknown preset or component fails here, not at the first step
    shared = _SharedBatch(url, reward, reference_columns)
    if total:
        return [RefereeRewardFunction(shared, None)]
    return [RefereeRewardFunction(shared, name) for name in names]


_DEFAULT = _SharedBatch(None, {"accuracy": 1.0, "format": 1.0}, REFERENCE_COLUMNS)
accuracy = RefereeRewardFunction(_DEFAULT, "accuracy")
"""Ready-made: Referee's accuracy (math or code) from the service at ``REFEREE_URL``."""
format = RefereeRewardFunction(_DEFAULT, "format")  # noqa: A001 - TRL looks the function up by this name
"""Ready-made: the ``think`` format reward."""
total = RefereeRewardFunction(_SharedBatch(None, "r1", REFERENCE_COLUMNS), None)
"""Ready-made: the ``r1`` preset's total reward."""
