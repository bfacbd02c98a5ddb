"""Grades a fixed batch with a GradingEngine made inside this process and prints the results as JSON.

``--heavy`` first makes this process look like a trainer: torch imported and an 8 GiB anonymous
mapping reserved (as CUDA does). Run as a script, it also checks that grader workers never import it:
a worker that re-imported the caller's main module would write ``--marker``.
"""

import argparse
import json
import mmap
import sys
from pathlib import Path

if __name__ != "__main__":  # only a process re-importing this script as its main module gets here
    marker = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--marker=")), None)
    if marker:
        Path(marker).write_text("a grader worker imported the caller's main module")

ANSWERS = [
    "\\boxed{1/2}",
    "0.5",
    "\\boxed{x^2-1}",
    "(x-1)(x+1)",
    "\\boxed{[0,1)}",
    "no idea",
    "\\boxed{3,1,2}",
    "\\boxed{\\frac{\\sqrt{2}}{2}}",
    "\\boxed{\\tan^2 y + 1}",
]
REFERENCES = ["\\frac12", "x^2-1", "\\{1,2,3\\}", "[0,1)", "\\frac{1}{\\sqrt{2}}", "\\sec^2 y"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heavy", action="store_true")
    parser.add_argument("--marker")
    args = parser.parse_args()
    held = None
    if args.heavy:
        import torch  # noqa: F401 - what a trainer has loaded

        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0x4000)  # Linux value
        held = mmap.mmap(-1, 8 << 30, flags=flags)
    from service.engine import EngineConfig, GradingEngine
    from service.schemas import Item

    items = [Item(completion=answer, reference=reference) for answer in ANSWERS for reference in REFERENCES]
    with GradingEngine(EngineConfig(workers=2, cache_size=0)) as engine:
        results = engine.grade(items)
    for result in results:
        result.details["accuracy"].pop("elapsed_ms", None)
    print(json.dumps([r.model_dump(mode="json") for r in results]))
    del held


if __name__ == "__main__":
    main()
