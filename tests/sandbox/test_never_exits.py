"""A program that prints the right answer and then never terminates is a ``timeout``, as run directly.

"Run directly" is ``python3 solution.py`` / ``./solution`` under a judge that waits for that process:
the run ends when the program's process has exited. Python's interpreter shutdown joins non-daemon
threads and runs ``atexit`` callbacks first (a daemon thread does not hold it); a C++ process ends when
``main`` returns (``exit`` ends every thread, detached ones too), not while ``main`` is blocked. A
process the program forked and left behind is not the program: it is killed when the program ends,
even while it holds the program's stdout open.
"""

import time
from typing import Any

import pytest

from graders.code import CodeVerdict, grade_code
from sandbox.attacks import GOOD_JOB, GOOD_PROGRAM, PROBE, PROBE_PROGRAM
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker

STDIO = {"kind": "stdio", "cases": [{"stdin": "41\n", "stdout": "42"}], "time_limit": 1}
CALL = {"kind": "call", "entry_point": "f", "cases": [{"args": [41], "expected": 42}], "time_limit": 1}
ASSERT = {
    "kind": "assert",
    "code": "def check(candidate):\n    assert candidate(41) == 42\n\ncheck(f)\n",
    "time_limit": 1,
}
SPIN = "import threading\n\ndef spin():\n    while True:\n        pass\n\n"


def _healthy_afterwards(pool: SandboxPool) -> None:
    """The next job on the same (only) container is right and prompt, and nothing is left behind."""
    started = time.monotonic()
    good = grade_code(GOOD_PROGRAM, GOOD_JOB, "python", pool)
    assert good.verdict is CodeVerdict.PASSED and time.monotonic() - started < 5.0, good
    probe = grade_code(f"```cpp\n{PROBE_PROGRAM}\n```", PROBE, "cpp", pool)
    assert probe.score == 1.0, probe


def _timeout(source: str, tests: dict[str, Any], language: str, pool: SandboxPool) -> None:
    result = grade_code(source, tests, language, pool)
    assert (result.verdict, result.score) == (CodeVerdict.TIMEOUT, 0.0), result
    _healthy_afterwards(pool)


def _passes(source: str, tests: dict[str, Any], language: str, pool: SandboxPool) -> None:
    result = grade_code(source, tests, language, pool)
    assert (result.verdict, result.score) == (CodeVerdict.PASSED, 1.0), result
    _healthy_afterwards(pool)


def test_stdio_right_answer_then_a_spinning_non_daemon_thread_is_a_timeout(pool: SandboxPool) -> None:
    source = SPIN + "threading.Thread(target=spin).start()\nprint(int(input()) + 1)\n"
    _timeout(source, STDIO, "python", pool)


def test_stdio_right_answer_then_a_sleeping_non_daemon_thread_is_a_timeout(pool: SandboxPool) -> None:
    """No CPU time spent: the wall backstop ends it (max(2 x limit, limit + 1 s))."""
    source = "import threading, time\nthreading.Thread(target=time.sleep, args=(10 ** 6,)).start()\nprint(42)\n"
    _timeout(source, {**STDIO, "time_limit": 0.5}, "python", pool)


def test_stdio_right_answer_with_a_spinning_daemon_thread_passes(pool: SandboxPool) -> None:
    """A daemon thread does not keep ``python3 solution.py`` alive: it terminates normally."""
    source = SPIN + "threading.Thread(target=spin, daemon=True).start()\nprint(int(input()) + 1)\n"
    _passes(source, STDIO, "python", pool)


def test_non_daemon_threads_are_waited_for_and_their_output_counts(pool: SandboxPool) -> None:
    """The main module ends first; the thread prints the answer later, before the process exits."""
    source = "import threading, time\nn = int(input())\n\ndef late():\n    time.sleep(0.05)\n    print(n + 1)\n\n"
    source += "threading.Thread(target=late).start()\n"
    _passes(source, STDIO, "python", pool)


def test_exit_handlers_run_and_one_that_never_ends_is_a_timeout(pool: SandboxPool) -> None:
    _passes("import atexit\nn = int(input())\natexit.register(lambda: print(n + 1))\n", STDIO, "python", pool)
    spinning = "import atexit\n\ndef spin():\n    while True:\n        pass\n\natexit.register(spin)\nprint(42)\n"
    _timeout(spinning, STDIO, "python", pool)


def test_a_thread_still_running_after_sys_exit_is_a_timeout(pool: SandboxPool) -> None:
    """``sys.exit`` does not end the process either while a non-daemon thread runs."""
    source = SPIN + "import sys\nthreading.Thread(target=spin).start()\nprint(42)\nsys.exit(0)\n"
    _timeout(source, STDIO, "python", pool)


