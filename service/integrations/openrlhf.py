"""OpenRLHF: the service's ``/v1/openrlhf`` endpoint, or this file as a ``--remote_rm_url`` reward function.

Endpoint: ``--remote_rm_url http://HOST:8000/v1/openrlhf`` (OpenRLHF posts ``{"query", "prompts",
"labels"}``; Referee strips the prompt from each query, reads a label as the math reference or as a
JSON object with ``tests``, and answers ``{"rewards", "scores", "extra_logs"}``).

File: ``--remote_rm_url /path/to/referee/service/integrations/openrlhf.py``; OpenRLHF then calls
``reward_func(queries, prompts, labels, **kwargs)`` in process, which forwards to the service at
``REFEREE_URL`` with the spec in ``REFEREE_REWARD`` (default ``accuracy``).
"""

from __future__ import annotations

import os
from typing import Any

from service.integrations.common import client

__all__ = ["reward_func"]


def reward_func(queries: list[str], prompts: list[str], labels: list[Any], **kwargs: Any) -> dict[str, Any]:
    """Rewards as a torch tensor when torch is importable (what OpenRLHF expects), else a list."""
    reward = kwargs.get("reward") or os.environ.get("REFEREE_REWARD") or "accuracy"
    referee = client(kwargs.get("url"))
    response = referee._post("/v1/openrlhf", {"query": queries, "prompts": prompts, "labels": labels, "reward": reward})
    if response.status_code != 200:
        from service.client import RefereeHTTPError

        raise RefereeHTTPError(response.status_code, response.text[:500])
    data = response.json()
    try:
        import torch

        rewards: Any = torch.tensor(data["rewards"], dtype=torch.float32)
    except ImportError:
        rewards = data["rewards"]
    return {"rewards": rewards, "scores": rewards, "extra_logs": data.get("extra_logs", {})}
