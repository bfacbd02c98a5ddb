"""The HTTP API fuzzed from its own OpenAPI document (schemathesis): every operation, including the
execution wires, against a real service with real containers; no 5xx, every status code documented,
every answer conforming to its documented schema and content type.

Not checked: that every schema-valid body is accepted (an unknown reward preset is any string to the
schema, and a 422 to the service) and that every invalid body is refused (the wires ignore unknown
fields on purpose, as SandboxFusion does)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import TOKEN

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_every_operation_conforms_to_the_schema(wire_server: str) -> None:
    api = schemathesis.openapi.from_url(f"{wire_server}/openapi.json")
    failures: dict[str, str] = {}
    checked = []
    for found in api.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case: Any) -> None:
            case.call_and_validate(
                base_url=f"{wire_server}/t/{TOKEN}",
                timeout=120,
                checks=[
                    checks.not_a_server_error,
                    checks.status_code_conformance,
                    checks.content_type_conformance,
                    checks.response_schema_conformance,
                ],
            )

        try:
            conforms()
        except BaseException as exc:  # a failure group: every operation is reported, then the test fails
            failures[operation.label] = str(exc)[:1500]
        checked.append(operation.label)
    assert len(checked) >= 12, checked
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
