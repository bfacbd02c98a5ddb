"""Grader workers do not inherit their caller: results are the same inside a trainer-like process
(torch imported, 8 GiB of address space reserved) as in a clean one, and no worker re-imports the
caller's main module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.grader_processes import address_space_bytes

SCRIPT = Path(__file__).with_name("caller_with_big_address_space.py")


def _grade_in_a_caller(tmp_path: Path, *flags: str) -> list[dict[str, object]]:
    marker = tmp_path / "main-imported"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *flags, f"--marker={marker}"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not marker.exists(), marker.read_text()
    results: list[dict[str, object]] = json.loads(done.stdout)
    return results


@pytest.mark.slow
def test_a_trainer_like_caller_gets_the_same_results_as_a_clean_one(tmp_path: Path) -> None:
    clean = _grade_in_a_caller(tmp_path)
    heavy = _grade_in_a_caller(tmp_path, "--heavy")
    assert heavy == clean
    verdicts = [r["details"]["accuracy"]["verdict"] for r in heavy]  # type: ignore[index]
    assert "resource_limit" not in verdicts
    assert all(r["status"] == "ok" for r in heavy)
    correct = [i for i, verdict in enumerate(verdicts) if verdict == "correct"]
    assert correct == [0, 6, 13, 19, 27, 38, 46, 53]  # the right answers stay right


def test_the_memory_budget_is_added_to_the_worker_baseline() -> None:
    from service.engine import EngineConfig, GradingEngine
    from service.schemas import Item

    with GradingEngine(EngineConfig(workers=1, worker_memory_mb=256)) as engine:
        (result,) = engine.grade([Item(completion="\\boxed{2}", reference="2")])
        assert result.reward == 1.0
        (pid,) = engine._pool._pool_manager.worker_manager.workers  # type: ignore[attr-defined]
        limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    soft = int(line.split()[3])
    assert 256 * 2**20 < soft < address_space_bytes() + 4 * 2**30  # baseline + 256 MiB, not 256 MiB in all
