"""What the adapters share: turning a trainer's row into a Referee item, and one client per process."""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from service.client import RefereeClient

__all__ = ["client", "completion_text", "item_from_row"]

REFERENCE_COLUMNS = ("solution", "answer", "reference", "ground_truth")
_clients: dict[str, RefereeClient] = {}
_lock = threading.Lock()


def _close_clients() -> None:
    with _lock:
        for shared in _clients.values():
            shared.close()
        _clients.clear()


atexit.register(_close_clients)  # their connections are closed, not dropped at interpreter exit


def client(url: str | None = None) -> RefereeClient:
    """A shared client per URL (``REFEREE_URL`` by default), made on first use in each process."""
    key = url or os.environ.get("REFEREE_URL") or "http://127.0.0.1:8000"
    with _lock:
        if key not in _clients:
            _clients[key] = RefereeClient(key)
        return _clients[key]


def completion_text(completion: Any) -> str:
    """Plain text of a completion: a string, or a conversation (the last assistant message's content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content", ""))
    if isinstance(completion, list | tuple):
        messages = [m for m in completion if isinstance(m, Mapping)]
        assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
        chosen = assistant or messages
        return str(chosen[-1].get("content", "")) if chosen else ""
    return str(completion)


def _prompt_text(prompt: Any) -> str | None:
    if prompt is None:
        return None
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list | tuple):
        return "\n".join(str(m.get("content", "")) for m in prompt if isinstance(m, Mapping))
    return str(prompt)


def item_from_row(
    completion: Any,
    prompt: Any = None,
    reference: Any = None,
    tests: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A Referee item. ``tests`` (a dict or its JSON text) makes it a code item; else ``reference`` is
    the math answer. ``extra`` may carry ``language``, ``target_language``, ``completion_tokens``, ``group``."""
    item: dict[str, Any] = {"completion": completion_text(completion)}
    prompt_text = _prompt_text(prompt)
    if prompt_text is not None:
        item["prompt"] = prompt_text
    if isinstance(tests, str) and tests.strip().startswith("{"):
        tests = json.loads(tests)
    if isinstance(tests, Mapping):
        item["tests"] = dict(tests)
    elif reference is not None:
        item["reference"] = str(reference)
    for key in ("language", "target_language", "completion_tokens", "group"):
        if extra and extra.get(key) is not None:
            item[key] = extra[key]
    return item
