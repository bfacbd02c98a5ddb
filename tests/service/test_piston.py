"""Piston's wire (``/api/v2/runtimes``, ``/api/v2/execute``) on real containers, through a small client
written from Piston's documented schema, and the ``codeforces`` package's emulation as open-r1 uses it
(pass = ``run.code == 0 and run.stdout.strip() == "1"``, ``compile.code`` read for every language)."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from service.piston import GraderConfig, checker_accepts, find_runtime, memory_mb, package_tokens, version_matches
from tests.conftest import TOKEN

pytestmark = pytest.mark.docker


class Piston:
    """A Piston v2 client: a base URL ending in ``/api/v2``, version ``*`` unless given."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def runtimes(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base}/runtimes", timeout=60)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def post(self, language: str, files: list[dict[str, str]], version: str = "*", **fields: Any) -> httpx.Response:
        body = {"language": language, "version": version, "files": files, **fields}
        return httpx.post(f"{self.base}/execute", json=body, timeout=60)

    def execute(self, language: str, files: list[dict[str, str]], **fields: Any) -> dict[str, Any]:
        response = self.post(language, files, **fields)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def piston(wire_server: str) -> Piston:
    return Piston(f"{wire_server}/t/{TOKEN}/api/v2")


def main(name: str, content: str) -> dict[str, str]:
    return {"name": name, "content": content}


# --- the translation's pure parts -------------------------------------------------------------------------
def test_versions_and_runtime_resolution_follow_piston() -> None:
    assert version_matches("*", "3.11.2") and version_matches("3", "3.11.2") and version_matches("3.x", "3.11.2")
    assert version_matches("3.11.2", "3.11.2") and not version_matches("3.10", "3.11.2")
    everything = ("python", "cpp")
    python3 = find_runtime("python3", "*", everything)
    assert python3 is not None and (python3.language, python3.codeforces) == ("python", False)  # the latest wins
    codeforces = find_runtime("cf_python3", "*", everything)
    assert codeforces is not None and (codeforces.language, codeforces.codeforces) == ("python3", True)
    assert find_runtime("java", "*", everything) is None  # not in this image


def test_codeforces_config_comparison_and_checker_verdicts() -> None:
    config = GraderConfig.parse("TIME_LIMIT=2.0\nMEMORY_LIMIT=256.0\nINPUT_MODE=file\n# note\n")
    assert config == GraderConfig(time_limit=2.0, memory_limit=256.0, input_mode="file")
    assert GraderConfig.parse("TIME_LIMIT=None") == GraderConfig()
    assert package_tokens("Yes\n1  2\n") == package_tokens("YES 1\n2") and package_tokens("yesterday") == ["yesterday"]
    assert [checker_accepts(s) for s in ("1\n", "100", "1.0 ok", "0", "", "ok 1")] == [True] * 3 + [False] * 3
    assert (memory_mb(None), memory_mb(-1), memory_mb(1), memory_mb(256 * 1024 * 1024)) == (1024, 1024, 32, 256)


# --- runtimes and plain programs --------------------------------------------------------------------------
def test_runtimes_list_the_image_languages_with_aliases(piston: Piston) -> None:
    listed = {(rt["language"], rt["version"]): rt for rt in piston.runtimes()}
    python = listed[("python", "3.11.2")]
    assert {"py", "python3"} <= set(python["aliases"]) and "runtime" not in python
    cpp = listed[("c++", "12.2.0")]
    assert {"cpp", "g++"} <= set(cpp["aliases"]) and cpp["runtime"] == "gcc"
    assert {"java", "javascript", "typescript", "go", "rust", "c", "bash"} <= {language for language, _ in listed}
    assert listed[("c++17", "1.0.0")]["runtime"] == "codeforces"
    assert "cf_python3" in listed[("python3", "1.0.0")]["aliases"]


def test_python_reads_stdin_and_args_and_gets_pistons_trailing_newline(piston: Piston) -> None:
    code = "import sys\nprint(repr(sys.stdin.read()), sys.argv[1:])\nprint('warn', file=sys.stderr)\n"
    result = piston.execute("py", [main("main.py", code)], stdin="hi", args=["a", "b c"], run_timeout=3000)
    assert (result["language"], result["version"]) == ("python", "3.11.2")
    assert "compile" not in result
    run = result["run"]
    assert run["stdout"] == "'hi\\n' ['a', 'b c']\n"
    assert run["stderr"] == "warn\n" and run["output"] == run["stdout"] + run["stderr"]
    assert (run["code"], run["signal"], run["status"], run["message"]) == (0, None, None, None)
    assert run["wall_time"] >= 0 and run["cpu_time"] >= 0 and run["memory"] > 0


