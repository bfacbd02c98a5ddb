"""Shared fixtures: Docker (without a daemon its tests fail, saying what to run: they never skip), and
a real Referee service on loopback for the HTTP, SDK, adapter and README tests."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graders.errors import SandboxUnavailable
from sandbox.containers import docker_client
from sandbox.image import build_image
from sandbox.pool import SandboxPool


@pytest.fixture(scope="session")
def docker() -> Any:
    try:
        client = docker_client()
    except SandboxUnavailable as exc:
        pytest.fail(f"{exc}. `make test` sets Docker up (as root); or deselect these tests with -m 'not docker'")
    build_image(client, languages="all", log=lambda message: None)  # make test builds it first
    return client


@pytest.fixture(scope="session")
def pool(docker: Any) -> Iterator[SandboxPool]:
    """One container, so that every job after an attack lands in the attacked container (or its successor)."""
    with SandboxPool(1, client=docker) as running:
        yield running  # type: ignore[misc]


ROOT = Path(__file__).resolve().parents[1]
TOKEN = "s3cret-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SERVERS: dict[str, subprocess.Popen[str]] = {}
"""url -> the server process, for tests that disturb it."""


def _serve(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    full_env = {"PATH": "/usr/bin:/bin", "REFEREE_PORT": str(port), "REFEREE_WORKERS": "1", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve"],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    SERVERS[url] = process
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise RuntimeError(process.stdout.read() if process.stdout else "server exited")
        yield url
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        assert TOKEN not in output  # secrets never reach the logs


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    env = {"REFEREE_SANDBOX": "off", "REFEREE_MAX_ITEMS": "50", "REFEREE_MAX_COMPLETION_CHARS": "5000"}
    yield from _serve(env)


@pytest.fixture(scope="module")
def secured() -> Iterator[str]:
    env = {"REFEREE_SANDBOX": "local", "REFEREE_TOKENS": json.dumps([TOKEN]), "REFEREE_MAX_QUEUED_ITEMS": "3"}
    yield from _serve(env)


@pytest.fixture(scope="module")
def docker_server(docker: Any) -> Iterator[str]:
    """A service with a real container pool (2 containers, 2 grader processes, no verdict cache)."""
    env = {"REFEREE_SANDBOX": "docker", "REFEREE_SANDBOXES": "2", "REFEREE_WORKERS": "2", "REFEREE_CACHE_SIZE": "0"}
    for url in _serve(env):
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield url


@pytest.fixture(scope="session")
def wire_server(docker: Any) -> Iterator[str]:
    """A service for the execution wires (SandboxFusion, Piston, open-r1): real containers with every
    language of the image, and ``REFEREE_TOKENS`` set, so clients use ``{url}/t/{TOKEN}`` as base URL."""
    env = {
        "REFEREE_SANDBOX": "docker",
        "REFEREE_SANDBOXES": "2",
        "REFEREE_WORKERS": "1",
        "REFEREE_SANDBOX_LANGUAGES": "all",
        "REFEREE_TOKENS": json.dumps([TOKEN]),
    }
    for url in _serve(env):
        deadline = time.monotonic() + 300
        while httpx.get(f"{url}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        yield url
