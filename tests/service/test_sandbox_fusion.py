"""SandboxFusion's wire (``/run_code``, ``/submit``) against real containers, with the real clients:
verl 0.9.1's own ``compute_score`` and the ``sandbox-fusion`` 0.3.7 package."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import re
import subprocess
import sys
import threading
import types
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TOKEN

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CODE_CONTESTS = ROOT.parent / "shared" / "bench" / "code_contests_sample20_stdio.jsonl"


def _run_code(url: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = httpx.post(f"{url}/t/{TOKEN}/run_code", json=body, timeout=60)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def test_python_success_with_stdin(wire_server: str) -> None:
    answer = _run_code(wire_server, {"code": "print(int(input()) * 2)", "language": "python", "stdin": "21"})
    assert answer["status"] == "Success"
    assert answer["message"] == "" and answer["compile_result"] is None and answer["executor_pod_name"] is None
    run = answer["run_result"]
    assert run["status"] == "Finished" and run["return_code"] == 0 and run["stdout"] == "42\n"
    assert 0 < run["execution_time"] < 5


def test_python_is_a_plain_program(wire_server: str) -> None:
    """subprocess, __file__ and multiprocessing work: the container is the boundary on this path."""
    code = (
        "import subprocess, multiprocessing, os\n"
        "print(subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip())\n"
        "print(os.path.basename(__file__))\n"
        "with multiprocessing.Pool(2) as pool: print(sum(pool.map(abs, [-1, -2])))\n"
        "import numpy; print(int(numpy.arange(4).sum()))\n"
    )
    answer = _run_code(wire_server, {"code": code, "language": "python"})
    assert answer["status"] == "Success", answer
    assert answer["run_result"]["stdout"].split() == ["child", "main.py", "3", "6"]


def test_failures_have_sandbox_fusions_statuses(wire_server: str) -> None:
    exited = _run_code(
        wire_server, {"code": "import sys\nprint('x', file=sys.stderr)\nsys.exit(3)", "language": "python"}
    )
    assert exited["status"] == "Failed"
    assert exited["run_result"] | {"execution_time": 0} == {
        "status": "Finished",
        "execution_time": 0,
        "return_code": 3,
        "stdout": "",
        "stderr": "x\n",
    }
    slept = _run_code(wire_server, {"code": "import time\ntime.sleep(30)", "language": "python", "run_timeout": 1})
    assert slept["status"] == "Failed"
    assert slept["run_result"]["status"] == "TimeLimitExceeded" and slept["run_result"]["return_code"] is None
    assert slept["run_result"]["execution_time"] < 3
    spun = _run_code(wire_server, {"code": "while True: pass", "language": "python", "run_timeout": 1})
    assert spun["run_result"]["status"] == "TimeLimitExceeded"
    memory = _run_code(wire_server, {"code": "x = [0] * 10**9", "language": "python", "memory_limit_MB": 256})
    assert memory["status"] == "Failed" and memory["run_result"]["return_code"] == 1
    assert "MemoryError" in memory["run_result"]["stderr"]
    killed = _run_code(
        wire_server, {"code": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "language": "python"}
    )
    assert killed["status"] == "Failed" and killed["run_result"]["return_code"] == -11


def test_cpp_compiles_and_reports_compile_errors(wire_server: str) -> None:
    good = "#include <bits/stdc++.h>\nint main(){long long a; std::cin >> a; std::cout << a + 1 << std::endl;}"
    answer = _run_code(wire_server, {"code": good, "language": "cpp", "stdin": "41"})
    assert answer["status"] == "Success"
    assert answer["compile_result"]["status"] == "Finished" and answer["compile_result"]["return_code"] == 0
    assert answer["run_result"]["stdout"] == "42\n"
    broken = _run_code(wire_server, {"code": "int main() { nope; }", "language": "cpp"})
    assert broken["status"] == "Failed" and broken["run_result"] is None
    assert broken["compile_result"]["return_code"] != 0 and "nope" in broken["compile_result"]["stderr"]


@pytest.mark.parametrize(
    ("language", "code", "stdout"),
    [
        ("nodejs", "console.log(1 + 1)", "2\n"),
        ("typescript", "const x: number = 3; console.log(x)", "3\n"),
        ("go", 'package main\nimport "fmt"\nfunc main() { fmt.Println(4) }', "4\n"),
        ("java", "public class Main { public static void main(String[] a) { System.out.println(5); } }", "5\n"),
        ("rust", 'fn main() { println!("6"); }', "6\n"),
        ("bash", "echo 7", "7\n"),
    ],
)
def test_every_image_language(wire_server: str, language: str, code: str, stdout: str) -> None:
    answer = _run_code(wire_server, {"code": code, "language": language})
    assert answer["status"] == "Success", answer
    assert answer["run_result"]["stdout"] == stdout


def test_go_test_literal(wire_server: str) -> None:
    code = 'package main\nimport "testing"\nfunc TestOne(t *testing.T) { if 1+1 != 2 { t.Fatal("math") } }\n'
    assert _run_code(wire_server, {"code": code, "language": "go_test"})["status"] == "Success"
    failing = code.replace("1+1 != 2", "1+1 != 3")
    assert _run_code(wire_server, {"code": failing, "language": "go_test"})["status"] == "Failed"


def test_files_and_fetch_files(wire_server: str) -> None:
    code = "open('out/result.txt', 'w').write(open('data/in.txt').read().upper())"
    setup = "import os\nos.makedirs('out', exist_ok=True)\n"
    body = {
        "code": setup + code,
        "language": "python",
        "files": {"data/in.txt": base64.b64encode(b"hello").decode(), "ignored.txt": None},
        "fetch_files": ["out/result.txt", "missing.txt"],
    }
    answer = _run_code(wire_server, body)
    assert answer["status"] == "Success", answer
    assert answer["files"] == {"out/result.txt": base64.b64encode(b"HELLO").decode()}


def test_fetch_files_do_not_follow_links(wire_server: str) -> None:
    code = "import os\nos.symlink('/etc/passwd', 'link.txt')\nos.symlink('/etc', 'dir')\n"
    answer = _run_code(wire_server, {"code": code, "language": "python", "fetch_files": ["link.txt", "dir/passwd"]})
    assert answer["status"] == "Success" and answer["files"] == {}


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/x", "a/../../b", "", "./a"])
def test_file_paths_outside_the_box_are_refused(wire_server: str, name: str) -> None:
    body = {"code": "print(1)", "language": "python", "files": {name: base64.b64encode(b"x").decode()}}
    assert "not a relative path" in _run_code(wire_server, body, status=422)["detail"]


def test_languages(wire_server: str) -> None:
    unknown = _run_code(wire_server, {"code": "print(1)", "language": "klingon"}, status=422)
    assert unknown["detail"][0]["loc"] == ["body", "language"]
    for literal in ("php", "lua", "pytest"):
        answer = _run_code(wire_server, {"code": "print(1)", "language": literal})
        assert answer["status"] == "SandboxError" and "not available here" in answer["message"]
    metrics = httpx.get(f"{wire_server}/t/{TOKEN}/metrics").text
    assert 'referee_wire_requests_total{outcome="language_unavailable",wire="run_code"}' in metrics


def test_extra_fields_are_ignored(wire_server: str) -> None:
    body = {"code": "print(1)", "language": "python", "expected_stdout": "1", "whatever": [1]}
    assert _run_code(wire_server, body)["status"] == "Success"


def test_auth_in_the_path(wire_server: str) -> None:
    body = {"code": "print(1)", "language": "python"}
    assert httpx.post(f"{wire_server}/run_code", json=body).status_code == 401
    assert httpx.post(f"{wire_server}/t/wrong-token/run_code", json=body).status_code == 401
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(f"{wire_server}/run_code", json=body, headers=headers, timeout=30).json()["status"] == "Success"
    score = {"items": [{"completion": "The answer is \\boxed{2}", "reference": "2"}]}
    assert httpx.post(f"{wire_server}/t/{TOKEN}/v1/score", json=score, timeout=30).json()["results"][0]["reward"] == 1


def _concurrently(url: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All the requests at once, as verl sends a sample's test cases; the answers in order."""

    async def send() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=120) as client:
            answers = await asyncio.gather(*(client.post(f"{url}/t/{TOKEN}/run_code", json=b) for b in bodies))
            return [a.json() for a in answers]

    return asyncio.run(send())


