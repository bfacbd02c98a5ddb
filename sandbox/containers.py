"""Hardened sandbox containers (Docker SDK): the flags, start-up, attach, and removal of leftovers.

Every container runs ``worker.py`` as its only program, fed on the command line so the image holds
toolchains only. The flags follow DESIGN.md: no network, read-only root, small tmpfs for work, pids,
memory and CPU limits, all capabilities dropped but SETUID/SETGID (the worker drops to the job uid),
``no-new-privileges``, an init, no environment, no host mounts, and a label for clean-up.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

from graders.errors import SandboxUnavailable, WorkerCrashed
from sandbox.channel import SocketChannel, worker_source, zygote_source
from sandbox.image import IMAGE_NAME, image_tag

__all__ = ["ContainerChannel", "ContainerSettings", "LABEL", "docker_client", "owner_label", "remove_leftovers"]

LABEL = "referee.sandbox"
PYTHON = "/usr/bin/python3"


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerSettings:
    """Resources of one container. Per-test limits (rlimits) are set by the worker inside them."""

    image: str = f"{IMAGE_NAME}:{image_tag()}"
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    job_processes: int = 64
    box_mb: int = 256
    box_inodes: int = 16384
    tmp_mb: int = 64
    tmp_inodes: int = 4096
    start_timeout_s: float = 30.0
    runtime: str | None = None
    """An OCI runtime registered with Docker, e.g. "runsc" (gVisor) for a second boundary; None: runc."""
    gvisor_pids: int = 4096
    """The pids limit under gVisor: there it counts the sandbox kernel's host threads (ptrace stubs),
    not the job's processes, and 256 let a C++ fork bomb kill the whole sandbox; the job's processes
    stay capped by RLIMIT_NPROC (``job_processes``), which gVisor enforces itself."""

    @property
    def pids_limit(self) -> int:
        return max(self.pids, self.gvisor_pids) if self.runtime and self.runtime.startswith("runsc") else self.pids


def docker_client() -> Any:
    """A Docker client, or ``SandboxUnavailable`` saying why there is none."""
    try:
        import docker

        client = docker.from_env(version="auto", timeout=60)
        client.ping()
        return client
    except Exception as exc:
        raise SandboxUnavailable(f"Docker is not reachable: {exc}") from exc


def _pid_namespace() -> str:
    """This process's PID namespace: a service inside a container sees other PIDs than the host."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "?"


def owner_label() -> str:
    """Who owns a container: this host, PID namespace and process, so that start-up can tell leftovers
    from live pools."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}"


def _owner_gone(owner: str | None) -> bool:
    """A container is a leftover when its owning process, in this host and PID namespace, no longer exists.

    Another host's or another PID namespace's pool (a service in a container beside one on the host)
    is not ours to judge: its PIDs mean nothing here. Unlabelled containers are leftovers."""
    if owner is None:
        return True
    host, namespace, pid = (["", "", ""] + owner.split(":"))[-3:]
    if host != socket.gethostname() or namespace != _pid_namespace() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_leftovers(client: Any, pool_id: str | None = None) -> int:
    """Remove one pool's containers, or (no ``pool_id``) those whose owning process has died."""
    label = f"{LABEL}.pool={pool_id}" if pool_id else LABEL
    removed = 0
    for container in client.containers.list(all=True, filters={"label": label}):
        if pool_id is None and not _owner_gone(container.labels.get(f"{LABEL}.owner")):
            continue
        try:
            container.remove(force=True)
            removed += 1
        except Exception:
            pass
    return removed


class ContainerChannel(SocketChannel):
    """One started, attached, configured container with its worker ready."""

    def __init__(self, client: Any, settings: ContainerSettings, pool_id: str, index: int) -> None:
        uid = 100_000 + secrets.randbelow(900_000_000)
        self.uid = uid
        self.started_at = time.monotonic()
        owner = f"uid={uid},gid={uid},mode=0700"
        try:
            self.container = client.containers.create(
                settings.image,
                command=[PYTHON, "-I", "-S", "-c", worker_source()],
                name=f"referee-sandbox-{pool_id}-{index}-{secrets.token_hex(3)}",
                hostname="sandbox",
                stdin_open=True,
                network_mode="none",
                read_only=True,
                tmpfs={
                    "/box": f"size={settings.box_mb}m,nr_inodes={settings.box_inodes},{owner},exec,nosuid,nodev",
                    "/tmp": f"size={settings.tmp_mb}m,nr_inodes={settings.tmp_inodes},{owner},noexec,nosuid,nodev",
                },
                shm_size="8m",
                ipc_mode="private",
                pids_limit=settings.pids_limit,
                mem_limit=f"{settings.memory_mb}m",
                memswap_limit=f"{settings.memory_mb}m",
                nano_cpus=int(settings.cpus * 1e9),
                cap_drop=["ALL"],
                cap_add=["SETUID", "SETGID"],
                security_opt=["no-new-privileges"],
                init=True,
                user="0:0",
                working_dir="/",
                environment={},
                labels={LABEL: "worker", f"{LABEL}.pool": pool_id, f"{LABEL}.owner": owner_label()},
                log_config={"type": "none"},
                **({"runtime": settings.runtime} if settings.runtime else {}),
            )
        except Exception as exc:
            raise SandboxUnavailable(f"cannot create a sandbox container from {settings.image}: {exc}") from exc
        try:
            attached = self.container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            sock: socket.socket = attached._sock
            sock.setblocking(True)
            super().__init__(self.container.name, sock)
            self._attached = attached
            self.container.start()
            config = {
                "uid": uid,
                "gid": uid,
                "box": "/box",
                "tmp": "/tmp",
                "wipe": ["/box", "/tmp", "/dev/shm"],
                "nproc": settings.job_processes,
                "zygote": zygote_source(),
            }
            self.send((json.dumps(config) + "\n").encode())
            ready = self.receive(time.monotonic() + settings.start_timeout_s)
            if not ready.get("ready"):
                raise WorkerCrashed(f"worker did not start: {ready}", where=self.name)
        except Exception:
            self.close()
            raise
        self.startup_s = time.monotonic() - self.started_at

    def close(self) -> None:
        super().close()
        try:
            self._attached.close()
        except Exception:
            pass
        try:
            self.container.remove(force=True)
        except Exception:
            pass
