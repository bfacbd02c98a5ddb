"""Service settings, all from ``REFEREE_*`` environment variables (pydantic-settings).

Every limit a request can hit is a setting here, so an operator can raise it; the error a client
gets names the setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFEREE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int | None = Field(default=None, ge=1)
    """Math grader processes (default: one per core)."""
    timeout_s: float = Field(default=5.0, gt=0)
    """Deadline per math item."""
    cache_size: int = Field(default=100_000, ge=0)
    """Verdicts kept across batches (0: none; identical answers in one batch are still judged once)."""
    sandbox: Literal["docker", "local", "off"] = "docker"
    sandboxes: int | None = Field(default=None, ge=1)
    sandbox_languages: str = "python,cpp"
    """Languages the sandbox image must hold (built in the background when missing): a list or "all"."""
    sandbox_runtime: str | None = None
    """OCI runtime of the sandbox containers (e.g. "runsc" for gVisor, registered with Docker first)."""
    max_body_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    """Request body size (413 beyond), checked before the body is read."""
    max_items: int = Field(default=16_384, ge=1)
    """Items per request (413 beyond)."""
    max_completion_chars: int = Field(default=200_000, ge=1)
    """Characters per completion (422 beyond)."""
    max_cases: int = Field(default=10_000, ge=1)
    """Test cases per code item (422 beyond)."""
    max_queued_items: int = Field(default=65_536, ge=1)
    """Items accepted but not yet graded, over all requests; beyond it: 429 with Retry-After."""
    retry_after_s: int = Field(default=2, ge=1)
    wire_queue_s: float = Field(default=20.0, gt=0)
    """Execution wires (/run_code, /api/v2/execute, /execute_batch): how long a request may wait for a
    sandbox. Past it, SandboxFusion's /run_code answers 504 (verl retries only 504 and turns 429/503
    into a reward of 0), Piston's 503 with Retry-After (open-r1 retries any non-200), and each script
    of /execute_batch its exception_str."""
    tokens: list[SecretStr] = Field(default_factory=list)
    """Bearer tokens (JSON list in REFEREE_TOKENS); empty means no authentication."""
    default_reward: str = "accuracy"
    """The reward spec of requests that send none: a preset name or a JSON object."""
