"""The hostile-program suite: each attack scores 0, the next job is right within 5 s, nothing persists."""

import pytest

from sandbox.attacks import ATTACKS, Attack, run_attack
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_is_contained(pool: SandboxPool, attack: Attack) -> None:
    report = run_attack(pool, attack)
    assert report.score == 0.0, report
    assert report.contained, report
    assert report.next_job_ok, report
    assert report.next_job_s < 5.0
    assert report.clean, report