def test_cpp_compiles_and_sees_the_extra_files(piston: Piston) -> None:
    code = (
        '#include <fstream>\n#include <iostream>\n#include "util.h"\n'
        'int main(int argc, char** argv) { int x; std::cin >> x; std::ifstream f("data/n.txt"); int n; f >> n;\n'
        '  std::cout << twice(x) + n << " " << argv[1] << std::endl; }\n'
    )
    files = [
        main("main.cpp", code),
        main("util.h", "inline int twice(int v) { return 2 * v; }\n"),
        {"name": "data/n.txt", "content": base64.b64encode(b"100\n").decode(), "encoding": "base64"},
    ]
    result = piston.execute("c++", files, version="12.x", stdin="21", args=["arg"])
    assert (result["language"], result["version"]) == ("c++", "12.2.0")
    assert result["compile"]["code"] == 0 and result["compile"]["status"] is None
    assert result["run"]["stdout"] == "142 arg\n" and result["run"]["code"] == 0


def test_hex_files_and_unnamed_main_file(piston: Piston) -> None:
    code = "print(open('blob.bin', 'rb').read())\n"
    files = [{"content": code}, {"name": "blob.bin", "content": b"\x00\xffok".hex(), "encoding": "hex"}]
    assert piston.execute("python", files)["run"]["stdout"] == "b'\\x00\\xffok'\n"


def test_a_compile_error_is_a_failed_compile_stage_repeated_as_run(piston: Piston) -> None:
    result = piston.execute("cpp", [main("main.cpp", "int main() { return undefined_name; }\n")])
    stage = result["compile"]
    assert stage["code"] not in (0, None) and stage["status"] == "RE"
    assert "undefined_name" in stage["stderr"] and stage["output"] == stage["stderr"]
    assert result["run"] == stage  # Piston's v2.js: no run stage, so run is the compile stage


def test_runtime_errors_are_re_with_the_exit_code_or_sg_with_the_signal(piston: Piston) -> None:
    exited = piston.execute("python", [main("main.py", "import sys\nprint('x')\nsys.exit(3)\n")])["run"]
    assert (exited["status"], exited["code"], exited["signal"]) == ("RE", 3, None)
    assert exited["stdout"] == "x\n" and "3" in exited["message"]
    crashed = piston.execute("c++", [main("main.cpp", "#include <cstdlib>\nint main() { std::abort(); }\n")])["run"]
    assert (crashed["status"], crashed["code"], crashed["signal"]) == ("SG", None, "SIGABRT")


def test_a_timeout_is_to_with_sigkill_and_no_code(piston: Piston) -> None:
    run = piston.execute("python", [main("main.py", "while True:\n    pass\n")], run_timeout=1000)["run"]
    assert (run["status"], run["signal"], run["code"]) == ("TO", "SIGKILL", None)
    assert 900 <= run["wall_time"] < 5000


@pytest.mark.parametrize(
    ("language", "version"), [("cobol", "*"), ("python", "2.7"), ("cms_ioi", "*"), ("codeforces", "1.0.0")]
)
def test_an_unknown_runtime_is_400_with_pistons_message(piston: Piston, language: str, version: str) -> None:
    response = piston.post(language, [main("main.x", "x")], version=version)
    assert response.status_code == 400
    assert response.json() == {"message": f"{language}-{version} runtime is unknown"}


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/escape.txt", "a/../../b", "a//b"])
def test_a_file_path_outside_the_box_is_400(piston: Piston, name: str) -> None:
    response = piston.post("python", [main("main.py", "print(1)"), main(name, "x")])
    assert response.status_code == 400 and "relative path" in response.json()["message"]


def test_malformed_requests_are_400_with_a_message(piston: Piston, wire_server: str) -> None:
    assert piston.post("python", [{"content": "AA==", "encoding": "base64"}]).json() == {
        "message": "files must include at least one utf8 encoded file"
    }
    no_version = httpx.post(f"{piston.base}/execute", json={"language": "python", "files": [main("a.py", "")]})
    assert no_version.status_code == 400 and "version" in no_version.json()["message"]
    negative = piston.post("python", [main("main.py", "print(1)")], run_timeout=-5)
    assert negative.status_code == 400 and "run_timeout" in negative.json()["message"]
    unauthorised = httpx.post(f"{wire_server}/t/wrong-token/api/v2/execute", json={})
    assert unauthorised.status_code == 401


def test_hostile_programs_are_contained_and_the_next_request_is_served(piston: Piston) -> None:
    fork_bomb = "#include <unistd.h>\nint main(){ while (1) fork(); }\n"
    bomb = piston.execute("c++", [main("main.cpp", fork_bomb)], run_timeout=1500)["run"]
    assert bomb["status"] in ("TO", "SG", "RE"), bomb
    escape = (
        "import os\nfor path in ('/etc/referee-escape', '/usr/referee-escape', '/referee-escape'):\n"
        "    try:\n        open(path, 'w').write('x')\n        print('WROTE', path)\n"
        "    except OSError as exc:\n        print('refused', type(exc).__name__)\n"
    )
    run = piston.execute("python", [main("main.py", escape)])["run"]
    assert "WROTE" not in run["stdout"] and run["stdout"].count("refused") == 3
    assert piston.execute("python", [main("main.py", "print(6 * 7)")])["run"]["stdout"] == "42\n"


