"""Every language of the image, against real containers: HumanEval-X canonical solutions as ``assert``
items, HumanEval+ with numpy, and per language a wrong program, a time limit, a memory bomb, a compile
error and every early-exit route of the language (forged passes)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from bench.humanevalx import FLAKY, KNOWN_FAILURES
from bench.humanevalx import items as humanevalx_items
from graders.code import CodeVerdict, grade_code
from graders.code.executor import Job
from sandbox.attacks import Attack, run_attack
from sandbox.pool import SandboxPool

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DATA = Path(__file__).resolve().parents[3] / "shared" / "bench"
STDIO = {"kind": "stdio", "cases": [{"stdin": "2 3\n", "stdout": "5"}, {"stdin": "10 -4\n", "stdout": "6"}]}


@pytest.fixture(scope="module")
def pool2(docker: Any) -> Any:
    with SandboxPool(2, client=docker) as running:
        yield running


def _score(pool: SandboxPool, items: list[dict[str, Any]]) -> dict[str, Any]:
    from service.engine import EngineConfig, GradingEngine
    from service.schemas import ITEM_ADAPTER

    with GradingEngine(EngineConfig(workers=1, cache_size=0), executor=pool) as engine:
        results = engine.grade([ITEM_ADAPTER.validate_python(i) for i in items])
    return {r.id: r for r in results}


@pytest.mark.parametrize("language", ["cpp", "java", "javascript", "go", "rust"])
def test_humanevalx_canonical_solutions(pool2: SandboxPool, language: str) -> None:
    results = _score(pool2, humanevalx_items(language, DATA))
    assert len(results) == 164
    failed = {task for task, r in results.items() if r.reward != 1.0} - FLAKY.get(language, set())
    assert all(r.status == "ok" for r in results.values())
    assert failed == KNOWN_FAILURES[language], {t: results[t].details["accuracy"].get("reason") for t in failed}


def test_humanevalplus_with_numpy_agrees_with_direct_runs(pool2: SandboxPool) -> None:
    with gzip.open(DATA / "humanevalplus-originfmt-v0.1.10.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    items = [
        {
            "id": row["task_id"],
            "completion": "```python\n" + row["prompt"] + row["canonical_solution"] + "\n```",
            "tests": {"kind": "assert", "code": row["test"] + f"\ncheck({row['entry_point']})\n", "time_limit": 30},
        }
        for row in rows
    ]
    results = _score(pool2, items)
    failed = {task for task, r in results.items() if r.reward != 1.0}
    assert failed == {"HumanEval/32"}, {t: results[t].details["accuracy"].get("reason") for t in failed}


PROGRAMS: dict[str, dict[str, str]] = {
    "c": {
        "right": '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);return 0;}',
        "wrong": '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a-b);return 0;}',
        "loop": "int main(void){for(;;){}}",
        "bomb": "#include <stdlib.h>\n#include <string.h>\n"
        "int main(void){for(;;){char*p=malloc(1<<20);memset(p,1,1<<20);}}",
        "broken": "int main(void){ return undefined_name; }",
    },
    "java": {
        "right": "import java.util.*;\npublic class Sum { public static void main(String[] a){ Scanner s=new Scanner("
        "System.in); System.out.println(s.nextLong()+s.nextLong()); } }",
        "wrong": "import java.util.*;\npublic class Sum { public static void main(String[] a){ Scanner s=new Scanner("
        "System.in); System.out.println(s.nextLong()-s.nextLong()); } }",
        "loop": "public class Main { public static void main(String[] a){ while(true){} } }",
        "bomb": "import java.util.*;\npublic class Main { public static void main(String[] a){ List<long[]> l = new "
        "ArrayList<>(); while(true){ l.add(new long[1<<20]); } } }",
        "broken": "public class Main { public static void main(String[] a){ int x = ; } }",
    },
    "javascript": {
        "right": "const [a,b]=require('fs').readFileSync(0,'utf8').trim().split(/\\s+/).map(Number);console.log(a+b);",
        "wrong": "const [a,b]=require('fs').readFileSync(0,'utf8').trim().split(/\\s+/).map(Number);console.log(a-b);",
        "loop": "while(true){}",
        "bomb": "const l=[];while(true){l.push(new Array(1e6).fill(1.5));}",
        "broken": "const = ;",
    },
    "typescript": {
        "right": "const v: number[] = require('fs').readFileSync(0,'utf8').trim().split(/\\s+/).map(Number);"
        "console.log(v[0]+v[1]);",
        "wrong": "const v: number[] = require('fs').readFileSync(0,'utf8').trim().split(/\\s+/).map(Number);"
        "console.log(v[0]-v[1]);",
        "loop": "while(true){}",
        "bomb": "const l: number[][]=[];while(true){l.push(new Array(1e6).fill(1.5));}",
        "broken": "const x: number = ;",
    },
    "go": {
        "right": 'package main\nimport "fmt"\nfunc main(){ var a,b int; fmt.Scan(&a,&b); fmt.Println(a+b) }',
        "wrong": 'package main\nimport "fmt"\nfunc main(){ var a,b int; fmt.Scan(&a,&b); fmt.Println(a-b) }',
        "loop": "package main\nfunc main(){ for {} }",
        "bomb": "package main\nfunc main(){ var l [][]byte; for { b := make([]byte, 1<<20); for i := range b "
        "{ b[i] = 1 }; l = append(l, b) } }",
        "broken": "package main\nfunc main(){ x := }",
    },
    "rust": {
        "right": "use std::io::*;\nfn main(){ let mut s=String::new(); stdin().read_to_string(&mut s).unwrap(); "
        'let v:Vec<i64>=s.split_whitespace().map(|x|x.parse().unwrap()).collect(); println!("{}", v[0]+v[1]); }',
        "wrong": "use std::io::*;\nfn main(){ let mut s=String::new(); stdin().read_to_string(&mut s).unwrap(); "
        'let v:Vec<i64>=s.split_whitespace().map(|x|x.parse().unwrap()).collect(); println!("{}", v[0]-v[1]); }',
        "loop": "fn main(){ loop {} }",
        "bomb": "fn main(){ let mut l: Vec<Vec<u8>> = Vec::new(); loop { l.push(vec![1u8; 1<<20]); } }",
        "broken": "fn main(){ let x: i32 = ; }",
    },
    "bash": {
        "right": "read a b; echo $((a+b))",
        "wrong": "read a b; echo $((a-b))",
        "loop": "while true; do :; done",
        "bomb": "x=1; while true; do x=$x$x; done",
        "broken": "if then fi (",
    },
}


@pytest.mark.parametrize("language", sorted(PROGRAMS))
def test_stdio_verdicts_per_language(pool2: SandboxPool, language: str) -> None:
    programs = PROGRAMS[language]

    def grade(name: str, **limits: Any) -> Any:
        return grade_code(f"```{language}\n{programs[name]}\n```", {**STDIO, **limits}, language, pool2)

    right = grade("right")
    assert (right.verdict, right.score) == (CodeVerdict.PASSED, 1.0), right.reason
    wrong = grade("wrong")
    assert (wrong.verdict, wrong.score) == (CodeVerdict.WRONG_ANSWER, 0.0)  # -1 for 5, 14 for 6
    assert grade("loop", time_limit=1).verdict == CodeVerdict.TIMEOUT
    if language != "bash":  # a shell's string growth is bounded by time before memory here
        assert grade("bomb", time_limit=10, memory_limit=256).verdict == CodeVerdict.MEMORY_LIMIT
    broken = grade("broken")
    expected = CodeVerdict.RUNTIME_ERROR if language in ("javascript", "bash") else CodeVerdict.COMPILE_ERROR
    assert broken.verdict == expected and broken.score == 0.0
    assert broken.reason  # the compiler's or interpreter's message


ASSERT_SHAPES: dict[str, tuple[str, str, str]] = {
    # (right answer, tests, the early-exit a forger would use)
    "c": (
        "int add(int a, int b) { return a + b; }\nint main(void) { return 0; }",
        "#include <assert.h>\nint main(void) { assert(add(2, 3) == 5); assert(add(-1, 1) == 0); }",
        "#include <stdlib.h>\n__attribute__((constructor)) static void forge(void) { exit(0); }\n"
        "int add(int a, int b) { return 0; }",
    ),
    "cpp": (
        "int add(int a, int b) { return a + b; }",
        "#include <cassert>\nint main() { assert(add(2, 3) == 5); assert(add(-1, 1) == 0); }",
        "#include <cstdlib>\nstruct Forge { Forge() { std::exit(0); } } forge;\nint add(int a, int b) { return 0; }",
    ),
    "java": (
        "class Solution { int add(int a, int b) { return a + b; } }",
        "public class Main { public static void main(String[] args) { Solution s = new Solution();"
        " assert s.add(2, 3) == 5; assert s.add(-1, 1) == 0; } }",
        "class Solution { static { System.exit(0); } int add(int a, int b) { return 0; } }",
    ),
    "javascript": (
        "const add = (a, b) => a + b;",
        "console.assert(add(2, 3) === 5); console.assert(add(-1, 1) === 0);",
        "process.exit(0); const add = (a, b) => 0;",
    ),
    "typescript": (
        "const add = (a: number, b: number): number => a + b;",
        "console.assert(add(2, 3) === 5); console.assert(add(-1, 1) === 0);",
        "process.exit(0); const add = (a: number, b: number): number => 0;",
    ),
    "go": (
        "package main\n\nfunc Add(a int, b int) int { return a + b }",
        'package main\nimport (\n\t"testing"\n\t"github.com/stretchr/testify/assert"\n)\n'
        "func TestAdd(t *testing.T) { assert.Equal(t, 5, Add(2, 3)); assert.Equal(t, 0, Add(-1, 1)) }",
        'package main\nimport "os"\nfunc init() { os.Exit(0) }\nfunc Add(a int, b int) int { return 0 }',
    ),
    "rust": (
        "fn add(a: i32, b: i32) -> i32 { a + b }",
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn it_adds() { assert_eq!(add(2, 3), 5);"
        " assert_eq!(add(-1, 1), 0); }\n}",
        "fn add(a: i32, b: i32) -> i32 { std::process::exit(0) }",
    ),
    "bash": (
        "add() { echo $(( $1 + $2 )); }",
        '[[ "$(add 2 3)" == "5" ]] || exit 1\n[[ "$(add -1 1)" == "0" ]] || exit 1',
        "exit 0\nadd() { echo 0; }",
    ),
}


@pytest.mark.parametrize("language", sorted(ASSERT_SHAPES))
def test_assert_tests_pass_fail_and_cannot_be_forged_by_an_early_exit(pool2: SandboxPool, language: str) -> None:
    right, tests, forged = ASSERT_SHAPES[language]
    spec = {"kind": "assert", "code": tests}
    passed = grade_code(f"```{language}\n{right}\n```", spec, language, pool2)
    assert (passed.verdict, passed.score) == (CodeVerdict.PASSED, 1.0), passed.reason
    wrong = right.replace("a + b", "a - b").replace("$1 + $2", "$1 - $2")
    failed = grade_code(f"```{language}\n{wrong}\n```", spec, language, pool2)
    assert failed.score == 0.0 and failed.verdict == CodeVerdict.WRONG_ANSWER, failed
    cheat = grade_code(f"```{language}\n{forged}\n```", spec, language, pool2)
    assert cheat.score == 0.0, cheat


def test_javascript_console_assert_failures_count(pool2: SandboxPool) -> None:
    spec = {"kind": "assert", "code": "console.assert(add(2, 3) === 6);"}
    result = grade_code("```js\nconst add = (a, b) => a + b;\n```", spec, "javascript", pool2)
    assert result.score == 0.0 and "Assertion failed" in (result.reason or "")


def test_a_language_the_image_lacks_is_unscorable(pool2: SandboxPool) -> None:
    recipe = {"tool": "/usr/bin/no-such-compiler", "files": {}, "compile": ["/usr/bin/no-such-compiler"], "run": ["/x"]}
    job = Job(language="cobol", kind="stdio", source="", cases=({"stdin": ""},), recipe=recipe)
    outcome = pool2.execute(job)
    assert outcome.unavailable and "cobol" in outcome.unavailable


HOSTILE = [
    Attack("fork bomb (C)", "#include <unistd.h>\nint main(void){ for (;;) fork(); }", "c"),
    Attack(
        "thread bomb (Java)",
        "public class Main { public static void main(String[] a) { while (true) { new Thread(() -> {"
        " try { Thread.sleep(1000000); } catch (Exception e) {} }).start(); } } }",
        "java",
    ),
    Attack(
        "detached daemon writing a marker (JavaScript)",
        "require('child_process').spawn('/bin/sh', ['-c', 'while true; do echo x > /box/marker; sleep 0.1; done'],"
        " {detached: true, stdio: 'ignore'}).unref();",
        "javascript",
    ),
    Attack(
        "writes outside the box (Go)",
        'package main\nimport (\n\t"fmt"\n\t"os"\n)\nfunc main() {\n\tif os.WriteFile("/etc/escaped", '
        '[]byte("x"), 0644) == nil && os.WriteFile("/usr/escaped", []byte("x"), 0644) == nil {\n'
        '\t\tfmt.Println("ESCAPED")\n\t}\n}',
        "go",
    ),
    Attack("thread bomb (Rust)", "fn main() { loop { std::thread::spawn(|| loop {}); } }", "rust"),
    Attack("fork bomb (Bash)", ":(){ :|:& };:", "bash"),
    Attack(
        "background process left behind (TypeScript)",
        "import { spawn } from 'child_process';\n"
        "spawn('/bin/sleep', ['1000'], {detached: true, stdio: 'ignore'}).unref();",
        "typescript",
    ),
]


@pytest.mark.parametrize("attack", HOSTILE, ids=[a.name for a in HOSTILE])
def test_hostile_programs_in_every_language_are_contained(pool2: SandboxPool, attack: Attack) -> None:
    report = run_attack(pool2, attack)
    assert report.contained, report
    assert report.next_job_ok, report
    assert report.clean, report  # no process and no file of the job is left


def test_sandboxfusion_multilanguage_samples(pool2: SandboxPool) -> None:
    """SandboxFusion's samples for the languages Referee runs: real solutions pass, and the samples whose
    "canonical solution" is an exit(0) stub (passed by an exit-code judge) score 0 in every language."""
    from bench.multilang_samples import items as sample_items

    samples = sample_items(DATA / "multilang-samples")
    forged = {s["id"] for s in samples if s.pop("forged")}
    assert len(samples) == 20 and len(forged) == 16
    results = _score(pool2, samples)
    assert all(r.status == "ok" for r in results.values())
    assert {task for task, r in results.items() if r.reward == 1.0} == set(results) - forged
    assert all(results[task].reward == 0.0 for task in forged)
