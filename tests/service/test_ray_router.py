"""The group key and replica ranking of ``service/ray_router.py`` (the cluster tests check the routing)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("ray.serve.request_router", reason="install referee[ray] (make test does)")
from service.ray_router import group_key, rendezvous_order  # noqa: E402


def _replicas(*names: str) -> list[Any]:
    return [SimpleNamespace(replica_id=SimpleNamespace(unique_id=name)) for name in names]


def _first(key: str, replicas: list[Any]) -> str:
    return str(rendezvous_order(key, replicas)[0].replica_id.unique_id)


def test_a_call_whose_items_share_a_reference_has_a_key() -> None:
    one = group_key([[{"completion": "\\boxed{1}", "reference": "12"}]], {})
    assert one is not None
    assert group_key([[{"completion": "\\boxed{2}", "reference": "12"}]], {}) == one  # the same group
    assert group_key([], {"items": [{"completion": "x", "reference": "12"}]}) == one  # keyword call
    assert group_key([[{"completion": "x", "reference": "13"}]], {}) != one
    assert group_key([[{"completion": "x", "reference": "12"}], "math"], {}) != one  # another reward spec
    assert group_key([[{"completion": "x", "reference": "12"}], {"b": 1, "a": 2}], {}) == group_key(
        [[{"completion": "y", "reference": "12"}], {"a": 2, "b": 1}], {}
    )


@pytest.mark.parametrize(
    "args",
    [
        [[{"completion": "a", "reference": "1"}, {"completion": "b", "reference": "2"}]],  # mixed batch
        [[{"completion": "```python\nprint(1)\n```", "tests": {"kind": "stdio", "cases": []}}]],  # code
        [[]],  # empty
        [],  # no items
        ["not a list"],
        [[1, 2]],
    ],
)
def test_calls_without_one_reference_have_no_key(args: list[Any]) -> None:
    assert group_key(args, {}) is None


def test_every_caller_ranks_the_replicas_alike() -> None:
    replicas = _replicas("aaa", "bbb", "ccc")
    for key in ("k1", "k2", "k3"):
        assert _first(key, replicas) == _first(key, list(reversed(replicas)))
    # a fixed hash, not Python's per-process salted one: another interpreter picks the same replicas
    script = (
        "from types import SimpleNamespace as N; from service.ray_router import rendezvous_order as r;"
        "reps = [N(replica_id=N(unique_id=n)) for n in ('aaa', 'bbb', 'ccc')];"
        "print(','.join(r(f'k{i}', reps)[0].replica_id.unique_id for i in range(50)))"
    )
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert other.strip() == ",".join(_first(f"k{i}", replicas) for i in range(50))


def test_groups_spread_and_only_a_lost_replicas_groups_move() -> None:
    replicas = _replicas("r1", "r2", "r3", "r4")
    keys = [group_key([[{"completion": "x", "reference": str(i)}]], {}) or "" for i in range(2000)]
    first = {key: _first(key, replicas) for key in keys}
    assert all(400 < n < 600 for n in Counter(first.values()).values())  # 500 each, give or take
    without_r2 = {key: _first(key, replicas[:1] + replicas[2:]) for key in keys}
    moved = [key for key in keys if first[key] != without_r2[key]]
    assert moved and all(first[key] == "r2" for key in moved)
    assert all(without_r2[key] != "r2" for key in keys)
