"""Credentials in the path: ``/t/<token>/run_code`` is ``/run_code`` called with ``<token>``.

verl, the ``sandbox-fusion`` client, open-r1's routers and Piston clients cannot send an
``Authorization`` header, but each takes a base URL with a path. With ``REFEREE_TOKENS`` set, a
request under ``/t/<token>/`` is served as the path after it when the token is one of them, and is
answered 401 otherwise. Without tokens the prefix is simply removed.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import MutableMapping, Sequence
from typing import Any

from pydantic import SecretStr

__all__ = ["PREFIX", "PathTokens", "RedactPathTokens", "path_token_checked", "valid_token"]

PREFIX = "/t/"
_IN_PATH = re.compile(r"/t/[^/\s?]+")


class RedactPathTokens(logging.Filter):
    """Keeps tokens out of access logs: ``/t/<token>/run_code`` is logged as ``/t/***/run_code``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_IN_PATH.sub("/t/***", a) if isinstance(a, str) else a for a in record.args)
        return True


def valid_token(token: str, known: Sequence[SecretStr]) -> bool:
    """Constant-time comparison with every configured token."""
    return any(secrets.compare_digest(token.encode(), k.get_secret_value().encode()) for k in known)


def path_token_checked(scope: MutableMapping[str, Any]) -> bool:
    """Whether this request came in under ``/t/<token>/`` with a valid token."""
    return bool(scope.get("state", {}).get("referee_path_token"))


class PathTokens:
    """ASGI middleware: strips ``/t/<token>`` and marks the request as authenticated."""

    def __init__(self, app: Any, tokens: Sequence[SecretStr]) -> None:
        self.app = app
        self.tokens = list(tokens)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        token, _, rest = scope["path"][len(PREFIX) :].partition("/")
        if self.tokens and not valid_token(token, self.tokens):
            await _unauthorized(send)
            return
        scope = dict(scope)
        scope["path"] = "/" + rest
        scope["raw_path"] = scope["path"].encode()
        scope["state"] = {**scope.get("state", {}), "referee_path_token": bool(self.tokens)}
        await self.app(scope, receive, send)


async def _unauthorized(send: Any) -> None:
    body = json.dumps({"detail": "the token in the path is not valid"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
