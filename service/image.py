"""The service's own image, for ``docker compose``, built without a registry.

Three steps, each skipped when already done:

1. the base: ``referee-service-base:<version>``, Debian's ``python3`` and ``python3-venv`` from
   ``debootstrap`` (as the sandbox image is made), unless another base is given (``python:3.11-slim``
   on a host with a registry);
2. the wheels of ``referee[server]``, fetched on the host by pip into ``build/service-wheels`` (the
   host reaches the package index; the image build needs no network at all);
3. ``docker build --network none`` of ``service/Dockerfile`` from a checkout of the project.

The base's Python must be the wheels' (3.11, as in Debian bookworm): the wheels are fetched for 3.11.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graders.errors import SandboxUnavailable
from sandbox.image import image_tag
from sandbox.image.rootfs import import_debian_root

__all__ = ["BASE_PACKAGES", "SERVICE_IMAGE", "base_tag", "build_service_image"]

SERVICE_IMAGE = "referee-service"
BASE_IMAGE = "referee-service-base"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
PYTHON_VERSION = "3.11"
ROOT = Path(__file__).resolve().parents[1]
WHEELS = Path("build") / "service-wheels"


def base_tag() -> str:
    return f"{BASE_IMAGE}:{image_tag()}"


def _image_exists(client: Any, tag: str) -> bool:
    try:
        client.images.get(tag)
    except Exception:
        return False
    return True


def _fetch_wheels(log: Callable[[str], object]) -> Path:
    wheels = ROOT / WHEELS
    wheels.mkdir(parents=True, exist_ok=True)
    for old in wheels.glob("referee-*.whl"):
        old.unlink()  # the project's own wheel is rebuilt every time: the checkout may have changed
    log(f"wheels of referee[server] for Python {PYTHON_VERSION} into {WHEELS}")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    steps = [
        [*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)],
        [
            *pip,
            "download",
            "--quiet",
            "--only-binary=:all:",
            f"--python-version={PYTHON_VERSION}",
            "--dest",
            str(wheels),
            "--find-links",
            str(wheels),
            "referee[server]",
        ],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            raise SandboxUnavailable(f"fetching the service's wheels failed: {done.stderr[-2000:]}")
    return wheels


def build_service_image(
    client: Any, *, base: str | None = None, log: Callable[[str], object] = print
) -> tuple[str, float]:
    """Build ``referee-service:<version>``; returns (tag, seconds)."""
    if not (ROOT / "service" / "Dockerfile").exists() or not (ROOT / "pyproject.toml").exists():
        raise SandboxUnavailable("the service image is built from a checkout of the project (service/Dockerfile)")
    started = time.monotonic()
    if base is None:
        base = base_tag()
        if not _image_exists(client, base):
            labels = {"referee.image": "service-base"}
            import_debian_root(base, BASE_PACKAGES, labels=labels, cmd=["/usr/bin/python3"], log=log)
    elif not _image_exists(client, base):
        raise SandboxUnavailable(f"the base image {base} is not here: pull it first, or build without --base")
    _fetch_wheels(log)
    tag = f"{SERVICE_IMAGE}:{image_tag()}"
    log(f"docker build {tag} from {base} (no network)")
    command = ["docker", "build", "--network", "none", "--build-arg", f"BASE={base}", "-f", "service/Dockerfile"]
    done = subprocess.run([*command, "-t", tag, "."], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SandboxUnavailable(f"docker build of {tag} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return tag, time.monotonic() - started
