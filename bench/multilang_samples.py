"""SandboxFusion's multi-language samples (``../shared/bench/multilang-samples``) as Referee items, for
the languages Referee runs: the canonical solution as the answer, the sample's test program (the part
after its ``#<INSERT>`` marker) as an ``assert`` test. Some samples' "canonical solutions" are
``process.exit(0)`` stubs, which an exit-code judge passes: under Referee they must fail."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "multilang-samples"
FILES = ("sandboxfusion_code_eval_mbxp_v1_en.jsonl.gz", "sandboxfusion_code_eval_humanevalds_v1_en.jsonl.gz")
LANGUAGES = {
    "python": "python",
    "cpp": "cpp",
    "java": "java",
    "javascript": "javascript",
    "typescript": "typescript",
    "rust": "rust",
}
FORGERY_MARKERS = ("process.exit(0)", "System.exit(0)", "exit(0)")


def items(data: Path = DEFAULT_DATA) -> list[dict[str, Any]]:
    found = []
    for name in FILES:
        with gzip.open(data / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                labels = json.loads(row["labels"]) if isinstance(row["labels"], str) else row["labels"]
                language = LANGUAGES.get(labels["programming_language"])
                if language is None:
                    continue
                test = json.loads(row["test"])["code"]
                before, _, after = test.partition("#<INSERT>")
                solution = before + row["canonical_solution"]
                found.append(
                    {
                        "id": f"{name.split('_eval_')[1].split('.')[0]}/{row['id']}",
                        "completion": f"```{language}\n{solution}\n```",
                        "language": language,
                        "tests": {"kind": "assert", "code": after, "time_limit": 10},
                        "forged": any(marker in row["canonical_solution"] for marker in FORGERY_MARKERS),
                    }
                )
    return found
