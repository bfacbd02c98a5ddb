"""Referee as a Ray Serve app on a real two-node Ray cluster on loopback (nodes on 127.0.0.2 and
127.0.0.3: ``ray start`` would rewrite 127.0.0.1 to the machine's outward address), with Docker."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TOKEN

ray = pytest.importorskip("ray", reason="install referee[ray] (make test does)")  # noqa: F841 (dev extra has it)
from ray import serve  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from sandbox.containers import LABEL, remove_leftovers  # noqa: E402
from service import ray_app  # noqa: E402
from service.client import RefereeClient  # noqa: E402
from service.integrations import ray_handle, verl  # noqa: E402
from service.settings import Settings  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.docker]

MATH = [{"completion": f"The answer is \\boxed{{{i % 2}}}", "reference": "1"} for i in range(8)]
CODE = {
    "completion": "```python\nprint(int(input()) * 2)\n```",
    "tests": {"kind": "stdio", "cases": [{"stdin": "2", "stdout": "4"}, {"stdin": "5", "stdout": "10"}]},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _owners(client: Any) -> set[str]:
    """The owner labels (host:pid namespace:pid) of the sandbox containers that exist now."""
    containers = client.containers.list(all=True, filters={"label": LABEL})
    return {c.labels.get(f"{LABEL}.owner", "") for c in containers}


@pytest.fixture(scope="module")
def cluster(docker: Any) -> Iterator[tuple[Cluster, Any, str]]:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    referee_env = {
        "REFEREE_SANDBOX": "docker",
        "REFEREE_SANDBOXES": "1",
        "REFEREE_WORKERS": "1",
    }
    saved = {key: os.environ.get(key) for key in referee_env}
    os.environ.update(referee_env)
    head = {"node_ip_address": "127.0.0.2", "num_cpus": 2, "include_dashboard": False}
    nodes = Cluster(initialize_head=True, head_node_args=head)
    worker = nodes.add_node(node_ip_address="127.0.0.3", num_cpus=2)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, _node_ip_address="127.0.0.2", log_to_driver=False)
    try:
        # the token reaches the replicas only through deploy()'s Settings (not in this process's environment)
        url = ray_app.deploy(None, Settings(port=_free_port(), tokens=[TOKEN]))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # both replicas' sandboxes up
            if len(_owners(docker)) >= 2 and httpx.get(f"{url}/readyz").status_code == 200:
                break
            time.sleep(0.5)
        yield nodes, worker, url
    finally:
        serve.shutdown()
        ray.shutdown()
        nodes.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


REPLICA_PIDS: set[int] = set()
"""The replicas' processes, which own their sandbox containers (other tests' pools may run beside)."""


def _alive_nodes() -> set[str]:
    return {node["NodeID"] for node in ray.nodes() if node["Alive"]}


def test_one_replica_per_node_over_http_and_the_handle(cluster: tuple[Cluster, Any, str]) -> None:
    _, _, url = cluster
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(f"{url}/v1/score", json={"items": MATH}, headers=headers, timeout=60)
    assert [r["reward"] for r in response.json()["results"]] == [0.0, 1.0] * 4
    assert httpx.get(f"{url}/readyz").json()["ready"] is True
    status = serve.status().applications[ray_app.APP_NAME].deployments[ray_app.DEPLOYMENT_NAME]
    assert status.replica_states.get("RUNNING") == 2

    handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
    groups = [[{"completion": f"\\boxed{{{i}}}", "reference": str(i)}] for i in range(32)]
    answers = [t.result() for t in [handle.score_traced.remote(items) for items in groups]]
    assert {a["node_id"] for a in answers} == _alive_nodes()  # 32 groups land on both nodes
    assert all(a["results"][0]["reward"] == 1.0 for a in answers)
    again = [t.result() for t in [handle.score_traced.remote(MATH[1:2]) for _ in range(16)]]
    assert len({a["replica"] for a in again}) == 1  # one group: one replica (service/ray_router.py)
    assert all(a["results"][0]["reward"] == 1.0 for a in again)


def test_per_sample_calls_are_graded_as_batches(cluster: tuple[Cluster, Any, str]) -> None:
    """verl's reward workers call once per sample: 64 concurrent calls for a GRPO group's 64 completions
    (4 distinct answers) all go to the group's replica, are grouped into engine batches (``@serve.batch``),
    shared while in flight and cached: each distinct answer is judged at most once, as in one batch of 64."""
    handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
    group = [{"completion": f"\\boxed{{{i % 4}}}", "reference": "12"} for i in range(64)]

    async def calls() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(handle.score_traced.remote([item]) for item in group)))

    before = {a["replica"]: a["judged"] for a in [handle.score_traced.remote([]).result() for _ in range(8)]}
    answers = asyncio.run(calls())
    assert [a["results"][0]["reward"] for a in answers] == [0.0] * 64
    after: dict[str, int] = {}
    for answer in answers:
        after[answer["replica"]] = max(after.get(answer["replica"], 0), answer["judged"])
    assert len(before) == 2 and len(after) == 1 and set(after) <= set(before)
    assert sum(after[r] - before[r] for r in after) <= 4


def test_verl_adapter_uses_the_handle_inside_the_cluster(cluster: tuple[Cluster, Any, str]) -> None:
    assert ray_handle.handle() is not None  # this driver is a Ray process and the app is deployed
    answer = verl.compute_score("math", "so \\boxed{1}", "1")
    assert isinstance(answer, dict) and answer["score"] == 1.0 and answer["scored"] == 1.0
    answers = asyncio.run(verl.compute_score_async("math", ["\\boxed{1}", "\\boxed{2}"], ["1", "1"]))
    assert [a["score"] for a in answers] == [1.0, 0.0]


@pytest.fixture(scope="module")
def verl_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small byte-level BPE tokenizer saved as a Hugging Face tokenizer directory (no hub here)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=alphabet, special_tokens=["<pad>"])
    tokenizer.train_from_iterator(["The answer is \\boxed{12}", "print(int(input()) * 2)"], trainer)
    path = tmp_path_factory.mktemp("tokenizer")
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>").save_pretrained(path)
    return str(path)


def _data_proto(tokenizer_path: str, rows: list[tuple[str, str]]) -> Any:
    """A rollout batch as verl hands it to its reward loop: prompts, left-aligned responses and their
    attention mask as tensors; data_source, reward_model.ground_truth and extra_info beside."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer
    from verl import DataProto

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    encoded = [tokenizer(text, add_special_tokens=False)["input_ids"] for text, _ in rows]
    width = max(len(ids) for ids in encoded)
    responses = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), 4 + width, dtype=torch.long)
    mask[:, :4] = 1
    for index, ids in enumerate(encoded):
        responses[index, : len(ids)] = torch.tensor(ids)
        mask[index, 4 : 4 + len(ids)] = 1
    return DataProto.from_dict(
        tensors={"prompts": torch.ones(len(rows), 4, dtype=torch.long), "responses": responses, "attention_mask": mask},
        non_tensors={
            "data_source": np.array(["referee"] * len(rows), dtype=object),
            "reward_model": np.array([{"ground_truth": truth} for _, truth in rows], dtype=object),
            "extra_info": np.array([{"index": i} for i in range(len(rows))], dtype=object),
        },
    )


