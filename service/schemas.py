"""The item and result schema shared by HTTP, CLI and SDK (see DESIGN.md).

Request models forbid unknown fields, so a misspelt ``refernce`` is an error instead of a silent
default. Code ``tests`` are a discriminated union on ``kind`` with a module-level ``TypeAdapter``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, TypeAdapter, model_validator

__all__ = [
    "AssertTests",
    "CallCase",
    "CallTests",
    "ITEM_ADAPTER",
    "Item",
    "Result",
    "Status",
    "StdioCase",
    "StdioTests",
    "Tests",
]

MAX_TEXT_CHARS = 1_000_000


class _Request(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StdioCase(_Request):
    stdin: str = ""
    stdout: str


class _Tests(_Request):
    """Per-test limits, for this item only: CPU seconds and MiB of address space."""

    time_limit: float | None = Field(default=None, gt=0, le=60)
    memory_limit: int | None = Field(default=None, ge=32, le=8192)


class StdioTests(_Tests):
    kind: Literal["stdio"]
    cases: list[StdioCase] = Field(min_length=1)
    float_tol: float | None = Field(default=None, ge=0)


class CallCase(_Request):
    args: list[Any] = Field(default_factory=list)
    expected: Any


class CallTests(_Tests):
    kind: Literal["call"]
    entry_point: str = Field(min_length=1)
    cases: list[CallCase] = Field(min_length=1)


class AssertTests(_Tests):
    kind: Literal["assert"]
    code: str = Field(min_length=1)


Tests = Annotated[StdioTests | CallTests | AssertTests, Discriminator("kind")]


_LANGUAGE_ALIASES = {
    "py": "python",
    "python3": "python",
    "c++": "cpp",
    "c++17": "cpp",
    "cpp17": "cpp",
    "js": "javascript",
    "nodejs": "javascript",
    "node": "javascript",
    "ts": "typescript",
    "golang": "go",
    "go_test": "go",
    "rs": "rust",
    "sh": "bash",
    "shell": "bash",
    "java17": "java",
}
Language = Literal["python", "cpp", "c", "java", "javascript", "typescript", "go", "rust", "bash"]


def _language_alias(value: object) -> object:
    if isinstance(value, str):
        name = value.strip().lower()
        return _LANGUAGE_ALIASES.get(name, name)
    return value


class Item(_Request):
    """One completion to score."""

    completion: str = Field(max_length=MAX_TEXT_CHARS)
    task: Literal["math", "code"] | None = None
    reference: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    tests: Tests | None = None
    language: Annotated[Language, BeforeValidator(_language_alias)] = "python"
    id: str | int | None = None
    prompt: str | None = None
    completion_tokens: int | None = Field(default=None, ge=0)
    target_language: str | None = None
    group: str | int | None = None
    """Completions of one prompt (a GRPO group), for group-relative rewards; defaults to the prompt."""

    @model_validator(mode="after")
    def _infer_task(self) -> Item:
        task = self.task or ("code" if self.tests is not None else "math")
        if task == "math" and self.reference is None:
            raise ValueError("a math item needs a 'reference'")
        if task == "code" and self.tests is None:
            raise ValueError("a code item needs 'tests'")
        object.__setattr__(self, "task", task)
        return self


ITEM_ADAPTER: TypeAdapter[Item] = TypeAdapter(Item)


class Status(StrEnum):
    OK = "ok"
    UNSCORABLE = "unscorable"
    ERROR = "error"
    INVALID = "invalid"


class Result(BaseModel):
    """One result per item, in input order, with a stable key set. Readers ignore unknown fields."""

    model_config = ConfigDict(extra="ignore")

    id: str | int | None = None
    reward: float | None
    status: Status
    components: dict[str, float | None] = Field(default_factory=dict)
    details: dict[str, dict[str, Any]] = Field(default_factory=dict)
    error: str | None = None
