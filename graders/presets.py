"""Reward presets and component names: plain data, importable without the graders' dependencies.

The client adapters (``referee`` without the ``server`` extra) read this module to know a spec's
components at configuration time; ``graders.spec`` validates the parameters where grading happens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["COMPONENTS", "PRESETS", "component_names"]

COMPONENTS = (
    "accuracy",
    "format",
    "tag_count",
    "language_consistency",
    "overlong",
    "length",
    "cosine",
    "repetition",
)

PRESETS: dict[str, dict[str, Any]] = {
    "accuracy": {"accuracy": 1.0},
    "r1_zero": {"accuracy": 1.0, "format": {"weight": 1.0, "mode": "think_answer"}},
    "r1": {"accuracy": 1.0, "format": 1.0, "language_consistency": 1.0},
    "dapo": {"accuracy": {"weight": 1.0, "signed": True}, "overlong": {"max_tokens": 20480, "cache_tokens": 4096}},
}
"""Named recipes. Weights follow open-r1's equal weighting; DAPO's lengths are the paper's (20,480
tokens at most, the last 4,096 of them punished linearly)."""


def component_names(spec: str | Mapping[str, Any] | None) -> tuple[str, ...]:
    """The components a spec (preset name, JSON text or mapping) names, in order; ``ValueError`` for an
    unknown preset or component. Parameters are not checked here."""
    if spec is None:
        return tuple(PRESETS["accuracy"])
    if isinstance(spec, str):
        text = spec.strip()
        if text in PRESETS:
            return tuple(PRESETS[text])
        if not text.startswith("{"):
            raise ValueError(f"unknown reward preset {text!r} (presets: {', '.join(PRESETS)}; or a JSON object)")
        spec = json.loads(text)
        if not isinstance(spec, Mapping):
            raise ValueError("the reward spec must be a JSON object")
    merged: dict[str, Any] = {}
    if "preset" in spec:
        if spec["preset"] not in PRESETS:
            raise ValueError(f"unknown reward preset {spec['preset']!r} (presets: {', '.join(PRESETS)})")
        merged.update(PRESETS[spec["preset"]])
    merged.update({k: v for k, v in spec.items() if k != "preset"})
    unknown = [name for name in merged if name not in COMPONENTS]
    if unknown:
        raise ValueError(f"unknown reward component {unknown[0]!r} (components: {', '.join(COMPONENTS)})")
    if not merged:
        raise ValueError("the reward spec names no component")
    return tuple(merged)
