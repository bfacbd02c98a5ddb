"""The service's sandbox: started in the background so that math and format serve at once.

Until the pool is up (Docker reachable, the image built if it was missing, containers started),
code jobs raise ``SandboxUnavailable`` and their items get status ``error`` saying so.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

from graders.code.executor import Job, JobOutcome
from graders.errors import RefereeError, SandboxUnavailable
from sandbox.pool import LocalSandbox, SandboxPool, WorkerPool

__all__ = ["BackgroundSandbox"]

log = logging.getLogger("referee.service")
State = Literal["starting", "ready", "unavailable", "off"]


class BackgroundSandbox:
    def __init__(
        self,
        backend: Literal["docker", "local", "off"],
        size: int | None = None,
        runtime: str | None = None,
        languages: str | None = None,
    ) -> None:
        self.backend = backend
        self.size = size
        self.runtime = runtime
        self.languages = languages
        self.image_languages: tuple[str, ...] = ()
        """What the running image holds (python and cpp for the local backend's host toolchains)."""
        self.state: State = "off" if backend == "off" else "starting"
        self.reason: str | None = "the sandbox is off (REFEREE_SANDBOX=off)" if backend == "off" else None
        self._pool: WorkerPool | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> BackgroundSandbox:
        if self.backend != "off":
            self._thread = threading.Thread(target=self._start, name="referee-sandbox-start", daemon=True)
            self._thread.start()
        return self

    def _start(self) -> None:
        try:
            if self.backend == "local":
                pool: WorkerPool = LocalSandbox(self.size, allow_unsafe=True)
            else:
                from sandbox.containers import ContainerSettings, docker_client
                from sandbox.image import build_image, image_languages

                client = docker_client()
                tag, _ = build_image(
                    client, languages=self.languages, log=lambda message: log.info("sandbox image: %s", message)
                )
                self.image_languages = image_languages(client, tag)
                pool = SandboxPool(self.size, ContainerSettings(runtime=self.runtime), client=client)
            pool.start()
        except (RefereeError, OSError) as exc:
            self.state, self.reason = "unavailable", str(exc)
            log.warning("code items cannot be graded: %s", exc)
            return
        if self._closed:
            pool.close()
            return
        self._pool, self.state, self.reason = pool, "ready", None
        log.info("sandbox ready: %d workers", pool.size)

    def wait(self, timeout_s: float | None = None) -> State:
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.state

    @property
    def pool_size(self) -> int:
        return self._pool.ready if self._pool is not None else 0

    def execute(self, job: Job) -> JobOutcome:
        if self._pool is None:
            raise SandboxUnavailable(self.reason or "the sandbox is still starting (see /readyz); retry shortly")
        return self._pool.execute(job)

    def details(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "backend": self.backend,
            "runtime": self.runtime_name,
            "workers": self.pool_size,
            "reason": self.reason,
        }

    @property
    def runtime_name(self) -> str | None:
        """The containers' OCI runtime (``runc`` unless set, e.g. ``runsc``); None without containers."""
        return (self.runtime or "runc") if self.backend == "docker" else None

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.close()
