"""Per-language facts the host sends with each job: file names, compile and run commands, memory policy,
and how ``assert`` tests are joined to a program. The in-sandbox worker stays generic: it writes the
files, compiles once, and runs the command once per test.

Memory. ``RLIMIT_AS`` equal to the item's ``memory_limit`` is exact for C, C++, Rust and Python, but the
JVM, V8 and the Go runtime reserve far more address space than they use. For those the limit is the
``memory_limit`` plus a fixed headroom, the runtime is told the limit itself (``-Xmx``,
``--max-old-space-size``, ``GOMEMLIMIT``), and the worker checks the run's peak resident memory
(``ru_maxrss``): over the limit is ``memory_limit``. The container's cgroup stays the hard ceiling.

Forged passes. In every language the program's code runs before the tests (static initialisers, global
constructors, ``init()``, top-level code) and could end the process with exit code 0. An ``assert`` run
passes only when it prints a per-run token, given at run time in ``REFEREE_TOKEN``, after its last test:
an early exit, a crash or a test that never ends prints none. What this does not stop: a program that
deliberately reads ``REFEREE_TOKEN`` (or its own process's environment) and prints it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graders.errors import UnscorableError

__all__ = ["LANGUAGES", "PLAIN_LANGUAGES", "Language", "Recipe", "canonical_language", "plain_recipe", "recipe"]

BOX = "/box"
TOKEN_VARIABLE = "REFEREE_TOKEN"


@dataclass(frozen=True, slots=True)
class Recipe:
    """What the worker needs to run one program: ``files`` to write into the box, the ``compile`` and
    ``run`` commands, extra ``env``, the address-space ``headroom_mb`` over the memory limit, whether
    peak RSS is checked, the CPU-time factor, and the patterns in stderr that mean out of memory."""

    files: Mapping[str, str]
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    headroom_mb: int = 0
    rss_check: bool = False
    time_factor: float = 1.0
    memory_errors: tuple[str, ...] = ()
    token: bool = False
    plain: Mapping[str, Any] | None = None
    """Plain programs (execution wires): extra files (base64), files to read back, the compile limit;
    the box is restored between runs so that each run starts as the first did."""

    @property
    def tool(self) -> str:
        """The toolchain binary whose presence says the image has this language."""
        command = self.compile or self.run
        return next((part for part in command if part.startswith("/usr/") or part == "/bin/bash"), command[0])

    def wire(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "files": dict(self.files),
            "compile": list(self.compile) if self.compile else None,
            "run": list(self.run),
            "env": dict(self.env),
            "headroom_mb": self.headroom_mb,
            "rss_check": self.rss_check,
            "time_factor": self.time_factor,
            "memory_errors": list(self.memory_errors),
            "token": self.token,
            "plain": dict(self.plain) if self.plain is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Language:
    name: str
    aliases: tuple[str, ...]
    fence_tags: frozenset[str]
    build: Callable[[str, str | None, int], Recipe]
    """(program, assert test code or None, memory_limit MB) -> Recipe."""
    versions: str
    """What Debian bookworm ships (the README lists it)."""


# --- helpers for joining a program and its tests ------------------------------------------------------
def _matching_brace(text: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_index`` (string and char literals skipped)."""
    depth = 0
    i = open_index
    quote: str | None = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _drop_function(source: str, header: re.Pattern[str]) -> str:
    """Remove every function whose header matches (the model's own ``main``, ``Test*``, ``TestMain``)."""
    while True:
        match = header.search(source)
        if match is None:
            return source
        brace = source.find("{", match.end() - 1)
        end = _matching_brace(source, brace) if brace >= 0 else -1
        if end < 0:
            return source
        source = source[: match.start()] + source[end + 1 :]


_C_MAIN = re.compile(r"^[ \t]*(?:int|void|auto|signed)\s+main\s*\([^)]*\)\s*\{", re.MULTILINE)
_TOKEN_C = (
    "#include <stdio.h>\n#include <stdlib.h>\n"
    "int main(void) {\n  int referee_status = referee_tests_main();\n"
    '  if (referee_status == 0) { const char *t = getenv("' + TOKEN_VARIABLE + '");'
    ' fflush(stdout); printf("\\n%s\\n", t ? t : ""); fflush(stdout); }\n'
    "  return referee_status;\n}\n"
)


