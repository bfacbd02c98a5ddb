"""The container pool: hardening flags, replacement, recycling, clean-up of leftovers, throughput basics."""

import socket
import threading
import time
from typing import Any

import pytest

from graders.code import CodeVerdict, grade_code
from sandbox.containers import LABEL, ContainerSettings, owner_label
from sandbox.pool import SandboxPool

pytestmark = pytest.mark.docker

ADD = "def add(a, b):\n    return a + b\n"
ADD_TESTS = {"kind": "assert", "code": "assert add(2, 3) == 5\n"}


def _passes(pool: Any) -> bool:
    return grade_code(ADD, ADD_TESTS, "python", pool).verdict is CodeVerdict.PASSED


def test_containers_are_hardened(pool: SandboxPool) -> None:
    (container,) = pool.containers()
    container.reload()
    host = container.attrs["HostConfig"]
    config = container.attrs["Config"]
    settings = ContainerSettings()
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == ["SETGID", "SETUID"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Init"] is True and host["Privileged"] is False
    assert host["PidsLimit"] == settings.pids
    assert host["Memory"] == host["MemorySwap"] == settings.memory_mb << 20
    assert host["NanoCpus"] == int(settings.cpus * 1e9)
    assert not host.get("Binds") and not container.attrs["Mounts"]
    assert host["IpcMode"] == "private"
    assert set(host["Tmpfs"]) == {"/box", "/tmp"}
    assert all("nosuid" in options and "nodev" in options for options in host["Tmpfs"].values())
    assert not [v for v in config.get("Env") or [] if not v.startswith("PATH=")]
    assert config["Labels"][LABEL] == "worker" and config["Labels"][f"{LABEL}.pool"] == pool.pool_id


def test_the_job_runs_as_the_container_job_uid_not_root(pool: SandboxPool) -> None:
    (channel,) = list(pool._live)
    uid = channel.uid  # type: ignore[attr-defined]
    assert uid >= 100_000
    probe = "import os\nprint(os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups())"
    tests = {"kind": "stdio", "cases": [{"stdin": "", "stdout": f"{uid} {uid} {uid} {uid} []"}]}
    assert grade_code(probe, tests, "python", pool).verdict is CodeVerdict.PASSED


def test_a_killed_container_is_replaced_while_the_others_serve(docker: Any) -> None:
    with SandboxPool(2, client=docker) as pool:
        assert _passes(pool)
        victim, survivor = pool.containers()
        victim.kill()
        started = time.monotonic()
        results = [_passes(pool) for _ in range(6)]  # the dead one fails a job, which is retried elsewhere
        served_s = time.monotonic() - started
        assert all(results)
        assert served_s < 5.0  # the survivor kept serving meanwhile
        deadline = time.monotonic() + 10
        while pool.ready < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.ready == 2
        assert pool.stats.replaced >= 1
        names = {c.name for c in pool.containers()}
        assert survivor.name in names and victim.name not in names
        assert max(pool.stats.startup_s) < 5.0
        for _ in range(4):
            assert _passes(pool)


def test_concurrent_jobs_spread_over_the_pool(docker: Any) -> None:
    with SandboxPool(2, client=docker) as pool:
        verdicts: list[bool] = []
        lock = threading.Lock()

        def work() -> None:
            for _ in range(10):
                ok = _passes(pool)
                with lock:
                    verdicts.append(ok)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert verdicts == [True] * 40
        assert pool.stats.jobs == 40 and pool.stats.replaced == 0


def test_workers_are_recycled_after_a_number_of_jobs(docker: Any) -> None:
    with SandboxPool(1, client=docker, jobs_per_worker=3) as pool:
        first = pool.containers()[0].name
        for _ in range(3):
            assert _passes(pool)
        deadline = time.monotonic() + 10
        while (pool.ready < 1 or pool.containers()[0].name == first) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.stats.recycled == 1 and pool.stats.replaced == 0
        assert pool.containers()[0].name != first
        assert _passes(pool)
        while docker.containers.list(all=True, filters={"name": first}) and time.monotonic() < deadline:
            time.sleep(0.05)  # the retired container is removed in the background, after its successor is up
        assert not docker.containers.list(all=True, filters={"name": first})


def test_leftovers_of_a_dead_run_are_removed_at_start_up(docker: Any, pool: SandboxPool) -> None:
    """A container whose owner died goes; a live pool's containers (the session's) stay, and so do those
    of another PID namespace (a service in a container), whose PIDs mean nothing here."""
    settings = ContainerSettings()
    here = owner_label().rsplit(":", 1)[0]
    owners = {
        "dead": f"{here}:{2**22 + 12345}",  # above pid_max: never a live process
        "elsewhere": f"{socket.gethostname()}:4026599999:{2**22 + 12345}",  # another PID namespace
    }
    created = {
        name: docker.containers.create(
            settings.image,
            command=["/bin/sleep", "600"],
            labels={LABEL: "worker", f"{LABEL}.pool": f"crashed-{name}", f"{LABEL}.owner": owner},
            network_mode="none",
        )
        for name, owner in owners.items()
    }
    try:
        with SandboxPool(1, client=docker) as fresh:
            assert _passes(fresh)
        assert not docker.containers.list(all=True, filters={"id": created["dead"].id})
        assert docker.containers.list(all=True, filters={"id": created["elsewhere"].id})
        assert _passes(pool)  # the session pool was not touched
    finally:
        for container in created.values():
            try:
                container.remove(force=True)
            except Exception:
                pass


def test_closing_a_pool_removes_its_containers(docker: Any) -> None:
    pool = SandboxPool(2, client=docker).start()
    pool_id = pool.pool_id
    assert len(docker.containers.list(all=True, filters={"label": f"{LABEL}.pool={pool_id}"})) == 2
    pool.close()
    assert not docker.containers.list(all=True, filters={"label": f"{LABEL}.pool={pool_id}"})


def test_a_missing_image_is_a_clear_error(docker: Any) -> None:
    from graders.errors import SandboxUnavailable

    with pytest.raises(SandboxUnavailable, match="referee sandbox build"):
        SandboxPool(1, ContainerSettings(image="referee-sandbox:no-such-tag"), client=docker).start()


def test_the_runtime_setting_reaches_docker(docker: Any) -> None:
    from graders.errors import SandboxUnavailable

    with pytest.raises(SandboxUnavailable, match="runtime"):
        SandboxPool(1, ContainerSettings(runtime="no-such-runtime"), client=docker).start()
