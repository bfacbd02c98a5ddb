"""Fork server for test runs. Runs inside the sandbox, stdlib only, started by ``worker.py``.

Why a separate process: starting Python costs tens of milliseconds, forking a warm one about one.
The worker holds secrets (expected values, completion tokens); this process never sees them, so a
forked child inherits nothing worth stealing. Each request arrives on a Unix socket with the run's
file descriptors; the zygote forks, the child drops to the job uid, sets its rlimits and either
``exec``s a binary or runs the Python harness below, followed by what interpreter shutdown does
before a process can exit (non-daemon threads joined, ``atexit`` callbacks). The zygote reports the
pid, then the exit status and resource usage. It never kills: the worker does that as the job uid.

Child fds: 0 stdin, 1 stdout, 2 stderr, 3 the payload (JSON: source, token, test, args), 4 events.
"""

import array
import ast
import atexit
import base64
import bisect
import builtins
import collections
import copy
import datetime
import decimal
import fractions
import functools
import hashlib
import heapq
import io
import itertools
import json
import math
import operator
import os
import random
import re
import resource
import signal
import socket
import statistics
import string
import sys
import time
import traceback
import types
import typing

# Python's scientific stack, from the image's Debian packages (python3 -I -S leaves dist-packages off
# the path). One thread each: the job uid has 64 processes, and BLAS pools would bill CPU time.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = "1"
if os.path.isdir("/usr/lib/python3/dist-packages") and "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")
try:
    import numpy
except ImportError:  # an image without the scientific stack
    numpy = None

SCIENTIFIC = ("numpy",)
"""Preloaded before any run when the image has them (imported by most harnesses that use any)."""

PRELOADED = (
    array,
    bisect,
    collections,
    copy,
    datetime,
    decimal,
    fractions,
    functools,
    hashlib,
    heapq,
    itertools,
    json,
    math,
    operator,
    random,
    re,
    statistics,
    string,
    typing,
    *((numpy,) if numpy is not None else ()),
)
"""Imported once here so that runs do not pay for them; tests get pristine copies of them."""

_PRISTINE_BUILTINS = types.MappingProxyType(dict(builtins.__dict__))
_PRISTINE_MODULES = {}
for _module in PRELOADED:
    _copy = types.ModuleType(_module.__name__)
    _copy.__dict__.update(_module.__dict__)
    _PRISTINE_MODULES[_module.__name__] = _copy
_REAL_IMPORT = builtins.__import__
_MODULES = sys.modules
"""The interpreter's own module table, which its shutdown consults (the program may rebind ``sys.modules``)."""

_PLAIN_TYPES = frozenset(
    {
        int,
        float,
        complex,
        str,
        bytes,
        bool,
        type(None),
        list,
        tuple,
        dict,
        set,
        frozenset,
        range,
        collections.OrderedDict,
        collections.defaultdict,
        collections.deque,
        decimal.Decimal,
    }
)
"""Built-in (static C) types only: their comparison cannot be patched by the program."""
_SCALARS = frozenset({int, float, complex, str, bytes, bool, type(None), range, decimal.Decimal})
_ARRAY = None
if numpy is not None:  # numpy's scalar and array types are static C types too (not their subclasses)
    _NUMPY_SCALARS = frozenset(
        t for t in set(numpy.sctypeDict.values()) | {numpy.bool_} if t is not numpy.object_ and t.__module__ == "numpy"
    )
    _PLAIN_TYPES = _PLAIN_TYPES | _NUMPY_SCALARS | {numpy.ndarray}
    _SCALARS = _SCALARS | _NUMPY_SCALARS
    _ARRAY = numpy.ndarray
_MAPPINGS = frozenset({dict, collections.OrderedDict, collections.defaultdict})
_COUNTER = collections.Counter
"""A Python class (its methods can be patched): compared as the plain dict it holds, never by its methods."""
_MAX_NODES = 2_000_000