def _c_family_tests(program: str, tests: str) -> str:
    """The program without its ``main``; the tests' ``main`` renamed, ending in ``return 0``, called from
    a ``main`` that prints the token when it returns 0. ``NDEBUG`` is undefined: asserts always count."""
    match = _C_MAIN.search(tests)
    if match is None:
        raise UnscorableError("the assert tests have no main function")
    brace = match.end() - 1
    end = _matching_brace(tests, brace)
    if end < 0:
        raise UnscorableError("the assert tests' main function is not closed")
    renamed = "int referee_tests_main(void) {" + tests[brace + 1 : end] + "\n  return 0;\n}" + tests[end + 1 :]
    body = _drop_function(program, _C_MAIN)
    # <assert.h> after the program: a precompiled <bits/stdc++.h> is only used before the first declaration
    return "#undef NDEBUG\n" + body + "\n#include <assert.h>\n" + tests[: match.start()] + renamed + "\n" + _TOKEN_C


def _c(program: str, tests: str | None, memory_mb: int) -> Recipe:
    source = program if tests is None else _c_family_tests(program, tests)
    compile_ = ("/usr/bin/gcc", "-std=gnu17", "-O2", "-pipe", "-o", f"{BOX}/solution", f"{BOX}/main.c", "-lm")
    return Recipe(files={"main.c": source}, compile=compile_, run=(f"{BOX}/solution",), token=tests is not None)


def _cpp(program: str, tests: str | None, memory_mb: int) -> Recipe:
    source = program if tests is None else _c_family_tests(program, tests)
    compile_ = (
        "/usr/bin/g++",
        "-std=c++17",
        "-O2",
        "-pipe",
        "-I/opt/referee/pch",  # a precompiled <bits/stdc++.h> (sandbox/image/prepare-cpp.sh)
        "-o",
        f"{BOX}/solution",
        f"{BOX}/main.cpp",
        "-lcrypto",
        "-lpthread",
    )
    return Recipe(
        files={"main.cpp": source},
        compile=compile_,
        run=(f"{BOX}/solution",),
        memory_errors=("std::bad_alloc",),
        token=tests is not None,
    )


# Java: the file takes its public class's name; tests run from a class of ours that prints the token.
_JAVA_PUBLIC = re.compile(
    r"^([ \t]*)public\s+((?:final\s+|abstract\s+)*)(class|interface|enum|record)\s+(\w+)", re.MULTILINE
)
_JAVA_IMPORT = re.compile(r"^[ \t]*import\s+[\w.*\s]+;[ \t]*$", re.MULTILINE)
_JAVA_MAIN = re.compile(r"(?:public\s+)?static\s+void\s+main\s*\([^)]*\)\s*(?:throws\s+[\w.,\s]+)?\{")
_JAVA_FLAGS = (
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:CICompilerCount=1",
    "-Xss8m",
    "-XX:ReservedCodeCacheSize=32m",
    "-XX:MaxMetaspaceSize=128m",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:-UsePerfData",
    "-Xshare:auto",
)
_JAVA_ENV = {"MALLOC_ARENA_MAX": "1"}
JAVAC_ARCHIVE = "/opt/referee/javac.jsa"
"""javac's class-data archive, made when the image is built (sandbox/image/prepare-java.sh)."""


def _java_class_with_main(source: str) -> str | None:
    for match in re.finditer(r"\b(?:class|enum|record|interface)\s+(\w+)", source):
        brace = source.find("{", match.end())
        end = _matching_brace(source, brace) if brace >= 0 else -1
        if brace >= 0 and end > brace and _JAVA_MAIN.search(source, brace, end):
            return match.group(1)
    return None


