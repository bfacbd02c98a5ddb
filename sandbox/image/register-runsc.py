"""Add gVisor's ``runsc`` to Docker's runtimes in daemon.json, keeping every other setting.

    python3 register-runsc.py /etc/docker/daemon.json /usr/bin/runsc

``--network=none``: the sandbox containers have no network anyway, and without it runsc refuses to
start in the root network namespace on this kind of host. Stdlib only (runs before any venv exists).
"""

import json
import os
import sys
from typing import Any


def main(path: str, runsc: str) -> None:
    config: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
        config = json.loads(text) if text else {}
    runtimes = config.setdefault("runtimes", {})
    runtimes["runsc"] = {"path": runsc, "runtimeArgs": ["--network=none"]}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".referee-tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