def _judged(handle: Any) -> dict[str, int]:
    """Every replica's grader-call counter (empty calls are spread, so a few reach them all)."""
    seen: dict[str, int] = {}
    for _ in range(20):
        for answer in [r.result() for r in [handle.score_traced.remote([]) for _ in range(8)]]:
            seen[answer["replica"]] = answer["judged"]
        if len(seen) == 2:
            return seen
    raise AssertionError(f"reached {len(seen)} of 2 replicas")


@pytest.mark.parametrize("function", ["compute_score", "compute_score_async"])
def test_verls_own_reward_loop_scores_through_the_handle(
    cluster: tuple[Cluster, Any, str], verl_tokenizer: str, function: str
) -> None:
    """verl 0.9.1's ``RewardLoopWorker`` (the actor its ``RewardLoopManager`` starts on the nodes) loads
    Referee's function by path from a trainer config and scores a GRPO-shaped batch one task per sample.
    Its ``REFEREE_URL`` points nowhere: the rewards come through the Serve handle, right, and each group's
    distinct answers are judged once in the cluster."""
    from omegaconf import OmegaConf

    with warnings.catch_warnings():  # verl 0.9.1 imports Ray's state API from its old place
        warnings.filterwarnings("ignore", "Ray state API is no longer experimental", DeprecationWarning)
        from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    from service.integrations import verl as referee_verl

    config = OmegaConf.create(
        {
            "actor_rollout_ref": {"model": {"path": verl_tokenizer, "tokenizer_path": verl_tokenizer}},
            "reward": {
                "reward_model": {"enable": False},
                "reward_manager": {"source": "register", "name": "naive"},
                "custom_reward_function": {"path": referee_verl.__file__, "name": function, "reward_kwargs": {}},
            },
        }
    )
    first, second = ("120", "70") if function == "compute_score" else ("121", "71")  # uncached per run
    tests = json.dumps({"tests": {"kind": "stdio", "cases": [{"stdin": "3", "stdout": "6"}]}})
    rows = [(f"The answer is \\boxed{{{first if i % 2 else 5}}}", first) for i in range(8)]
    rows += [(f"so \\boxed{{{second if i % 4 else 9}}}", second) for i in range(8)]
    rows += [(CODE["completion"], tests), ("```python\nprint(int(input()) + 2)\n```", tests)]
    handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
    before = _judged(handle)
    worker = (
        ray.remote(RewardLoopWorker)
        .options(num_cpus=0, runtime_env={"env_vars": {"REFEREE_URL": "http://127.0.0.1:9"}})
        .remote(config)
    )
    try:
        outputs = ray.get(worker.compute_score_batch.remote(_data_proto(verl_tokenizer, rows)), timeout=180)
    finally:
        ray.kill(worker)
    after = _judged(handle)
    expected = [float(i % 2) for i in range(8)] + [float(i % 4 != 0) for i in range(8)] + [1.0, 0.0]
    assert [o["reward_score"] for o in outputs] == expected
    assert all(o["reward_extra_info"]["scored"] == 1.0 for o in outputs)
    assert sum(after[r] - before.get(r, 0) for r in after) <= 6  # 2 + 2 distinct answers, 2 programs


