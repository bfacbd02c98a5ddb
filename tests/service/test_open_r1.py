"""open-r1's E2B/Morph router wire against a running service with real containers, read the way open-r1's
routed clients read it: E2B answers through ``e2b_code_interpreter``'s own models, Morph's as text."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from e2b_code_interpreter.models import Execution, ExecutionError, Result

from tests.conftest import TOKEN

pytestmark = pytest.mark.docker

ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
MULTIPLY = "a, b = map(int, input().split())\nprint(a * b)\n"
CASES = [
    {"input": "2 2\n", "output": "4\n"},
    {"input": "0 0\n", "output": "0\n"},
    {"input": "1 3\n", "output": "4\n"},
    {"input": "5 1\n", "output": "6\n"},
]
"""ADD passes all four; MULTIPLY the first two (2*2 == 2+2, 0*0 == 0+0)."""

# Shaped like open-r1's code_reward template: indented, one subprocess per case, a bare final expression.
TEMPLATE = """
    import json
    import subprocess

    def passes(code, case):
        process = subprocess.run(
            ["python3", "-c", code], input=case["input"], capture_output=True, text=True, timeout=5
        )
        if process.returncode != 0:
            return False
        got = process.stdout.strip().split("\\n")
        want = case["output"].strip().split("\\n")
        return len(got) == len(want) and all(g.strip() == w.strip() for g, w in zip(got, want))

    def pass_fraction(code, cases):
        print(f"running {{len(cases)}} cases")
        return sum(passes(code, case) for case in cases) / len(cases)

    code_snippet = {code}
    test_cases = json.loads({cases})

    pass_fraction(code_snippet, test_cases)
"""


def reward_script(program: str) -> str:
    return TEMPLATE.format(code=json.dumps(program), cases=json.dumps(json.dumps(CASES)))


def post(url: str, scripts: list[str], *, timeout: int = 30, languages: list[str] | None = None) -> Any:
    body = {"scripts": scripts, "languages": languages or ["python"] * len(scripts), "timeout": timeout}
    response = httpx.post(url, json={**body, "request_timeout": timeout - 2}, timeout=120)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert isinstance(answer, list) and len(answer) == len(scripts)
    return answer


def executions(answer: list[dict[str, Any]]) -> list[Execution]:
    """What open-r1's ``RoutedSandbox.run_code`` builds from the body."""
    output = []
    for result in answer:
        if result["execution"] is None:
            output.append(Execution())
            continue
        raw = result["execution"]
        output.append(
            Execution(
                results=[Result(**r) for r in raw["results"]],
                logs=raw["logs"],
                error=ExecutionError(**raw["error"]) if raw["error"] else None,
                execution_count=raw["execution_count"],
            )
        )
    return output


def e2b_reward(execution: Execution) -> float | None:
    """open-r1's ``E2BProvider`` in router mode."""
    try:
        return float(execution.text)
    except Exception:
        return None


@pytest.fixture(scope="module")
def e2b(wire_server: str) -> str:
    return f"{wire_server}/t/{TOKEN}/execute_batch"


def test_code_reward_template_reads_as_open_r1_reads_it(e2b: str) -> None:
    answer = post(e2b, [reward_script(ADD), reward_script(MULTIPLY)])
    assert all(entry["exception_str"] is None for entry in answer)
    right, wrong = executions(answer)
    assert right.text == "1.0" and wrong.text == "0.5"
    assert [e2b_reward(e) for e in (right, wrong)] == [1.0, 0.5]
    assert right.error is None and right.execution_count == 1
    assert right.results[0].is_main_result
    assert right.logs["stdout"] == ["running 4 cases\n"]  # open-r1 passes the dict


def test_an_exception_is_the_error_with_no_result(e2b: str) -> None:
    script = "print('before')\ndef f():\n    return {}['missing']\nf()\n"
    (execution,) = executions(post(e2b, [script]))
    assert execution.results == [] and execution.text is None and e2b_reward(execution) is None
    assert execution.error is not None
    assert (execution.error.name, execution.error.value) == ("KeyError", "'missing'")
    assert "line 3, in f" in execution.error.traceback and "main.py" not in execution.error.traceback
    assert execution.logs["stdout"] == ["before\n"]


def test_a_script_past_its_timeout_has_no_execution(e2b: str) -> None:
    answer = post(e2b, ["import time\ntime.sleep(30)\n1"], timeout=1)
    assert answer == [{"execution": None, "exception_str": "timeout"}]
    assert e2b_reward(executions(answer)[0]) is None


