"""Serve's request router for the Referee deployment: a GRPO group's handle calls go to one replica.

verl scores one sample per call. With Serve's default router the 16 samples of a group spread over the
replicas, and every replica judges the group's common answers again: its verdict cache and in-flight
sharing are its own. This router ranks the replicas by rendezvous hashing of the call's *group key* (the
reference all its items share, and the reward spec), so every caller process prefers the same replica for
a group without talking to the others, and a group's identical answers are judged once in the cluster.
When that replica is full or gone, the call goes to the least loaded of the others (the hash then
picks among the replicas left, so only the groups of a lost replica move).

Calls without one shared reference (mixed batches, code items) and HTTP requests through the proxy (the router sees
no body) are routed as by Serve's default: the less loaded of two random replicas, this node's first.

Imports only Ray: it is loaded in every process that holds a handle (verl's reward workers, proxies),
where the light ``pip install referee`` may be all there is. Needs Serve's public request router API
(``ray.serve.request_router``, ``RequestRouterConfig``; tested with Ray 2.60); ``service.ray_app``
deploys without it on a Ray that lacks it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from ray.serve.request_router import LocalityMixin, PendingRequest, RequestRouter, RunningReplica

__all__ = ["GROUPED_METHODS", "GroupAffinityRouter", "group_key", "rendezvous_order"]

GROUPED_METHODS = frozenset({"score", "score_traced"})
"""The deployment's handle methods whose first argument is a list of items."""


def _reward_key(reward: Any) -> str:
    return repr(sorted(reward.items())) if isinstance(reward, Mapping) else repr(reward)


def group_key(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str | None:
    """The key of a ``score(items, reward)`` call whose items all share one reference string, else None."""
    items = args[0] if args else kwargs.get("items")
    reward = args[1] if len(args) > 1 else kwargs.get("reward")
    if not isinstance(items, list) or not items or not isinstance(items[0], Mapping):
        return None
    reference = items[0].get("reference")
    if not isinstance(reference, str):  # code items: spread (sandbox time dominates; tests can be large)
        return None
    for item in items[1:]:
        if not isinstance(item, Mapping) or item.get("reference") != reference:
            return None
    return f"{reference!r}\0{_reward_key(reward)}"


def _weight(key: str, replica: str) -> int:
    # A fixed hash, not Python's salted hash(): every caller process must rank replicas alike.
    return int.from_bytes(hashlib.blake2b(f"{key}\0{replica}".encode(), digest_size=8).digest(), "big")


def rendezvous_order(key: str, replicas: Sequence[RunningReplica]) -> list[RunningReplica]:
    """``replicas`` from the most to the least preferred for ``key`` (highest random weight first)."""
    return sorted(replicas, key=lambda replica: _weight(key, replica.replica_id.unique_id), reverse=True)


class GroupAffinityRouter(LocalityMixin, RequestRouter):
    """Group calls to their group's replica (then the others); everything else by two random choices."""

    async def choose_replicas(
        self, candidate_replicas: list[RunningReplica], pending_request: PendingRequest | None = None
    ) -> list[list[RunningReplica]]:
        if pending_request is not None and candidate_replicas:
            key = None
            if pending_request.metadata.call_method in GROUPED_METHODS:
                key = group_key(pending_request.args, pending_request.kwargs)
            if key is not None:
                pending_request.routing_context.should_backoff = True  # when all are full, wait between tries
                first, *rest = rendezvous_order(key, candidate_replicas)
                return [[first], rest] if rest else [[first]]
        replicas = self.curr_replicas
        candidates = [replicas[i] for i in self.apply_locality_routing(pending_request) if i in replicas]
        return [random.sample(candidates, k=min(2, len(candidates)))] if candidates else []