def _java(program: str, tests: str | None, memory_mb: int) -> Recipe:
    java = ("/usr/bin/java", f"-Xmx{memory_mb}m", *_JAVA_FLAGS, "-ea", "-cp", BOX)
    javac: tuple[str, ...] = (
        "/usr/bin/javac",
        "-J-Xmx512m",
        "-J-XX:+UseSerialGC",
        "-J-XX:TieredStopAtLevel=1",
        "-J-XX:-UsePerfData",
        f"-J-XX:SharedArchiveFile={JAVAC_ARCHIVE}",
        "-encoding",
        "UTF-8",
        "-nowarn",
        "-d",
        BOX,
    )
    common = {"headroom_mb": 512, "rss_check": True, "time_factor": 2.0, "env": _JAVA_ENV}
    errors = ("java.lang.OutOfMemoryError",)
    if tests is None:
        public = _JAVA_PUBLIC.search(program)
        main_class = _java_class_with_main(program) or (public.group(4) if public else "Main")
        file = f"{public.group(4) if public else main_class}.java"
        return Recipe(
            files={file: program},
            compile=(*javac, f"{BOX}/{file}"),
            run=(*java, main_class),
            memory_errors=errors,
            **common,  # type: ignore[arg-type]
        )
    # assert: the program's classes lose "public" and its own main; the tests' imports go first; our
    # RefereeMain calls the tests' main class and prints the token after it returned normally.
    tests_main = _java_class_with_main(tests)
    if tests_main is None:
        raise UnscorableError("the assert tests have no class with a main method")
    body = _JAVA_MAIN.sub("static void referee_dropped_main(String[] args) {", program)
    body = _JAVA_PUBLIC.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)} {m.group(4)}", body)
    imports = list(dict.fromkeys(m.group(0).strip() for m in _JAVA_IMPORT.finditer(body + "\n" + tests)))
    body, tests = _JAVA_IMPORT.sub("", body), _JAVA_IMPORT.sub("", tests)
    tests = _JAVA_PUBLIC.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)} {m.group(4)}", tests)
    runner = (
        "public class RefereeMain {\n  public static void main(String[] args) throws Throwable {\n"
        f"    {tests_main}.main(args);\n    System.out.flush();\n"
        f'    System.out.println("\\n" + System.getenv("{TOKEN_VARIABLE}"));\n    System.out.flush();\n  }}\n}}\n'
    )
    source = "\n".join(imports) + "\n" + body + "\n" + tests + "\n" + runner
    return Recipe(
        files={"RefereeMain.java": source},
        compile=(*javac, f"{BOX}/RefereeMain.java"),
        run=(*java, "RefereeMain"),
        memory_errors=errors,
        token=True,
        **common,  # type: ignore[arg-type]
    )


# JavaScript: a failed console.assert fails the run (Node would exit 0); asserts cannot be switched off.
_JS_PROLOGUE = "const __refereeToken = process.env." + TOKEN_VARIABLE + "; delete process.env." + TOKEN_VARIABLE + ";\n"
_JS_TESTS_PROLOGUE = (
    "\n;Object.defineProperty(console, 'assert', {configurable: false, writable: false, value: (ok, ...m) => {"
    " if (!ok) { throw new Error('Assertion failed' + (m.length ? ': ' + m.join(' ') : '')); } }});\n"
)
_JS_EPILOGUE = "\n;process.stdout.write('\\n' + __refereeToken + '\\n');\n"


def _node(memory_mb: int, script: str) -> tuple[str, ...]:
    return ("/usr/bin/node", f"--max-old-space-size={memory_mb}", "--stack-size=60000", script)


_NODE_COMMON: dict[str, Any] = {
    "headroom_mb": 1024,
    "rss_check": True,
    "time_factor": 1.5,
    "memory_errors": ("JavaScript heap out of memory",),
}


def _javascript(program: str, tests: str | None, memory_mb: int) -> Recipe:
    if tests is None:
        return Recipe(files={"main.js": program}, run=_node(memory_mb, f"{BOX}/main.js"), **_NODE_COMMON)
    source = _JS_PROLOGUE + program + _JS_TESTS_PROLOGUE + tests + _JS_EPILOGUE
    return Recipe(files={"main.js": source}, run=_node(memory_mb, f"{BOX}/main.js"), token=True, **_NODE_COMMON)


