"""The code grader through the sandbox pool: accuracy on public suites and throughput, in one run.

    python bench/code_throughput.py [--data DIR] [--sandboxes 2] [--repeats 5]
    python bench/code_throughput.py --runtime runsc [--repeats 3]     runc vs gVisor, one run

Prints, side by side:
- HumanEval canonical solutions and MBPP references (all must pass), the HumanEval GPT solutions
  graded through the pool against the same programs run directly on the host (per-task agreement),
  and the CodeContests sample (every one of its stdio tests must run);
- HumanEval programs/s end to end (items -> engine -> pool -> results) through the hardened
  containers, through the same worker as host processes (the local backend: the container's own
  cost), and as bare host subprocesses (``python3 program.py``, the way a naive grader runs them),
  each the median of ``--repeats`` interleaved passes, with the per-program cost ratio;
- pool start-up, and the replacement of a killed container while the other keeps serving.

The direct host runs execute dataset programs (reference and GPT solutions), never training output,
in a temporary directory with a timeout: they are the anchor the sandbox's verdicts are checked against.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graders.code import CodeOptions, grade_code  # noqa: E402
from graders.code.extract import extract_program  # noqa: E402
from sandbox.pool import UNSAFE_ENV, LocalSandbox, SandboxPool, WorkerPool  # noqa: E402
from service.engine import EngineConfig, GradingEngine  # noqa: E402
from service.schemas import Item, Result  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench"
Row = dict[str, Any]


# --- data -> items ------------------------------------------------------------------------------
def read_jsonl(path: Path) -> list[Row]:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def humaneval_tests(task: Row) -> dict[str, Any]:
    return {"kind": "assert", "code": f"{task['test']}\ncheck({task['entry_point']})\n"}


def humaneval_items(tasks: list[Row]) -> list[Item]:
    return [
        Item.model_validate(
            {
                "id": t["task_id"],
                "completion": f"```python\n{t['prompt']}{t['canonical_solution']}\n```",
                "tests": humaneval_tests(t),
            }
        )
        for t in tasks
    ]


def gpt_items(tasks: list[Row]) -> list[Item]:
    return [
        Item.model_validate({"id": t["task_id"], "completion": t["gpt_solution"], "tests": humaneval_tests(t)})
        for t in tasks
    ]


def mbpp_items(tasks: list[Row]) -> list[Item]:
    items = []
    for t in tasks:
        asserts = t["test_list"] if isinstance(t["test_list"], list) else eval_list(t["test_list"])
        code = (t.get("test_setup_code") or "") + "\n" + "\n".join(asserts) + "\n"
        items.append(
            Item.model_validate(
                {
                    "id": f"mbpp/{t['task_id']}",
                    "completion": f"```python\n{t['code']}\n```",
                    "tests": {"kind": "assert", "code": code},
                }
            )
        )
    return items


def eval_list(text: str) -> list[str]:
    """MBPP stores its asserts as a Python list literal of strings: read it without evaluating code."""
    import ast

    value = ast.literal_eval(text)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


ECHO = "```python\nimport sys\nsys.stdout.write(sys.stdin.read())\n```"
"""CodeContests has no solutions here: an echo program makes every test run (and fail on compare)."""


def contest_items(problems: list[Row]) -> list[Item]:
    items = []
    for p in problems:
        cases = [{"stdin": t["input"]["stdin"], "stdout": t["output"]["stdout"]} for t in json.loads(p["test"])]
        items.append(
            Item.model_validate({"id": f"cc/{p['id']}", "completion": ECHO, "tests": {"kind": "stdio", "cases": cases}})
        )
    return items


# --- running ------------------------------------------------------------------------------------
def grade(executor: WorkerPool, items: list[Item]) -> tuple[list[Result], float]:
    """One pass through a fresh engine (no verdict cache from an earlier pass); seconds for grade()."""
    config = EngineConfig(workers=1, code=CodeOptions())
    with GradingEngine(config, executor=executor) as engine:
        started = time.perf_counter()
        results = engine.grade(items)
        return results, time.perf_counter() - started


def host_program(task: Row, completion: str) -> str:
    program = extract_program(completion, "python") or ""
    return f"{program}\n{task['test']}\ncheck({task['entry_point']})\n"


def run_bare(programs: Iterable[str], workers: int) -> tuple[list[bool], float]:
    """Each program as a bare `python3 file.py` host subprocess, ``workers`` at a time; True = exit 0."""
    programs = list(programs)
    with tempfile.TemporaryDirectory(prefix="referee-bare-") as work:

        def one(index_program: tuple[int, str]) -> bool:
            index, program = index_program
            path = Path(work) / f"p{index}.py"
            path.write_text(program, encoding="utf-8")
            try:
                proc = subprocess.run(
                    [sys.executable, str(path)],
                    cwd=work,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=10,
                    env={"PATH": "/usr/bin"},
                )
            except subprocess.TimeoutExpired:
                return False
            return proc.returncode == 0

        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as threads:
            passed = list(threads.map(one, enumerate(programs)))
        return passed, time.perf_counter() - started


def passed_ids(results: list[Result]) -> set[Any]:
    return {r.id for r in results if r.reward == 1.0}


def summarize(name: str, results: list[Result], expected_pass: int | None = None) -> str:
    passed = len(passed_ids(results))
    errors = sum(r.status != "ok" for r in results)
    target = f" (target {expected_pass})" if expected_pass is not None else ""
    return f"  {name:34} {passed:5}/{len(results):<5} pass{target}; status not ok: {errors}"


# --- sections -----------------------------------------------------------------------------------
def accuracy(pool: SandboxPool, data: Path, sandboxes: int) -> None:
    print("accuracy (through the hardened pool)")
    humaneval = read_jsonl(data / "humaneval.jsonl.gz")
    results, _ = grade(pool, humaneval_items(humaneval))
    print(summarize("HumanEval canonical solutions", results, len(humaneval)))
    failed = [r.id for r in results if r.reward != 1.0]
    if failed:
        print(f"    failing: {failed[:10]}")

    mbpp = read_jsonl(data / "mbpp.jsonl")
    results, _ = grade(pool, mbpp_items(mbpp))
    print(summarize("MBPP reference solutions", results, len(mbpp)))
    for r in results:
        if r.reward != 1.0:
            print(f"    failing: {r.id}: {(r.details.get('accuracy') or {}).get('reason')}")

    gpt = read_jsonl(data / "humaneval_sandboxfusion_with_gpt_solution.jsonl")
    results, _ = grade(pool, gpt_items(gpt))
    direct, _ = run_bare((host_program(t, t["gpt_solution"]) for t in gpt), sandboxes)
    sandboxed = [r.reward == 1.0 for r in results]
    disagree = [t["task_id"] for t, a, b in zip(gpt, sandboxed, direct, strict=True) if a != b]
    multi = sum(t["gpt_solution"].count("```") >= 4 for t in gpt)
    print(
        f"  {'HumanEval GPT solutions':34} {sum(sandboxed):5}/{len(gpt):<5} pass in the sandbox; "
        f"{sum(direct)}/{len(gpt)} run directly on the host (last block); "
        f"per-task agreement {len(gpt) - len(disagree)}/{len(gpt)}; answers with several blocks: {multi}"
    )
    if disagree:
        print(f"    disagree: {disagree}")

    problems = read_jsonl(data / "code_contests_sample20_stdio.jsonl")
    items = contest_items(problems)
    started = time.perf_counter()
    with ThreadPoolExecutor(2 * sandboxes) as threads:
        verdicts = list(
            threads.map(lambda item: grade_code(item.completion, item.tests.model_dump(), "python", pool), items)
        )
    seconds = time.perf_counter() - started
    sizes = [len(json.loads(p["test"])) for p in problems]
    total = sum(sizes)
    ran = sum(sum(status != "skipped" for status in v.tests) for v in verdicts)
    print(
        f"  {'CodeContests sample (echo program)':34} {ran:5}/{total:<5} stdio tests ran "
        f"({len(problems)} problems, {seconds:.1f} s; every verdict an answer: "
        f"{all(v.total == n for v, n in zip(verdicts, sizes, strict=True))})"
    )


def throughput(pool: SandboxPool, local: LocalSandbox, data: Path, sandboxes: int, repeats: int) -> None:
    humaneval = read_jsonl(data / "humaneval.jsonl.gz")
    items = humaneval_items(humaneval)
    programs = [host_program(t, f"```python\n{t['prompt']}{t['canonical_solution']}\n```") for t in humaneval]
    grade(pool, items)  # warm-up: every container has run these imports once
    grade(local, items)
    rates: dict[str, list[float]] = {"pool": [], "local": [], "bare": []}
    ratios: list[float] = []
    for _ in range(repeats):
        _, pool_s = grade(pool, items)
        _, local_s = grade(local, items)
        _, bare_s = run_bare(programs, sandboxes)
        rates["pool"].append(len(items) / pool_s)
        rates["local"].append(len(items) / local_s)
        rates["bare"].append(len(items) / bare_s)
        ratios.append(pool_s / bare_s)
    median = {k: statistics.median(v) for k, v in rates.items()}
    print(f"\nthroughput, HumanEval canonical solutions, {sandboxes} workers, median of {repeats} passes")
    print(f"  {'hardened container pool (Referee)':42} {median['pool']:7.1f} programs/s   (target >= 150)")
    print(f"  {'same worker as host processes (unsafe)':42} {median['local']:7.1f} programs/s")
    print(f"  {'bare host subprocesses (python3 file.py)':42} {median['bare']:7.1f} programs/s")
    print(f"  {'SandboxFusion, no isolation (measured earlier)':42}   80-86   programs/s   (shared/bench/README.md)")
    print(
        f"  sandbox cost per program / bare subprocess: median ratio {statistics.median(ratios):.2f}x "
        f"(per pass: {', '.join(f'{r:.2f}' for r in ratios)}; target <= 2x)"
    )
    print(f"  container overhead vs the same worker on the host: {median['local'] / median['pool']:.2f}x")


def startup_and_replacement(sandboxes: int) -> None:
    print("\npool life cycle")
    starts = []
    for _ in range(3):
        started = time.perf_counter()
        pool = SandboxPool(sandboxes).start()
        starts.append(time.perf_counter() - started)
        pool.close()
    print(
        f"  start-up of {sandboxes} containers: median {statistics.median(starts):.2f} s (runs: "
        f"{', '.join(f'{s:.2f}' for s in starts)})"
    )
    item = humaneval_like()
    with SandboxPool(sandboxes) as pool:
        grade(pool, [item])
        victim = pool.containers()[0]
        latencies: list[float] = []
        stop = threading.Event()

        def serve() -> None:
            with GradingEngine(EngineConfig(workers=1), executor=pool) as engine:
                while not stop.is_set():
                    engine._cache.clear()
                    t0 = time.perf_counter()
                    (result,) = engine.grade([item])
                    assert result.reward == 1.0, result
                    latencies.append(time.perf_counter() - t0)

        server = threading.Thread(target=serve)
        server.start()
        time.sleep(0.5)
        killed = time.perf_counter()
        victim.kill()
        replaced_s = None
        while time.perf_counter() - killed < 15:
            if pool.stats.replaced and pool.ready == sandboxes:
                replaced_s = time.perf_counter() - killed
                break
            time.sleep(0.01)
        time.sleep(0.5)
        stop.set()
        server.join()
        worst = max(latencies) if latencies else float("nan")
        print(
            f"  a killed container: replaced and serving again after {replaced_s:.2f} s; meanwhile "
            f"{len(latencies)} jobs all correct, slowest {worst * 1000:.0f} ms, "
            f"median {statistics.median(latencies) * 1000:.1f} ms"
            if replaced_s is not None
            else "  a killed container was NOT replaced within 15 s"
        )
        print(f"  new containers' start-up: {', '.join(f'{s:.2f} s' for s in pool.stats.startup_s[sandboxes:])}")


def humaneval_like() -> Item:
    return Item.model_validate(
        {
            "id": "probe",
            "completion": "```python\ndef add(a, b):\n    return a + b\n```",
            "tests": {"kind": "assert", "code": "assert add(2, 3) == 5\n"},
        }
    )


def languages_section(pool: SandboxPool, data: Path, languages: list[str], repeats: int) -> None:
    """Per language: HumanEval-X canonical programs through the pool (assert items: compile once, one
    run), programs/s with the pool's workers busy, compile and run medians, and the image's size."""
    from bench.humanevalx import FLAKY, KNOWN_FAILURES, items
    from graders.code.grade import build_job

    image = pool.client.images.get(pool.settings.image)
    size = f"{image.attrs['Size'] / 1e9:.2f} GB, languages: {image.labels.get('referee.languages', '?')}"
    print(f"\nHumanEval-X canonical programs per language ({pool.size} containers; image {size})")
    print(f"{'language':12}{'passed':>10}{'programs/s':>12}{'compile p50 ms':>16}{'run p50 ms':>12}")
    for language in languages:
        jobs = []
        for item in items(language, data):
            program = extract_program(item["completion"], language) or ""
            jobs.append((item["id"], build_job(program, item["tests"], language, CodeOptions())))
        rates, compiles, runs, passed = [], [], [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=pool.size) as threads:
                outcomes = list(threads.map(lambda job: pool.execute(job[1]), jobs))
            rates.append(len(jobs) / (time.perf_counter() - started))
            compiles = [o.compile_ms for o in outcomes if o.compile_ms]
            runs = [r.wall_ms for o in outcomes for r in o.runs]
            passed = sum(bool(o.runs) and all(r.passed for r in o.runs) for o in outcomes)
        expected = len(jobs) - len(KNOWN_FAILURES[language]) - len(FLAKY.get(language, ()))
        print(
            f"{language:12}{passed:>5}/{len(jobs):<4}{statistics.median(rates):>12.1f}"
            f"{statistics.median(compiles) if compiles else 0:>16.0f}{statistics.median(runs):>12.1f}"
            f"   (expected at least {expected})"
        )


_MICRO = {
    "a trivial job (print(1), stdio)": ("print(1)", "python", "1"),
    "a C++ job (compile, one run)": ('#include <cstdio>\nint main(){ std::puts("1"); }', "cpp", "1"),
    "the same with 5000 getppid() calls": (
        "#include <unistd.h>\n#include <cstdio>\nint main(){ long s = 0; for (int i = 0; i < 5000; ++i)"
        ' s += getppid(); std::printf("%d\\n", s > 0); }',
        "cpp",
        "1",
    ),
}
"""Where gVisor's cost goes: a job's fixed cost, a fork and exec per run, and a system call."""


def runtimes_section(data: Path, runtime: str, sandboxes: int, repeats: int) -> None:
    """runc and ``runtime`` side by side: pool start-up, HumanEval programs/s, and the micro-costs."""
    from sandbox.containers import ContainerSettings

    items = humaneval_items(read_jsonl(data / "humaneval.jsonl.gz"))
    figures: dict[str, dict[str, float]] = {}
    for name in ("runc", runtime):
        started = time.perf_counter()
        pool = SandboxPool(sandboxes, ContainerSettings(runtime=None if name == "runc" else name)).start()
        row = {"start-up s": time.perf_counter() - started}
        try:
            results, _ = grade(pool, items)  # warm-up, and the agreement check
            row["passed"] = sum(r.reward == 1.0 for r in results)
            row["programs/s"] = statistics.median(len(items) / grade(pool, items)[1] for _ in range(repeats))
            for label, (source, language, expected) in _MICRO.items():
                tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": expected}]}
                grade_code(source, tests, language, pool)  # compiled and warm
                times = []
                for _ in range(15):
                    one = time.perf_counter()
                    verdict = grade_code(source, tests, language, pool)
                    if verdict.score != 1.0:
                        print(f"  {name}: {label}: {verdict.verdict.value} {verdict.reason or ''}")
                    times.append((time.perf_counter() - one) * 1000)
                row[label] = statistics.median(times)
        finally:
            pool.close()
        figures[name] = row
    print(f"\nrunc vs {runtime}: HumanEval canonical through the pool, {sandboxes} workers, median of {repeats}")
    print(f"  {'':44}{'runc':>12}{runtime:>12}{'ratio':>9}")
    for key in figures["runc"]:
        base, other = figures["runc"][key], figures[runtime][key]
        unit = "" if key in ("passed", "programs/s", "start-up s") else " ms"
        ratio = other / base if base else float("nan")
        print(f"  {key + unit:44}{base:>12.2f}{other:>12.2f}{ratio:>8.2f}x")
    for name, row in figures.items():
        syscall_us = (row["the same with 5000 getppid() calls"] - row["a C++ job (compile, one run)"]) / 5000 * 1000
        print(f"  {name}: about {syscall_us:.1f} us per system call (the difference of the two C++ jobs)")
    speed = figures[runtime]["programs/s"] / figures["runc"]["programs/s"]
    print(f"  throughput {runtime} / runc: {speed:.2f}x (target >= 0.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared bench data directory")
    parser.add_argument("--sandboxes", type=int, default=os.cpu_count() or 2, help="workers (default: cores)")
    parser.add_argument("--repeats", type=int, default=5, help="throughput passes (the median is quoted)")
    parser.add_argument(
        "--languages", default=None, help="only the per-language HumanEval-X section, e.g. cpp,java,javascript,go,rust"
    )
    parser.add_argument("--runtime", default=None, help="compare runc with this runtime (e.g. runsc), then stop")
    args = parser.parse_args()
    if args.runtime:
        runtimes_section(args.data, args.runtime, args.sandboxes, args.repeats)
        return
    if args.languages:
        with SandboxPool(args.sandboxes) as pool:
            languages_section(pool, args.data, args.languages.split(","), args.repeats)
        return
    os.environ[UNSAFE_ENV] = "1"  # the local backend is a comparison column here, never a grader
    import warnings

    warnings.simplefilter("ignore", RuntimeWarning)
    with SandboxPool(args.sandboxes) as pool:
        accuracy(pool, args.data, args.sandboxes)
        with LocalSandbox(args.sandboxes) as local:
            throughput(pool, local, args.data, args.sandboxes, args.repeats)
    startup_and_replacement(args.sandboxes)


if __name__ == "__main__":
    main()
