"""Which optional parts are installed: the plain ``referee`` install is the client only."""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["SERVER_MODULES", "missing_server_modules", "require_server"]

SERVER_MODULES = ("sympy", "latex2sympy2_extended", "pebble", "docker", "regex", "lingua", "fastapi", "uvicorn")
"""Imported by the graders, the sandbox pool and the service: the ``server`` extra provides them."""


def missing_server_modules() -> list[str]:
    return [name for name in SERVER_MODULES if find_spec(name) is None]


def require_server(what: str) -> None:
    """Exit with one line saying what to install when the ``server`` extra is missing."""
    missing = missing_server_modules()
    if missing:
        raise SystemExit(
            f"referee: {what} needs the server extra: pip install 'referee[server]' (missing: {', '.join(missing)})"
        )
