"""Property-based fuzz of the HTTP API (hypothesis): whatever JSON arrives, the answer is never 5xx.

Bodies are drawn from the request schema's field names with values of every JSON type, nested, so
that most requests are nearly valid (the interesting case) and some are nonsense.
"""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ITEM_FIELDS = ["completion", "reference", "task", "tests", "language", "id", "prompt", "completion_tokens",
               "target_language", "group", "kind", "cases", "entry_point", "code", "stdin", "stdout"]  # fmt: skip
SPEC_NAMES = ["accuracy", "format", "tag_count", "language_consistency", "overlong", "length", "cosine",
              "repetition", "weight", "mode", "pattern", "max_tokens", "cache_tokens", "preset", "r1"]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["math", "code", "python", "cpp", "stdio", "call", "assert", "r1", "dapo", "\\boxed{1}"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(ITEM_FIELDS + SPEC_NAMES), inner, max_size=5),
    ),
    max_leaves=12,
)
items = st.dictionaries(st.sampled_from(ITEM_FIELDS), values, max_size=6)
bodies = st.one_of(
    st.fixed_dictionaries({"items": st.lists(items, max_size=4)}, optional={"reward": values}),
    st.dictionaries(st.sampled_from(["items", "reward", "query", "prompts", "labels"]), values, max_size=3),
    values,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_score_never_answers_5xx(server: str, body: Any) -> None:
    response = httpx.post(f"{server}/v1/score", json=body, timeout=60)
    assert response.status_code < 500, (body, response.text[:500])
    if response.status_code == 200:
        results = response.json()["results"]
        assert len(results) == len(body["items"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_openrlhf_never_answers_5xx(server: str, body: Any) -> None:
    response = httpx.post(f"{server}/v1/openrlhf", json=body, timeout=60)
    assert response.status_code < 500, (body, response.text[:500])
