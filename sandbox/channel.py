"""A line-oriented link to one running ``worker.py``: a hardened container, or a local subprocess.

Both speak the same protocol: the host writes a configuration line, reads ``{"ready": ...}``, then
writes one job per line and reads one answer per line. ``receive`` takes a deadline; a worker that
misses it, or whose stream ends, raises ``WorkerCrashed`` and is discarded by the pool.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from graders.errors import WorkerCrashed

__all__ = ["Channel", "ProcessChannel", "SocketChannel", "worker_source", "zygote_source"]

_HERE = Path(__file__).resolve().parent
MAX_LINE = 512 * 1024 * 1024


def worker_source() -> str:
    return (_HERE / "worker.py").read_text(encoding="utf-8")


def zygote_source() -> str:
    return (_HERE / "zygote.py").read_text(encoding="utf-8")


class _LineBuffer:
    def __init__(self) -> None:
        self.data = bytearray()

    def pop_line(self) -> bytes | None:
        end = self.data.find(b"\n")
        if end < 0:
            if len(self.data) > MAX_LINE:
                raise WorkerCrashed("worker answer too long")
            return None
        line = bytes(self.data[:end])
        del self.data[: end + 1]
        return line


class Channel(ABC):
    """One worker. Not thread-safe: the pool hands it to one thread at a time."""

    name: str
    jobs_done: int = 0
    lines: _LineBuffer

    def request(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self.send((json.dumps(message) + "\n").encode())
        return self.receive(time.monotonic() + timeout_s)

    @abstractmethod
    def send(self, data: bytes) -> None: ...

    def receive(self, deadline: float) -> dict[str, Any]:
        """The worker's next JSON line; ``WorkerCrashed`` when it is gone or misses the deadline."""
        while True:
            line = self.lines.pop_line()
            if line is not None:
                return _decode(line, self.name)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerCrashed(f"worker {self.name} missed its deadline", where=self.name)
            ready, _, _ = select.select([self._readable()], [], [], remaining)
            if ready:
                self._read_more()

    @abstractmethod
    def _readable(self) -> Any:
        """What ``select`` waits on for the worker's output."""

    @abstractmethod
    def _read_more(self) -> None:
        """Read what is there into ``self.lines``; ``WorkerCrashed`` at end of stream."""

    @abstractmethod
    def close(self) -> None:
        """Stop the worker and free what it holds; never raises."""


def _decode(line: bytes, name: str) -> dict[str, Any]:
    try:
        answer = json.loads(line)
    except ValueError as exc:
        raise WorkerCrashed(f"worker {name} sent garbage: {line[:200]!r}", where=name) from exc
    if not isinstance(answer, dict):
        raise WorkerCrashed(f"worker {name} sent a non-object", where=name)
    return answer


class SocketChannel(Channel):
    """A container's attached stdin/stdout: Docker multiplexes stdout and stderr in 8-byte-header frames."""

    def __init__(self, name: str, sock: socket.socket) -> None:
        self.name = name
        self.sock = sock
        self.raw = bytearray()
        self.lines = _LineBuffer()
        self.stderr_tail = bytearray()

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise WorkerCrashed(f"cannot write to worker {self.name}: {exc}", where=self.name) from exc

    def _demultiplex(self) -> None:
        while len(self.raw) >= 8:
            stream, size = self.raw[0], struct.unpack(">I", self.raw[4:8])[0]
            if len(self.raw) < 8 + size:
                return
            payload = self.raw[8 : 8 + size]
            del self.raw[: 8 + size]
            if stream == 1:
                self.lines.data += payload
            else:
                self.stderr_tail = (self.stderr_tail + payload)[-4000:]

    def _readable(self) -> Any:
        return self.sock

    def _read_more(self) -> None:
        try:
            chunk = self.sock.recv(1 << 20)
        except OSError as exc:
            raise WorkerCrashed(f"worker {self.name} connection failed: {exc}", where=self.name) from exc
        if not chunk:
            tail = self.stderr_tail.decode("utf-8", "replace")[-500:]
            raise WorkerCrashed(f"worker {self.name} exited; stderr: {tail}", where=self.name)
        self.raw += chunk
        self._demultiplex()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ProcessChannel(Channel):
    """A worker running as a plain host subprocess (the unsafe local backend)."""

    def __init__(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.process = process
        self.lines = _LineBuffer()
        assert process.stdin is not None and process.stdout is not None
        self._in = process.stdin
        self._out = process.stdout

    def send(self, data: bytes) -> None:
        try:
            self._in.write(data)
            self._in.flush()
        except OSError as exc:
            raise WorkerCrashed(f"cannot write to worker {self.name}: {exc}", where=self.name) from exc

    def _readable(self) -> Any:
        return self._out.fileno()

    def _read_more(self) -> None:
        chunk = os.read(self._out.fileno(), 1 << 20)
        if not chunk:
            raise WorkerCrashed(f"worker {self.name} exited ({self.process.poll()})", where=self.name)
        self.lines.data += chunk

    def close(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
