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


def test_a_service_listening_on_the_host_loopback_is_unreachable(pool: SandboxPool) -> None:
    """A live listener on the host's 127.0.0.1: the container's loopback is its own, so it finds nothing."""
    import socket

    from graders.code import grade_code

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    print('ESCAPED')\n"
            "except OSError as exc:\n    print('refused', type(exc).__name__)\n"
        )
        tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": "refused ConnectionRefusedError"}]}
        assert grade_code(probe, tests, "python", pool).score == 1.0
        server.settimeout(0.2)
        try:
            server.accept()
            reached = True
        except OSError:
            reached = False
        assert not reached