def _typescript(program: str, tests: str | None, memory_mb: int) -> Recipe:
    """Types are stripped by esbuild (no type check, as SandboxFusion's tsx), then run as JavaScript."""
    source = program if tests is None else _JS_PROLOGUE + program + _JS_TESTS_PROLOGUE + tests + _JS_EPILOGUE
    compile_ = ("/usr/bin/esbuild", f"{BOX}/main.ts", f"--outfile={BOX}/main.js", "--format=cjs", "--platform=node")
    return Recipe(
        files={"main.ts": source},
        compile=compile_,
        run=_node(memory_mb, f"{BOX}/main.js"),
        token=tests is not None,
        **_NODE_COMMON,
    )


# Go: one file (a test may use packages only the program imports), built with `go test -c` in GOPATH
# mode (testify from Debian), in the box (/tmp is noexec), with a build cache of the job's own.
_GO_PACKAGE = re.compile(r"^\s*package\s+\w+\s*$", re.MULTILINE)
_GO_IMPORT_BLOCK = re.compile(r"^\s*import\s*\((.*?)\)", re.MULTILINE | re.DOTALL)
_GO_IMPORT_LINE = re.compile(r"^\s*import\s+((?:\w+\s+)?\"[^\"]+\")", re.MULTILINE)
_GO_MAIN = re.compile(r"^func\s+main\s*\(\s*\)\s*\{", re.MULTILINE)
_GO_TESTS = re.compile(r"^func\s+(?:Test\w*|Benchmark\w*|Example\w*)\s*\([^)]*\)\s*\{", re.MULTILINE)
_GO_ENV = {
    "GO111MODULE": "off",
    "GOPATH": "/usr/share/gocode",
    "GOCACHE": f"{BOX}/.gocache",
    "GOFLAGS": "-buildvcs=false",
    "CGO_ENABLED": "0",
    "GOMAXPROCS": "1",
    "GOTOOLCHAIN": "local",
}


def _go_imports(source: str) -> tuple[list[str], str]:
    found: list[str] = []
    for block in _GO_IMPORT_BLOCK.finditer(source):
        found.extend(line.strip() for line in block.group(1).splitlines() if line.strip())
    found.extend(m.group(1).strip() for m in _GO_IMPORT_LINE.finditer(source))
    stripped = _GO_IMPORT_LINE.sub("", _GO_IMPORT_BLOCK.sub("", source))
    return found, _GO_PACKAGE.sub("", stripped)


GO_CACHE = "/opt/referee/gocache"
"""The image's pristine warm build cache, copied into each job's box (sandbox/image: LANGUAGE_PREPARATION)."""


_GO_LINK_FLAGS = ("-ldflags=-s -w",)
"""No symbol table or DWARF: the linker's largest cost (about 0.47 -> 0.36 s per job); panics keep their traces."""


def _go_build(*argv: str) -> tuple[str, ...]:
    copy = f"if [ -d {GO_CACHE} ]; then cp -r {GO_CACHE} {BOX}/.gocache; fi; exec " + shlex.join(argv)
    return ("/bin/sh", "-c", copy)


