"""Grader processes that start clean, whatever the calling process holds.

A forked worker inherits its caller's whole address space: inside a trainer (torch, CUDA's huge
reserved mappings) a memory limit on the worker would be spent before the first item, and ordinary
answers would crash. So grader workers come from Referee's own fork server: a fresh interpreter
(started with ``exec``, not ``fork``) that has imported the grader modules once and forks a worker
per request, cheaply. Two differences from the standard library's ``forkserver`` start method:

- the server is Referee's own, so a caller that uses ``forkserver`` itself keeps its settings;
- a worker does not re-import the caller's ``__main__`` (a trainer's script would import torch, or
  worse, start training, in every grader process).

The memory limit counts the worker's own growth: its address space is measured after warm-up and
the budget is added on top (``cap_growth``).
"""

from __future__ import annotations

import io
import multiprocessing.context
import os
import resource
import threading
from multiprocessing import forkserver, popen_forkserver, spawn, util
from multiprocessing.context import reduction, set_spawning_popen  # type: ignore[attr-defined]
from typing import Any

__all__ = ["PRELOADED_MODULES", "address_space_bytes", "cap_growth", "grader_context"]

PRELOADED_MODULES = ("graders.math", "graders.spec", "service.engine")
"""Imported once in the fork server, so a new grader worker costs a fork, not these imports."""

_server: forkserver.ForkServer | None = None
_server_lock = threading.Lock()


def _fork_server() -> forkserver.ForkServer:
    global _server
    with _server_lock:
        if _server is None:
            _server = forkserver.ForkServer()
            _server.set_forkserver_preload(list(PRELOADED_MODULES))
        return _server


class _CleanPopen(popen_forkserver.Popen):
    """The standard forkserver launch, through Referee's server and without the caller's main module."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        server = _fork_server()
        self.sentinel, w = server.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        parent_w = os.dup(w)  # the child's sentinel of its parent, as in the standard library
        self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))  # type: ignore[attr-defined]
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _CleanProcess(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _CleanPopen:  # noqa: N802 - the multiprocessing hook's name
        return _CleanPopen(process_obj)


class _CleanContext(multiprocessing.context.ForkServerContext):
    Process = _CleanProcess


_CONTEXT = _CleanContext()


def grader_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context for grader pools (pebble's ``context=``)."""
    return _CONTEXT


def address_space_bytes() -> int:
    """This process's virtual address space now (``/proc/self/statm``'s first field)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def cap_growth(budget_mb: int) -> int:
    """Limit this process's address space to what it holds now plus ``budget_mb``; returns the limit."""
    limit = address_space_bytes() + budget_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit
