"""The reward spec (graders/spec.py): parsing, clear errors, presets, combining, stable keys."""

import json

import pytest

from graders.spec import PRESETS, Accuracy, RewardSpec, Sample, SpecError

RIGHT = Accuracy(score=1.0, correct=True, detail={"verdict": "correct"})
WRONG = Accuracy(score=0.0, correct=False, detail={"verdict": "incorrect"})
GOOD = "<think>\nWe add two and two.\n</think>\n<answer>\n4\n</answer>"


def test_default_is_accuracy_only() -> None:
    spec = RewardSpec.parse(None)
    assert spec.names == ("accuracy",)
    (scored,) = spec.score([Sample("x")], [RIGHT])
    assert scored.reward == 1.0 and scored.components == {"accuracy": 1.0}


def test_bare_numbers_are_weights_and_objects_carry_parameters() -> None:
    spec = RewardSpec.parse(
        '{"accuracy": 1.0, "format": 0.2, "overlong": {"weight": 1, "max_tokens": 100, "cache_tokens": 20}}'
    )
    assert spec.params["format"].weight == 0.2
    (scored,) = spec.score([Sample("<think>a</think>4", completion_tokens=90)], [RIGHT])
    # 1.0 * 1 + 0.2 * 1 + 1 * ((80 - 90) / 20)
    assert scored.reward == pytest.approx(1.0 + 0.2 - 0.5)
    assert scored.details["overlong"]["unit"] == "tokens"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('{"accuracy": 1, "fromat": 0.2}', "unknown reward component 'fromat'"),
        ('{"overlong": {"max_tokens": 100, "cache": 5}}', "overlong: cache: Extra inputs are not permitted"),
        ('{"overlong": {"max_tokens": 10, "cache_tokens": 50}}', "overlong: parameters: cache_tokens must not exceed"),
        ('{"format": {"mode": "xml"}}', "format: mode"),
        ('{"format": {"mode": "regex"}}', "mode 'regex' needs a 'pattern'"),
        ('{"format": {"mode": "regex", "pattern": "(oops"}}', "not a valid regular expression"),
        ('{"repetition": {"max_penalty": 1}}', "repetition: max_penalty"),
        ('{"language_consistency": {"target": "klingon"}}', "unknown target language 'klingon'"),
        ('{"accuracy": "high"}', "accuracy: give a weight"),
        ('{"accuracy": true}', "accuracy: give a weight"),
        ('{"accuracy": {"weight": "NaN"}}', "weight must be a finite number"),
        ('{"accuracy": {"mode": "half"}}', "accuracy: mode"),
        ("r2", "unknown reward preset 'r2'"),
        ('{"preset": "r2"}', "unknown reward preset 'r2'"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "unknown reward preset"),
        ("{}", "names no component"),
    ],
)
def test_bad_specs_are_clear_errors_naming_the_problem(spec: str, message: str) -> None:
    with pytest.raises(SpecError, match=None) as caught:
        RewardSpec.parse(spec)
    assert message in str(caught.value)


def test_presets_by_name_and_with_overrides() -> None:
    assert set(PRESETS) >= {"r1_zero", "r1", "dapo"}
    r1_zero = RewardSpec.parse("r1_zero")
    assert r1_zero.names == ("accuracy", "format") and r1_zero.params["format"].mode == "think_answer"  # type: ignore[attr-defined]
    (scored,) = r1_zero.score([Sample(GOOD)], [RIGHT])
    assert scored.reward == 2.0
    dapo = RewardSpec.parse("dapo")
    right, wrong = dapo.score([Sample("x", completion_tokens=100)] * 2, [RIGHT, WRONG])
    assert (right.reward, wrong.reward) == (1.0, -1.0)  # accuracy as +-1
    (late,) = dapo.score([Sample("x", completion_tokens=20480 - 2048)], [RIGHT])
    assert late.reward == pytest.approx(1.0 - 0.5)
    custom = RewardSpec.parse({"preset": "dapo", "overlong": {"max_tokens": 100, "cache_tokens": 10}, "format": 0.5})
    assert custom.names == ("accuracy", "overlong", "format") and custom.params["overlong"].max_tokens == 100  # type: ignore[attr-defined]


def test_every_result_of_a_batch_has_the_same_keys_and_a_null_component_nulls_the_reward() -> None:
    spec = RewardSpec.parse({"accuracy": 1, "format": 0.5, "language_consistency": 0.5, "repetition": 1})
    samples = [Sample(GOOD, target_language="en"), Sample("no think", prompt=None)]
    unscorable = Accuracy(score=None, correct=False, detail={"verdict": "unscorable"})
    first, second = spec.score(samples, [RIGHT, unscorable])
    assert (
        list(first.components)
        == list(second.components)
        == ["accuracy", "format", "language_consistency", "repetition"]
    )
    assert list(first.details) == list(second.details)
    assert first.reward == pytest.approx(1 + 0.5 + 0.5 + 0)
    assert second.reward is None and second.components["accuracy"] is None
    assert second.components["language_consistency"] is None
    assert "accuracy" in (second.problem or "")


def test_language_target_comes_from_the_spec_the_item_or_the_prompt() -> None:
    french = "<think>Nous devons calculer la somme des deux nombres.</think> 4"
    by_item = RewardSpec.parse({"language_consistency": 1})
    (scored,) = by_item.score([Sample(french, target_language="fr")], [RIGHT])
    assert (
        scored.components["language_consistency"] == 1.0
        and scored.details["language_consistency"]["target_from"] == "item"
    )
    (from_prompt,) = by_item.score([Sample(french, prompt="Quelle est la somme de deux et deux ?")], [RIGHT])
    assert from_prompt.details["language_consistency"]["target"] == "fr"
    (nothing,) = by_item.score([Sample(french)], [RIGHT])
    assert nothing.reward is None and "no target language" in (nothing.problem or "")
    override = RewardSpec.parse({"language_consistency": {"target": "en"}})
    (scored,) = override.score([Sample(french, target_language="fr")], [RIGHT])
    assert (
        scored.components["language_consistency"] == 0.0
        and scored.details["language_consistency"]["target_from"] == "spec"
    )


def test_length_is_computed_within_groups() -> None:
    spec = RewardSpec.parse({"length": 1})
    samples = [
        Sample("a" * 100, group="g1"),
        Sample("a" * 300, group="g1"),
        Sample("a" * 200, group="g1"),
        Sample("a" * 10, prompt="p"),
        Sample("a" * 20, prompt="p"),
        Sample("a" * 999),
    ]
    scores = spec.score(samples, [RIGHT, RIGHT, WRONG, RIGHT, WRONG, RIGHT])
    assert [s.components["length"] for s in scores] == pytest.approx([0.5, -0.5, 0.0, 0.5, -0.5, 0.0])
    assert (
        scores[0].details["length"]["grouped_by"] == "group" and scores[3].details["length"]["grouped_by"] == "prompt"
    )
    assert scores[5].details["length"]["group_size"] == 1


def test_cosine_uses_correctness_and_says_the_unit() -> None:
    spec = RewardSpec.parse({"cosine": {"max_len": 100}})
    right, wrong = spec.score([Sample("a" * 50), Sample("a" * 50)], [RIGHT, WRONG])
    assert right.reward == pytest.approx(0.75) and wrong.reward == pytest.approx(-0.75)
    assert right.details["cosine"]["unit"] == "characters" and "no completion_tokens" in right.details["cosine"]["note"]


def test_describe_round_trips() -> None:
    spec = RewardSpec.parse("r1")
    again = RewardSpec.parse(json.dumps(spec.describe()))
    assert again == spec
