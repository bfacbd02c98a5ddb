"""Docker fixtures. Without a daemon these tests skip locally and FAIL when ``CI`` is set."""

import os
from collections.abc import Iterator
from typing import Any

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
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Docker: {exc}")
        pytest.skip(f"no Docker here: {exc}")
    build_image(client, log=lambda message: None)
    return client


@pytest.fixture(scope="session")
def pool(docker: Any) -> Iterator[SandboxPool]:
    """One container, so that every job after an attack lands in the attacked container (or its successor)."""
    with SandboxPool(1, client=docker) as running:
        yield running  # type: ignore[misc]