def _go(program: str, tests: str | None, memory_mb: int) -> Recipe:
    env = {**_GO_ENV, "GOMEMLIMIT": f"{memory_mb}MiB"}
    common: dict[str, Any] = {"headroom_mb": 1024, "rss_check": True, "env": env}
    build: tuple[str, ...]
    if tests is None:
        build = _go_build("/usr/bin/go", "build", *_GO_LINK_FLAGS, "-o", f"{BOX}/solution", f"{BOX}/main.go")
        return Recipe(files={"main.go": program}, compile=build, run=(f"{BOX}/solution",), **common)
    program_imports, body = _go_imports(_drop_function(_drop_function(program, _GO_MAIN), _GO_TESTS))
    test_imports, test_body = _go_imports(tests)
    imports = list(dict.fromkeys([*program_imports, *test_imports, '"os"', '"fmt"', '"testing"']))
    runner = (
        "\nfunc TestMain(m *testing.M) {\n\tcode := m.Run()\n"
        f'\tif code == 0 {{\n\t\tfmt.Println("\\n" + os.Getenv("{TOKEN_VARIABLE}"))\n\t}}\n\tos.Exit(code)\n}}\n'
        "var _ = fmt.Sprint\nvar _ = os.Getenv\n"
    )
    source = "package main\n\nimport (\n\t" + "\n\t".join(imports) + "\n)\n" + body + "\n" + test_body + runner
    build = _go_build(
        "/usr/bin/go", "test", "-c", "-vet=off", *_GO_LINK_FLAGS, "-o", f"{BOX}/solution.test", f"{BOX}/main_test.go"
    )
    return Recipe(files={"main_test.go": source}, compile=build, run=(f"{BOX}/solution.test",), token=True, **common)


# Rust: `rustc --test` for a #[cfg(test)] module (HumanEval-X), where a last test (libtest runs them in name
# order, one thread) prints the token; tests written as a `fn main` of asserts (MultiPL-E) are called from
# our own `main` instead (built with --test, their `main` would never run: every such program would pass).
_RUST_MAIN = re.compile(r"^fn\s+main\s*\(\s*\)\s*\{", re.MULTILINE)
_RUST_TOKEN_TEST = (
    "\n#[cfg(test)]\nmod zzzz_referee {\n    #[test]\n    fn zzzz_referee_done() {\n"
    f'        println!("\\n{{}}", std::env::var("{TOKEN_VARIABLE}").unwrap_or_default());\n    }}\n}}\n'
)


_RUST_TOKEN_MAIN = (
    "\nfn main() {\n    referee_tests_main();\n"
    f'    println!("\\n{{}}", std::env::var("{TOKEN_VARIABLE}").unwrap_or_default());\n}}\n'
)


_RUST_LINK_FLAGS = ("-C", "link-arg=-fuse-ld=gold", "-C", "strip=debuginfo")
"""gold, and no libstd debug info to copy: linking was 0.23 of 0.30 s per job; now about 0.15 s in all."""


def _rust(program: str, tests: str | None, memory_mb: int) -> Recipe:
    rustc = ("/usr/bin/rustc", "--edition", "2021", "-O", *_RUST_LINK_FLAGS, "-o", f"{BOX}/solution", f"{BOX}/main.rs")
    if tests is None:
        return Recipe(files={"main.rs": program}, compile=rustc, run=(f"{BOX}/solution",))
    body = "#![allow(unused)]\n" + _drop_function(program, _RUST_MAIN) + "\n"
    if "#[test]" not in tests:  # MultiPL-E shape: the tests are a `fn main` of asserts, called from ours
        if not _RUST_MAIN.search(tests):
            raise UnscorableError("the assert tests have neither #[test] functions nor a main function")
        renamed = _RUST_MAIN.sub("fn referee_tests_main() {", tests, count=1)
        return Recipe(
            files={"main.rs": body + renamed + _RUST_TOKEN_MAIN}, compile=rustc, run=(f"{BOX}/solution",), token=True
        )
    return Recipe(
        files={"main.rs": body + tests + _RUST_TOKEN_TEST},
        compile=(*rustc[:3], "--test", *rustc[3:]),
        run=(f"{BOX}/solution", "--test-threads=1", "--nocapture", "-q"),
        token=True,
    )


def _bash(program: str, tests: str | None, memory_mb: int) -> Recipe:
    if tests is None:
        return Recipe(files={"main.sh": program}, run=("/bin/bash", f"{BOX}/main.sh"))
    source = program + "\n" + tests + f'\nprintf "\\n%s\\n" "${TOKEN_VARIABLE}"\n'
    return Recipe(files={"main.sh": source}, run=("/bin/bash", "-e", f"{BOX}/main.sh"), token=True)


LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        Language("c", ("c17", "gcc"), frozenset({"c", "h"}), _c, "gcc 12.2 (-std=gnu17 -O2)"),
        Language("java", ("java17", "jdk"), frozenset({"java"}), _java, "OpenJDK 17 (javac, java -ea)"),
        Language(
            "javascript",
            ("js", "nodejs", "node"),
            frozenset({"javascript", "js", "node", "nodejs"}),
            _javascript,
            "Node.js 18",
        ),
        Language("typescript", ("ts",), frozenset({"typescript", "ts"}), _typescript, "esbuild 0.17 on Node.js 18"),
        Language("go", ("golang", "go_test"), frozenset({"go", "golang"}), _go, "Go 1.19, testify 1.8 (GOPATH)"),
        Language("rust", ("rs",), frozenset({"rust", "rs"}), _rust, "rustc 1.85 (rustc-web, edition 2021)"),
        Language("bash", ("sh", "shell"), frozenset({"bash", "sh", "shell"}), _bash, "bash 5.2"),
    )
}
"""The languages that run through the generic recipe (Python and C++ keep their own paths)."""
CPP_ASSERT = Language("cpp", ("c++",), frozenset({"cpp", "c++"}), _cpp, "g++ 12.2 (-std=c++17 -O2), Boost 1.74")


def canonical_language(name: str) -> str | None:
    lowered = name.strip().lower()
    for language in LANGUAGES.values():
        if lowered == language.name or lowered in language.aliases:
            return language.name
    return None


def recipe(language: str, program: str, tests: str | None, memory_mb: int) -> Recipe:
    """The recipe for ``program`` in ``language`` (a canonical name), joined to ``tests`` when given."""
    spec = CPP_ASSERT if language == "cpp" else LANGUAGES[language]
    return spec.build(program, tests, memory_mb)


# --- plain programs: what execution wires (SandboxFusion, Piston, open-r1) run -------------------------
_PYTHON_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
PLAIN_LANGUAGES = ("python", "cpp", *LANGUAGES, "go_test")
"""What ``plain_recipe`` runs: Python as ``python3 main.py``, the rest as their ``stdio`` recipes."""


def _go_test_plain(program: str, memory_mb: int) -> Recipe:
    """SandboxFusion's ``go_test``: the code is a test file, built with ``go test -c`` and run verbosely."""
    stdio = _go("package main\nfunc main() {}\n", None, memory_mb)
    build = _go_build(
        "/usr/bin/go", "test", "-c", "-vet=off", *_GO_LINK_FLAGS, "-o", f"{BOX}/solution.test", f"{BOX}/main_test.go"
    )
    return Recipe(
        files={"main_test.go": program},
        compile=build,
        run=(f"{BOX}/solution.test", "-test.v"),
        env=stdio.env,
        headroom_mb=stdio.headroom_mb,
        rss_check=stdio.rss_check,
    )


def plain_recipe(
    language: str,
    program: str,
    memory_mb: int,
    *,
    args: tuple[str, ...] = (),
    files: Mapping[str, str] | None = None,
    fetch: tuple[str, ...] = (),
    compile_time_s: float | None = None,
) -> Recipe:
    """A program run as its author would run it (``python3 main.py``, a compile then the binary), with
    ``args``, extra ``files`` (relative path: base64) written beside it and ``fetch`` read back after
    each run. No harness: the container is the boundary on this path."""
    if language == "python":
        base = Recipe(files={"main.py": program}, run=("/usr/bin/python3", f"{BOX}/main.py"), env=_PYTHON_ENV)
    elif language == "go_test":
        base = _go_test_plain(program, memory_mb)
    else:
        base = recipe(language, program, None, memory_mb)
    plain = {
        "blobs": dict(files or {}),
        "fetch": list(fetch),
        "compile_time_s": compile_time_s,
        "python": language == "python",
    }
    return Recipe(
        files=base.files,
        run=(*base.run, *args),
        compile=base.compile,
        env=base.env,
        headroom_mb=base.headroom_mb,
        rss_check=base.rss_check,
        time_factor=base.time_factor,
        memory_errors=base.memory_errors,
        plain=plain,
    )
