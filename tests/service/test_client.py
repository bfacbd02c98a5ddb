"""The client SDK: chunking, order, retries with backoff, errors; and what importing it costs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from service.client import AsyncRefereeClient, RefereeClient, RefereeHTTPError, RefereeUnavailable


class FlakyService:
    """Answers like /v1/score, after failing the first ``failures`` requests with ``status``."""

    def __init__(self, failures: int = 0, status: int = 503) -> None:
        self.failures = failures
        self.status = status
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if len(self.requests) <= self.failures:
            if self.status == 0:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(self.status, json={"detail": "busy"}, headers={"Retry-After": "0"})
        results = [
            {"id": item.get("id"), "reward": float(item["completion"] == "yes"), "status": "ok", "components": {}}
            for item in body["items"]
        ]
        return httpx.Response(200, json={"results": results})


def _items(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "completion": "yes" if i % 2 == 0 else "no", "reference": "1"} for i in range(n)]


def test_large_batches_are_chunked_and_come_back_in_order() -> None:
    service = FlakyService()
    with RefereeClient("http://referee.test", transport=httpx.MockTransport(service), chunk_size=7) as client:
        results = client.score(_items(50), reward="r1")
    assert [r.id for r in results] == list(range(50)) and results[0].reward == 1.0 and results[1].reward == 0.0
    assert len(service.requests) == 8 and all(len(r["items"]) <= 7 for r in service.requests)
    assert service.requests[0]["reward"] == "r1"


@pytest.mark.parametrize("status", [429, 503, 0])
def test_busy_and_unreachable_services_are_retried(status: int) -> None:
    service = FlakyService(failures=2, status=status)
    client = RefereeClient("http://referee.test", transport=httpx.MockTransport(service), backoff_s=0.001)
    assert [r.reward for r in client.score(_items(2))] == [1.0, 0.0]
    assert len(service.requests) == 3


def test_retries_run_out_with_a_clear_error() -> None:
    service = FlakyService(failures=99, status=503)
    client = RefereeClient("http://referee.test", transport=httpx.MockTransport(service), retries=2, backoff_s=0.001)
    with pytest.raises(RefereeUnavailable, match="503 after 2 retries"):
        client.score(_items(1))
    assert len(service.requests) == 3


def test_client_errors_are_not_retried() -> None:
    service = FlakyService(failures=99, status=422)
    client = RefereeClient("http://referee.test", transport=httpx.MockTransport(service))
    with pytest.raises(RefereeHTTPError) as caught:
        client.score(_items(1))
    assert caught.value.status == 422 and caught.value.detail == "busy" and len(service.requests) == 1


def test_the_async_client_has_the_same_shape() -> None:
    service = FlakyService(failures=1, status=429)

    async def run() -> list[Any]:
        transport = httpx.MockTransport(service)
        async with AsyncRefereeClient("http://referee.test", transport=transport, chunk_size=3, backoff_s=0) as client:
            return await client.score(_items(10))

    results = asyncio.run(run())
    assert [r.id for r in results] == list(range(10))


def test_importing_the_client_stays_light() -> None:
    code = (
        "import sys, service.client\n"
        "heavy = [m for m in ('sympy', 'docker', 'fastapi', 'lingua', 'graders.math') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
