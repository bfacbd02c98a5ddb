"""The ``referee`` console script: says in one line what to install when the server extra is missing,
instead of an ImportError from deep inside the graders."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from service.extras import require_server

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), "")
    require_server(f"'referee {command}'" if command else "'referee'")
    from service.cli import main as run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