_BLOCKED_EVENTS = frozenset(
    {
        "sys._getframe",
        "sys._current_frames",
        "sys.settrace",
        "sys.setprofile",
        "sys.addaudithook",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "code.__new__",
        "function.__new__",
        "cpython.PyInterpreterState_New",
        "cpython.run_interactivehook",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.exec",
        "os.system",
        "subprocess.Popen",
        "pty.spawn",
    }
)
_BLOCKED_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "gi_code"})
"""Attributes that lead to frames (where the harness keeps the token). ``__code__`` stays readable
(doctest and inspect read it); replacing a function's code is refused below."""
_BLOCKED_MODULES = ("ctypes", "_ctypes", "_testcapi", "_xxsubinterpreters", "_posixsubprocess")


def _audit(event, args, _frozenset=frozenset, _str=str, _realpath=os.path.realpath, _isinstance=isinstance):
    """Refuses what could read the harness's memory or frames (where the token lives)."""
    if event in _BLOCKED_EVENTS:
        raise ValueError("blocked in the sandbox: " + event)
    if event.startswith("ctypes."):
        raise ValueError("blocked in the sandbox: " + event)
    if event == "object.__getattr__" and args[1] in _BLOCKED_ATTRIBUTES:
        raise AttributeError("blocked in the sandbox: " + _str(args[1]))
    if event == "object.__setattr__" and args[1] == "__code__":
        raise AttributeError("blocked in the sandbox: setting __code__")
    if event == "import" and _isinstance(args[0], _str) and args[0].split(".")[0] in _BLOCKED_MODULES:
        raise ImportError("blocked in the sandbox: import " + args[0])
    if event in ("open", "os.chdir", "os.listdir", "os.scandir") and args and args[0] is not None:
        path = args[0]
        if _isinstance(path, int):
            return
        if _isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if _realpath(_str(path)).startswith("/proc"):
            raise PermissionError("blocked in the sandbox: /proc")


def _refuse_tracing(function):
    """Stands in for sys.settrace/setprofile: clearing (what doctest does) is fine, a tracer is not
    (it would see the harness's frames). The real functions stay blocked by the audit hook."""
    if function is not None:
        raise ValueError("blocked in the sandbox: tracing")


class _NotPlain(AssertionError):
    pass


def _check_plain(value, _type=type, _len=len, _plain=_PLAIN_TYPES, _scalars=_SCALARS, _maps=_MAPPINGS):
    """Raise unless ``value`` is built from built-in data types only (no patched ``__eq__``).

    Returns whether it holds a Counter, which must be thawed (``_thaw``) before it is compared."""
    stack = [value]
    seen = 0
    counters = False
    while stack:
        item = stack.pop()
        kind = _type(item)
        counter = kind is _COUNTER
        if kind not in _plain and not counter:
            raise _NotPlain("a value of type " + kind.__name__ + " is not plain data")
        counters |= counter
        seen += 1
        if seen > _MAX_NODES:
            raise _NotPlain("value too large to compare")
        if kind in _scalars:
            continue
        if kind is _ARRAY:  # an array of numbers holds nothing patchable; one of objects is walked
            if item.dtype.hasobject:
                stack.extend(item.ravel().tolist())
            continue
        if kind in _maps or counter:
            stack.extend(dict.keys(item))
            stack.extend(dict.values(item))
        else:
            stack.extend(item)
    return counters


def _thaw(value, drop_zero=False, _type=type):
    """A copy with every Counter replaced by a dict of its items (built-in types only, so the comparison
    runs no method the program could have patched). ``drop_zero``: Counter equality ignores zero counts."""
    kind = _type(value)
    if kind is _COUNTER:
        return {k: _thaw(v) for k, v in dict.items(value) if not (drop_zero and v == 0)}
    if kind is list:
        return [_thaw(v) for v in value]
    if kind is tuple:
        return tuple(_thaw(v) for v in value)
    if kind is collections.deque:
        return collections.deque(_thaw(v) for v in value)
    if kind is collections.OrderedDict:
        return collections.OrderedDict((k, _thaw(v)) for k, v in dict.items(value))
    if kind in _MAPPINGS:  # a defaultdict compares as the dict it holds
        return {k: _thaw(v) for k, v in dict.items(value)}
    return value


