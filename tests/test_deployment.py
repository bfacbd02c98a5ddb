"""docker-compose.yml for real: the images are built without a registry, the stack comes up, scores
one math and one code item, and goes down leaving no container behind."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.containers import LABEL

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    pytest.fail("Docker Compose is missing: `make test` installs it (as root), or apt-get install docker-compose")


def test_compose_file_is_valid() -> None:
    proc = subprocess.run(
        [*_compose(), "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "/var/run/docker.sock" in proc.stdout and "healthcheck" in proc.stdout
    assert "network_mode: host" in proc.stdout  # no bridge: the service binds loopback itself


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.docker
@pytest.mark.slow
def test_compose_up_scores_math_and_code_then_down(docker: Any) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "service.cli", "compose", "build"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert built.returncode == 0, built.stderr[-3000:]
    port = _free_port()
    env = {**os.environ, "REFEREE_PORT": str(port), "COMPOSE_PROJECT_NAME": f"referee-test-{port}"}
    compose = [*_compose(), "-f", str(ROOT / "docker-compose.yml")]
    up = subprocess.run([*compose, "up", "-d"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        url = f"http://127.0.0.1:{port}"
        deadline, ready = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert ready is not None and ready.status_code == 200, ready.text if ready is not None else "no answer"
        items = [
            {"id": "math", "completion": "so \\boxed{\\frac{1}{2}}", "reference": "0.5"},
            {
                "id": "code",
                "completion": "```python\nprint(sum(map(int, input().split())))\n```",
                "tests": {"kind": "stdio", "cases": [{"stdin": "2 3", "stdout": "5"}, {"stdin": "1 1", "stdout": "2"}]},
            },
        ]
        response = httpx.post(f"{url}/v1/score", json={"items": items}, timeout=60)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [(r["id"], r["status"], r["reward"]) for r in results] == [("math", "ok", 1.0), ("code", "ok", 1.0)]
        assert results[1]["details"]["accuracy"]["passed"] == 2
    finally:
        logs = subprocess.run([*compose, "logs"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
        down = subprocess.run([*compose, "down"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr[-3000:] + logs[-3000:]
    service = docker.containers.list(all=True, filters={"label": f"com.docker.compose.project=referee-test-{port}"})
    assert not service
    pools = [c for c in docker.containers.list(all=True, filters={"label": LABEL}) if "compose" in c.name]
    assert not pools
