"""A Docker image from Debian packages, with no registry: ``debootstrap`` a minimal root, then
``docker import`` it. Used for the sandbox image and for the service's base image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from graders.errors import SandboxUnavailable

__all__ = ["DEFAULT_MIRROR", "SUITE", "debian_mirror", "import_debian_root"]

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
JUNK = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man")


def debian_mirror() -> str:
    """The Debian mirror apt already uses here (deb822 or one-line sources), else deb.debian.org."""
    for path in (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("URIs:"):
                return line.split()[1]
            if line.startswith("deb ") and "security" not in line:
                parts = [p for p in line.split() if not p.startswith("[")]
                return parts[1]
    return DEFAULT_MIRROR


def _in_root(root: str, script: str) -> None:
    proc = os.path.join(root, "proc")
    mounted = subprocess.run(["mount", "-t", "proc", "proc", proc], capture_output=True).returncode == 0
    try:
        done = subprocess.run(
            ["chroot", root, "/bin/sh", "-ec", script],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"},
        )
    finally:
        if mounted:
            subprocess.run(["umount", proc], capture_output=True)
    if done.returncode != 0:
        raise SandboxUnavailable(f"preparing the image root failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")


def import_debian_root(
    tag: str,
    packages: Sequence[str],
    *,
    labels: Mapping[str, str],
    cmd: Sequence[str],
    env: Mapping[str, str] | None = None,
    post: Sequence[str] = (),
    log: Callable[[str], object] = print,
) -> None:
    """Build ``tag`` from a ``debootstrap --variant=minbase`` root holding ``packages``; ``post`` are shell
    scripts run in the root (chroot, with /proc mounted) before it is imported."""
    if shutil.which("debootstrap") is None:
        raise SandboxUnavailable("an image without a registry needs debootstrap: apt-get install -y debootstrap")
    with tempfile.TemporaryDirectory(prefix="referee-rootfs-") as work:
        root = os.path.join(work, "root")
        command = ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, root, debian_mirror()]
        log(f"debootstrap of {', '.join(packages)} from {command[-1]} (about a minute)")
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SandboxUnavailable(f"debootstrap failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        for script in post:
            log("preparing the root: " + script.splitlines()[0][:80])
            _in_root(root, script)
        for junk in JUNK:
            shutil.rmtree(os.path.join(root, junk), ignore_errors=True)
        log(f"docker import {tag}")
        changes = [
            "LABEL " + " ".join(f"{key}={value}" for key, value in labels.items()),
            f"CMD {json.dumps(list(cmd))}",
            *(f"ENV {key}={value}" for key, value in (env or {}).items()),
        ]
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", *[f"--change={c}" for c in changes], "-", tag], stdin=tar.stdout, capture_output=True
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise SandboxUnavailable(f"docker import failed: {imported.stderr.decode()[-2000:]}")