def _merged_runs(url: str) -> float:
    metrics = httpx.get(f"{url}/t/{TOKEN}/metrics").text
    return float(re.search(r"^referee_merged_runs (\S+)$", metrics, re.MULTILINE).group(1))  # type: ignore[union-attr]


def test_merged_requests_never_see_each_others_files(wire_server: str) -> None:
    """Identical concurrent requests share one job; each run still starts from a fresh box."""
    code = (
        "import os\nseen = [p for p in ('state', '/tmp/state', '/dev/shm/state') if os.path.exists(p)]\n"
        "for p in ('state', '/tmp/state', '/dev/shm/state'): open(p, 'w').write('x')\n"
        "os.chmod('main.py', 0o777); open('main.py', 'a').write('\\nprint(\"tampered\")')\n"
        "print(int(input()) * 3, seen)"
    )

    before = _merged_runs(wire_server)
    answers = _concurrently(wire_server, [{"code": code, "language": "python", "stdin": str(i)} for i in range(40)])
    assert [a["run_result"]["stdout"] for a in answers] == [f"{i * 3} []\n" for i in range(40)]
    assert _merged_runs(wire_server) > before  # 40 at once on two sandboxes: some shared a job


def test_merged_compiled_program_is_compiled_once_and_restored(wire_server: str) -> None:
    """A C++ program that overwrites its own binary: the next merged run still runs the original."""
    code = (
        "#include <bits/stdc++.h>\nint main(){ long long a; std::cin >> a;"
        ' FILE *f = fopen("/box/solution", "w"); if (f) { fputs("garbage", f); fclose(f); }'
        " std::cout << a * a << std::endl; }"
    )

    answers = _concurrently(wire_server, [{"code": code, "language": "cpp", "stdin": str(i)} for i in range(12)])
    assert [a["run_result"]["stdout"] for a in answers] == [f"{i * i}\n" for i in range(12)]


