"""The error body every route documents: ``{"detail": ...}``, a message or pydantic's list of errors."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["COMMON_ERRORS", "ErrorDetail"]


class ErrorDetail(BaseModel):
    detail: str | list[dict[str, Any]]


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorDetail, "description": "a token is required (REFEREE_TOKENS)"},
    413: {"model": ErrorDetail, "description": "over a size limit, named in the message"},
    422: {"model": ErrorDetail, "description": "not valid: pydantic's errors, or a message"},
}
"""Answers any route may give (the body-size middleware, the token check, validation)."""
