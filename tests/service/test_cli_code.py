"""``referee grade`` on code items and ``referee sandbox check``, through real containers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.service.test_cli import ROOT, run

EXAMPLE = ROOT / "examples" / "code.jsonl"


@pytest.mark.docker
def test_code_example_grades_in_order_through_the_pool(docker: Any, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    proc = run("grade", str(EXAMPLE), "-o", str(out), "--sandboxes", "2")
    assert proc.returncode == 0, proc.stderr
    inputs = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in results] == [i["id"] for i in inputs]
    by_id = {r["id"]: r for r in results}
    verdict = {key: r["details"].get("accuracy", {}).get("verdict") for key, r in by_id.items()}
    assert by_id["stdio-python"]["reward"] == by_id["stdio-cpp"]["reward"] == 1.0
    assert by_id["call-half"]["reward"] == 0.5
    assert "returned 4, expected 16" in by_id["call-half"]["details"]["accuracy"]["reason"]
    assert by_id["assert-humaneval"]["reward"] == 1.0
    assert (
        by_id["forged-exit"]["reward"] == 0.0
        and "exited before" in by_id["forged-exit"]["details"]["accuracy"]["reason"]
    )
    assert verdict["infinite-loop"] == "timeout" and by_id["infinite-loop"]["reward"] == 0.0
    assert verdict["no-code"] == "no_code"
    assert by_id["bad-tests"]["status"] == "invalid" and "cases" in by_id["bad-tests"]["error"]


def test_without_a_sandbox_code_items_are_errors_not_zeros() -> None:
    proc = run("grade", str(EXAMPLE), "--sandbox", "off")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(results) == len(EXAMPLE.read_text().splitlines())
    assert {r["status"] for r in results[:-1]} == {"error"}
    assert all(r["reward"] is None for r in results)


@pytest.mark.docker
def test_sandbox_check_prints_the_attack_table(docker: Any) -> None:
    proc = run("sandbox", "check", "--attack", "fork bomb", "--attack", "forged pass: os._exit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["attack", "outcome"]
    assert len(lines) == 4 and all("NO" not in line.split() for line in lines[1:])
    assert "3/3 attacks contained" in proc.stderr


def test_sandbox_check_rejects_an_unknown_attack() -> None:
    proc = run("sandbox", "check", "--attack", "no such attack")
    assert proc.returncode == 2 and "no attack matches" in proc.stderr
