"""The ``referee`` command line.

``referee grade INPUT.jsonl [-o OUTPUT.jsonl] [--workers N] [--timeout S] [--sandbox docker|local|off]
[--reward SPEC]``,
``referee sandbox build [--offline | --registry] [--force]``, ``referee sandbox check`` and
``referee compose build [--base IMAGE]``.

Every input line gets exactly one output line, in order. A line that is not a valid item becomes a
result with status ``invalid`` and the reason; the run goes on. The exit code is non-zero only for
unusable arguments (2) or an unreadable input file (1).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import IO, Any

from pydantic import ValidationError

from graders.code import CodeOptions
from graders.errors import RefereeError
from graders.spec import PRESETS, RewardSpec, SpecError
from sandbox.pool import LazySandbox
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
    grade.add_argument(
        "--sandbox",
        choices=("docker", "local", "off"),
        default="docker",
        help="where code items run: hardened containers (default), the UNSAFE local backend, or nowhere",
    )
    grade.add_argument("--sandboxes", type=_positive_int, default=None, help="sandbox workers (default: cores)")
    grade.add_argument("--mode", choices=("fraction", "all"), default="fraction", help="code score: fraction or all")
    grade.add_argument(
        "--reward",
        metavar="SPEC",
        default=None,
        help=f"reward spec: a JSON object, or a preset ({', '.join(PRESETS)}); default accuracy only",
    )
    serve = sub.add_parser("serve", help="run the HTTP service (settings also from REFEREE_* variables)")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, REFEREE_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000, REFEREE_PORT)")
    serve.add_argument("--workers", type=_positive_int, default=None, help="math grader processes (default: cores)")
    serve.add_argument("--sandbox", choices=("docker", "local", "off"), default=None, help="where code runs")
    serve.add_argument("--sandboxes", type=_positive_int, default=None, help="sandbox workers (default: cores)")
    serve.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help="deploy into a Ray cluster as a Serve app (one replica per node), then return; needs referee[ray]",
    )
    serve.add_argument("--replicas", type=_positive_int, default=None, help="with --ray: replicas (default: nodes)")
    serve.add_argument("--stop", action="store_true", help="with --ray: remove the app from the cluster")
    sandbox = sub.add_parser("sandbox", help="build or check the sandbox")
    actions = sandbox.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="build the sandbox image (tagged with the project version)")
    how = build.add_mutually_exclusive_group()
    how.add_argument("--offline", action="store_true", help="build from Debian packages (debootstrap)")
    how.add_argument("--registry", action="store_true", help="build the Dockerfile, pulling its base image")
    build.add_argument("--force", action="store_true", help="rebuild even when a current image exists")
    build.add_argument(
        "--languages",
        default=None,
        help="toolchains in the image: comma-separated (python,cpp,c,java,javascript,typescript,go,rust,bash) "
        "or all; default python,cpp, or REFEREE_SANDBOX_LANGUAGES",
    )
    check = actions.add_parser("check", help="run the adversarial self-test and print a table")
    check.add_argument("--sandboxes", type=_positive_int, default=1, help="containers to attack (default 1)")
    check.add_argument(
        "--runtime",
        default=None,
        help="OCI runtime of the containers, e.g. runsc (default: REFEREE_SANDBOX_RUNTIME or runc)",
    )
    check.add_argument(
        "--attack", action="append", metavar="TEXT", help="only the attacks whose name contains TEXT (repeatable)"
    )
    compose = sub.add_parser("compose", help="build the images that docker compose runs (no registry needed)")
    compose_actions = compose.add_subparsers(dest="action", required=True)
    compose_build = compose_actions.add_parser("build", help="the sandbox image and the service image")
    compose_build.add_argument(
        "--base", default=None, help="the service image's base (default: Debian's python3 from debootstrap)"
    )
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
    try:
        reward = RewardSpec.parse(args.reward)
    except SpecError as exc:
        print(f"referee: --reward: {exc}", file=sys.stderr)
        return 2
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
        executor = None
        if args.sandbox != "off":
            executor = LazySandbox(
                args.sandbox, args.sandboxes, **({"allow_unsafe": True} if args.sandbox == "local" else {})
            )
            stack.callback(executor.close)
        config = EngineConfig(
            workers=args.workers, timeout_s=args.timeout, code=CodeOptions(mode=args.mode), reward=reward
        )
        engine = stack.enter_context(GradingEngine(config, executor=executor))
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


def _sandbox_build(args: argparse.Namespace) -> int:
    from sandbox.containers import docker_client
    from sandbox.image import build_image

    offline = True if args.offline else (False if args.registry else None)
    try:
        client = docker_client()
        started = time.perf_counter()
        languages = args.languages or os.environ.get("REFEREE_SANDBOX_LANGUAGES")
        tag, how = build_image(
            client,
            offline=offline,
            force=args.force,
            languages=languages,
            log=lambda m: print(f"referee: {m}", file=sys.stderr),
        )
    except RefereeError as exc:
        print(f"referee: {exc}", file=sys.stderr)
        return 1
    print(f"referee: sandbox image {tag} ({how}, {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


def _compose_build(args: argparse.Namespace) -> int:
    from sandbox.containers import docker_client
    from sandbox.image import build_image
    from service.image import build_service_image

    def log(message: str) -> None:
        print(f"referee: {message}", file=sys.stderr)

    try:
        client = docker_client()
        sandbox_tag, how = build_image(client, log=log)
        log(f"sandbox image {sandbox_tag} ({how})")
        tag, seconds = build_service_image(client, base=args.base, log=log)
    except RefereeError as exc:
        log(str(exc))
        return 1
    log(f"service image {tag} ({seconds:.1f} s); now: docker-compose up -d")
    return 0


def _sandbox_check(args: argparse.Namespace) -> int:
    from sandbox.attacks import ATTACKS, run_attack
    from sandbox.pool import SandboxPool

    attacks = [a for a in ATTACKS if not args.attack or any(t.lower() in a.name.lower() for t in args.attack)]
    if not attacks:
        print(f"referee: no attack matches {args.attack}", file=sys.stderr)
        return 2
    from sandbox.containers import ContainerSettings

    runtime = args.runtime or os.environ.get("REFEREE_SANDBOX_RUNTIME") or None
    try:
        pool = SandboxPool(args.sandboxes, ContainerSettings(runtime=runtime)).start()
    except RefereeError as exc:
        print(f"referee: {exc}", file=sys.stderr)
        return 1
    failures = 0
    width = max(len(a.name) for a in attacks)
    print(f"{'attack':{width}}  {'outcome':14}  score  contained  next job healthy  nothing left")
    try:
        for attack in attacks:
            report = run_attack(pool, attack)
            failures += not report.ok
            print(
                f"{report.attack:{width}}  {report.verdict:14}  {report.score!s:5}  {_yes(report.contained):9}  "
                f"{_yes(report.next_job_ok) + f' ({report.next_job_s:.2f} s)':16}  {_yes(report.clean)}",
                flush=True,
            )
    finally:
        pool.close()
    print(f"{len(attacks) - failures}/{len(attacks)} attacks contained", file=sys.stderr)
    return 1 if failures else 0


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app
    from service.settings import Settings

    overrides = {
        k: v for k in ("host", "port", "workers", "sandbox", "sandboxes") if (v := getattr(args, k)) is not None
    }
    settings = Settings(**overrides)
    if args.ray is not None:
        return _serve_on_ray(args, settings)
    from service.path_tokens import RedactPathTokens

    logging.getLogger("uvicorn.access").addFilter(RedactPathTokens())
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def _serve_on_ray(args: argparse.Namespace, settings: Any) -> int:
    """Deploy (or with ``--stop`` remove) the Serve app; its settings travel as REFEREE_* variables."""
    try:
        from service import ray_app
    except ImportError:
        print("referee: --ray needs Ray Serve: pip install 'referee[ray]'", file=sys.stderr)
        return 2
    address = None if args.ray == "auto" else args.ray
    if args.stop:
        ray_app.undeploy(address)
        print("referee: the app was removed from the cluster", file=sys.stderr)
        return 0
    url = ray_app.deploy(address, settings, replicas=args.replicas)
    print(f"referee: deployed on Ray Serve; every node serves {url} (remove with: referee serve --ray --stop)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "sandbox":
        return _sandbox_build(args) if args.action == "build" else _sandbox_check(args)
    if args.command == "compose":
        return _compose_build(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
