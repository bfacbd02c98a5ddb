"""The in-sandbox worker: one job at a time from stdin, one JSON line per job on stdout. Stdlib only.

Started once per container (``python3 -I -S -c <this source>``); the first stdin line configures it
(job uid, work directories, the zygote's source). For each job it compiles once when the language
needs it, then asks the zygote (``zygote.py``, a secret-free fork server) for one process per test
run, feeds it, collects capped output, enforces the wall-time backstop (a run ends when its process
has exited, not when its output is complete) and decides the verdict on a channel the program cannot
forge: the expected values of ``call`` tests never leave this process, and ``assert`` tests pass only
when the harness returns this run's random token.

Killing happens as the job uid (``kill(-1)`` from a short-lived helper), so the container needs no
``CAP_KILL``; afterwards the helper wipes the job's directories. A job that leaves a process behind
is answered with ``"healthy": false`` so that the host replaces the container.
"""

import base64
import json
import math
import os
import secrets
import selectors
import signal
import socket
import stat
import struct
import subprocess
import sys
import time

PYTHON = sys.executable or "/usr/bin/python3"
STDERR_CAP = 16 * 1024
EVENTS_CAP = 1 << 20
DRAIN_S = 0.25
"""After the program ended: the longest its pipes are read before what it left behind is killed
(only for a leftover that keeps writing), and then the longest they may take to close."""
ZYGOTE_REPLY_S = 5.0
COMPILE = {"cpp": ["/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-I/opt/referee/pch", "-x", "c++", "-", "-o"]}
"""/opt/referee/pch holds <bits/stdc++.h> precompiled with these flags (sandbox/image/prepare-cpp.sh)."""
COMPILE_TIME_S = 30.0
COMPILE_MEMORY_MB = 2048
COMPILE_FILE_BYTES = 256 * 1024 * 1024
"""A compiler's files (a Rust test binary links libtest statically); the box's tmpfs bounds them anyway."""
SNAPSHOT_CAP = 128 * 1024 * 1024
"""What a plain job's box may hold after its compile to be restored before each further run."""
FETCH_CAP = 16 * 1024 * 1024
"""Bytes of ``fetch`` files read back after a plain run (a file over what is left is not returned)."""
SNAPSHOT_SKIP = (".gocache",)
"""Build caches left out of a plain job's snapshot: only its compile used them."""


class WorkerFault(Exception):
    """The worker's own machinery failed (the zygote died, a fork failed): the host retries elsewhere."""


class Config:
    """Set by the first stdin line. ``uid`` None means the unsafe local mode (no uid switch)."""

    def __init__(self, raw):
        self.uid = raw.get("uid")
        self.gid = raw.get("gid", self.uid)
        self.box = raw["box"]
        self.tmp = raw.get("tmp", self.box)
        self.wipe = list(raw.get("wipe", [self.box]))
        self.nproc = raw.get("nproc", 64)
        self.zygote_source = raw["zygote"]
        self.env = {"PATH": "/usr/bin:/bin", "HOME": self.box, "TMPDIR": self.tmp, "LANG": "C.UTF-8"}
        self.empty_inodes = _free_inodes(self.wipe)


def _free_inodes(paths):
    """Free inodes of each (tmpfs) directory: equal to the empty state's count means it holds nothing.

    ``statvfs`` needs no permission on the directory, so the worker (root without CAP_DAC_OVERRIDE)
    can tell an untouched box from a used one without forking a helper as the job uid."""
    counts = []
    for path in paths:
        try:
            usage = os.statvfs(path)
        except OSError:
            counts.append(None)
            continue
        # gVisor's tmpfs counts no inodes (f_files and f_ffree are 0 whatever it holds): no evidence,
        # so the job is always wiped there
        counts.append(usage.f_ffree if usage.f_files else None)
    return counts


