"""The TRL, verl and OpenRLHF adapters against a running service, to their exact contracts."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest

from service.integrations import openrlhf, trl, verl

PROMPTS = [[{"role": "user", "content": "What is 1/2 as a decimal?"}]] * 2
COMPLETIONS = [
    [{"role": "assistant", "content": "<think>half</think> \\boxed{0.5}"}],
    [{"role": "assistant", "content": "It is \\boxed{0.7}"}],
]


def test_trl_functions_one_per_component_sharing_one_request(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    funcs = trl.reward_funcs({"accuracy": 1.0, "format": 0.5}, url=server)
    assert [f.__name__ for f in funcs] == ["referee_accuracy", "referee_format"]
    calls: list[int] = []
    original = funcs[0].shared.results

    def counting(items: list[dict[str, Any]]) -> Any:
        calls.append(len(items))
        return original(items)

    monkeypatch.setattr(funcs[0].shared, "results", counting)
    accuracy, fmt = funcs
    assert accuracy(prompts=PROMPTS, completions=COMPLETIONS, solution=["\\frac{1}{2}"] * 2) == [1.0, 0.0]
    assert fmt(prompts=PROMPTS, completions=COMPLETIONS, solution=["\\frac{1}{2}"] * 2) == [1.0, 0.0]
    assert len(calls) == 2  # both asked; the second answered from the shared batch
    plain = trl.reward_funcs("accuracy", url=server, total=True)[0]
    assert plain(prompts=["q", "q"], completions=["\\boxed{4}", "\\boxed{5}"], answer=["4", "4"]) == [1.0, 0.0]
    assert plain(prompts=["q"], completions=["\\boxed{4}"], answer=["\\frac{"]) == [None]  # unscorable


def test_trl_functions_pickle_and_have_an_async_twin(server: str) -> None:
    (function,) = trl.reward_funcs("accuracy", url=server)
    copy = pickle.loads(pickle.dumps(function))
    assert copy.__name__ == "referee_accuracy"
    assert copy(prompts=["q"], completions=["\\boxed{4}"], solution=["4"]) == [1.0]
    assert asyncio.run(copy.acall(prompts=["q"], completions=["\\boxed{3}"], solution=["4"])) == [0.0]
    assert pickle.loads(pickle.dumps(trl.accuracy)).__name__ == "referee_accuracy"
    with pytest.raises(ValueError, match="unknown reward preset"):
        trl.reward_funcs("r9")


def test_trl_ready_made_functions_read_referee_url(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEREE_URL", server)
    assert trl.accuracy(prompts=["q"], completions=["\\boxed{2}"], solution=["2"]) == [1.0]
    assert trl.format(prompts=["q"], completions=["<think>x</think> 2"], solution=["2"]) == [1.0]


def test_verl_compute_score_contract(server: str) -> None:
    answer = verl.compute_score(
        "openai/gsm8k",
        "<think>x</think> \\boxed{72}",
        "72",
        {"index": 0, "prompt": "How many clips did she sell?"},
        url=server,
        reward="r1",
    )
    assert isinstance(answer, dict)
    assert set(answer) == {"score", "acc", "scored", "accuracy", "format", "language_consistency"}
    assert answer["acc"] == 1.0 and answer["scored"] == 1.0
    wrong = verl.compute_score("openai/gsm8k", "\\boxed{71}", "72", None, url=server)
    assert wrong == {"score": 0.0, "acc": 0.0, "scored": 1.0, "accuracy": 0.0}
    bad = verl.compute_score("x", "\\boxed{1}", "\\frac{", url=server)
    assert bad["scored"] == 0.0 and bad["score"] == 0.0
    batch = verl.compute_score(["a", "b"], ["\\boxed{1}", "\\boxed{2}"], ["1", "1"], [None, None], url=server)
    assert [a["score"] for a in batch] == [1.0, 0.0]  # type: ignore[index]
    twin = asyncio.run(verl.compute_score_async("a", "\\boxed{1}", "1", url=server))
    assert twin == {"score": 1.0, "acc": 1.0, "scored": 1.0, "accuracy": 1.0}


def test_openrlhf_reward_func_contract(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEREE_URL", server)
    prompt = "<|user|>2+2?<|assistant|>"
    out = openrlhf.reward_func([prompt + "\\boxed{4}</s>", prompt + "\\boxed{5}</s>"], [prompt, prompt], ["4", "4"])
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert list(out["rewards"]) == [1.0, 0.0] and out["extra_logs"]["accuracy"] == [1.0, 0.0]
