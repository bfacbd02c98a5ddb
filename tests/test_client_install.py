"""The plain ``pip install referee`` is the client: the SDK and every trainer adapter import and call a
live service with httpx and pydantic only; the server-side commands say in one line what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CLIENT_SESSION = """
import importlib.util, sys
heavy = ["sympy", "latex2sympy2_extended", "lingua", "docker", "fastapi", "uvicorn", "pebble", "regex", "torch"]
present = [name for name in heavy if importlib.util.find_spec(name) is not None]
assert not present, present
url = sys.argv[1]

from service.client import RefereeClient
from service.integrations import openrlhf, trl, verl

with RefereeClient(url) as client:
    (result,) = client.score([{"completion": "\\\\boxed{4}", "reference": "4"}])
assert result.status == "ok" and result.reward == 1.0, result

functions = trl.reward_funcs("r1_zero", url=url)
assert [f.__name__ for f in functions] == ["referee_accuracy", "referee_format"]
completions = ["<think>2+2</think> <answer>4</answer>", "5"]
assert functions[0](prompts=["q", "q"], completions=completions, answer=["4", "4"]) == [1.0, 0.0]
assert functions[1](prompts=["q", "q"], completions=completions, answer=["4", "4"]) == [1.0, 0.0]

scored = verl.compute_score("math", "so \\\\boxed{7}", "7", url=url)
assert scored["score"] == 1.0, scored

rewards = openrlhf.reward_func(["q \\\\boxed{3}"], ["q"], ["3"], url=url)
assert list(rewards["rewards"]) == [1.0], rewards
print("client ok")
"""


@pytest.mark.slow
def test_the_plain_install_is_the_client_and_calls_a_live_service(tmp_path: Path, server: str) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(ROOT)], capture_output=True, text=True, timeout=900
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    # outside the checkout, so that only the installed package can be imported
    session = subprocess.run(
        [python, "-c", CLIENT_SESSION, server], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert session.returncode == 0, session.stderr[-3000:]
    assert session.stdout.strip() == "client ok"

    for command in (["grade", "items.jsonl"], ["serve"]):
        refused = subprocess.run(
            [str(venv / "bin" / "referee"), *command], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode != 0
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1, refused.stderr
        assert f"'referee {command[0]}' needs the server extra: pip install 'referee[server]'" in lines[0]
