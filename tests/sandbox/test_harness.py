"""Correct programs pass, in each test kind and language, through real containers."""

import pytest

from graders.code import CodeOptions, CodeVerdict, grade_code
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker


def test_assert_tests_humaneval_style(pool: SandboxPool) -> None:
    program = "```python\nfrom typing import List\n\ndef add(xs: List[int]) -> int:\n    return sum(xs)\n```"
    tests = {"kind": "assert", "code": "def check(candidate):\n    assert candidate([1, 2]) == 3\n\ncheck(add)\n"}
    assert grade_code(program, tests, "python", pool).verdict is CodeVerdict.PASSED
    wrong = program.replace("sum(xs)", "sum(xs) + 1")
    failed = grade_code(wrong, tests, "python", pool)
    assert (failed.score, failed.verdict) == (0.0, CodeVerdict.WRONG_ANSWER)
    crashing = program.replace("sum(xs)", "xs[10]")
    crashed = grade_code(crashing, tests, "python", pool)
    assert crashed.verdict is CodeVerdict.RUNTIME_ERROR and "IndexError" in (crashed.reason or "")


def test_assert_tests_with_plain_library_types(pool: SandboxPool) -> None:
    program = (
        "import math, collections, heapq\n"
        "def f(x):\n    return (math.sqrt(x), {x: [x]}, {x}, (x, None), collections.OrderedDict(a=1))\n"
    )
    tests = {
        "kind": "assert",
        "code": "import math\nr = f(4)\nassert math.isclose(r[0], 2.0)\nassert r[1] == {4: [4]} and r[2] == {4}\n"
        "assert r[3] == (4, None)\nassert r[3][1] is None\nassert not (r[0] > 3)\nassert 4 in r[2]\n"
        "assert abs(r[0] - 2) < 1e-9\nassert r[4] == {'a': 1}\n",
    }
    result = grade_code(program, tests, "python", pool)
    assert result.verdict is CodeVerdict.PASSED, result


def test_call_tests_compare_json_forms(pool: SandboxPool) -> None:
    tests = {
        "kind": "call",
        "entry_point": "f",
        "cases": [
            {"args": [[3, 1, 2]], "expected": [1, 2, 3]},
            {"args": [[]], "expected": []},
            {"args": [[2, 1]], "expected": [1, 3]},
        ],
    }
    result = grade_code("def f(xs):\n    return tuple(sorted(xs))\n", tests, "python", pool)
    assert (result.passed, result.total, result.score) == (2, 3, pytest.approx(2 / 3))
    bools = {"kind": "call", "entry_point": "f", "cases": [{"args": [], "expected": True}]}
    assert grade_code("def f():\n    return 1\n", bools, "python", pool).score == 0.0  # 1 is not true
    floats = {"kind": "call", "entry_point": "f", "cases": [{"args": [], "expected": 0.3}]}
    assert grade_code("def f():\n    return 0.1 + 0.2\n", floats, "python", pool).score == 1.0


def test_missing_entry_point(pool: SandboxPool) -> None:
    tests = {"kind": "call", "entry_point": "g", "cases": [{"args": [], "expected": 1}]}
    result = grade_code("def f():\n    return 1\n", tests, "python", pool)
    assert result.verdict is CodeVerdict.RUNTIME_ERROR and "g" in (result.reason or "")


def test_stdio_python_and_cpp(pool: SandboxPool) -> None:
    tests = {"kind": "stdio", "cases": [{"stdin": "2 3\n", "stdout": "5"}, {"stdin": "10 -4\n", "stdout": "6\n"}]}
    python = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    cpp = "```cpp\n#include <bits/stdc++.h>\nint main(){ long long a, b; std::cin >> a >> b; std::cout << a + b; }\n```"
    assert grade_code(python, tests, "python", pool).verdict is CodeVerdict.PASSED
    assert grade_code(cpp, tests, "cpp", pool).verdict is CodeVerdict.PASSED


def test_cpp17_features_and_compile_errors(pool: SandboxPool) -> None:
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "3"}]}
    cpp17 = "#include <iostream>\n#include <tuple>\nint main(){ auto [a, b] = std::pair{1, 2}; std::cout << a + b; }"
    assert grade_code(cpp17, tests, "cpp", pool).verdict is CodeVerdict.PASSED
    broken = grade_code("```cpp\nint main(){ return }\n```", tests, "cpp", pool)
    assert broken.verdict is CodeVerdict.COMPILE_ERROR and "error" in (broken.reason or "")


