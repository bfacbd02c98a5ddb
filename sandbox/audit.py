"""The hardening audit: what every sandbox container must look like, checked from Docker's own record.

The pool audits each container it creates, before the container serves a job, and refuses one that
does not match (a daemon that ignores a flag, a changed default): defence in depth, and the record
the isolation tests assert.
"""

from __future__ import annotations

from typing import Any

from sandbox.containers import ContainerSettings

__all__ = ["hardening_problems"]


def hardening_problems(attrs: dict[str, Any], settings: ContainerSettings) -> list[str]:
    """What is wrong with a container (``docker inspect`` attributes); empty when it is hardened."""
    host = attrs.get("HostConfig") or {}
    config = attrs.get("Config") or {}
    problems = []

    def expect(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    expect(host.get("NetworkMode") == "none", f"network is {host.get('NetworkMode')!r}, not 'none'")
    expect(host.get("ReadonlyRootfs") is True, "the root filesystem is writable")
    expect(host.get("CapDrop") == ["ALL"], f"capabilities dropped: {host.get('CapDrop')}")
    expect(set(host.get("CapAdd") or []) <= {"SETUID", "SETGID"}, f"capabilities added: {host.get('CapAdd')}")
    expect("no-new-privileges" in (host.get("SecurityOpt") or []), "no-new-privileges is not set")
    expect(host.get("Privileged") is False, "the container is privileged")
    expect(host.get("Init") is True, "no init process")
    expect(
        host.get("PidsLimit") == settings.pids_limit, f"pids limit {host.get('PidsLimit')}, not {settings.pids_limit}"
    )
    memory = settings.memory_mb << 20
    expect(host.get("Memory") == memory, f"memory limit {host.get('Memory')}, not {memory}")
    expect(host.get("MemorySwap") == memory, "swap is allowed beyond the memory limit")
    expect(host.get("NanoCpus") == int(settings.cpus * 1e9), f"CPU limit {host.get('NanoCpus')}")
    expect(not host.get("Binds") and not attrs.get("Mounts"), "host paths are mounted")
    expect(host.get("IpcMode") == "private", f"IPC mode {host.get('IpcMode')!r}")
    expect(host.get("PidMode") in ("", None), f"PID namespace shared: {host.get('PidMode')!r}")
    expect(not host.get("Devices"), "devices are passed through")
    env = [v for v in (config.get("Env") or []) if not v.startswith("PATH=")]
    expect(not env, f"environment variables: {[v.split('=', 1)[0] for v in env]}")
    expect(set(host.get("Tmpfs") or {}) == {"/box", "/tmp"}, f"tmpfs mounts: {sorted(host.get('Tmpfs') or {})}")
    return problems