def test_call_with_a_spinning_non_daemon_thread_is_a_timeout(pool: SandboxPool) -> None:
    """The right value was returned (and reported), but the process never ends: it does not count."""
    source = SPIN + "def f(x):\n    threading.Thread(target=spin).start()\n    return x + 1\n"
    _timeout(source, CALL, "python", pool)
    daemon = SPIN + "def f(x):\n    threading.Thread(target=spin, daemon=True).start()\n    return x + 1\n"
    _passes(daemon, CALL, "python", pool)


def test_assert_with_a_spinning_non_daemon_thread_is_a_timeout(pool: SandboxPool) -> None:
    """Every check passed (the harness sent its token), but the process never ends: it does not count."""
    at_import = SPIN + "threading.Thread(target=spin).start()\n\ndef f(x):\n    return x + 1\n"
    _timeout(at_import, ASSERT, "python", pool)
    in_the_function = SPIN + "def f(x):\n    threading.Thread(target=spin).start()\n    return x + 1\n"
    _timeout(in_the_function, ASSERT, "python", pool)
    daemon = SPIN + "def f(x):\n    threading.Thread(target=spin, daemon=True).start()\n    return x + 1\n"
    _passes(daemon, ASSERT, "python", pool)


CPP_HEAD = "#include <iostream>\n#include <thread>\n"


def test_cpp_returning_from_main_with_a_detached_spinning_thread_passes(pool: SandboxPool) -> None:
    """Returning from ``main`` calls ``exit``, which ends the process and every thread in it."""
    source = CPP_HEAD + (
        "int main(){ int n; std::cin >> n; std::thread([]{ volatile long x = 0; for (;;) ++x; }).detach();"
        " std::cout << n + 1 << std::endl; return 0; }"
    )
    _passes(source, STDIO, "cpp", pool)


def test_cpp_main_blocked_after_the_right_answer_is_a_timeout(pool: SandboxPool) -> None:
    joins = CPP_HEAD + (
        "int main(){ int n; std::cin >> n; std::thread t([]{ volatile long x = 0; for (;;) ++x; });"
        " std::cout << n + 1 << std::endl; t.join(); }"
    )
    _timeout(joins, STDIO, "cpp", pool)
    # pthread_exit in main: the main thread is gone, the process lives on with the spinning thread
    exits_main_thread = CPP_HEAD + (
        "#include <pthread.h>\nint main(){ int n; std::cin >> n; std::thread([]{ volatile long x = 0;"
        " for (;;) ++x; }).detach(); std::cout << n + 1 << std::endl; pthread_exit(nullptr); }"
    )
    _timeout(exits_main_thread, STDIO, "cpp", pool)


def test_cpp_forked_child_holding_stdout_is_killed_when_the_program_ends(pool: SandboxPool) -> None:
    """The program's own process exits: it terminated (a shell would return, a judge ends the box).
    What it left behind holding its stdout is killed at once, without delaying or changing the verdict;
    what such a leftover writes after the program ended does not count."""
    holds = "#include <iostream>\n#include <unistd.h>\n" + (
        "int main(){ int n; std::cin >> n; std::cout << n + 1 << std::endl;"
        " if (fork() == 0) { volatile long x = 0; for (;;) ++x; } return 0; }"
    )
    started = time.monotonic()
    result = grade_code(holds, STDIO, "cpp", pool)
    assert (result.verdict, result.score) == (CodeVerdict.PASSED, 1.0), result
    assert time.monotonic() - started < 5.0  # compiling included; not held until a limit
    _healthy_afterwards(pool)
    writes_late = "#include <cstdio>\n#include <unistd.h>\n" + (
        'int main(){ if (fork() == 0) { usleep(200000); std::puts("42"); return 0; } return 0; }'
    )
    result = grade_code(writes_late, STDIO, "cpp", pool)
    assert (result.verdict, result.score) == (CodeVerdict.WRONG_ANSWER, 0.0), result
    _healthy_afterwards(pool)
    keeps_writing = "#include <cstdio>\n#include <unistd.h>\n" + (
        'int main(){ std::puts("42"); std::fflush(stdout);'
        ' if (fork() == 0) { for (;;) { write(2, "x", 1); usleep(20); } } return 0; }'
    )
    started = time.monotonic()
    result = grade_code(keeps_writing, STDIO, "cpp", pool)
    assert (result.verdict, result.score) == (CodeVerdict.PASSED, 1.0), result
    assert time.monotonic() - started < 5.0
    _healthy_afterwards(pool)
