"""What the format, language-consistency and shaping components cost next to the math grader.

    python bench/reward_components.py [--data PATH] [--repeats 5]

On the math peer cases (completion = prediction, reference = gold), one process, warm: the math
grader alone, then every non-accuracy component of a spec (format, tag_count,
language_consistency with target "en", overlong, length, cosine, repetition) on the same batch,
with lingua's span cache cleared before each pass. Prints medians and the ratio (target < 10%).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["REFEREE_PARSE_CACHE"] = "0"

from graders import language  # noqa: E402
from graders.math import grade_math  # noqa: E402
from graders.spec import Accuracy, RewardSpec, Sample  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "math_peer_cases.jsonl"
SPEC = {
    "format": 0.2,
    "tag_count": 0.1,
    "language_consistency": {"weight": 0.2, "target": "en", "span": "all"},
    "overlong": {"max_tokens": 512, "cache_tokens": 128},
    "length": 0.1,
    "cosine": 0.1,
    "repetition": 0.1,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cases = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    completions = [f"<think>\nLet me work this out step by step.\n</think>\n{c['prediction']}" for c in cases]
    spec = RewardSpec.parse(SPEC)
    samples = [Sample(text, prompt=f"problem {i % 23}") for i, text in enumerate(completions)]
    language.consistency("warm up the model", "en")
    math_times, component_times = [], []
    verdicts = [grade_math(text, c["gold"]) for text, c in zip(completions, cases, strict=True)]
    for _ in range(args.repeats):
        started = time.perf_counter()
        verdicts = [grade_math(text, c["gold"]) for text, c in zip(completions, cases, strict=True)]
        math_times.append(time.perf_counter() - started)
        accuracy = [Accuracy(score=v.score, correct=v.verdict == "correct") for v in verdicts]
        language._is_target.cache_clear()
        started = time.perf_counter()
        spec.score(samples, accuracy)
        component_times.append(time.perf_counter() - started)
    math_s, comp_s = statistics.median(math_times), statistics.median(component_times)
    ratios = [c / m for c, m in zip(component_times, math_times, strict=True)]
    print(f"{len(cases)} items, median of {args.repeats} passes, one process")
    print(f"  math grader:                        {math_s * 1000:8.1f} ms  ({len(cases) / math_s:7.0f} items/s)")
    print(f"  format + language + shaping (7):    {comp_s * 1000:8.1f} ms  ({len(cases) / comp_s:7.0f} items/s)")
    print(f"  components / math: median {statistics.median(ratios) * 100:.1f}% (target < 10%)")


if __name__ == "__main__":
    main()
