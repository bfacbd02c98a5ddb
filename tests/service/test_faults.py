"""Faults and hostile input while the service works: nothing lost, nothing wrong, back to ready alone.

A real server with a real container pool; the disturbances happen while a batch is in flight.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.attacks import ATTACKS
from sandbox.containers import LABEL, owner_label
from tests.conftest import SERVERS

pytestmark = pytest.mark.docker


def _slow_code(n: int) -> dict[str, Any]:
    program = f"import time\ntime.sleep(0.25)\nprint({n})"
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": str(n)}], "time_limit": 2}
    return {"id": f"code-{n}", "completion": f"```python\n{program}\n```", "tests": tests}


def _math(n: int) -> dict[str, Any]:
    return {"id": f"math-{n}", "completion": f"<think>add</think> \\boxed{{{n}+{n}}}", "reference": str(2 * n)}


def _score(url: str, items: list[dict[str, Any]], timeout: float = 120) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/v1/score", json={"items": items}, timeout=timeout)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def _server_containers(docker: Any) -> list[Any]:
    mine = owner_label()
    found = docker.containers.list(filters={"label": LABEL})
    return [c for c in found if c.labels.get(f"{LABEL}.owner") != mine]


def _wait_ready(url: str, sandbox_workers: int = 2, timeout_s: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = httpx.get(f"{url}/readyz").json()
        if body["ready"] and body["sandbox"]["workers"] >= sandbox_workers:
            return dict(body)
        time.sleep(0.1)
    raise AssertionError(f"not ready again after {timeout_s} s: {body}")


def test_a_container_killed_mid_batch_loses_nothing(docker_server: str, docker: Any) -> None:
    items = [_slow_code(n) for n in range(24)] + [_math(n) for n in range(24)]
    results: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: results.extend(_score(docker_server, items)))
    worker.start()
    time.sleep(1.0)
    victims = _server_containers(docker)
    assert victims
    victims[0].kill()
    worker.join()
    assert [r["id"] for r in results] == [i["id"] for i in items]
    assert all(r["status"] == "ok" and r["reward"] == 1.0 for r in results), [r for r in results if r["reward"] != 1.0]
    _wait_ready(docker_server)


def test_a_grader_process_killed_mid_batch_loses_nothing(docker_server: str) -> None:
    items = [_math(n) for n in range(400)]
    undisturbed = _score(docker_server, items)
    server = SERVERS[docker_server]
    results: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: results.extend(_score(docker_server, items)))
    worker.start()
    time.sleep(0.3)
    children = [
        int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit() and _parent(entry) == server.pid
    ]
    assert children
    os.kill(children[0], signal.SIGKILL)
    worker.join()
    assert [(r["id"], r["reward"], r["status"]) for r in results] == [
        (r["id"], r["reward"], r["status"]) for r in undisturbed
    ]
    _wait_ready(docker_server)


def _parent(entry: Path) -> int:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def test_a_client_that_disconnects_leaves_the_service_healthy(docker_server: str) -> None:
    items = [_slow_code(n) for n in range(100, 112)]
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{docker_server}/v1/score", json={"items": items}, timeout=0.5)
    assert _score(docker_server, [_math(7)])[0]["reward"] == 1.0  # served meanwhile
    deadline = time.monotonic() + 30
    while "referee_queued_items 0.0" not in httpx.get(f"{docker_server}/metrics").text:
        assert time.monotonic() < deadline, "the abandoned batch never finished"
        time.sleep(0.2)
    _wait_ready(docker_server)


def test_hostile_programs_and_inputs_mixed_into_ordinary_batches(docker_server: str) -> None:
    hostile_math = [
        {"id": "tower", "completion": "\\boxed{2^{2^{2^{2^{2^{2^{2}}}}}}}", "reference": "4"},
        {"id": "digits", "completion": "\\boxed{" + "9" * 100_000 + "}", "reference": "4"},
        {"id": "nest", "completion": "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}", "reference": "4"},
        {"id": "factorial", "completion": "\\boxed{100000!}", "reference": "4"},
    ]
    items: list[dict[str, Any]] = []
    for index, attack in enumerate(ATTACKS):
        fence = "cpp" if attack.language == "cpp" else "python"
        items.append(
            {
                "id": f"attack-{index}",
                "completion": f"```{fence}\n{attack.source}\n```",
                "language": attack.language,
                "tests": attack.item_tests(),
            }
        )
        items.append(_math(index))
    items[5:5] = hostile_math
    results = _score(docker_server, items, timeout=600)
    assert [r["id"] for r in results] == [i["id"] for i in items]
    by_id = {r["id"]: r for r in results}
    for index in range(len(ATTACKS)):
        assert by_id[f"math-{index}"]["reward"] == 1.0, by_id[f"math-{index}"]
        attack = by_id[f"attack-{index}"]
        assert attack["status"] == "ok" and attack["reward"] == 0.0, (ATTACKS[index].name, attack)
    for item in hostile_math:
        assert by_id[item["id"]]["reward"] in (0.0, None), by_id[item["id"]]
    _wait_ready(docker_server)


def _dockerd() -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "dockerd":
                    return int(entry.name)
            except OSError:
                continue
    pytest.fail("no dockerd process on this host")


def test_the_docker_daemon_unreachable_for_seconds(docker_server: str) -> None:
    """dockerd paused (SIGSTOP) for 3 s mid-batch: attached streams stall, containers are retried or
    replaced; every item ends ok with its right reward, or as an error, never as a silent 0."""
    items = [_slow_code(n) for n in range(200, 216)] + [_math(n) for n in range(16)]
    results: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: results.extend(_score(docker_server, items, timeout=300)))
    worker.start()
    time.sleep(0.8)
    daemon = _dockerd()
    os.kill(daemon, signal.SIGSTOP)
    try:
        time.sleep(3.0)
    finally:
        os.kill(daemon, signal.SIGCONT)
    worker.join()
    assert [r["id"] for r in results] == [i["id"] for i in items]
    for result in results:
        assert (result["status"], result["reward"]) == ("ok", 1.0) or (
            result["status"] == "error" and result["reward"] is None and result["error"]
        ), result
    assert all(r["status"] == "ok" for r in results if r["id"].startswith("math"))
    _wait_ready(docker_server, timeout_s=60)
    assert _score(docker_server, [_slow_code(999)])[0]["reward"] == 1.0
