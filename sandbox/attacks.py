"""The adversarial self-test: hostile programs and the probe that checks the sandbox after each.

Each attack is built so that a reward above 0 means the attack worked: a probe prints ``ESCAPED``
when it reaches something it must not, and the test expects exactly that output. After every attack
the same pool must grade a known-good job correctly within 5 s, and a probe job must find no file
and no process left behind. ``referee sandbox check`` prints the table; the test suite asserts it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from graders.code import CodeOptions, CodeResult, Executor, grade_code

__all__ = ["ATTACKS", "Attack", "AttackReport", "PROBE", "PROBE_PROGRAM", "run_attack", "run_attacks"]

ESCAPED = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "ESCAPED"}], "time_limit": 1}


@dataclass(frozen=True, slots=True)
class Attack:
    name: str
    source: str
    language: str = "python"
    tests: dict[str, Any] | None = None
    expect: tuple[str, ...] = ()
    """Acceptable verdicts (any, when empty); the score must be 0 whatever the verdict."""

    def item_tests(self) -> dict[str, Any]:
        return self.tests or ESCAPED


_MEMORY = {**ESCAPED, "time_limit": 5, "memory_limit": 256}
"""Memory bombs get CPU time to spare: page faults are slow in VMs, and the memory limit must be hit first."""
_CALL_FIVE = {"kind": "call", "entry_point": "f", "cases": [{"args": [2], "expected": 5}], "time_limit": 1}
_ASSERT_FIVE = {"kind": "assert", "code": "assert f(2) == 5\n", "time_limit": 1}

ATTACKS: tuple[Attack, ...] = (
    Attack("fork bomb (C++)", "#include <unistd.h>\nint main(){ while (1) fork(); }", "cpp"),
    Attack("fork bomb (Python)", "import os\nwhile True:\n    os.fork()\n", expect=("runtime_error",)),
    Attack("memory bomb", "x = bytearray(8 << 30)\nprint('ESCAPED')", tests=_MEMORY, expect=("memory_limit",)),
    Attack(
        "memory bomb, growing",
        "x = []\nwhile True:\n    x.append(' ' * (1 << 20))",
        tests=_MEMORY,
        expect=("memory_limit",),
    ),
    Attack("infinite loop", "while True:\n    pass", expect=("timeout",)),
    Attack(
        "busy background thread",
        "import threading\nt = threading.Thread(target=lambda: [0 for _ in iter(int, 1)])\nt.start()\nt.join()",
        expect=("timeout",),
    ),
    Attack("sleep forever", "import time\ntime.sleep(10 ** 6)", expect=("timeout",)),
    Attack(
        "right answer, then a thread that never ends",
        "import threading\nthreading.Thread(target=lambda: any(iter(int, 1))).start()\nprint('ESCAPED')",
        expect=("timeout",),
    ),
    Attack(
        "right answer, then an exit handler that never ends",
        "import atexit\natexit.register(lambda: any(iter(int, 1)))\nprint('ESCAPED')",
        expect=("timeout",),
    ),
    Attack(
        "tests passed, then a thread that never ends",
        "import threading\ndef f(x):\n    threading.Thread(target=lambda: any(iter(int, 1))).start()\n    return 5",
        tests=_ASSERT_FIVE,
        expect=("timeout",),
    ),
    Attack(
        "detached daemon leaving a marker",
        "#include <unistd.h>\n#include <cstdio>\nint main(){ if (fork() == 0) { setsid(); if (fork() == 0) {"
        ' sleep(2); FILE* f = fopen("/tmp/marker", "w"); if (f) fputs("x", f); return 0; } return 0; }'
        ' FILE* g = fopen("/box/marker", "w"); if (g) fputs("x", g); return 0; }',
        "cpp",
    ),
    Attack(
        "kill(-1)",
        "import os, signal\nos.kill(-1, signal.SIGKILL)\nfor pid in (1, os.getppid()):\n    try:\n"
        "        os.kill(pid, 0)\n        print('ESCAPED')\n    except PermissionError:\n        pass",
    ),
    Attack(
        "killing the worker and the parent",
        "#include <signal.h>\n#include <unistd.h>\n#include <cstdio>\nint main(){ int hits = 0;"
        " for (int pid = 1; pid < 4096; ++pid) if (pid != getpid() && kill(pid, SIGKILL) == 0) ++hits;"
        ' if (kill(getppid(), SIGKILL) == 0) ++hits; if (hits) puts("ESCAPED"); }',
        "cpp",
    ),
    Attack(
        "loopback services",
        "import socket\nfor port in (22, 80, 2375, 2376, 8000, 8080):\n    try:\n"
        "        socket.create_connection(('127.0.0.1', port), timeout=0.5)\n        print('ESCAPED')\n"
        "    except OSError:\n        pass",
    ),
    Attack(
        "the Docker socket",
        "import socket\nfor path in ('/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock'):\n"
        "    try:\n        s = socket.socket(socket.AF_UNIX)\n        s.connect(path)\n        print('ESCAPED')\n"
        "    except OSError:\n        pass",
    ),
    Attack(
        "network interfaces and routes",
        "#include <fstream>\n#include <iostream>\n#include <string>\n#include <net/if.h>\nint main(){"
        " struct if_nameindex* all = if_nameindex(); bool other = false;"
        ' for (auto* i = all; i && i->if_index; ++i) if (std::string(i->if_name) != "lo") other = true;'
        ' std::ifstream routes("/proc/net/route"); std::string line; int rows = 0;'
        ' while (std::getline(routes, line)) ++rows; std::ifstream v6("/proc/net/ipv6_route");'
        ' while (std::getline(v6, line)) if (line.find("lo") == std::string::npos) other = true;'
        ' if (other || rows > 1) std::cout << "ESCAPED"; }',
        "cpp",
    ),
    Attack(
        "writes to / and /etc",
        "for path in ('/escape', '/etc/passwd', '/etc/escape', '/usr/bin/escape'):\n    try:\n"
        "        open(path, 'a').write('x')\n        print('ESCAPED')\n    except OSError:\n        pass",
    ),
    Attack(
        "filling the tmpfs",
        "for top in ('/box', '/tmp'):\n    try:\n        with open(top + '/fill', 'wb') as f:\n"
        "            while True:\n                f.write(b'x' * (1 << 20))\n    except OSError:\n        pass",
    ),
    Attack(
        # Under gVisor (runsc 2022.12) other processes' environ is readable (under runc it is not): a hit is
        # any variable beyond the public ones Docker and the worker set (PATH, HOSTNAME=sandbox, HOME, LANG)
        "/proc/1/environ and host secrets",
        "#include <unistd.h>\n#include <fstream>\n#include <iostream>\n#include <string>\n"
        "int main(){ const char* paths[] ="
        ' {"/proc/1/root/etc/shadow", "/etc/shadow"}; bool hit = false;'
        " for (auto* p : paths) { std::ifstream f(p); std::string s; if (f && std::getline(f, s) && !s.empty())"
        ' hit = true; } for (int pid = 1; pid < 256; ++pid) { std::ifstream f("/proc/" + std::to_string(pid)'
        " + \"/environ\"); std::string s; while (f && pid != getpid() && std::getline(f, s, '\\0'))"
        ' if (!s.empty() && s.rfind("PATH=", 0) && s != "HOSTNAME=sandbox" && s != "HOME=/root"'
        ' && s != "LANG=C.UTF-8") hit = true; }'
        ' if (hit) std::cout << "ESCAPED"; }',
        "cpp",
    ),
    Attack("reading /proc from Python", "print(open('/proc/1/environ').read() and 'ESCAPED')"),
    Attack(
        "1 GB stdout flood",
        "import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(1 << 20):\n    sys.stdout.write(line)",
        expect=("output_limit",),
    ),
    Attack(
        "newline-less flood",
        "import os\nchunk = b'x' * (1 << 16)\nwhile True:\n    os.write(1, chunk)",
        expect=("output_limit",),
    ),
    Attack(
        "a million files",
        "import os\nfor i in range(10 ** 6):\n    try:\n        open('/box/f%d' % i, 'w').close()\n"
        "    except OSError:\n        break",
    ),
    Attack(
        "exhausting file descriptors",
        "import os\nfds = []\ntry:\n    while True:\n        fds.append(os.open('/dev/null', os.O_RDONLY))\n"
        "except OSError:\n    pass\nif len(fds) > 100000:\n    print('ESCAPED')",
    ),
    Attack(
        "SIGTERM-ignoring loop",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
        "while True:\n    pass",
        expect=("timeout",),
    ),
    Attack(
        "C++ stack overflow",
        "#include <cstdio>\nint f(int n){ volatile char b[4096]; b[0] = n; return f(n + 1) + b[0]; }\n"
        'int main(){ std::printf("%d", f(0)); }',
        "cpp",
        expect=("runtime_error",),
    ),
    Attack(
        "C++ memory bomb",
        "#include <cstring>\n#include <vector>\nint main(){ std::vector<char*> v;"
        " while (true) { char* p = new char[1 << 24]; std::memset(p, 1, 1 << 24); v.push_back(p); } }",
        "cpp",
        tests=_MEMORY,
        expect=("memory_limit", "runtime_error"),
    ),
    Attack("forged pass: os._exit(0)", "import os\ndef f(x):\n    os._exit(0)", tests=_ASSERT_FIVE),
    Attack("forged pass: sys.exit(0)", "import sys\ndef f(x):\n    sys.exit(0)", tests=_ASSERT_FIVE),
    Attack("forged pass: exit at import", "import sys\nsys.exit(0)\ndef f(x):\n    return 0", tests=_ASSERT_FIVE),
    Attack(
        "forged pass: patched __eq__",
        "class Always:\n    def __eq__(self, other):\n        return True\n    __ne__ = lambda s, o: False\n"
        "def f(x):\n    return Always()",
        tests=_ASSERT_FIVE,
    ),
    Attack(
        "forged pass: int subclass",
        "class Five(int):\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return Five(0)",
        tests=_ASSERT_FIVE,
    ),
    Attack(
        "forged pass: patched __eq__ in a call test",
        "class Always:\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return Always()",
        tests=_CALL_FIVE,
    ),
    Attack(
        "forged pass: patched builtins",
        "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {})\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.abs = lambda x: 0\n"
        "def f(x):\n    import builtins\n    builtins.sorted = lambda x: 5\n    return 0",
        tests={"kind": "assert", "code": "assert f(2) == 5\nassert sorted([3]) == 5\n", "time_limit": 1},
    ),
    Attack(
        "forged pass: printed fake marker",
        "import os\nfor fd in range(3, 64):\n    try:\n"
        '        os.write(fd, b\'{"event": "done", "token": "0"}\\n{"event": "value", "json": 5}\\n\')\n'
        "    except OSError:\n        pass\nprint('{\"event\": \"done\"}')\nprint('PASSED')\ndef f(x):\n    return 0",
        tests=_ASSERT_FIVE,
    ),
    Attack(
        "forged pass: reading the harness's frames",
        "import sys\ndef f(x):\n    frame = sys._getframe(1)\n    while frame:\n"
        "        token = frame.f_locals.get('token')\n        if token:\n            import os\n"
        '            os.write(4, (\'{"event": "done", "token": "%s"}\\n\' % token).encode())\n'
        "            os._exit(0)\n        frame = frame.f_back\n    return 0",
        tests=_ASSERT_FIVE,
    ),
    Attack(
        "forged pass: patched Counter.__eq__",
        "import collections\ncollections.Counter.__eq__ = lambda self, other: True\n"
        "collections.Counter.__bool__ = lambda self: True\n"
        "def f(x):\n    return collections.Counter('zz')",
        tests={
            "kind": "assert",
            "code": "from collections import Counter\nassert f(2) == Counter({'a': 5})\nassert f(2) - f(2)\n",
            "time_limit": 1,
        },
    ),
    Attack(
        "forged pass: a tracer reading the harness's frames",
        "import sys, threading\ndef spy(frame, event, arg):\n    while frame is not None:\n"
        "        token = frame.f_locals.get('token')\n        if token:\n            import os\n"
        '            os.write(4, (\'{"event": "done", "token": "%s"}\\n\' % token).encode())\n'
        "            os._exit(0)\n        frame = frame.f_back\n    return spy\n"
        "for install in (sys.settrace, sys.setprofile, threading.settrace):\n    try:\n        install(spy)\n"
        "    except ValueError:\n        pass\n"
        "def f(x):\n    t = threading.Thread(target=lambda: None)\n    t.start()\n    t.join()\n    return 0",
        tests=_ASSERT_FIVE,
    ),
    Attack(
        "forged pass: traceback frames and gc",
        "import gc, os\ndef f(x):\n    try:\n        raise ValueError\n    except ValueError as e:\n"
        "        frame = e.__traceback__.tb_frame\n    for o in gc.get_objects():\n        pass\n    return 0",
        tests=_ASSERT_FIVE,
    ),
)

GOOD_JOB = {"kind": "stdio", "cases": [{"stdin": "41\n", "stdout": "42"}]}
GOOD_PROGRAM = "print(int(input()) + 1)"
PROBE = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "clean"}], "time_limit": 2}
PROBE_PROGRAM = """#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <string>
static int count(const char* dir) {
    DIR* d = opendir(dir); int n = 0;
    if (!d) return 0;
    while (dirent* e = readdir(d)) if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")
        && std::strcmp(e->d_name, "solution")) { std::printf("left: %s/%s\\n", dir, e->d_name); ++n; }
    closedir(d); return n;
}
int main() {
    int left = count("/box") + count("/tmp") + count("/dev/shm");
    DIR* proc = opendir("/proc"); struct stat st;
    while (dirent* e = readdir(proc)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        int pid = std::atoi(e->d_name);
        if (pid == getpid()) continue;
        std::string path = std::string("/proc/") + e->d_name;
        if (stat(path.c_str(), &st) == 0 && st.st_uid == getuid()) { std::printf("process %d\\n", pid); ++left; }
    }
    if (!left) std::puts("clean");
}
"""


@dataclass(frozen=True, slots=True)
class AttackReport:
    attack: str
    verdict: str
    score: float | None
    contained: bool
    next_job_ok: bool
    next_job_s: float
    clean: bool
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.contained and self.next_job_ok and self.clean


def _fenced(source: str, language: str) -> str:
    return f"```{language}\n{source}\n```"


def run_attack(executor: Executor, attack: Attack, options: CodeOptions | None = None) -> AttackReport:
    """One attack, then a known-good job and the probe, on the same executor."""
    try:
        result: CodeResult = grade_code(
            _fenced(attack.source, attack.language), attack.item_tests(), attack.language, executor, options
        )
    except Exception as exc:
        return AttackReport(attack.name, "error", None, False, False, 0.0, False, f"{type(exc).__name__}: {exc}")
    contained = result.score == 0.0 and (not attack.expect or result.verdict.value in attack.expect)
    started = time.monotonic()
    good = grade_code(_fenced(GOOD_PROGRAM, "python"), GOOD_JOB, "python", executor)
    next_s = time.monotonic() - started
    probe = grade_code(_fenced(PROBE_PROGRAM, "cpp"), PROBE, "cpp", executor)
    detail = (result.reason or "")[:200]
    if probe.score != 1.0:
        detail = f"probe: {probe.verdict.value} {probe.reason or ''}"[:300]
    return AttackReport(
        attack=attack.name,
        verdict=result.verdict.value,
        score=result.score,
        contained=contained,
        next_job_ok=good.score == 1.0 and next_s < 5.0,
        next_job_s=next_s,
        clean=probe.score == 1.0,
        detail=detail,
    )


def run_attacks(executor: Executor, attacks: tuple[Attack, ...] = ATTACKS) -> list[AttackReport]:
    return [run_attack(executor, attack) for attack in attacks]