def test_other_languages_are_refused_per_script(e2b: str) -> None:
    answer = post(e2b, ["console.log(1)", "2"], languages=["javascript", "python"])
    assert answer[0]["execution"] is None and "javascript" in answer[0]["exception_str"]
    assert answer[1]["execution"]["results"][0]["text"] == "2"


def test_a_mixed_batch_keeps_its_order(e2b: str) -> None:
    scripts = [
        reward_script(MULTIPLY),
        "1/0",
        "import sys\nsys.stdout.write('no newline')\n'x' * 3",
        "import time\ntime.sleep(30)",
        reward_script(ADD),
        "print('only output')",
        "if __name__ == '__main__':\n    value = 6 * 7\nvalue",
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\nNone",
    ]
    answer = post(e2b, scripts, timeout=3)
    runs = executions(answer)
    assert [e2b_reward(e) for e in runs] == [0.5, None, None, None, 1.0, None, 42.0, None]
    assert runs[1].error is not None and runs[1].error.name == "ZeroDivisionError"
    assert runs[2].text == "'xxx'" and runs[2].logs["stdout"] == ["no newline"]
    assert answer[3] == {"execution": None, "exception_str": "timeout"}
    assert runs[5].results == [] and runs[5].logs["stdout"] == ["only output\n"]
    assert runs[7].results == [] and runs[7].error is None  # a thread left running does not hold the cell


def test_morph_shape_under_its_own_prefix(wire_server: str) -> None:
    scripts = [reward_script(ADD), "print('only output')", "1/0", "import time\ntime.sleep(30)", "pass"]
    answer = post(f"{wire_server}/t/{TOKEN}/morph/execute_batch", scripts, timeout=2)
    assert answer[0] == {"text": "1.0", "exception_str": None}
    assert answer[1] == {"text": "only output\n", "exception_str": None}
    assert answer[2]["exception_str"].startswith("ZeroDivisionError")
    assert answer[3] == {"text": None, "exception_str": "timeout"}
    assert answer[4] == {"text": "", "exception_str": "No output from execution"}


def test_hostile_scripts_are_contained(e2b: str) -> None:
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    daemon = (
        "import os, time\n"
        "for _ in range(100):\n"
        "    for path in ('/tmp/leak', os.path.expanduser('~/leak'), os.path.abspath('leak')):\n"
        "        try:\n            open(path, 'w').close()\n        except OSError:\n            pass\n"
        "    time.sleep(0.05)\n"
    )
    hostile = [
        f"import subprocess, time\nsubprocess.Popen(['python3', '-c', {bomb!r}])\ntime.sleep(1)\n'survived'",
        "import os, subprocess, time\n"
        f"subprocess.Popen(['python3', '-c', {daemon!r}], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\ntime.sleep(0.5)\n"
        "[os.path.exists(p) for p in ('/tmp/leak', os.path.expanduser('~/leak'), 'leak')]",
    ]
    assert [e.text for e in executions(post(e2b, hostile, timeout=5))] == ["'survived'", "[True, True, True]"]
    check = "import os\n[os.path.exists(p) for p in ('/tmp/leak', os.path.expanduser('~/leak'), 'leak')]"
    checks = [f"# check {index}\n{check}" for index in range(4)]  # different scripts: spread over the pool
    later = executions(post(e2b, [*checks, reward_script(ADD)]))
    assert [e.text for e in later] == ["[False, False, False]"] * 4 + ["1.0"]


def test_a_body_without_scripts_is_still_a_list(e2b: str) -> None:
    response = httpx.post(e2b, json={"script": "1"})
    assert response.status_code == 422 and response.json()[0]["execution"] is None
    answer = post(e2b, ["1", "2"], languages=["python"])  # a short languages list: python for the rest
    assert [e.text for e in executions(answer)] == ["1", "2"]
    bad = httpx.post(e2b, json={"scripts": ["1", 2], "timeout": "soon"}).json()
    assert len(bad) == 2 and all("timeout" in entry["exception_str"] for entry in bad)
    nan = httpx.post(e2b, content=b'{"scripts": ["1"], "timeout": NaN}', headers={"content-type": "application/json"})
    assert nan.status_code == 200 and "timeout" in nan.json()[0]["exception_str"]


def test_a_token_is_required(wire_server: str) -> None:
    body = {"scripts": ["1"], "languages": ["python"], "timeout": 5, "request_timeout": 3}
    assert httpx.post(f"{wire_server}/execute_batch", json=body).status_code == 401
    assert httpx.post(f"{wire_server}/morph/execute_batch", json=body).status_code == 401
    assert httpx.post(f"{wire_server}/t/not-{TOKEN}/execute_batch", json=body).status_code == 401