_COMPARATORS = types.MappingProxyType(
    {
        "Eq": operator.eq,
        "NotEq": operator.ne,
        "Lt": operator.lt,
        "LtE": operator.le,
        "Gt": operator.gt,
        "GtE": operator.ge,
        "In": lambda a, b: a in b,
        "NotIn": lambda a, b: a not in b,
    }
)


def _compare(ops, *operands, _check=_check_plain, _table=_COMPARATORS, _type=type):
    """A comparison chain that trusts built-in data only (``is`` needs no trust: identity is unforgeable)."""
    for index, op in enumerate(ops):
        left, right = operands[index], operands[index + 1]
        if op == "Is":
            outcome = left is right
        elif op == "IsNot":
            outcome = left is not right
        else:
            if _check(left) | _check(right):
                both = _type(left) is _COUNTER and _type(right) is _COUNTER and op in ("Eq", "NotEq")
                left, right = _thaw(left, both), _thaw(right, both)
            outcome = _table[op](left, right)
        if not outcome:
            return False
    return True


def _truth(value, _check=_check_plain, _bool=bool):
    if _check(value):
        value = _thaw(value)
    return _bool(value)


class _HardenTests(ast.NodeTransformer):
    """Route comparisons and truth tests of the test code through the trusted helpers above."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        ops = ast.Tuple([ast.Constant(type(op).__name__) for op in node.ops], ast.Load())
        call = ast.Call(ast.Name("__referee_compare__", ast.Load()), [ops, node.left, *node.comparators], [])
        return ast.copy_location(call, node)

    def _truth(self, node):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self._truth(node.operand)
            return ast.copy_location(ast.UnaryOp(ast.Not(), inner), node)
        if isinstance(node, ast.BoolOp):
            values = [self._truth(v) for v in node.values]
            return ast.copy_location(ast.BoolOp(node.op, values), node)
        node = self.visit(node)
        call = ast.Call(ast.Name("__referee_truth__", ast.Load()), [node], [])
        return ast.copy_location(call, node)

    def visit_Assert(self, node):
        if node.msg is not None:
            node.msg = self.visit(node.msg)
        node.test = self._truth(node.test)
        return node

    def visit_If(self, node):
        node.test = self._truth(node.test)
        node.body = [self.visit(s) for s in node.body]
        node.orelse = [self.visit(s) for s in node.orelse]
        return node

    visit_While = visit_If

    def visit_IfExp(self, node):
        node.test = self._truth(node.test)
        node.body = self.visit(node.body)
        node.orelse = self.visit(node.orelse)
        return node


def _test_import(name, globals=None, locals=None, fromlist=(), level=0, _pristine=_PRISTINE_MODULES):
    if level == 0 and name in _pristine:
        return _pristine[name]
    return _REAL_IMPORT(name, globals, locals, fromlist, level)


def _emit(event, _dumps=json.dumps, _write=os.write):
    data = (_dumps(event) + "\n").encode()
    while data:
        data = data[_write(4, data) :]


def _json_form(value, _check=_check_plain, _type=type, _float=float):
    """The JSON form of a returned value: tuples become lists, sets sorted lists, non-finite floats strings."""
    if _check(value):
        value = _thaw(value)

    def convert(item):
        kind = _type(item)
        if kind is float:
            return item if item == item and item not in (_float("inf"), _float("-inf")) else repr(item)
        if kind in (list, tuple, collections.deque):
            return [convert(v) for v in item]
        if kind in (set, frozenset):
            converted = [convert(v) for v in item]
            try:
                return sorted(converted)
            except TypeError:
                return sorted(converted, key=repr)
        if kind in _MAPPINGS:
            return {k if _type(k) is str else json.dumps(convert(k)): convert(v) for k, v in item.items()}
        if kind in (complex, bytes, range, decimal.Decimal):
            return repr(item)
        if kind is _ARRAY:
            return convert(item.tolist())
        if numpy is not None and kind in _NUMPY_SCALARS:
            return convert(item.item())
        return item

    return convert(value)


def _run_python(payload):
    """The harness: runs the program, then the call or the tests; reports on fd 4."""
    token = payload.pop("token", None)
    kind = payload["kind"]
    source = payload["source"]
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="replace")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="replace", line_buffering=True
    )
    sys.argv = ["solution.py"]
    try:
        program = compile(source, "solution.py", "exec", dont_inherit=True)
        tests = None
        if kind == "assert":
            tree = _HardenTests().visit(ast.parse(payload["test"], "tests.py"))
            tests = compile(ast.fix_missing_locations(tree), "tests.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        _emit({"event": "compile_error", "message": type(exc).__name__ + ": " + str(exc)[:2000]})
        return 1
    main = types.ModuleType("__main__")  # as `python3 solution.py` would run it, in every kind of test
    namespace = main.__dict__
    namespace["__builtins__"] = builtins
    sys.modules["__main__"] = main  # the zygote's own globals become unreachable by name
    sys.settrace = sys.setprofile = _refuse_tracing
    sys.addaudithook(_audit)
    try:
        exec(program, namespace)
        if kind == "call":
            function = namespace.get(payload["entry_point"])
            if function is None:
                _emit({"event": "missing", "name": payload["entry_point"]})
                return 1
            value = function(*payload["args"])
            _emit({"event": "value", "json": _json_form(value)})
        elif kind == "assert":
            test_builtins = dict(_PRISTINE_BUILTINS)
            test_builtins["__import__"] = _test_import
            test_namespace = dict(namespace)
            test_namespace.update(
                __name__="__main__",
                __builtins__=test_builtins,
                __referee_compare__=_compare,
                __referee_truth__=_truth,
            )
            exec(tests, test_namespace)
            os.write(4, b'{"event": "done", "token": "' + token.encode() + b'"}\n')
    except SystemExit as exc:
        if kind != "stdio":
            _emit({"event": "exception", "type": "SystemExit", "message": str(exc.code)[:200]})
            return 1
        code = exc.code
        if code is None or code is True or code is False:
            return int(bool(code))
        return code if isinstance(code, int) and 0 <= code < 256 else 1
    except BaseException as exc:  # the program's failure is a verdict, reported without its frames
        try:
            message = str(exc)[:500]
        except BaseException:
            message = "(unprintable)"
        try:
            _emit({"event": "exception", "type": type(exc).__name__, "message": message})
            sys.stderr.write(type(exc).__name__ + ": " + message + "\n")
        except BaseException:
            pass
        return 1
    return 0


def _fresh_box(payload):
    """Before a merged plain run: no process of the job left, every writable place empty, the job's
    files written again; as the job user (this child), so that each run starts as it would alone."""
    me = os.getpid()
    for attempt in range(2000):
        try:
            os.kill(-1, signal.SIGKILL)  # every process this uid may signal, except this one
        except ProcessLookupError:  # gVisor, when there is none
            pass
        alive = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != me:
                try:
                    if os.stat("/proc/" + entry).st_uid == os.getuid():
                        with open("/proc/" + entry + "/stat", "rb") as handle:
                            alive = alive or handle.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
                except OSError:
                    continue
        if not alive:
            break
        time.sleep(0.0005 if attempt < 100 else 0.005)
    for top in payload["wipe"]:
        for name in os.listdir(top):
            _remove(os.path.join(top, name))
    for relative, data in payload["files"].items():
        path = os.path.join(payload["box"], relative)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644), "wb") as handle:
            handle.write(base64.b64decode(data))


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


def _run_plain(payload):
    """``python3 main.py`` without the interpreter's start-up: the site set-up, a fresh ``__main__`` with
    ``__file__``, the script's directory first on ``sys.path``, a reseeded ``random``, no audit hook
    and no harness. The exit status follows CPython's (an uncaught exception prints its traceback and
    exits 1; ``SystemExit`` as the interpreter treats it)."""
    os.close(4)
    if payload.get("fresh"):
        _fresh_box(payload)
    path = payload["path"]
    import site

    site.main()
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.argv = [path, *payload.get("args", ())]
    sys.path.insert(0, os.path.dirname(path))
    random.seed()
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = main
    code = 0
    try:
        with open(path, "rb") as handle:
            source = handle.read()
        exec(compile(source, path, "exec", dont_inherit=True), main.__dict__)
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException as exc:
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
        code = 1
    _shut_down_like_python()
    try:
        sys.stdout.flush()
    except BaseException:
        code = 120  # what CPython exits with when flushing stdout fails
    return code


def _exit_status(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    try:
        sys.stderr.write(str(value) + "\n")
    except BaseException:
        pass
    return 1


def _address_space():
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(request):
    """Runs in the forked child: become the job user, limit, then exec or run the harness."""
    os.setsid()
    if request["uid"] is not None:
        os.setgroups([])
        os.setgid(request["gid"])
        os.setuid(request["uid"])
    inherited = _address_space() if request["mode"] == "python" else 0
    for name, value in request["limits"].items():
        limit = getattr(resource, name)
        soft, hard = value if isinstance(value, list) else (value, value)
        if name == "RLIMIT_AS":  # a Python run inherits the zygote's modules: the limit counts its growth
            soft, hard = soft + inherited, hard + inherited
        resource.setrlimit(limit, (soft, hard))
    os.chdir(request["cwd"])
    os.umask(0o077)
    if request["mode"] == "exec":
        os.close(3)
        os.close(4)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.execve(request["argv"][0], request["argv"], request["env"])
    chunks = []
    while True:
        chunk = os.read(3, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(3)
    payload = json.loads(b"".join(chunks))
    del chunks
    os.environ.clear()
    os.environ.update(request["env"])
    code = _run_plain(payload) if payload.get("kind") == "plain" else _run_python(payload)
    _shut_down_like_python()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    return code


def _shut_down_like_python(_modules=_MODULES, _run_exitfuncs=atexit._run_exitfuncs):
    """What ``python3 solution.py`` does after its main module ended (or raised) and before it can exit.

    Interpreter shutdown joins every non-daemon thread (``threading._shutdown``, which first runs
    threading's exit callbacks) and then runs the ``atexit`` callbacks; daemon threads are not waited
    for. The child ends with ``os._exit``, which skips all of it: without this, a program whose thread
    or exit callback never ends would exit here although run directly it never terminates. Now it
    runs into the CPU limit or the wall backstop (``timeout``) like it would there. Both calls are the
    interpreter's own, looked up as CPython's shutdown does; the audit hook stays on throughout."""
    threading = _modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException as exc:  # CPython reports it as unraisable and carries on
            _ignored("threading._shutdown", exc)
    try:
        _run_exitfuncs()  # reports each failing callback itself
    except BaseException as exc:
        _ignored("atexit", exc)


def _ignored(where, exc, _write=os.write, _type=type, _str=str):
    try:
        _write(2, ("Exception ignored in " + where + ": " + _str(_type(exc).__name__) + "\n").encode())
    except BaseException:
        pass


def _serve(control):
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 1 << 16, 5)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                control.close()
                for target, fd in enumerate(fds):
                    os.dup2(fd, target)
                os.closerange(5, 1 << 16)
                code = _child(request)
            except BaseException as exc:
                try:
                    os.write(2, ("sandbox: run setup failed: " + repr(exc) + "\n").encode())
                except BaseException:
                    pass
            finally:
                os._exit(code if isinstance(code, int) else 1)
        for fd in fds:
            os.close(fd)
        control.sendall(json.dumps({"pid": pid}).encode())
        _, status, usage = os.wait4(pid, 0)
        report = {
            "pid": pid,
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
        }
        control.sendall(json.dumps(report).encode())


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
