"""The HTTP service end to end: a real uvicorn on loopback, every endpoint and its failure paths."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-token"


ITEMS = [
    {"id": "a", "completion": "<think>half</think> \\boxed{\\frac{1}{2}}", "reference": "0.5"},
    {"id": "b", "completion": "<think>no</think> \\boxed{3}", "reference": "4"},
    {"id": "c", "completion": "no reference here"},
    {"id": "d", "completion": "print(1)", "tests": {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}]}},
]


def test_score_returns_one_result_per_item_in_order_with_stable_keys(server: str) -> None:
    response = httpx.post(f"{server}/v1/score", json={"items": ITEMS, "reward": "r1"}, timeout=30)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["a", "b", "c", "d"]
    assert results[0]["reward"] == 2.0 or results[0]["status"] == "unscorable"
    assert results[0]["components"]["accuracy"] == 1.0 and results[1]["components"]["accuracy"] == 0.0
    assert results[2]["status"] == "invalid" and "reference" in results[2]["error"]
    assert results[3]["status"] == "error" and "sandbox" in results[3]["error"]  # the sandbox is off
    assert {frozenset(r["components"]) for r in results if r["status"] != "invalid"} == {
        frozenset({"accuracy", "format", "language_consistency"})
    }


def test_limits_and_bad_specs_are_4xx_naming_them(server: str) -> None:
    too_many = httpx.post(f"{server}/v1/score", json={"items": [ITEMS[0]] * 51}, timeout=30)
    assert too_many.status_code == 413 and "REFEREE_MAX_ITEMS=50" in too_many.text
    long = {"completion": "x" * 5001, "reference": "1"}
    too_long = httpx.post(f"{server}/v1/score", json={"items": [long]}, timeout=30)
    assert too_long.status_code == 422 and "REFEREE_MAX_COMPLETION_CHARS" in too_long.text
    preset = httpx.post(f"{server}/v1/score", json={"items": ITEMS[:1], "reward": "r9"}, timeout=30)
    assert preset.status_code == 422 and "unknown reward preset 'r9'" in preset.text
    shape = httpx.post(f"{server}/v1/score", json={"items": "not a list"}, timeout=30)
    assert shape.status_code == 422


def test_health_readiness_graders_metrics_and_docs(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "alive"}
    ready = httpx.get(f"{server}/readyz")
    assert ready.status_code == 200 and ready.json()["sandbox"]["state"] == "off"
    graders = httpx.get(f"{server}/v1/graders").json()
    assert "overlong" in graders["components"] and graders["components"]["overlong"]["max_tokens"] == 4096
    assert "dapo" in graders["presets"]
    httpx.post(f"{server}/v1/score", json={"items": ITEMS[:2]}, timeout=30)
    metrics = httpx.get(f"{server}/metrics").text
    assert 'referee_items_total{status="ok",task="math"}' in metrics
    assert "referee_batch_seconds_bucket" in metrics and "referee_queued_items" in metrics
    assert httpx.get(f"{server}/openapi.json").json()["info"]["title"] == "Referee"


def test_openrlhf_endpoint_strips_the_prompt_and_returns_rewards(server: str) -> None:
    prompt = "<|im_start|>user\nWhat is 1/2 + 0?<|im_end|>\n<|im_start|>assistant\n"
    body = {
        "query": [prompt + "<think>easy</think> \\boxed{0.5}<|im_end|>", prompt + "\\boxed{7}<|im_end|>"],
        "prompts": [prompt, prompt],
        "labels": ["\\frac{1}{2}", "\\frac{1}{2}"],
        "reward": {"accuracy": 1.0, "format": 0.5},
    }
    response = httpx.post(f"{server}/v1/openrlhf", json=body, timeout=30)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["rewards"] == [1.5, 0.0] and data["scores"] == data["rewards"]
    assert data["extra_logs"]["accuracy"] == [1.0, 0.0] and data["extra_logs"]["format"] == [1.0, 0.0]
    mismatch = httpx.post(f"{server}/v1/openrlhf", json={"query": ["a"], "labels": ["1", "2"]}, timeout=30)
    assert mismatch.status_code == 422


def test_bearer_tokens_and_backpressure(secured: str) -> None:
    body = {"items": ITEMS[:2]}
    assert httpx.post(f"{secured}/v1/score", json=body, timeout=30).status_code == 401
    wrong = httpx.post(f"{secured}/v1/score", json=body, headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401
    good = httpx.post(f"{secured}/v1/score", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert good.status_code == 200
    auth = {"Authorization": f"Bearer {TOKEN}"}
    never = httpx.post(f"{secured}/v1/score", json={"items": [ITEMS[0]] * 4}, headers=auth, timeout=30)
    assert never.status_code == 413 and "REFEREE_MAX_QUEUED_ITEMS=3" in never.text
    spin = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}], "time_limit": 2}
    slow = [{"completion": f"while True:\n    x = {i}", "tests": spin} for i in range(2)]
    deadline = time.monotonic() + 30
    while httpx.get(f"{secured}/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)  # the (local) sandbox starts in the background
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{secured}/v1/score", json={"items": slow}, headers=auth, timeout=60)
        time.sleep(0.5)
        busy = httpx.post(f"{secured}/v1/score", json=body, headers=auth, timeout=30)
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "2"
        finished = first.result()
    assert finished.status_code == 200
    assert [r["details"]["accuracy"]["verdict"] for r in finished.json()["results"]] == ["timeout", "timeout"]
    assert httpx.get(f"{secured}/healthz").status_code == 200  # health needs no token


def test_with_docker_down_math_is_served_and_code_items_say_why() -> None:
    from tests.conftest import _serve

    for url in _serve({"REFEREE_SANDBOX": "docker", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}):
        deadline = time.monotonic() + 30
        ready = httpx.get(f"{url}/readyz")
        while ready.json()["sandbox"]["state"] == "starting" and time.monotonic() < deadline:
            time.sleep(0.1)
            ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["not_ready"] == ["sandbox"] and body["sandbox"]["state"] == "unavailable"
        assert "Docker" in body["sandbox"]["reason"]
        math_item, _, _, code_item = httpx.post(f"{url}/v1/score", json={"items": ITEMS}, timeout=30).json()["results"]
        assert math_item["status"] == "ok" and math_item["reward"] == 1.0
        assert code_item["status"] == "error" and "Docker" in code_item["error"]


def test_shutdown_finishes_the_batch_in_flight() -> None:
    from tests.conftest import _serve

    spin = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}], "time_limit": 1}
    slow = [{"completion": "while True:\n    pass", "tests": spin}, ITEMS[0]]
    server = _serve({"REFEREE_SANDBOX": "local"})
    url = next(server)
    deadline = time.monotonic() + 30
    while httpx.get(f"{url}/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{url}/v1/score", json={"items": slow}, timeout=60)
        time.sleep(0.4)
        server.close()  # SIGTERM while the batch is being graded; returns once the server has exited
        response = pending.result()
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["ok", "ok"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"items": [{"completion": "\xff\xfe", "reference": "1"}]}', 400),  # invalid UTF-8
        (b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),  # deeply nested
        (b'{"items": [{"completion": "x", "reference": "1", "completion_tokens": 1' + b"0" * 5000 + b"}]}", 400),
        (b"not json", 422),
        (b'{"items": {"completion": "x"}}', 422),  # wrong type
        (b'{"items": [], "reward": {"accuracy": {"weight": 1e309}}}', 422),  # an infinite weight
    ],
)
def test_malformed_bodies_are_4xx_with_a_message(server: str, body: bytes, status: int) -> None:
    response = httpx.post(f"{server}/v1/score", content=body, headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == status and response.json()["detail"]


def test_wrong_field_types_make_invalid_items_not_errors(server: str) -> None:
    items = [{"completion": 5, "reference": "1"}, {"completion": "x", "reference": "1", "completion_tokens": 1e400}]
    results = httpx.post(f"{server}/v1/score", json={"items": items[:1]}, timeout=30).json()["results"]
    assert results[0]["status"] == "invalid" and "valid string" in results[0]["error"]
    response = httpx.post(
        f"{server}/v1/score",
        content=b'{"items": [{"completion": "x", "reference": "1", "completion_tokens": 1e400}]}',
        headers={"content-type": "application/json"},
    )
    assert response.json()["results"][0]["status"] == "invalid"


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    from tests.conftest import _serve

    for url in _serve({"REFEREE_SANDBOX": "off", "REFEREE_MAX_BODY_BYTES": "4096"}):
        response = httpx.post(f"{url}/v1/score", json={"items": [{"completion": "x" * 5000, "reference": "1"}]})
        assert response.status_code == 413 and "REFEREE_MAX_BODY_BYTES=4096" in response.text
