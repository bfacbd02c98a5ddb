"""The ``referee`` command line: ``referee grade INPUT.jsonl [-o OUTPUT.jsonl] [--workers N] [--timeout S]``.

Every input line gets exactly one output line, in order. A line that is not a valid item becomes a
result with status ``invalid`` and the reason; the run goes on. The exit code is non-zero only for
unusable arguments (2) or an unreadable input file (1).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import IO

from pydantic import ValidationError

from service.engine import EngineConfig, GradingEngine
from service.schemas import ITEM_ADAPTER, Item, Result, Status

__all__ = ["main"]

CHUNK = 2048
"""Lines graded per engine call: output streams out and memory stays bounded on big files."""


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="referee", description="Referee: rule-based rewards for RL.")
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade a JSONL file of items, one result line per input line")
    grade.add_argument("input", help="items as JSON lines, or - for standard input")
    grade.add_argument("-o", "--output", default="-", help="where results go (default: - , standard output)")
    grade.add_argument("--workers", type=_positive_int, default=None, help="grader processes (default: cores)")
    grade.add_argument("--timeout", type=_positive_float, default=5.0, help="deadline per item in seconds")
    return parser


def _invalid(reason: str, raw_id: object = None) -> Result:
    return Result(
        id=raw_id if isinstance(raw_id, str | int) else None, reward=None, status=Status.INVALID, error=reason
    )


def _read_item(line: str) -> Item | Result:
    if not line.strip():
        return _invalid("empty line")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return _invalid(f"not JSON: {exc}")
    if not isinstance(data, dict):
        return _invalid("an item must be a JSON object")
    try:
        return ITEM_ADAPTER.validate_python(data)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
        return _invalid(reasons, data.get("id"))


def _chunks(lines: Iterator[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Summary:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.statuses: Counter[str] = Counter()
        self.verdicts: Counter[str] = Counter()
        self.rewards: list[float] = []

    def add(self, result: Result) -> None:
        self.statuses[result.status.value] += 1
        for detail in result.details.values():
            if "verdict" in detail:
                self.verdicts[detail["verdict"]] += 1
        if result.reward is not None:
            self.rewards.append(result.reward)

    def render(self) -> str:
        total = sum(self.statuses.values())
        elapsed = time.perf_counter() - self.started
        mean = sum(self.rewards) / len(self.rewards) if self.rewards else float("nan")
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items()))
        rate = total / elapsed if elapsed > 0 else 0.0
        return (
            f"referee: {total} items in {elapsed:.2f} s ({rate:.1f} items/s)\n"
            f"  status: {statuses or '-'}\n  verdict: {verdicts or '-'}\n  mean reward: {mean:.4f}"
        )


def _grade(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        try:
            source: IO[str] = (
                sys.stdin if args.input == "-" else stack.enter_context(open(args.input, encoding="utf-8"))
            )
        except OSError as exc:
            print(f"referee: cannot read {args.input}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        try:
            sink: IO[str] = (
                sys.stdout if args.output == "-" else stack.enter_context(open(args.output, "w", encoding="utf-8"))
            )
        except OSError as exc:
            print(f"referee: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        engine = stack.enter_context(GradingEngine(EngineConfig(workers=args.workers, timeout_s=args.timeout)))
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            size = shutil.get_terminal_size()  # falls back to 80x24 where a terminal reports 0x0
            bar = stack.enter_context(tqdm(unit="item", file=sys.stderr, ncols=size.columns, nrows=size.lines))
        summary = _Summary()
        try:
            for chunk in _chunks(iter(source)):
                parsed = [_read_item(line) for line in chunk]
                items = [p for p in parsed if isinstance(p, Item)]
                graded = iter(engine.grade(items, progress=bar.update if bar is not None else None))
                for entry in parsed:
                    result = next(graded) if isinstance(entry, Item) else entry
                    if bar is not None and not isinstance(entry, Item):
                        bar.update(1)
                    summary.add(result)
                    sink.write(result.model_dump_json() + "\n")
                sink.flush()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"referee: cannot read {args.input}: {exc}", file=sys.stderr)
            return 1
        if bar is not None:
            bar.close()
        print(summary.render(), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
