"""The README's examples really run: its Python blocks, and its JSON items validate."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from service.schemas import ITEM_ADAPTER

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", TEXT, re.DOTALL | re.MULTILINE)


def _needs_docker(block: str) -> bool:
    return "SandboxPool" in block


def _needs_service(block: str) -> bool:
    return "RefereeClient" in block


def _needs_wire(block: str) -> bool:
    return "REFEREE_WIRE_URL" in block


def test_python_examples_without_docker_run() -> None:
    plain = [b for b in BLOCKS if not _needs_docker(b) and not _needs_service(b) and not _needs_wire(b)]
    assert plain
    for block in plain:
        exec(compile(block, str(README), "exec"), {})


@pytest.mark.docker
def test_python_examples_with_the_sandbox_run(docker: Any) -> None:
    sandboxed = [b for b in BLOCKS if _needs_docker(b)]
    assert sandboxed
    for block in sandboxed:
        exec(compile(block, str(README), "exec"), {})


def test_json_item_examples_are_valid_items() -> None:
    blocks = re.findall(r"^```json\n(.*?)^```$", TEXT, re.DOTALL | re.MULTILINE)
    lines = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert lines
    for line in lines:
        ITEM_ADAPTER.validate_python(json.loads(line))


def test_first_lines_are_the_two_setup_commands() -> None:
    lines = TEXT.splitlines()
    assert lines[3].startswith("make serve") and lines[4].startswith("make test")


def test_python_examples_against_the_service_run(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEREE_URL", server)
    blocks = [b for b in BLOCKS if _needs_service(b)]
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


@pytest.mark.docker
def test_python_examples_against_the_wires_run(wire_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import TOKEN

    monkeypatch.setenv("REFEREE_WIRE_URL", f"{wire_server}/t/{TOKEN}")
    blocks = [b for b in BLOCKS if _needs_wire(b)]
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