def test_python_syntax_error_is_a_compile_error(pool: SandboxPool) -> None:
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}, {"stdin": "", "stdout": "1"}]}
    result = grade_code("```python\nprint(1\n```", tests, "python", pool)
    assert result.verdict is CodeVerdict.COMPILE_ERROR and result.score == 0.0
    prose = grade_code("I could not solve it (sorry", tests, "python", pool)
    assert prose.verdict is CodeVerdict.NO_CODE and prose.score == 0.0  # bare text that is no program


def test_per_item_time_limit(pool: SandboxPool) -> None:
    program = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.5:\n    pass\nprint('done')"
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "done"}]}
    assert grade_code(program, tests, "python", pool).verdict is CodeVerdict.PASSED
    tight = {**tests, "time_limit": 1}
    assert grade_code(program, tight, "python", pool).verdict is CodeVerdict.TIMEOUT


def test_per_item_memory_limit(pool: SandboxPool) -> None:
    program = "x = bytearray(200 * 1024 * 1024)\nprint('ok')"
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "ok"}]}
    assert grade_code(program, tests, "python", pool).verdict is CodeVerdict.PASSED
    tight = {**tests, "memory_limit": 128}
    assert grade_code(program, tight, "python", pool).verdict is CodeVerdict.MEMORY_LIMIT


def test_stdio_exit_codes_and_sys_exit(pool: SandboxPool) -> None:
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}]}
    assert grade_code("import sys\nprint(1)\nsys.exit(0)", tests, "python", pool).score == 1.0
    failed = grade_code("import sys\nprint(1)\nsys.exit(3)", tests, "python", pool)
    assert failed.verdict is CodeVerdict.RUNTIME_ERROR


def test_all_mode(pool: SandboxPool) -> None:
    tests = {"kind": "stdio", "cases": [{"stdin": "1", "stdout": "1"}, {"stdin": "2", "stdout": "3"}]}
    result = grade_code("print(input())", tests, "python", pool, CodeOptions(mode="all"))
    assert (result.score, result.passed) == (0.0, 1)


def test_counters_compare_by_their_items(pool: SandboxPool) -> None:
    program = "from collections import Counter\ndef f(s):\n    return Counter(s)\n"
    code = (
        "from collections import Counter\n"
        "assert f('aab') == Counter({'a': 2, 'b': 1})\n"
        "assert f('aab') == {'a': 2, 'b': 1}\n"
        "assert f('') == Counter() and not f('')\n"
        "assert Counter(a=0) == Counter()\n"
        "assert 'a' in f('a') and 'b' not in f('a')\n"
        "assert [f('x')] == [Counter('x')]\n"
        "assert f('ab') != Counter('abb')\n"
    )
    result = grade_code(program, {"kind": "assert", "code": code}, "python", pool)
    assert result.verdict is CodeVerdict.PASSED, result
    wrong = grade_code(program, {"kind": "assert", "code": "assert f('ab') == Counter('abb')\n"}, "python", pool)
    assert wrong.score == 0.0
    call = {"kind": "call", "entry_point": "f", "cases": [{"args": ["aab"], "expected": {"a": 2, "b": 1}}]}
    assert grade_code(program, call, "python", pool).score == 1.0


def test_programs_run_as_main_like_python3_would(pool: SandboxPool) -> None:
    """Answers that end in `if __name__ == "__main__": doctest.testmod()` behave as when run directly."""
    program = (
        "def double(x):\n    '''\n    >>> double(2)\n    4\n    '''\n    return 2 * x\n\n"
        "if __name__ == '__main__':\n    import doctest\n    doctest.testmod()\n    print('main ran')\n"
    )
    tests = {"kind": "assert", "code": "assert double(3) == 6\n"}
    assert grade_code(program, tests, "python", pool).verdict is CodeVerdict.PASSED
    stdio = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "main ran"}]}
    assert grade_code(program, stdio, "python", pool).verdict is CodeVerdict.PASSED
    broken_doctest = program.replace(">>> double(2)\n    4", ">>> double(2)\n    5")
    assert grade_code(broken_doctest, stdio, "python", pool).verdict is CodeVerdict.WRONG_ANSWER  # report printed


def test_slow_assert_programs_get_a_longer_default(pool: SandboxPool) -> None:
    program = (
        "import time\nt = time.process_time()\nwhile time.process_time() - t < 3:\n    pass\ndef f():\n    return 1\n"
    )
    result = grade_code(program, {"kind": "assert", "code": "assert f() == 1\n"}, "python", pool)
    assert result.verdict is CodeVerdict.PASSED, result
