"""The reward spec: which components make an item's reward, with which weights and parameters.

A spec is a JSON object (or a preset name): ``{"accuracy": 1.0, "format": 0.2, "overlong":
{"weight": 1, "max_tokens": 4096, "cache_tokens": 512}}``. A bare number is the weight with default
parameters. ``{"preset": "dapo", ...}`` starts from a preset and overrides or adds components.

    reward = sum(weight * score for each component)       (null when any component is null)

Components and their scores: ``accuracy`` [0, 1] (``signed``: [-1, 1]), ``format`` {0, 1},
``tag_count`` {0, .25, .5, .75, 1}, ``language_consistency`` [0, 1], ``overlong`` [-1, 0],
``length`` [-0.5, 0.5], ``cosine`` [min_value_wrong, max_value_correct], ``repetition``
[max_penalty, 0]. Every result of a batch carries the same component keys.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graders import format as fmt
from graders import language, shaping
from graders.presets import COMPONENTS, PRESETS

__all__ = ["Accuracy", "COMPONENTS", "ComponentScore", "PRESETS", "RewardSpec", "Sample", "Scored", "SpecError"]


class SpecError(ValueError):
    """A spec that cannot be used; the message names the component and the parameter."""


# --- parameters of each component (pydantic: unknown or ill-typed parameters are refused) ----------
class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weight: float = 1.0

    @model_validator(mode="after")
    def _finite_weight(self) -> _Params:
        if not math.isfinite(self.weight):
            raise ValueError("weight must be a finite number")
        return self


class AccuracyParams(_Params):
    timeout: float | None = Field(default=None, gt=0, le=600)
    """Math: deadline per item in seconds (the engine's default when absent)."""
    mode: Literal["fraction", "all"] | None = None
    """Code: score the fraction of tests passed, or 1/0."""
    signed: bool = False
    """Score 2 * accuracy - 1: +1 correct, -1 wrong (DAPO's rule-based reward)."""


class FormatParams(_Params):
    mode: Literal["think", "think_answer", "regex"] = "think"
    pattern: str | None = None
    require_boxed: bool = False

    @model_validator(mode="after")
    def _pattern_with_regex(self) -> FormatParams:
        if self.mode == "regex" and not self.pattern:
            raise ValueError("mode 'regex' needs a 'pattern'")
        if self.mode != "regex" and self.pattern is not None:
            raise ValueError("'pattern' is only used with mode 'regex'")
        if self.pattern is not None:
            fmt.compile_pattern(self.pattern)
        return self


class TagCountParams(_Params):
    pass


class LanguageParams(_Params):
    target: str | None = None
    span: Literal["think", "all"] = "think"

    @model_validator(mode="after")
    def _known_target(self) -> LanguageParams:
        if self.target is not None and language.normalize_code(self.target) is None:
            raise ValueError(f"unknown target language {self.target!r} (use ISO 639-1 codes: en, zh, fr, ...)")
        return self


class OverlongParams(_Params):
    max_tokens: int = Field(default=4096, gt=0)
    cache_tokens: int = Field(default=512, ge=0)

    @model_validator(mode="after")
    def _cache_within_max(self) -> OverlongParams:
        if self.cache_tokens > self.max_tokens:
            raise ValueError("cache_tokens must not exceed max_tokens")
        return self


class LengthParams(_Params):
    pass


class CosineParams(_Params):
    max_len: int = Field(default=1000, gt=0)
    min_value_wrong: float = -1.0
    max_value_wrong: float = -0.5
    min_value_correct: float = 0.5
    max_value_correct: float = 1.0


class RepetitionParams(_Params):
    ngram: int = Field(default=3, ge=1, le=20)
    max_penalty: float = Field(default=-1.0, le=0)


PARAMS: dict[str, type[_Params]] = {
    "accuracy": AccuracyParams,
    "format": FormatParams,
    "tag_count": TagCountParams,
    "language_consistency": LanguageParams,
    "overlong": OverlongParams,
    "length": LengthParams,
    "cosine": CosineParams,
    "repetition": RepetitionParams,
}
if tuple(PARAMS) != COMPONENTS:  # pragma: no cover - one list of names for the client and the graders
    raise ImportError("graders.presets.COMPONENTS and graders.spec.PARAMS disagree")


# --- what the spec is applied to -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sample:
    """The fields of an item the components read."""

    completion: str
    prompt: str | None = None
    completion_tokens: int | None = None
    target_language: str | None = None
    group: str | int | None = None


@dataclass(frozen=True, slots=True)
class Accuracy:
    """The accuracy grader's outcome for one item (math or code)."""

    score: float | None
    correct: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComponentScore:
    score: float | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scored:
    reward: float | None
    components: dict[str, float | None]
    details: dict[str, dict[str, Any]]
    problem: str | None = None
    """Why the reward is null (the first component that could not judge), if it is."""


@dataclass(frozen=True, slots=True)
class RewardSpec:
    params: Mapping[str, _Params]
    """Component name -> validated parameters, in the spec's order."""

    @classmethod
    def parse(cls, spec: str | Mapping[str, Any] | None) -> RewardSpec:
        """From a preset name, a JSON object's text, or a mapping; ``SpecError`` when unusable."""
        if spec is None:
            return cls.parse(PRESETS["accuracy"])
        if isinstance(spec, str):
            text = spec.strip()
            if text in PRESETS:
                return cls.parse(PRESETS[text])
            if not text.startswith("{"):
                raise SpecError(f"unknown reward preset {text!r} (presets: {', '.join(PRESETS)}; or a JSON object)")
            try:
                spec = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SpecError(f"the reward spec is not valid JSON: {exc}") from exc
            if not isinstance(spec, Mapping):
                raise SpecError("the reward spec must be a JSON object")
        merged: dict[str, Any] = {}
        if "preset" in spec:
            preset = spec["preset"]
            if not isinstance(preset, str) or preset not in PRESETS:
                raise SpecError(f"unknown reward preset {preset!r} (presets: {', '.join(PRESETS)})")
            merged.update(PRESETS[preset])
        merged.update({k: v for k, v in spec.items() if k != "preset"})
        if not merged:
            raise SpecError("the reward spec names no component")
        params: dict[str, _Params] = {}
        for name, value in merged.items():
            if name not in PARAMS:
                raise SpecError(f"unknown reward component {name!r} (components: {', '.join(COMPONENTS)})")
            if isinstance(value, bool) or not isinstance(value, int | float | Mapping):
                raise SpecError(f"{name}: give a weight (a number) or an object of parameters")
            raw = {"weight": value} if isinstance(value, int | float) else dict(value)
            try:
                params[name] = PARAMS[name].model_validate(raw)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors()
                )
                raise SpecError(f"{name}: {problems}") from exc
        return cls(params)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.params)

    def accuracy_params(self) -> AccuracyParams:
        found = self.params.get("accuracy")
        return found if isinstance(found, AccuracyParams) else AccuracyParams()

    def describe(self) -> dict[str, Any]:
        """The spec as JSON-ready data (what the service echoes back)."""
        return {name: p.model_dump(exclude_defaults=False) for name, p in self.params.items()}

    # --- scoring ----------------------------------------------------------------------------------
    def score(self, samples: Sequence[Sample], accuracy: Sequence[Accuracy]) -> list[Scored]:
        """Every component for every sample; group components see the whole batch."""
        if len(samples) != len(accuracy):
            raise ValueError("one accuracy outcome per sample")
        per_component: dict[str, list[ComponentScore]] = {}
        for name, params in self.params.items():
            if name == "length":
                per_component[name] = _length_scores(samples, accuracy)
            else:
                per_component[name] = [_component(name, params, s, a) for s, a in zip(samples, accuracy, strict=True)]
        results = []
        for index in range(len(samples)):
            components: dict[str, float | None] = {}
            details: dict[str, dict[str, Any]] = {}
            reward: float | None = 0.0
            problem = None
            for name, params in self.params.items():
                entry = per_component[name][index]
                components[name] = entry.score
                details[name] = entry.detail
                if entry.score is None:
                    reward = None
                    problem = problem or f"{name}: {entry.detail.get('reason', 'could not be judged')}"
                elif reward is not None:
                    reward += params.weight * entry.score
            results.append(Scored(reward, components, details, problem))
        return results