def test_code_is_graded_on_both_nodes_in_their_own_containers(cluster: tuple[Cluster, Any, str], docker: Any) -> None:
    handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
    answers = [handle.score_traced.remote([CODE]).result() for _ in range(12)]
    assert {a["node_id"] for a in answers} == _alive_nodes()
    assert all(a["results"][0]["reward"] == 1.0 for a in answers), answers[0]
    pids = {a["pid"] for a in answers}
    REPLICA_PIDS.update(pids)
    owners = {owner for owner in _owners(docker) if int(owner.rsplit(":", 1)[-1] or 0) in pids}
    assert len(pids) == 2
    assert all(any(owner.endswith(f":{pid}") for owner in owners) for pid in pids)  # each replica's own


def test_losing_a_node_mid_batch_loses_no_item(cluster: tuple[Cluster, Any, str], docker: Any) -> None:
    """The worker node is removed while HTTP batches (the SDK retries) and handle calls (the adapter
    retries) are in flight: every item is answered once, with the right reward."""
    nodes, worker, url = cluster
    failures: list[BaseException] = []
    answered = {"http": 0, "handle": 0}
    stop = threading.Event()

    def http_load() -> None:
        with RefereeClient(f"{url}/t/{TOKEN}", retries=8, backoff_s=0.5) as client:
            while not stop.is_set():
                try:
                    results = client.score(MATH + [CODE])
                    assert [r.reward for r in results] == [0.0, 1.0] * 4 + [1.0]
                    answered["http"] += len(results)
                except BaseException as exc:
                    failures.append(exc)

    def handle_load() -> None:
        while not stop.is_set():
            try:
                answers = verl.compute_score("math", ["\\boxed{1}"] * 4 + ["\\boxed{3}"], ["1"] * 5)
                assert [a["score"] for a in answers] == [1.0] * 4 + [0.0]
                answered["handle"] += len(answers)
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=f) for f in (http_load, http_load, handle_load)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    nodes.remove_node(worker)
    time.sleep(8)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures[:3]
    assert answered["http"] > 0 and answered["handle"] > 0
    assert len(_alive_nodes()) == 1
    after = httpx.post(f"{url}/t/{TOKEN}/v1/score", json={"items": MATH}, timeout=60)
    assert [r["reward"] for r in after.json()["results"]] == [0.0, 1.0] * 4


