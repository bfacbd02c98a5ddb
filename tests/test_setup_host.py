"""sandbox/image/setup-host.sh, which `make serve` and `make test` run first: where it cannot set the
host up (not root, no apt-get), it says so in one line, with what to run, and exits 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "sandbox" / "image" / "setup-host.sh"
TOOLS = ("bash", "id", "dirname", "seq", "sleep")


def _bare_path(tmp_path: Path) -> str:
    """A PATH with a shell and coreutils but neither Docker, debootstrap nor apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _run(path: str, *prefix: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": "/tmp"}
    return subprocess.run(
        [*prefix, "bash", str(SCRIPT), "--docker-only"], env=env, capture_output=True, text=True, timeout=60
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _as_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("these tests run as root (as `make test` does, to set Docker up)")


def test_not_root_and_nothing_installed_says_what_to_run() -> None:
    _as_root()
    setpriv = shutil.which("setpriv")
    assert setpriv, "util-linux's setpriv"
    with tempfile.TemporaryDirectory() as shared:  # under /tmp, reachable by the unprivileged user
        Path(shared).chmod(0o755)
        done = _run(_bare_path(Path(shared)), setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    line = _one_line(done)
    assert "installing them needs root" in line and "sudo make sandbox" in line
    assert "docker.io" in line and "debootstrap" in line


def test_no_apt_get_says_what_to_install(tmp_path: Path) -> None:
    _as_root()
    line = _one_line(_run(_bare_path(tmp_path)))
    assert "no apt-get" in line and "install Docker" in line