def _component(name: str, params: _Params, sample: Sample, accuracy: Accuracy) -> ComponentScore:
    if name == "accuracy":
        assert isinstance(params, AccuracyParams)
        score = accuracy.score
        if score is not None and params.signed:
            score = 2.0 * score - 1.0
        return ComponentScore(score, dict(accuracy.detail))
    if name == "format":
        assert isinstance(params, FormatParams)
        options = fmt.FormatOptions(
            mode=params.mode,
            pattern=_pattern(params.pattern) if params.pattern else None,
            require_boxed=params.require_boxed,
        )
        verdict = fmt.grade_format(sample.completion, options, sample.prompt)
        return ComponentScore(
            verdict.score, {"mode": params.mode, **({"reason": verdict.reason} if verdict.reason else {})}
        )
    if name == "tag_count":
        return ComponentScore(fmt.tag_count(sample.completion), {})
    if name == "language_consistency":
        assert isinstance(params, LanguageParams)
        return _language_score(params, sample)
    if name == "overlong":
        assert isinstance(params, OverlongParams)
        length = shaping.measure(sample.completion, sample.completion_tokens)
        value = shaping.overlong(length.value, params.max_tokens, params.cache_tokens)
        return ComponentScore(value, _length_detail(length))
    if name == "cosine":
        assert isinstance(params, CosineParams)
        length = shaping.measure(sample.completion, sample.completion_tokens)
        value = shaping.cosine(
            length.value,
            accuracy.correct,
            max_len=params.max_len,
            min_value_wrong=params.min_value_wrong,
            max_value_wrong=params.max_value_wrong,
            min_value_correct=params.min_value_correct,
            max_value_correct=params.max_value_correct,
        )
        return ComponentScore(value, {**_length_detail(length), "correct": accuracy.correct})
    if name == "repetition":
        assert isinstance(params, RepetitionParams)
        return ComponentScore(shaping.repetition(sample.completion, params.ngram, params.max_penalty), {})
    raise SpecError(f"unknown reward component {name!r}")  # pragma: no cover - parse refuses it