def test_no_container_is_left_behind(cluster: tuple[Cluster, Any, str], docker: Any) -> None:
    """Deleting the app stops the live replica's sandboxes; the containers of the replica that died with
    its node carry a dead owner, which the next pool started on the host removes (as here)."""
    assert len(REPLICA_PIDS) == 2  # found by the code test
    serve.delete(ray_app.APP_NAME)

    def replicas_containers() -> set[str]:
        return {o for o in _owners(docker) if int(o.rsplit(":", 1)[-1] or 0) in REPLICA_PIDS}

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(replicas_containers()) > 1:
        time.sleep(0.5)
    assert len(replicas_containers()) <= 1  # at most the dead node's replica's
    remove_leftovers(docker)  # what the next pool started on this host does
    assert replicas_containers() == set()


def test_the_serve_run_builder_deploys_the_app(cluster: tuple[Cluster, Any, str], docker: Any) -> None:
    """``serve run service.ray_app:build replicas=1`` (or a Serve config file with that import path):
    Serve calls ``build`` with the arguments as strings and runs the app it returns."""
    _, _, url = cluster
    serve.run(ray_app.build({"replicas": "1"}), name=ray_app.APP_NAME, route_prefix="/")
    try:
        handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
        answer = handle.score_traced.remote(MATH + [CODE]).result(timeout_s=120)
        assert [r["reward"] for r in answer["results"]] == [0.0, 1.0] * 4 + [1.0]
        assert httpx.get(f"{url}/readyz", timeout=30).json()["ready"] is True
        status = serve.status().applications[ray_app.APP_NAME].deployments[ray_app.DEPLOYMENT_NAME]
        assert status.replica_states.get("RUNNING") == 1
    finally:
        serve.delete(ray_app.APP_NAME)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(o.endswith(f":{answer['pid']}") for o in _owners(docker)):
        time.sleep(0.5)
    assert not any(owner.endswith(f":{answer['pid']}") for owner in _owners(docker))


def test_a_replica_whose_sandbox_cannot_start_is_replaced(cluster: tuple[Cluster, Any, str]) -> None:
    """Serve's health check follows /readyz: a replica whose sandbox is unavailable (here: an OCI runtime
    Docker does not have) fails it and is replaced, rather than answer every code item with an error.
    Its math is still right while it lives, and its code items are errors, never rewards."""
    os.environ["REFEREE_SANDBOX_RUNTIME"] = "referee-no-such-runtime"
    try:
        serve.run(ray_app.build({"replicas": "1"}), name=ray_app.APP_NAME, route_prefix="/")
    finally:
        del os.environ["REFEREE_SANDBOX_RUNTIME"]
    try:
        handle = serve.get_deployment_handle(ray_app.DEPLOYMENT_NAME, app_name=ray_app.APP_NAME)
        first = handle.score_traced.remote(MATH[:2] + [CODE]).result(timeout_s=60)
        assert [r["reward"] for r in first["results"][:2]] == [0.0, 1.0]
        assert first["results"][2]["status"] == "error" and first["results"][2]["reward"] is None
        pids = {first["pid"]}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(pids) < 2:
            try:
                pids.add(handle.score_traced.remote([]).result(timeout_s=30)["pid"])
            except Exception:  # the replica being replaced
                pass
            time.sleep(1)
        assert len(pids) >= 2, "the replica with an unavailable sandbox was not replaced"
    finally:
        serve.delete(ray_app.APP_NAME)
