"""HumanEval-X (``../shared/bench/humanevalx_*.jsonl.gz``) as Referee items: each task's canonical
solution as the model's fenced answer, the task's test program as an ``assert`` test.

How each language's pieces make the answer and the tests (the layout HumanEval-X's own evaluation uses):
C++, Java, JavaScript: declaration (its includes or imports) + canonical solution; Go: prompt (its
package imports) + solution, and the tests carry ``test_setup`` (their package clause and imports);
Rust: declaration + prompt + solution (its own ``fn main(){}`` is dropped by the grader anyway).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench"
FILES = {"cpp": "cpp", "java": "java", "javascript": "js", "go": "go", "rust": "rust", "python": "python"}
KNOWN_FAILURES = {
    "cpp": set(),
    "java": set(),
    "javascript": {"JavaScript/112", "JavaScript/155", "JavaScript/162"},  # two wrong canonical solutions;
    # 162 needs the npm package js-md5
    "go": set(),
    "rust": {"Rust/38", "Rust/50", "Rust/53", "Rust/91", "Rust/162"},  # need the crates rand, regex, md5
    "python": set(),
}
"""Tasks whose canonical solution does not pass here, and why (../shared/languages.md §6)."""
FLAKY = {"go": {"Go/95"}}
"""Canonical solutions whose result depends on Go's randomised map iteration order."""


def rows(language: str, data: Path = DEFAULT_DATA) -> list[dict[str, Any]]:
    with gzip.open(data / f"humanevalx_{FILES[language]}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


_GO_STD = ("strings", "math", "sort", "strconv", "fmt", "unicode", "bytes", "regexp", "math/rand", "crypto/md5")
_GO_IMPORT = re.compile(r"^\s*import\s*(\([^)]*\)|\"[^\"]*\")", re.MULTILINE)


def _go_import_block(prompt: str) -> str:
    return " ".join(m.group(1) for m in _GO_IMPORT.finditer(prompt))


def program_and_tests(language: str, row: dict[str, Any]) -> tuple[str, str]:
    solution = row["canonical_solution"]
    if language == "go":  # the task's imports: the prompt's and the import field's, those the code uses
        found = re.findall(r'"([\w/.]+)"', row["import"] + _go_import_block(row["prompt"])) + list(_GO_STD)
        # (some canonical solutions use packages that neither the prompt nor the import field names: a
        # model's answer would import them, as goimports would)
        code = re.sub(r"//[^\n]*", "", _GO_IMPORT.sub("", row["prompt"]) + solution + row["test"])
        used = [path for path in dict.fromkeys(found) if re.search(rf"\b{path.split('/')[-1]}\.", code)]
        imports = "import (\n" + "".join(f'    "{path}"\n' for path in used) + ")\n" if used else ""
        program = "package main\n\n" + imports + _GO_IMPORT.sub("", row["prompt"]) + solution
        return program, row["test_setup"] + "\n" + row["test"]
    if language == "rust":  # the declaration imports the crates rand, regex and md5 for every task: kept
        # only where the solution uses them (those tasks fail here: the image has no crates)
        declaration = "\n".join(
            line
            for line in row["declaration"].splitlines()
            if not (
                re.match(r"use (rand|regex|md5)\b", line)
                and not re.search(rf"\b{line.split()[1].split('::')[0].rstrip(';')}::", solution)
            )
        )
        return declaration + "\n" + row["prompt"] + solution, row["test"]
    if language == "python":
        return row["prompt"] + solution, row[
            "test"
        ] + f"\ncheck({row['task_id'] and row['prompt'].split('def ')[-1].split('(')[0]})\n"
    if language == "cpp":  # the prompt, with the declaration's includes (some declarations repeat the body)
        includes = [line for line in row["declaration"].splitlines() if line.startswith(("#include", "using "))]
        return "\n".join(includes) + "\n" + row["prompt"] + solution, row["test"]
    return row["declaration"] + solution, row["test"]


def item(language: str, row: dict[str, Any]) -> dict[str, Any]:
    program, tests = program_and_tests(language, row)
    fence = {"javascript": "js"}.get(language, language)
    return {
        "id": row["task_id"],
        "completion": f"```{fence}\n{program}\n```",
        "language": language,
        "tests": {"kind": "assert", "code": tests, "time_limit": 10},
    }


def items(language: str, data: Path = DEFAULT_DATA) -> list[dict[str, Any]]:
    return [item(language, row) for row in rows(language, data)]