_PATTERNS: dict[str, Any] = {}


def _pattern(text: str) -> Any:
    """Compiled once per pattern text, for the whole process."""
    compiled = _PATTERNS.get(text)
    if compiled is None:
        compiled = _PATTERNS[text] = fmt.compile_pattern(text)
    return compiled


def _length_detail(length: shaping.Length) -> dict[str, Any]:
    detail: dict[str, Any] = {"length": length.value, "unit": length.unit}
    if length.unit == "characters":
        detail["note"] = "no completion_tokens: measured in characters"
    return detail


def _language_score(params: LanguageParams, sample: Sample) -> ComponentScore:
    target = params.target or sample.target_language
    source = "spec" if params.target else "item"
    if target is None and sample.prompt:
        target, source = language.detect_language(sample.prompt), "prompt"
    if target is None:
        return ComponentScore(None, {"reason": "no target language: set target_language or send the prompt"})
    code = language.normalize_code(target)
    if code is None:
        return ComponentScore(None, {"reason": f"unknown target language {target!r}"})
    text = language.reasoning_span(sample.completion, sample.prompt) if params.span == "think" else sample.completion
    verdict = language.consistency(text, code)
    detail: dict[str, Any] = {"target": code, "target_from": source, "words": verdict.words}
    detail["target_words"] = verdict.target_words
    return ComponentScore(verdict.score, detail)


def _length_scores(samples: Sequence[Sample], accuracy: Sequence[Accuracy]) -> list[ComponentScore]:
    """Kimi's length reward within each group: the ``group`` key, else the prompt, else the item alone."""
    groups: dict[Any, list[int]] = defaultdict(list)
    for index, sample in enumerate(samples):
        key: Any = ("group", sample.group) if sample.group is not None else None
        if key is None and sample.prompt is not None:
            key = ("prompt", sample.prompt)
        groups[key if key is not None else ("alone", index)].append(index)
    scores: list[ComponentScore | None] = [None] * len(samples)
    for key, members in groups.items():
        lengths = [shaping.measure(samples[i].completion, samples[i].completion_tokens) for i in members]
        values = shaping.kimi_length([m.value for m in lengths], [accuracy[i].correct for i in members])
        for index, length, value in zip(members, lengths, values, strict=True):
            detail = {**_length_detail(length), "group_size": len(members), "grouped_by": key[0]}
            scores[index] = ComponentScore(value, detail)
    return [s for s in scores if s is not None]
