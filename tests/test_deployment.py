"""docker-compose.yml is a valid Compose file (validated by Compose itself)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def test_compose_file_is_valid() -> None:
    compose = _compose()
    if compose is None:
        pytest.fail("Docker Compose is missing: `make test` installs it (as root), or apt-get install docker-compose")
    proc = subprocess.run([*compose, "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "/var/run/docker.sock" in proc.stdout and "healthcheck" in proc.stdout
