"""Fresh clone to first graded code item with the README's first command, and the plain install's size.

    python bench/first_start.py [--port 8123] [--keep]

Clones this checkout into a temporary folder, runs ``make serve`` there on loopback and times, from
the start of the command: the first math item scored, and the first code item scored correctly (a
stdio program; until the sandbox is ready code items come back ``error``). Then it measures the plain
``pip install`` (the client: SDK and adapters) in a fresh venv, against the ``server`` extra.

It sets nothing up by itself: to measure a fresh machine, first remove what ``make serve`` installs
(as root: stop dockerd, ``apt-get purge -y docker.io docker-compose debootstrap``, ``rm -rf
/var/lib/docker``). Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATH = {"completion": "so \\boxed{\\frac{1}{2}}", "reference": "0.5"}
CODE = {
    "completion": "```python\nprint(sum(map(int, input().split())))\n```",
    "tests": {"kind": "stdio", "cases": [{"stdin": "2 3", "stdout": "5"}]},
}


def _score(url: str, item: dict[str, object]) -> dict[str, object] | None:
    body = json.dumps({"items": [item]}).encode()
    request = urllib.request.Request(f"{url}/v1/score", data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            result: dict[str, object] = json.load(response)["results"][0]
            return result
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _site_packages_mb(venv: Path) -> float:
    (site,) = venv.glob("lib/python*/site-packages")
    skip = ("pip", "setuptools", "_distutils_hack", "pkg_resources")
    total = 0
    for path in site.rglob("*"):
        if path.is_file() and not path.relative_to(site).parts[0].startswith(skip):
            total += path.stat().st_size
    return total / 2**20


def _install_size(work: Path, spec: str) -> float:
    venv = work / f"venv-{spec.replace('[', '-').strip(']')}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    target = str(work / "clone") + spec.removeprefix("referee")
    subprocess.run([str(venv / "bin/pip"), "install", "--quiet", target], check=True, capture_output=True)
    return _site_packages_mb(venv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="referee-first-start-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    url = f"http://127.0.0.1:{args.port}"
    started = time.monotonic()
    env = {**os.environ, "REFEREE_PORT": str(args.port)}
    log = (work / "serve.log").open("w")
    serve = subprocess.Popen(
        ["make", "serve"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    first_math = first_code = None
    try:
        while time.monotonic() - started < args.timeout and first_code is None:
            if serve.poll() is not None:
                raise SystemExit(f"make serve exited {serve.returncode}; see {work / 'serve.log'}")
            if first_math is None and (_score(url, MATH) or {}).get("reward") == 1.0:
                first_math = time.monotonic() - started
            if first_math is not None and (_score(url, CODE) or {}).get("reward") == 1.0:
                first_code = time.monotonic() - started
            time.sleep(1)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
    print("fresh clone, `make serve`                      seconds")
    print(
        f"  first math item scored                       {first_math if first_math is None else round(first_math, 1)}"
    )
    print(
        f"  first code item graded (sandbox ready)       {first_code if first_code is None else round(first_code, 1)}"
    )
    client_mb = _install_size(work, "referee")
    server_mb = _install_size(work, "referee[server]")
    print("installed size (site-packages, without pip and setuptools)")
    print(f"  pip install referee            (client)      {client_mb:.0f} MB")
    print(f"  pip install 'referee[server]'  (service)     {server_mb:.0f} MB")
    if not args.keep:
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