HOSTILE = {
    "fork bomb": "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass",
    "daemon": (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
        "    while True:\n        open('/tmp/daemon', 'w').write('x'); time.sleep(0.01)\nprint('parent')"
    ),
    "write outside": "open('/usr/lib/x', 'w').write('x')",
    "disk": "f = open('big', 'wb')\nwhile True: f.write(b'x' * 2**20)",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_programs_are_contained(wire_server: str, name: str) -> None:
    answer = _run_code(wire_server, {"code": HOSTILE[name], "language": "python", "run_timeout": 2})
    assert answer["status"] in ("Failed", "Success")
    probe = "import os\nprint(os.path.exists('/tmp/daemon'), os.path.exists('big'), os.path.exists('/usr/lib/x'))"
    after = _run_code(wire_server, {"code": probe, "language": "python"})
    assert after["status"] == "Success" and after["run_result"]["stdout"] == "False False False\n"


# --- /submit --------------------------------------------------------------------------------------------
def _submit(url: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = httpx.post(f"{url}/t/{TOKEN}/submit", json=body, timeout=60)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _provided(cases: list[tuple[str, str]]) -> dict[str, Any]:
    return {"test": [{"input": {"stdin": i}, "output": {"stdout": o}} for i, o in cases]}


def test_submit_provided_data(wire_server: str) -> None:
    tests = _provided([("1 2", "3"), ("2 2", "4"), ("0.1 0.2", "0.3")])
    completion = (
        "Here:\n```python\na, b = map(float, input().split())\ns = a + b\nprint(int(s) if s == int(s) else s)\n```"
    )
    body = {
        "dataset": "mine",
        "id": 7,
        "completion": completion,
        "config": {"language": "python", "provided_data": tests},
    }
    answer = _submit(wire_server, body)
    assert answer["id"] == 7 and answer["accepted"] is True, answer
    assert answer["extracted_code"].startswith("a, b = map(float")
    assert [t["passed"] for t in answer["tests"]] == [True, True, True]  # 0.30000000000000004 within 1e-5
    wrong = {**body, "completion": "```python\nprint(0)\n```"}
    rejected = _submit(wire_server, wrong)
    assert rejected["accepted"] is False and len(rejected["tests"]) == 1  # stops at the first failure
    everything = {**wrong, "config": {**wrong["config"], "extra": {"run_all_cases": True}}}
    assert len(_submit(wire_server, everything)["tests"]) == 3


def test_submit_refuses_server_side_python(wire_server: str) -> None:
    config = {"language": "python", "provided_data": _provided([("", "1")]), "custom_extract_logic": "print(1)"}
    body = {"dataset": "x", "id": 1, "completion": "print(1)", "config": config}
    assert "custom_extract_logic" in _submit(wire_server, body, status=400)["detail"]
    without_tests = {"dataset": "x", "id": 1, "completion": "print(1)", "config": {"language": "python"}}
    assert "provided_data" in _submit(wire_server, without_tests, status=400)["detail"]


# --- the real clients -------------------------------------------------------------------------------------
def test_sandbox_fusion_client(wire_server: str) -> None:
    """sandbox-fusion 0.3.7 parses our answers with its own (pydantic v1) models, warnings as errors."""
    script = f"""
import warnings
warnings.simplefilter("error")
import sandbox_fusion as sf
sf.set_endpoint({f"{wire_server}/t/{TOKEN}"!r})
ok = sf.run_code(sf.RunCodeRequest(code="print(input())", language="python", stdin="hi"))
assert ok.status == sf.RunStatus.Success and ok.run_result.stdout == "hi\\n", ok
failed = sf.run_code(sf.RunCodeRequest(code="int main(){{return 2;}}", language="cpp"))
assert failed.status == sf.RunStatus.Failed and failed.run_result.return_code == 2, failed
assert failed.compile_result.status == sf.CommandRunStatus.Finished
tle = sf.run_code(sf.RunCodeRequest(code="while True: pass", language="python", run_timeout=1))
assert tle.run_result.status == sf.CommandRunStatus.TimeLimitExceeded, tle
data = {{"test": [{{"input": {{"stdin": "3"}}, "output": {{"stdout": "9"}}}}]}}
result = sf.submit(sf.SubmitRequest(dataset="d", id=1, completion="```python\\nprint(int(input())**2)\\n```",
                                    config=sf.TestConfig(language="python", provided_data=data)))
assert result.accepted is True and result.tests[0].passed, result
print("client ok")
"""
    done = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "client ok"


def _verl_sandbox_fusion() -> types.ModuleType:
    """verl 0.9.1's reward module without verl's heavy top-level package (it imports torch and ray): its
    parent packages become empty modules whose ``__path__`` points into the installed package."""
    spec = importlib.util.find_spec("verl")
    assert spec is not None and spec.submodule_search_locations, "verl 0.9.1 (--no-deps) is not installed"
    base = Path(next(iter(spec.submodule_search_locations)))
    for name, path in (
        ("verl", base),
        ("verl.utils", base / "utils"),
        ("verl.utils.reward_score", base / "utils" / "reward_score"),
    ):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(path)]
            sys.modules[name] = module
    import verl.utils.reward_score.sandbox_fusion as verl_sandbox_fusion

    return verl_sandbox_fusion


def _direct(code: str, stdin: str) -> str | None:
    try:
        done = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout if done.returncode == 0 else None


def test_verl_compute_score_matches_direct_runs(wire_server: str) -> None:
    """verl's own compute_score, through Referee, scores CodeContests samples as running them directly does."""
    from bench.code_contests_programs import PROGRAMS

    verl = _verl_sandbox_fusion()
    problems = [json.loads(line) for line in CODE_CONTESTS.read_text().splitlines()]
    semaphore = threading.Semaphore(64)
    scores: dict[str, list[float]] = {"correct": [], "wrong": []}
    for problem in problems[:6]:
        programs = PROGRAMS.get(problem["id"]) or {}
        cases = json.loads(problem["test"])[:10]
        inputs = [c["input"]["stdin"] for c in cases]
        outputs = [c["output"]["stdout"] for c in cases]
        for kind in ("correct", "wrong"):
            code = programs.get(kind)
            if not code:
                continue
            score, metadata = verl.compute_score(
                f"{wire_server}/t/{TOKEN}/run_code",
                semaphore,
                1024,
                f"```python\n{code}\n```",
                {"inputs": inputs, "outputs": outputs},
                continuous=True,
            )
            direct = [_direct(code, i) for i in inputs]
            expected = sum(
                1 for d, o in zip(direct, outputs, strict=True) if d is not None and d.rstrip("\n") == o.rstrip("\n")
            )
            assert score == pytest.approx(expected / len(inputs)), (problem["id"], kind, metadata)
            scores[kind].append(score)
    assert len(scores["correct"]) == 6 and set(scores["correct"]) == {1.0}
    assert len(scores["wrong"]) == 6 and min(scores["wrong"]) < 1.0  # some wrong ones pass the first 10 cases
