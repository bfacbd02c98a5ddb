"""The settings a Ray deployment carries to its replicas (``service.ray_app.replica_env``)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("ray.serve", reason="install referee[ray] (make test does)")
from service.ray_app import replica_env  # noqa: E402
from service.settings import Settings  # noqa: E402


def test_fields_set_on_the_settings_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"REFEREE_WORKERS": "1", "REFEREE_CACHE_SIZE": "7", "REFEREE_SANDBOXES": "4", "PATH": "/bin"}
    for key in [k for k in os.environ if k.startswith("REFEREE_")]:
        monkeypatch.delenv(key)
    chosen = Settings(workers=3, tokens=["s3cret", "other"], sandbox="off", sandboxes=None)
    env = replica_env(chosen, environ)
    assert "PATH" not in env and "REFEREE_SANDBOXES" not in env  # set to None: the replica's default
    assert env["REFEREE_WORKERS"] == "3" and env["REFEREE_CACHE_SIZE"] == "7"
    for key, value in env.items():  # what a replica builds from that environment
        monkeypatch.setenv(key, value)
    replica = Settings()
    assert (replica.workers, replica.cache_size, replica.sandbox, replica.sandboxes) == (3, 7, "off", None)
    assert [t.get_secret_value() for t in replica.tokens] == ["s3cret", "other"]


def test_without_settings_the_environment_travels_as_it_is() -> None:
    environ = {"REFEREE_TOKENS": '["a"]', "REFEREE_DEFAULT_REWARD": "accuracy", "HOME": "/root"}
    assert replica_env(Settings.model_construct(), environ) == {
        "REFEREE_TOKENS": '["a"]',
        "REFEREE_DEFAULT_REWARD": "accuracy",
    }
