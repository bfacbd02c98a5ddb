"""Every public module declares a sorted ``__all__`` whose names exist."""

import importlib

import pytest

MODULES = [
    "graders.errors",
    "graders.math",
    "graders.math.extract",
    "graders.math.normalize",
    "graders.math.parse",
    "graders.math.compare",
    "graders.math.grade",
    "graders.format",
    "graders.language",
    "graders.shaping",
    "graders.spec",
    "graders.code",
    "graders.code.executor",
    "graders.code.extract",
    "graders.code.compare",
    "graders.code.grade",
    "sandbox.attacks",
    "sandbox.audit",
    "sandbox.channel",
    "sandbox.containers",
    "sandbox.image",
    "sandbox.pool",
    "service.schemas",
    "service.programs",
    "service.path_tokens",
    "service.sandbox_fusion",
    "service.open_r1",
    "service.piston",
    "service.engine",
    "service.cli",
    "service.app",
    "service.settings",
    "service.client",
    "service.background_sandbox",
    "service.integrations.common",
    "service.integrations.trl",
    "service.integrations.verl",
    "service.integrations.openrlhf",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert list(exported) == sorted(exported)
    for member in exported:
        assert hasattr(module, member), f"{name}.{member}"


def test_graders_do_not_import_the_service() -> None:
    import subprocess
    import sys

    code = "import sys, graders.math; assert not any(m.startswith('service') for m in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_graders_and_sandbox_never_import_the_service_or_docker_eagerly() -> None:
    import subprocess
    import sys

    code = (
        "import sys, graders.code, sandbox.pool\n"
        "assert not any(m.startswith('service') for m in sys.modules)\n"
        "assert 'docker' not in sys.modules, 'the Docker SDK loads only when a pool starts'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_graders_code_does_not_import_the_sandbox() -> None:
    import subprocess
    import sys

    code = "import sys, graders.code; assert not any(m.startswith('sandbox') for m in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
