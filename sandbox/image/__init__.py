"""Building the sandbox image: from the Dockerfile where a base image is at hand, else from Debian packages.

The image holds toolchains only (Python 3 and g++ for C++17); the worker's code is passed on each
container's command line, so an image never runs stale worker code. It is tagged with the project
version and labelled with a digest of the recipe, so a changed recipe is rebuilt.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sandbox.image.rootfs import SUITE, import_debian_root

__all__ = ["BASE_IMAGE", "IMAGE_NAME", "PACKAGES", "build_image", "image_tag", "recipe_digest"]

IMAGE_NAME = "referee-sandbox"
BASE_IMAGE = "debian:bookworm-slim"
PACKAGES = ("python3", "g++")
DOCKERFILE_DIR = Path(__file__).resolve().parent


def image_tag() -> str:
    try:
        return version("referee")
    except PackageNotFoundError:
        return "dev"


def recipe_digest() -> str:
    recipe = (DOCKERFILE_DIR / "Dockerfile").read_bytes() + repr((PACKAGES, SUITE)).encode()
    return hashlib.sha256(recipe).hexdigest()[:16]


def _current(client: Any, tag: str) -> bool:
    try:
        image = client.images.get(tag)
    except Exception:
        return False
    return bool(image.labels.get("referee.recipe") == recipe_digest())


def _build_offline(client: Any, tag: str, log: Any) -> None:
    labels = {"referee.sandbox": "image", "referee.recipe": recipe_digest()}
    import_debian_root(tag, PACKAGES, labels=labels, cmd=["/usr/bin/python3"], log=log)


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
