"""The Python client of the Referee service: ``RefereeClient`` and ``AsyncRefereeClient``.

One API shape for both: ``score(items, reward=...)`` returns one ``ScoredItem`` per item, in order.
Large batches are split into chunks sent with bounded concurrency; connection errors, ``429`` and
``503`` are retried with exponential backoff (safe: scoring is deterministic), honouring
``Retry-After``. Importing this module imports httpx and pydantic only (no sympy, Docker or FastAPI),
so a trainer process stays light.

Errors: ``RefereeClientError`` ├── ``RefereeHTTPError`` (an answer of 4xx/5xx, with ``status`` and
``detail``) └── ``RefereeUnavailable`` (no answer after the retries).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

__all__ = [
    "AsyncRefereeClient",
    "RefereeClient",
    "RefereeClientError",
    "RefereeHTTPError",
    "RefereeUnavailable",
    "ScoredItem",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
Spec = str | Mapping[str, Any] | None


class RefereeClientError(Exception):
    """Anything the client raises."""


class RefereeHTTPError(RefereeClientError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class RefereeUnavailable(RefereeClientError):
    """The service did not answer usefully after every retry."""


class ScoredItem(BaseModel):
    """A result as the service returns it (unknown fields are kept for newer servers)."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = None
    reward: float | None
    status: str
    components: dict[str, float | None] = {}
    details: dict[str, dict[str, Any]] = {}
    error: str | None = None


def _items(items: Sequence[Mapping[str, Any] | BaseModel]) -> list[dict[str, Any]]:
    return [i.model_dump(exclude_none=True) if isinstance(i, BaseModel) else dict(i) for i in items]


def _chunks(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)[:500]


def _delay(attempt: int, backoff_s: float, response: httpx.Response | None) -> float:
    if response is not None:
        after = response.headers.get("retry-after", "")
        if after.isdigit():
            return float(after)
    return float(backoff_s * 2**attempt * (0.5 + random.random()))


class _Base:
    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        timeout_s: float = 300.0,
        retries: int = 5,
        backoff_s: float = 0.5,
        chunk_size: int = 1024,
        concurrency: int = 4,
    ) -> None:
        self.url = (url or os.environ.get("REFEREE_URL") or "http://127.0.0.1:8000").rstrip("/")
        token = token if token is not None else os.environ.get("REFEREE_TOKEN")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.chunk_size = chunk_size
        self.concurrency = concurrency

    def _parse(self, response: httpx.Response, count: int) -> list[ScoredItem]:
        if response.status_code != 200:
            raise RefereeHTTPError(response.status_code, _detail(response))
        results = [ScoredItem.model_validate(r) for r in response.json()["results"]]
        if len(results) != count:
            raise RefereeClientError(f"the service answered {len(results)} results for {count} items")
        return results


class RefereeClient(_Base):
    """Blocking client; thread-safe. Use as a context manager or call ``close``."""

    def __init__(self, url: str | None = None, *, transport: httpx.BaseTransport | None = None, **options: Any) -> None:
        super().__init__(url, **options)
        self._http = httpx.Client(timeout=self.timeout_s, headers=self.headers, transport=transport)

    def __enter__(self) -> RefereeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response | None = None
        for attempt in range(self.retries + 1):
            try:
                response = self._http.post(self.url + path, json=body)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise RefereeUnavailable(f"cannot reach {self.url}: {exc}") from exc
                time.sleep(_delay(attempt, self.backoff_s, None))
                continue
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                break
            time.sleep(_delay(attempt, self.backoff_s, response))
        assert response is not None
        if response.status_code in RETRY_STATUSES:
            raise RefereeUnavailable(f"HTTP {response.status_code} after {self.retries} retries: {_detail(response)}")
        return response

    def score(self, items: Sequence[Mapping[str, Any] | BaseModel], reward: Spec = None) -> list[ScoredItem]:
        chunks = _chunks(_items(items), self.chunk_size)

        def one(chunk: list[dict[str, Any]]) -> list[ScoredItem]:
            body: dict[str, Any] = {"items": chunk, "reward": reward}
            return self._parse(self._post("/v1/score", body), len(chunk))

        if len(chunks) == 1:
            return one(chunks[0])
        with ThreadPoolExecutor(min(self.concurrency, len(chunks))) as threads:
            return [r for part in threads.map(one, chunks) for r in part]

    def graders(self) -> dict[str, Any]:
        response = self._http.get(self.url + "/v1/graders")
        if response.status_code != 200:
            raise RefereeHTTPError(response.status_code, _detail(response))
        return dict(response.json())


class AsyncRefereeClient(_Base):
    """The same API for asyncio code (verl's async reward managers, async TRL reward functions)."""

    def __init__(
        self, url: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
    ) -> None:
        super().__init__(url, **options)
        self._http = httpx.AsyncClient(timeout=self.timeout_s, headers=self.headers, transport=transport)

    async def __aenter__(self) -> AsyncRefereeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response | None = None
        for attempt in range(self.retries + 1):
            try:
                response = await self._http.post(self.url + path, json=body)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise RefereeUnavailable(f"cannot reach {self.url}: {exc}") from exc
                await asyncio.sleep(_delay(attempt, self.backoff_s, None))
                continue
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                break
            await asyncio.sleep(_delay(attempt, self.backoff_s, response))
        assert response is not None
        if response.status_code in RETRY_STATUSES:
            raise RefereeUnavailable(f"HTTP {response.status_code} after {self.retries} retries: {_detail(response)}")
        return response

    async def score(self, items: Sequence[Mapping[str, Any] | BaseModel], reward: Spec = None) -> list[ScoredItem]:
        chunks = _chunks(_items(items), self.chunk_size)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(chunk: list[dict[str, Any]]) -> list[ScoredItem]:
            async with gate:
                body: dict[str, Any] = {"items": chunk, "reward": reward}
                return self._parse(await self._post("/v1/score", body), len(chunk))

        parts = await asyncio.gather(*(one(c) for c in chunks))
        return [r for part in parts for r in part]
