"""Building the sandbox image: from the Dockerfile where a base image is at hand, else from Debian packages.

The image holds toolchains only (Python 3 and g++ for C++17); the worker's code is passed on each
container's command line, so an image never runs stale worker code. It is tagged with the project
version and labelled with a digest of the recipe, so a changed recipe is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from graders.errors import SandboxUnavailable

__all__ = ["BASE_IMAGE", "IMAGE_NAME", "PACKAGES", "build_image", "image_tag", "recipe_digest"]

IMAGE_NAME = "referee-sandbox"
BASE_IMAGE = "debian:bookworm-slim"
PACKAGES = ("python3", "g++")
SUITE = "bookworm"
DOCKERFILE_DIR = Path(__file__).resolve().parent
DEFAULT_MIRROR = "http://deb.debian.org/debian"


def image_tag() -> str:
    try:
        return version("referee")
    except PackageNotFoundError:
        return "dev"


def recipe_digest() -> str:
    recipe = (DOCKERFILE_DIR / "Dockerfile").read_bytes() + repr((PACKAGES, SUITE)).encode()
    return hashlib.sha256(recipe).hexdigest()[:16]


def _mirror() -> str:
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


def _current(client: Any, tag: str) -> bool:
    try:
        image = client.images.get(tag)
    except Exception:
        return False
    return bool(image.labels.get("referee.recipe") == recipe_digest())


def _build_offline(client: Any, tag: str, log: Any) -> None:
    if shutil.which("debootstrap") is None:
        raise SandboxUnavailable("the offline build needs debootstrap: apt-get install -y debootstrap")
    with tempfile.TemporaryDirectory(prefix="referee-rootfs-") as work:
        root = os.path.join(work, "root")
        command = [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            SUITE,
            root,
            _mirror(),
        ]
        log(f"debootstrap of {', '.join(PACKAGES)} from {command[-1]} (about a minute)")
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SandboxUnavailable(f"debootstrap failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(os.path.join(root, junk), ignore_errors=True)
        log("docker import")
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        changes = [
            f"LABEL referee.sandbox=image referee.recipe={recipe_digest()}",
            'CMD ["/usr/bin/python3"]',
        ]
        imported = subprocess.run(
            ["docker", "import", *[f"--change={c}" for c in changes], "-", tag], stdin=tar.stdout, capture_output=True
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise SandboxUnavailable(f"docker import failed: {imported.stderr.decode()[-2000:]}")


def _build_dockerfile(client: Any, tag: str, pull: bool) -> None:
    client.images.build(
        path=str(DOCKERFILE_DIR),
        tag=tag,
        pull=pull,
        rm=True,
        labels={"referee.recipe": recipe_digest()},
    )


def build_image(client: Any, *, offline: bool | None = None, force: bool = False, log: Any = print) -> tuple[str, str]:
    """Build the image unless a current one exists; returns (tag, how).

    ``offline=None`` chooses: the Dockerfile when its base image is already present locally, else the
    Debian-package build. No registry is contacted unless ``offline=False`` asks for it.
    """
    tag = f"{IMAGE_NAME}:{image_tag()}"
    if not force and _current(client, tag):
        return tag, "present"
    if offline is None:
        try:
            client.images.get(BASE_IMAGE)
            offline = False
            pull = False
        except Exception:
            offline = True
    else:
        pull = not offline
    if offline:
        _build_offline(client, tag, log)
        return tag, "offline"
    _build_dockerfile(client, tag, pull)
    return tag, "dockerfile"