class Zygote:
    """The fork server process and its control socket."""

    def __init__(self, config):
        self.config = config
        self.start()

    def start(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        self.process = subprocess.Popen(
            [PYTHON, "-I", "-S", "-c", self.config.zygote_source, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        theirs.close()

    def restart(self):
        self.close()
        self.start()

    def close(self):
        self.control.close()
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.wait()

    def spawn(self, request, fds):
        try:
            socket.send_fds(self.control, [json.dumps(request).encode()], fds)
            return self.receive()["pid"]
        except (OSError, KeyError, ValueError) as exc:
            raise WorkerFault("zygote failed to spawn: " + repr(exc)) from exc

    def receive(self, timeout=None):
        self.control.settimeout(timeout)
        try:
            data = self.control.recv(1 << 16)
        except OSError as exc:
            raise WorkerFault("zygote did not answer: " + repr(exc)) from exc
        if not data:
            raise WorkerFault("zygote exited")
        return json.loads(data)


def as_job_user(config, action):
    """Run ``action`` in a forked helper with the job's uid (signals and files need the owner)."""
    for attempt in range(50):
        try:
            pid = os.fork()
            break
        except BlockingIOError:  # the process table is full of the job's processes: they die soon
            time.sleep(0.01 * (attempt + 1))
    else:
        raise WorkerFault("cannot fork a cleanup helper")
    if pid == 0:
        code = 0
        try:
            if config.uid is not None:
                os.setgroups([])
                os.setgid(config.gid)
                os.setuid(config.uid)
            action()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def job_user_bytes(config, produce):
    """``produce()`` run in a helper with the job's uid (after every process of the job is killed);
    returns the bytes it made, or raises ``WorkerFault``."""
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        raise WorkerFault("cannot fork a job helper") from exc
    if pid == 0:
        code = 0
        try:
            os.close(read_end)
            if config.uid is not None:
                os.setgroups([])
                os.setgid(config.gid)
                os.setuid(config.uid)
                _kill_everything(config)
            data = memoryview(produce())
            while len(data):
                data = data[os.write(write_end, data[: 1 << 20]) :]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    with open(read_end, "rb", closefd=True) as pipe:
        while chunk := pipe.read(1 << 20):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        raise WorkerFault("a job helper failed")
    return b"".join(chunks)


def _pack(entries):
    """(path, mode, bytes) entries as one byte string (lengths first: no parsing of what a program wrote)."""
    out = bytearray()
    for path, mode, data in entries:
        name = path.encode("utf-8", "surrogateescape")
        out += struct.pack(">IIQ", len(name), mode, len(data)) + name + data
    return bytes(out)


def _unpack(blob):
    entries, at = [], 0
    while at < len(blob):
        size, mode, length = struct.unpack_from(">IIQ", blob, at)
        at += 16
        name = blob[at : at + size].decode("utf-8", "surrogateescape")
        at += size
        entries.append((name, mode, blob[at : at + length]))
        at += length
    return entries


def _box_path(config, relative):
    """``relative`` inside the box, or ValueError (absolute, ``..``, empty parts)."""
    parts = relative.split("/")
    if not relative or relative.startswith("/") or "\0" in relative or any(p in ("", ".", "..") for p in parts):
        raise ValueError("bad file path: " + relative[:100])
    return os.path.join(config.box, *parts)


def _write_blobs(config, blobs):
    """Write a plain job's extra files (``{relative path: bytes}``) into the box as the job user."""

    def write():
        for relative, data in blobs.items():
            path = _box_path(config, relative)
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with open(fd, "wb") as handle:
                handle.write(data)
        return b""

    job_user_bytes(config, write)


def _snapshot(config):
    """Every regular file in the box after a compile, to restore before each further run of a plain job."""

    def collect():
        entries, total = [], 0
        for top, directories, names in os.walk(config.box):
            directories[:] = [d for d in directories if d not in SNAPSHOT_SKIP]
            for name in names:
                path = os.path.join(top, name)
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
                with open(fd, "rb") as handle:
                    info = os.fstat(handle.fileno())
                    data = handle.read(SNAPSHOT_CAP - total + 1)
                total += len(data)
                if total > SNAPSHOT_CAP:
                    raise ValueError("the compiled program is too large to restore")
                entries.append((os.path.relpath(path, config.box), info.st_mode & 0o777, data))
        return _pack(entries)

    return _unpack(job_user_bytes(config, collect))


def _restore(config, snapshot):
    """A fresh box for the next run of a plain job: every process killed, every writable place wiped,
    the compiled files put back. Runs merged into one job (same program, same limits) from separate
    requests therefore never see each other's files."""

    def restore():
        _wipe_directories(config.wipe)()
        for relative, mode, data in snapshot:
            path = os.path.join(config.box, relative)
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
            with open(fd, "wb") as handle:
                handle.write(data)
        return b""

    job_user_bytes(config, restore)


def _fetch(config, paths):
    """The files a plain run asked for, read without following links, within ``FETCH_CAP`` in all."""

    def read():
        entries, total = [], 0
        for relative in paths:
            try:
                path = _box_path(config, relative)
                if os.path.realpath(os.path.dirname(path)) != os.path.dirname(path):
                    continue  # a directory on the way is a link
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except (OSError, ValueError):
                continue
            with open(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    continue
                data = handle.read(FETCH_CAP - total + 1)
            if total + len(data) > FETCH_CAP:
                continue
            total += len(data)
            entries.append((relative, 0, data))
        return _pack(entries)

    return {name: data for name, _, data in _unpack(job_user_bytes(config, read))}


def plain_python_payload(config, recipe):
    """What the zygote needs to run a plain Python program as ``python3 main.py`` would, and to give
    each further run of the job a fresh box (the program's files, the extra files, what to wipe)."""
    files = {
        name: base64.b64encode(text.encode("utf-8", "surrogateescape")).decode()
        for name, text in recipe["files"].items()
    }
    files.update(recipe["plain"].get("blobs") or {})
    main = os.path.join(config.box, next(iter(recipe["files"])))
    args = list(recipe["run"][2:])  # python3 main.py ARGS
    return {"kind": "plain", "path": main, "args": args, "files": files, "wipe": config.wipe, "box": config.box}


def _kill_everything(config):
    """In the helper: SIGKILL every process of this uid until none is alive.

    ``kill(-1)`` reports success whenever the namespace holds other processes, even ones it may not
    signal, so the loop ends on a scan of ``/proc`` instead of on ``ESRCH``.
    """
    me = os.getpid()
    for attempt in range(2000):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:  # gVisor: none to signal (Linux reports success while others exist)
            pass
        if not [pid for pid in _job_processes(config) if pid != me]:
            return
        time.sleep(0.0005 if attempt < 100 else 0.005)


def _job_processes(config, session=None):
    """Live (non-zombie) processes of the job: by uid when isolated, by session in local mode."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if config.uid is not None and os.stat("/proc/" + entry).st_uid != config.uid:
                continue
            with open("/proc/" + entry + "/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        state, sid = fields[0], int(fields[3])
        if state in (b"Z", b"X"):
            continue
        if config.uid is None and sid != session:
            continue
        found.append(int(entry))
    return found


def kill_job(config, session=None):
    """Kill every process of the job; True when none is left."""
    if config.uid is not None:
        as_job_user(config, lambda: _kill_everything(config))
    elif session is not None:
        for _ in range(200):
            try:
                os.killpg(session, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.0005)
    for _ in range(100):
        if not _job_processes(config, session):
            return True
        time.sleep(0.01)
    return False


def _wipe_directories(paths):
    def wipe():
        for top in paths:
            try:
                entries = os.listdir(top)
            except OSError:
                continue
            for name in entries:
                _remove(os.path.join(top, name))

    return wipe


def _remove(path):
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            _remove(os.path.join(path, name))
        os.rmdir(path)
    except OSError:
        pass


def wipe_job(config):
    """Kill what is left and empty the writable directories, as the job uid.

    Skipped when no process of the job is alive and every directory is as empty as at start-up
    (most Python jobs write nothing): the helper's fork is the largest cost of a short job."""
    dedicated = config.uid is not None  # a host directory's inode count moves with the whole host
    untouched = None not in config.empty_inodes and _free_inodes(config.wipe) == config.empty_inodes
    if dedicated and untouched and not _job_processes(config):
        return

    def action():
        if config.uid is not None:
            _kill_everything(config)
        _wipe_directories(config.wipe)()

    as_job_user(config, action)


def _limits(config, time_s, memory_mb, output_bytes):
    cpu = max(1, math.ceil(time_s))
    limits = {
        "RLIMIT_CPU": [cpu, cpu + 1],
        "RLIMIT_AS": memory_mb * 1024 * 1024,
        "RLIMIT_FSIZE": max(output_bytes, 16 * 1024 * 1024),
        "RLIMIT_NOFILE": 256,
        "RLIMIT_CORE": 0,
        "RLIMIT_STACK": [min(memory_mb, 64) * 1024 * 1024, min(memory_mb, 64) * 1024 * 1024],
    }
    if config.uid is not None:
        limits["RLIMIT_NPROC"] = config.nproc
    return limits


class Run:
    """One process: its pipes, what it wrote, and how it ended."""

    def __init__(self):
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.events = bytearray()
        self.report = None
        self.wall_timeout = False
        self.output_limit = False
        self.elapsed_s = 0.0


def execute(
    config,
    zygote,
    *,
    mode,
    argv=None,
    payload=b"",
    stdin=b"",
    time_s,
    memory_mb,
    output_bytes,
    env=None,
    file_bytes=0,
    wall_s=None,
):
    """Spawn one run through the zygote and see it to its end; returns the finished ``Run``.

    ``wall_s`` replaces the wall-time backstop (twice the CPU limit) where a caller's limit is wall time."""
    pipes = [os.pipe2(os.O_CLOEXEC) for _ in range(5)]  # stdin, stdout, stderr, payload, events
    child_ends = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][0], pipes[4][1]]
    request = {
        "mode": mode,
        "argv": argv,
        "uid": config.uid,
        "gid": config.gid,
        "cwd": config.box,
        "env": {**config.env, **(env or {})},
        "limits": _limits(config, time_s, memory_mb, max(output_bytes, file_bytes)),
    }
    run = Run()
    started = time.monotonic()
    try:
        pid = zygote.spawn(request, child_ends)
    finally:
        for fd in child_ends:
            os.close(fd)
    writers = {pipes[0][1]: memoryview(stdin), pipes[3][1]: memoryview(payload)}
    readers = {pipes[1][0]: run.stdout, pipes[2][0]: run.stderr, pipes[4][0]: run.events}
    caps = {pipes[1][0]: output_bytes, pipes[2][0]: STDERR_CAP, pipes[4][0]: EVENTS_CAP}
    selector = selectors.DefaultSelector()
    for fd in list(writers) + list(readers):
        os.set_blocking(fd, False)
    for fd, data in list(writers.items()):
        if len(data):
            selector.register(fd, selectors.EVENT_WRITE)
        else:
            os.close(fd)
            del writers[fd]
    for fd in readers:
        selector.register(fd, selectors.EVENT_READ)
    selector.register(zygote.control, selectors.EVENT_READ)
    wall = wall_s if wall_s else max(2 * time_s, time_s + 1.0)
    deadline = started + wall
    killed = False
    leftovers_killed = False
    # The run ends when its process has exited and was reaped (the zygote's report), never earlier:
    # complete output does not end it, and a thread that never ends keeps it running into the CPU
    # limit or the wall backstop (``timeout``). Once it is reaped, all it wrote is in the pipes, which
    # are drained without waiting. A pipe still open then is held by a process it left behind (a
    # forked child): not the program, which has terminated, so it is killed at once, as a judge ends
    # the box when the program exits. A leftover that keeps writing is killed after ``DRAIN_S``.
    try:
        while readers or writers or run.report is None:
            now = time.monotonic()
            if run.report is not None:
                if not leftovers_killed and now >= deadline:
                    kill_job(config, pid)
                    leftovers_killed = True
                    deadline = time.monotonic() + DRAIN_S
                timeout = max(0.0, deadline - time.monotonic()) if leftovers_killed else 0.0
            elif now >= deadline:
                if killed:
                    raise WorkerFault("a killed run was never reaped")
                run.wall_timeout = True
                kill_job(config, pid)
                killed = True
                deadline = now + ZYGOTE_REPLY_S
                continue
            else:
                timeout = deadline - now
            ready = selector.select(timeout)
            if not ready and run.report is not None:
                if leftovers_killed:
                    if time.monotonic() >= deadline:
                        break  # a holder survived the kill: the job is then reported unhealthy
                else:
                    deadline = now  # all read, yet a pipe is open: a leftover holds it (killed next)
                continue
            for key, _ in ready:
                fd = key.fd
                if key.fileobj is zygote.control:
                    run.report = zygote.receive(ZYGOTE_REPLY_S)
                    selector.unregister(zygote.control)
                    deadline = time.monotonic() + DRAIN_S
                elif fd in writers:
                    data = writers[fd]
                    try:
                        written = os.write(fd, data[: 1 << 16])
                        writers[fd] = data = data[written:]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        data = data[:0]
                    if not len(data):
                        selector.unregister(fd)
                        os.close(fd)
                        del writers[fd]
                else:
                    try:
                        chunk = os.read(fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(fd)
                        os.close(fd)
                        del readers[fd]
                        continue
                    sink = readers[fd]
                    room = caps[fd] - len(sink)
                    sink += chunk[: max(room, 0)]
                    if len(chunk) > room and fd == pipes[1][0] and not killed:
                        run.output_limit = True
                        kill_job(config, pid)
                        killed = True
    finally:
        selector.close()
        for fd in list(writers) + list(readers):
            os.close(fd)
    if run.report is None:
        run.report = zygote.receive(ZYGOTE_REPLY_S)
    run.elapsed_s = time.monotonic() - started
    return run


def _events(run):
    found = []
    for line in bytes(run.events).splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            found.append(event)
    return found


def _status(run, time_s, events):
    report = run.report
    if run.output_limit:
        return "output_limit"
    cpu_limit_hit = report["signal"] == signal.SIGXCPU or (
        report["signal"] == signal.SIGKILL and report["cpu_s"] >= math.ceil(time_s) - 0.05
    )
    if run.wall_timeout or report["cpu_s"] > time_s or cpu_limit_hit:
        return "timeout"
    if any(e.get("event") == "compile_error" for e in events):
        return "compile_error"
    if any(e.get("event") == "exception" and e.get("type") == "MemoryError" for e in events):
        return "memory"
    if b"std::bad_alloc" in run.stderr:
        return "memory"
    if report["signal"] is not None or report["exit_code"] != 0:
        return "runtime_error"
    return "ok"


def same_json(actual, expected, tolerance=1e-9):
    """JSON-form equality; numbers compare by value (with a relative tolerance for floats), bools apart."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return actual == expected
        return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(actual) == len(expected) and all(
            same_json(a, e, tolerance) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(same_json(actual[k], expected[k], tolerance) for k in expected)
    return type(actual) is type(expected) and actual == expected


def _describe(run, status, time_s):
    report = run.report
    return {
        "status": status,
        "exit_code": report["exit_code"],
        "signal": report["signal"],
        "cpu_ms": round(report["cpu_s"] * 1000, 2),
        "wall_ms": round(run.elapsed_s * 1000, 2),
        "max_rss_kb": report["max_rss_kb"],
        "stderr": bytes(run.stderr[-2000:]).decode("utf-8", "replace"),
    }


def _write_files(config, files):
    """Write the job's source files into the box as the job user (the box is the job's, mode 0700)."""

    def write():
        for name, text in files.items():
            if "/" in name or name.startswith("."):
                raise ValueError("bad file name")
            with open(os.path.join(config.box, name), "w", encoding="utf-8") as handle:
                handle.write(text)

    if not as_job_user(config, write):
        raise WorkerFault("cannot write the job's files")


def _compile_report(run):
    return {
        "ok": run.report["exit_code"] == 0 and not run.wall_timeout,
        "exit_code": run.report["exit_code"],
        "timed_out": run.wall_timeout,
        "wall_ms": round(run.elapsed_s * 1000, 2),
        "stderr": (bytes(run.stderr) + bytes(run.stdout))[-4000:].decode("utf-8", "replace"),
    }


_FAILURE_WORDS = ("Assertion", "assert", "Error", "panicked", "FAIL", "Exception", "error")


def _failure_line(output):
    """The line that says why a test run failed (an assertion, a panic), else the output's tail."""
    text = output.decode("utf-8", "replace")
    for line in text.splitlines():
        if any(word in line for word in _FAILURE_WORDS) and not line.lstrip().startswith("at "):
            return line.strip()[:300]
    return text[-300:].strip()


def handle_recipe_job(config, zygote, job):
    """A job of any language the host describes (files, compile and run commands, memory policy); a
    run passes an ``assert`` test only when it exits cleanly having printed this run's token on a line
    (printed after its last test: Rust's test harness prints its summary after it)."""
    recipe = job["recipe"]
    limits = job["limits"]
    time_s = limits["time_s"] * recipe.get("time_factor", 1.0)
    memory_mb, output_bytes = limits["memory_mb"], limits["output_bytes"]
    answer = {"id": job.get("id"), "runs": [], "compile": None}
    tool = recipe.get("tool") or (recipe["compile"] or recipe["run"])[0]
    if not os.path.exists(tool):
        answer["unavailable"] = "this sandbox image has no " + job["language"] + " toolchain (" + tool + ")"
        return answer
    _write_files(config, recipe["files"])
    plain = recipe.get("plain")
    if plain and plain.get("blobs"):
        _write_blobs(config, {name: base64.b64decode(data) for name, data in plain["blobs"].items()})
    env = dict(recipe.get("env") or {})
    if recipe["compile"]:
        compile_s = min(float(plain.get("compile_time_s") or COMPILE_TIME_S), COMPILE_TIME_S) if plain else None
        run = execute(
            config,
            zygote,
            mode="exec",
            argv=recipe["compile"],
            time_s=compile_s or COMPILE_TIME_S,
            wall_s=compile_s,
            memory_mb=COMPILE_MEMORY_MB,
            output_bytes=1 << 20,
            env=env,
            file_bytes=COMPILE_FILE_BYTES,
        )
        answer["compile"] = _compile_report(run)
        if not answer["compile"]["ok"]:
            return answer
    # Plain Python forks from the zygote and sets its box up afresh itself; others are restored from
    # a snapshot taken after the compile.
    forked = plain_python_payload(config, recipe) if plain and plain.get("python") else None
    snapshot = _snapshot(config) if plain and forked is None and len(job["cases"]) > 1 else None
    for index, case in enumerate(job["cases"]):
        if snapshot is not None and index:
            _restore(config, snapshot)
        token = secrets.token_hex(16)
        stdin = case.get("stdin", "").encode("utf-8", "replace") if job["kind"] == "stdio" else b""
        run_env = {**env, "REFEREE_TOKEN": token} if recipe.get("token") else env
        run = execute(
            config,
            zygote,
            mode="python" if forked else "exec",
            payload=json.dumps({**forked, "fresh": index > 0}).encode() if forked else b"",
            argv=None if forked else recipe["run"],
            stdin=stdin,
            time_s=time_s,
            memory_mb=memory_mb + recipe.get("headroom_mb", 0),
            output_bytes=output_bytes,
            env=run_env,
            wall_s=limits.get("wall_s"),
        )
        status = _status(run, time_s, [])
        stderr = bytes(run.stderr)
        peak_kb = run.report["max_rss_kb"]
        over_rss = recipe.get("rss_check") and peak_kb > memory_mb * 1024
        exhausted = status == "runtime_error" and peak_kb >= 0.9 * memory_mb * 1024  # a failed allocation
        if status not in ("timeout", "output_limit") and (
            over_rss or exhausted or any(p.encode() in stderr for p in recipe.get("memory_errors", []))
        ):
            status = "memory"
        outcome = _describe(run, status, time_s)
        stdout = bytes(run.stdout).decode("utf-8", "replace")
        if plain:
            outcome["stderr"] = bytes(run.stderr).decode("utf-8", "replace")
            if plain.get("fetch"):
                fetched = _fetch(config, plain["fetch"])
                outcome["files"] = {name: base64.b64encode(data).decode() for name, data in fetched.items()}
        if job["kind"] == "stdio":
            outcome["stdout"] = stdout
        else:
            outcome["passed"] = status == "ok" and token in (line.strip() for line in stdout.splitlines())
            if status == "ok" and not outcome["passed"]:
                message = "the program ended before its tests did (no completion token)"
                outcome["error"] = {"event": "exception", "type": "NoVerdict", "message": message}
            elif status == "runtime_error":
                message = _failure_line(bytes(run.stderr) + bytes(run.stdout))
                outcome["error"] = {"event": "exception", "type": "AssertionError", "message": message}
        answer["runs"].append(outcome)
        if job.get("stop_on_failure") and (status != "ok" or not outcome.get("passed", True)):
            break
    return answer


def handle_job(config, zygote, job):
    """Compile once when needed, then one run per case; never raises for the program's failures."""
    if job.get("recipe"):
        return handle_recipe_job(config, zygote, job)
    limits = job["limits"]
    time_s, memory_mb, output_bytes = limits["time_s"], limits["memory_mb"], limits["output_bytes"]
    language, kind = job["language"], job["kind"]
    answer = {"id": job.get("id"), "runs": [], "compile": None}
    source = job["source"].encode("utf-8", "replace")
    if language in COMPILE:
        binary = os.path.join(config.box, "solution")
        run = execute(
            config,
            zygote,
            mode="exec",
            argv=COMPILE[language] + [binary],
            stdin=source,
            time_s=COMPILE_TIME_S,
            memory_mb=COMPILE_MEMORY_MB,
            output_bytes=1 << 20,
        )
        answer["compile"] = _compile_report(run)
        if not answer["compile"]["ok"]:
            return answer
    for case in job["cases"]:
        token = secrets.token_hex(16)
        if language in COMPILE:
            mode, argv, payload = "exec", [os.path.join(config.box, "solution")], b""
        else:
            mode, argv = "python", None
            body = {"kind": kind, "source": job["source"]}
            if kind == "call":
                body.update(entry_point=job["entry_point"], args=case["args"])
            elif kind == "assert":
                body.update(test=case["code"], token=token)
            payload = json.dumps(body).encode()
        stdin = case.get("stdin", "").encode("utf-8", "replace") if kind == "stdio" else b""
        run = execute(
            config,
            zygote,
            mode=mode,
            argv=argv,
            payload=payload,
            stdin=stdin,
            time_s=time_s,
            memory_mb=memory_mb,
            output_bytes=output_bytes,
        )
        events = _events(run)
        status = _status(run, time_s, events)
        outcome = _describe(run, status, time_s)
        if kind == "stdio":
            outcome["stdout"] = bytes(run.stdout).decode("utf-8", "replace")
        elif kind == "call":
            values = [e for e in events if e.get("event") == "value"]
            outcome["passed"] = (
                status == "ok" and len(values) == 1 and same_json(values[0].get("json"), case["expected"])
            )
            if values:
                outcome["value"] = json.dumps(values[-1].get("json"))[:500]
        else:
            outcome["passed"] = status == "ok" and any(
                e.get("event") == "done" and e.get("token") == token for e in events
            )
        failure = [e for e in events if e.get("event") in ("exception", "missing", "compile_error")]
        if failure and status != "ok" or failure and not outcome.get("passed", True):
            outcome["error"] = failure[-1]
        elif kind != "stdio" and status == "ok" and not outcome["passed"]:
            if "value" in outcome:
                expected = json.dumps(case["expected"])[:200]
                error = {"type": "WrongAnswer", "message": f"returned {outcome['value'][:200]}, expected {expected}"}
            else:
                error = {"type": "NoVerdict", "message": "the program exited before the tests finished"}
            outcome["error"] = {"event": "exception", **error}
        answer["runs"].append(outcome)
        if job.get("stop_on_failure") and (status != "ok" or not outcome.get("passed", True)):
            break
        if status == "compile_error":
            break
    return answer


def main():
    config = Config(json.loads(sys.stdin.readline()))
    zygote = Zygote(config)
    out = sys.stdout
    out.write(json.dumps({"ready": True, "pid": os.getpid(), "python": sys.version.split()[0]}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        started = time.monotonic()
        try:
            job = json.loads(line)
        except ValueError as exc:
            out.write(json.dumps({"fault": "bad job line: " + str(exc)}) + "\n")
            out.flush()
            continue
        try:
            answer = handle_job(config, zygote, job)
            wipe_job(config)
            answer["healthy"] = not _job_processes(config)
        except WorkerFault as exc:
            answer = {"id": job.get("id"), "fault": str(exc)}
            kill_job(config)
            zygote.restart()
        except (KeyError, TypeError, ValueError) as exc:
            answer = {"id": job.get("id"), "fault": "malformed job: " + repr(exc)}
        answer["elapsed_ms"] = round((time.monotonic() - started) * 1000, 2)
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