# --- the codeforces package -------------------------------------------------------------------------------
SUM_CPP = (
    "#include <bits/stdc++.h>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n';\n"
    '#ifndef ONLINE_JUDGE\n  std::cout << "not on the judge\\n";\n#endif\n}\n'
)
WRONG_CPP = "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a - b; }\n"
SUM_PY = "a, b = map(int, input().split())\nprint(a + b)\n"
# A problem with many right answers: print any two numbers in [1, n] that sum to n.
PAIR_CHECKER = (
    "import sys\n"
    "n = int(open(sys.argv[1]).read())\n"
    "try:\n    a, b = map(int, open(sys.argv[3]).read().split())\n"
    "    print(1 if a + b == n and a >= 1 and b >= 1 else 0)\n"
    "except ValueError:\n    print(0)\n"
)
CHEAT_PY = "open('checker.py', 'w').write('print(1)')\nopen('correct_output.txt', 'w').write('0 0')\nprint(0, 0)\n"


def codeforces(
    piston: Piston,
    language: str,
    solution: str,
    *,
    input_text: str = "2 40\n",
    expected: str = "42\n",
    checker: str | None = None,
    time_limit: float = 1.0,
    input_mode: str = "stdio",
) -> dict[str, Any]:
    """What open-r1's ``cf_scoring`` sends: main.{cpp,python}, checker.py, input, output, grader_config."""
    extension = "cpp" if language == "c++17" else "python"
    config = f"TIME_LIMIT={time_limit}\nMEMORY_LIMIT=256.0\nINPUT_MODE={input_mode}"
    files = [
        main(f"main.{extension}", solution),
        *([main("checker.py", checker)] if checker else []),
        main("input.txt", input_text),
        main("correct_output.txt", expected),
        main("grader_config", config),
    ]
    return piston.execute(language, files, run_timeout=(time_limit + 3) * 1000)


def passed(result: dict[str, Any]) -> bool:
    return bool(
        result["compile"]["code"] == 0 and result["run"]["code"] == 0 and result["run"]["stdout"].strip() == "1"
    )


def test_codeforces_cpp_right_and_wrong_with_online_judge_defined(piston: Piston) -> None:
    with ThreadPoolExecutor(2) as pool:
        right, wrong = pool.map(lambda code: codeforces(piston, "c++17", code), [SUM_CPP, WRONG_CPP])
    assert (right["language"], right["version"]) == ("c++17", "1.0.0")
    assert passed(right), right
    assert right["run"]["stdout"] == "1\n" and right["run"]["memory"] > 0
    assert not passed(wrong) and wrong["run"]["stdout"] == "0\n" and wrong["run"]["code"] == 0


def test_codeforces_compile_error_has_a_failing_compile_code(piston: Piston) -> None:
    result = codeforces(piston, "c++17", "int main() { syntax error }\n")
    assert result["compile"]["code"] not in (0, None)
    assert "main.cpp:1:" in result["compile"]["stderr"]  # the ONLINE_JUDGE line does not shift lines


def test_codeforces_python_has_a_compile_stage_and_a_normalized_comparison(piston: Piston) -> None:
    result = codeforces(piston, "cf_python3", "print('yes', '\\n ', 42)\n", expected="YES 42")
    assert result["language"] == "python3" and result["compile"]["code"] == 0
    assert passed(result), result
    assert not passed(codeforces(piston, "cf_python3", "print(41)\n"))


def test_codeforces_checker_accepts_any_right_answer(piston: Piston) -> None:
    with ThreadPoolExecutor(2) as pool:
        other_answer, wrong = pool.map(
            lambda code: codeforces(
                piston, "cf_python3", code, input_text="10\n", expected="5 5\n", checker=PAIR_CHECKER
            ),
            ["print(3, 7)\n", "print(3, 8)\n"],
        )
    assert passed(other_answer), other_answer
    assert not passed(wrong) and "checker" in wrong["run"]["stderr"]


def test_codeforces_a_solution_cannot_rewrite_the_checker(piston: Piston) -> None:
    result = codeforces(piston, "cf_python3", CHEAT_PY, input_text="10\n", expected="5 5\n", checker=PAIR_CHECKER)
    assert not passed(result), result
    without_checker = codeforces(piston, "cf_python3", CHEAT_PY, input_text="10\n", expected="5 5\n")
    assert not passed(without_checker)


def test_codeforces_tle_and_crash_fail(piston: Piston) -> None:
    with ThreadPoolExecutor(2) as pool:
        slow, crash = pool.map(
            lambda code: codeforces(piston, "cf_python3", code, time_limit=1.0),
            ["while True:\n    pass\n", "raise ValueError('boom')\n"],
        )
    assert not passed(slow) and slow["run"]["stdout"] == "0\n" and slow["run"]["code"] == 124
    assert "Time limit exceeded" in slow["run"]["stderr"]
    assert not passed(crash) and crash["run"]["code"] == 1 and "ValueError" in crash["run"]["stderr"]


def test_codeforces_file_input_mode(piston: Piston) -> None:
    solution = "a, b = map(int, open('input.txt').read().split())\nopen('output.txt', 'w').write(str(a + b))\n"
    assert passed(codeforces(piston, "cf_python3", solution, input_mode="file"))
