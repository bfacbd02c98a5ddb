"""``referee grade`` end to end, in a subprocess (service/cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_example_file_grades_in_order_with_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    proc = run("grade", str(ROOT / "examples" / "math.jsonl"), "-o", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    inputs = (ROOT / "examples" / "math.jsonl").read_text().splitlines()
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(results) == len(inputs)
    assert [r["id"] for r in results[:-1]] == [json.loads(line)["id"] for line in inputs[:-1]]
    by_id = {r["id"]: r for r in results}
    assert by_id["boxed-fraction"]["reward"] == 1.0
    assert by_id["wrong-integer"]["reward"] == 0.0
    assert by_id["truncated-reasoning"]["details"]["accuracy"]["verdict"] == "no_answer"
    assert by_id["unparsable-reference"]["status"] == "unscorable"
    assert by_id["unparsable-reference"]["reward"] is None
    assert results[-1]["status"] == "invalid"
    assert set(results[0]) == {"id", "reward", "status", "components", "details", "error"}
    assert "items/s" in proc.stderr and "mean reward" in proc.stderr and "correct" in proc.stderr


def test_bad_lines_become_invalid_results_and_the_run_goes_on() -> None:
    lines = [
        '{"completion": "\\\\boxed{1}", "reference": "1", "id": 1}',
        "this is not json",
        "",
        '{"completion": "x", "refernce": "1", "id": "typo"}',
        '["a", "list"]',
        '{"completion": "\\\\boxed{2}"}',
        '{"completion": "\\\\boxed{2}", "reference": "2", "id": 7}',
    ]
    proc = run("grade", "-", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["status"] for r in results] == ["ok", "invalid", "invalid", "invalid", "invalid", "invalid", "ok"]
    assert [r["reward"] for r in results] == [1.0, None, None, None, None, None, 1.0]
    assert "not JSON" in results[1]["error"]
    assert "refernce" in results[3]["error"] and results[3]["id"] == "typo"
    assert "reference" in results[5]["error"]


def test_unreadable_file_is_a_clear_failure(tmp_path: Path) -> None:
    proc = run("grade", str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 1
    assert "cannot read" in proc.stderr and "missing.jsonl" in proc.stderr
    assert proc.stdout == ""


def test_unusable_arguments_exit_2() -> None:
    assert run("grade", "-", "--timeout", "-1", stdin="").returncode == 2
    assert run("grade", "-", "--workers", "0", stdin="").returncode == 2
    assert run("frobnicate").returncode == 2


def test_empty_input_gives_empty_output() -> None:
    proc = run("grade", "-", stdin="")
    assert proc.returncode == 0
    assert proc.stdout == ""


def test_progress_bar_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "grade",
            str(ROOT / "examples" / "math.jsonl"),
            "-o",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        stderr=follower,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"9item [" in shown  # tqdm's bar reached all 9 lines
    assert b"mean reward" in shown


GOOD = "<think>\nTwo plus two is four.\n</think>\n<answer>\n\\boxed{4}\n</answer>"
REWARD_ITEMS = "\n".join(
    json.dumps(item)
    for item in [
        {"id": "good", "completion": GOOD, "reference": "4", "prompt": "What is 2+2?", "completion_tokens": 20},
        {"id": "bare", "completion": "\\boxed{4}", "reference": "4", "prompt": "What is 2+2?", "completion_tokens": 3},
        {
            "id": "long",
            "completion": "<think>\nok\n</think>\n<answer>5</answer>",
            "reference": "4",
            "completion_tokens": 9999,
        },
    ]
)


def test_reward_presets_and_specs_from_the_command_line() -> None:
    proc = run("grade", "-", "--workers", "1", "--reward", "r1_zero", stdin=REWARD_ITEMS)
    assert proc.returncode == 0, proc.stderr
    good, bare, long = (json.loads(line) for line in proc.stdout.splitlines())
    assert set(good["components"]) == set(bare["components"]) == {"accuracy", "format"}
    assert good["reward"] == 2.0 and bare["reward"] == 1.0 and long["reward"] == 1.0
    assert bare["details"]["format"]["reason"]
    spec = '{"preset": "dapo", "overlong": {"max_tokens": 1000, "cache_tokens": 100}, "tag_count": 0.5}'
    proc = run("grade", "-", "--workers", "1", "--reward", spec, stdin=REWARD_ITEMS)
    good, bare, long = (json.loads(line) for line in proc.stdout.splitlines())
    assert good["components"]["accuracy"] == 1.0 and long["components"]["accuracy"] == -1.0
    assert long["components"]["overlong"] == -1.0 and long["reward"] == pytest.approx(-1.0 - 1.0 + 0.5 * 0.5)
    assert good["components"]["tag_count"] == 1.0


def test_a_bad_reward_spec_exits_2_naming_the_component() -> None:
    proc = run("grade", "-", "--reward", '{"acuracy": 1}', stdin=REWARD_ITEMS)
    assert proc.returncode == 2 and "unknown reward component 'acuracy'" in proc.stderr
    proc = run("grade", "-", "--reward", "r9", stdin=REWARD_ITEMS)
    assert proc.returncode == 2 and "unknown reward preset 'r9'" in proc.stderr
