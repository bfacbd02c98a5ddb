"""Correct and wrong Python 3 programs for the 20 problems of the CodeContests stdio sample, checked on the host.

    python bench/code_contests_programs.py [--data FILE] [--workers 2]

The sample (``code_contests_sample20_stdio.jsonl``: statements and 2,233 stdio tests) holds no solutions.
``PROGRAMS[problem_id]`` holds one written for this benchmark that solves the problem (``"correct"``) and
one beside it with a plausible bug (``"wrong"``, the bug named in ``"bug"``), each a whole program reading
stdin and printing the answer. ``"compare"`` says what judges them here: ``exact`` is verl's compare
(``stdout.rstrip("\\n") == expected.rstrip("\\n")``); ``tokens`` (whitespace-separated tokens equal) and
``checker`` (the problem's checker) are used only where the expected outputs themselves rule out an exact
match, as ``"note"`` explains. Problem 11 is interactive and has no correct program (``None``, see there).

Run as a script, it checks every claim on the host: each correct program passes every test of its problem
under its compare and each wrong one fails at least one, run directly (``python -c``, in a temporary
directory, 10 s timeout: these are the benchmark's own programs, never training output). It also prints how
many tests pass under verl's exact compare, and each correct program's slowest test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "code_contests_sample20_stdio.jsonl"


PROGRAMS: dict[int, dict[str, Any]] = {
    # --- 0: a3 (CodeChef): Johnny's minimal number of lies --------------------------------------------------
    0: {
        "name": "a3 (CodeChef): Johnny's minimal number of lies",
        "compare": "exact",
        "bug": "'<' Yes taken as n <= l instead of n < l",
        "note": (
            "Many tests are mutated ('?', '@' operators; 'oN', 'seY' answers): the expected outputs treat any"
            " operator other than '<' and '>' as '=' and only the exact word 'Yes' as yes."
        ),
        "correct": r"""
import sys


def main():
    data = sys.stdin.read().split()
    pos = 0
    t = int(data[pos])
    pos += 1
    top = 10**9
    out = []
    for _ in range(t):
        k = int(data[pos])
        pos += 1
        delta = {}

        def add(lo, hi):
            if lo < 1:
                lo = 1
            if hi > top:
                hi = top
            if lo > hi:
                return
            delta[lo] = delta.get(lo, 0) + 1
            delta[hi + 1] = delta.get(hi + 1, 0) - 1

        for _ in range(k):
            op, value, word = data[pos], int(data[pos + 1]), data[pos + 2]
            pos += 3
            yes = word == "Yes"
            if op == "<":
                if yes:
                    add(1, value - 1)
                else:
                    add(value, top)
            elif op == ">":
                if yes:
                    add(value + 1, top)
                else:
                    add(1, value)
            else:
                if yes:
                    add(value, value)
                else:
                    add(1, value - 1)
                    add(value + 1, top)
        best = 0
        running = 0
        for key in sorted(delta):
            running += delta[key]
            if running > best:
                best = running
        out.append(k - best)
    print("\n".join(map(str, out)))


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.read().split()
    pos = 0
    t = int(data[pos])
    pos += 1
    top = 10**9
    out = []
    for _ in range(t):
        k = int(data[pos])
        pos += 1
        delta = {}

        def add(lo, hi):
            if lo < 1:
                lo = 1
            if hi > top:
                hi = top
            if lo > hi:
                return
            delta[lo] = delta.get(lo, 0) + 1
            delta[hi + 1] = delta.get(hi + 1, 0) - 1

        for _ in range(k):
            op, value, word = data[pos], int(data[pos + 1]), data[pos + 2]
            pos += 3
            yes = word == "Yes"
            if op == "<":
                if yes:
                    add(1, value)
                else:
                    add(value, top)
            elif op == ">":
                if yes:
                    add(value + 1, top)
                else:
                    add(1, value)
            else:
                if yes:
                    add(value, value)
                else:
                    add(1, value - 1)
                    add(value + 1, top)
        best = 0
        running = 0
        for key in sorted(delta):
            running += delta[key]
            if running > best:
                best = running
        out.append(k - best)
    print("\n".join(map(str, out)))


main()
""",
    },
    # --- 1: chefbm (CodeChef): Strange Matrix ---------------------------------------------------------------
    1: {
        "name": "chefbm (CodeChef): Strange Matrix",
        "compare": "exact",
        "bug": "a row breaks only when a count exceeds its right neighbour's by 2 (should be 1)",
        "note": (
            "Mutated tests hold j = 0, j < 0, j > m and m = 0: the expected outputs check every incremented j"
            " < m against j + 1 and answer (m + c[m]) - (1 + c[1])."
        ),
        "correct": r"""
import sys


def main():
    data = sys.stdin.read().split()
    n, m, p = int(data[0]), int(data[1]), int(data[2])
    rows = {}
    pos = 3
    for _ in range(p):
        i, j = int(data[pos]), int(data[pos + 1])
        pos += 2
        row = rows.setdefault(i, {})
        row[j] = row.get(j, 0) + 1
    out = []
    for i in range(1, n + 1):
        row = rows.get(i)
        if not row:
            out.append(m - 1)
            continue
        ok = True
        for j, c in row.items():
            if j < m and c > row.get(j + 1, 0) + 1:
                ok = False
                break
        if ok:
            out.append(m + row.get(m, 0) - 1 - row.get(1, 0))
        else:
            out.append(-1)
    sys.stdout.write("\n".join(map(str, out)) + "\n")


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.read().split()
    n, m, p = int(data[0]), int(data[1]), int(data[2])
    rows = {}
    pos = 3
    for _ in range(p):
        i, j = int(data[pos]), int(data[pos + 1])
        pos += 2
        row = rows.setdefault(i, {})
        row[j] = row.get(j, 0) + 1
    out = []
    for i in range(1, n + 1):
        row = rows.get(i)
        if not row:
            out.append(m - 1)
            continue
        ok = True
        for j, c in row.items():
            if j < m and c > row.get(j + 1, 0) + 2:
                ok = False
                break
        if ok:
            out.append(m + row.get(m, 0) - 1 - row.get(1, 0))
        else:
            out.append(-1)
    sys.stdout.write("\n".join(map(str, out)) + "\n")


main()
""",
    },
    # --- 2: digjump (CodeChef): Digit Jump ------------------------------------------------------------------
    2: {
        "name": "digjump (CodeChef): Digit Jump",
        "compare": "exact",
        "bug": "a stack instead of a queue (not a breadth-first search)",
        "correct": r"""
import sys
from collections import deque


def main():
    s = sys.stdin.readline().strip()
    n = len(s)
    positions = {}
    for i, ch in enumerate(s):
        positions.setdefault(ch, []).append(i)
    dist = [-1] * n
    dist[0] = 0
    queue = deque([0])
    while queue:
        i = queue.popleft()
        if i == n - 1:
            break
        d = dist[i] + 1
        nexts = positions.pop(s[i], [])
        for j in (i - 1, i + 1):
            if 0 <= j < n:
                nexts.append(j)
        for j in nexts:
            if dist[j] < 0:
                dist[j] = d
                queue.append(j)
    print(dist[n - 1])


main()
""",
        "wrong": r"""
import sys
from collections import deque


def main():
    s = sys.stdin.readline().strip()
    n = len(s)
    positions = {}
    for i, ch in enumerate(s):
        positions.setdefault(ch, []).append(i)
    dist = [-1] * n
    dist[0] = 0
    queue = deque([0])
    while queue:
        i = queue.pop()
        if i == n - 1:
            break
        d = dist[i] + 1
        nexts = positions.pop(s[i], [])
        for j in (i - 1, i + 1):
            if 0 <= j < n:
                nexts.append(j)
        for j in nexts:
            if dist[j] < 0:
                dist[j] = d
                queue.append(j)
    print(dist[n - 1])


main()
""",
    },
    # --- 3: 1000A Codehorses T-shirts -----------------------------------------------------------------------
    3: {
        "name": "1000A Codehorses T-shirts",
        "compare": "exact",
        "bug": "set difference instead of multiset difference",
        "correct": r"""
import sys
from collections import Counter


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    old = Counter(data[1 : 1 + n])
    new = Counter(data[1 + n : 1 + 2 * n])
    print(sum((new - old).values()))


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    old = set(data[1 : 1 + n])
    new = data[1 + n : 1 + 2 * n]
    print(sum(1 for size in new if size not in old))


main()
""",
    },
    # --- 4: 1025B Weakened Common Divisor -------------------------------------------------------------------
    4: {
        "name": "1025B Weakened Common Divisor",
        "compare": "exact",
        "bug": "candidates taken only from a_1's primes",
        "note": (
            "Any valid divisor is accepted on Codeforces, but the expected outputs are one reference's: the "
            "pairs sorted, then the primes of the first pair's a, then of its b, the first that works."
        ),
        "correct": r"""
import sys


def prime_factors(x):
    found = []
    d = 2
    while d * d <= x:
        if x % d == 0:
            found.append(d)
            while x % d == 0:
                x //= d
        d += 1
    if x > 1:
        found.append(x)
    return found


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    pairs = sorted((int(data[1 + 2 * i]), int(data[2 + 2 * i])) for i in range(n))
    a, b = pairs[0]
    candidates = prime_factors(a) + prime_factors(b)
    for p in candidates:
        if all(x % p == 0 or y % p == 0 for x, y in pairs):
            print(p)
            return
    print(-1)


main()
""",
        "wrong": r"""
import sys


def prime_factors(x):
    found = []
    d = 2
    while d * d <= x:
        if x % d == 0:
            found.append(d)
            while x % d == 0:
                x //= d
        d += 1
    if x > 1:
        found.append(x)
    return found


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    pairs = sorted((int(data[1 + 2 * i]), int(data[2 + 2 * i])) for i in range(n))
    a, b = pairs[0]
    candidates = prime_factors(a)
    for p in candidates:
        if all(x % p == 0 or y % p == 0 for x, y in pairs):
            print(p)
            return
    print(-1)


main()
""",
    },
    # --- 5: 1045D Interstellar battle -----------------------------------------------------------------------
    5: {
        "name": "1045D Interstellar battle",
        "compare": "exact",
        "bug": "the parent's sum of children is not updated",
        "note": (
            "Real-valued answers (1e-4 tolerance on Codeforces); printed with '%.5f' they match the expected "
            "text exactly (every value is a multiple of 1e-4), so no tolerant compare is needed."
        ),
        "correct": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    pos = 0
    n = int(data[pos])
    pos += 1
    alive = [1.0 - float(data[pos + i]) for i in range(n)]
    pos += n
    adjacency = [[] for _ in range(n)]
    for _ in range(n - 1):
        u, v = int(data[pos]), int(data[pos + 1])
        pos += 2
        adjacency[u].append(v)
        adjacency[v].append(u)
    parent = [-1] * n
    seen = [False] * n
    seen[0] = True
    stack = [0]
    while stack:
        u = stack.pop()
        for v in adjacency[u]:
            if not seen[v]:
                seen[v] = True
                parent[v] = u
                stack.append(v)
    child_sum = [0.0] * n
    for v in range(1, n):
        child_sum[parent[v]] += alive[v]
    nodes = sum(alive)
    edges = sum(alive[v] * alive[parent[v]] for v in range(1, n))
    q = int(data[pos])
    pos += 1
    out = []
    for _ in range(q):
        v, p = int(data[pos]), float(data[pos + 1])
        pos += 2
        delta = (1.0 - p) - alive[v]
        nodes += delta
        edges += delta * child_sum[v]
        if parent[v] >= 0:
            edges += delta * alive[parent[v]]
            child_sum[parent[v]] += delta
        alive[v] += delta
        value = nodes - edges
        if abs(value) < 1e-9:
            value = 0.0
        out.append("%.5f" % value)
    sys.stdout.write("\n".join(out) + "\n")


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    pos = 0
    n = int(data[pos])
    pos += 1
    alive = [1.0 - float(data[pos + i]) for i in range(n)]
    pos += n
    adjacency = [[] for _ in range(n)]
    for _ in range(n - 1):
        u, v = int(data[pos]), int(data[pos + 1])
        pos += 2
        adjacency[u].append(v)
        adjacency[v].append(u)
    parent = [-1] * n
    seen = [False] * n
    seen[0] = True
    stack = [0]
    while stack:
        u = stack.pop()
        for v in adjacency[u]:
            if not seen[v]:
                seen[v] = True
                parent[v] = u
                stack.append(v)
    child_sum = [0.0] * n
    for v in range(1, n):
        child_sum[parent[v]] += alive[v]
    nodes = sum(alive)
    edges = sum(alive[v] * alive[parent[v]] for v in range(1, n))
    q = int(data[pos])
    pos += 1
    out = []
    for _ in range(q):
        v, p = int(data[pos]), float(data[pos + 1])
        pos += 2
        delta = (1.0 - p) - alive[v]
        nodes += delta
        edges += delta * child_sum[v]
        if parent[v] >= 0:
            edges += delta * alive[parent[v]]
        alive[v] += delta
        value = nodes - edges
        if abs(value) < 1e-9:
            value = 0.0
        out.append("%.5f" % value)
    sys.stdout.write("\n".join(out) + "\n")


main()
""",
    },
    # --- 6: 1068D Array Without Local Maximums --------------------------------------------------------------
    6: {
        "name": "1068D Array Without Local Maximums",
        "compare": "exact",
        "bug": "a_1 counted as already satisfied (it has no left neighbour)",
        "correct": r"""
import sys

MOD = 998244353


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    a = [int(x) for x in data[1 : 1 + n]]
    top = 200
    # need[v]: ways with the current element v still waiting for a right neighbour >= v;
    # done[v]: ways with the current element v already having a left neighbour >= v.
    need = [0] * (top + 1)
    done = [0] * (top + 1)
    for v in range(1, top + 1):
        if a[0] == -1 or a[0] == v:
            need[v] = 1
    for i in range(1, n):
        new_need = [0] * (top + 1)
        new_done = [0] * (top + 1)
        below = 0  # sum over v < w of need[v] + done[v]
        above = sum(done[1:]) % MOD  # sum over v > w of done[v], updated as w grows
        for w in range(1, top + 1):
            above = (above - done[w]) % MOD
            if a[i] == -1 or a[i] == w:
                new_need[w] = below
                new_done[w] = (need[w] + done[w] + above) % MOD
            below = (below + need[w] + done[w]) % MOD
        need, done = new_need, new_done
    print(sum(done) % MOD)


main()
""",
        "wrong": r"""
import sys

MOD = 998244353


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    a = [int(x) for x in data[1 : 1 + n]]
    top = 200
    # need[v]: ways with the current element v still waiting for a right neighbour >= v;
    # done[v]: ways with the current element v already having a left neighbour >= v.
    need = [0] * (top + 1)
    done = [0] * (top + 1)
    for v in range(1, top + 1):
        if a[0] == -1 or a[0] == v:
            done[v] = 1
    for i in range(1, n):
        new_need = [0] * (top + 1)
        new_done = [0] * (top + 1)
        below = 0  # sum over v < w of need[v] + done[v]
        above = sum(done[1:]) % MOD  # sum over v > w of done[v], updated as w grows
        for w in range(1, top + 1):
            above = (above - done[w]) % MOD
            if a[i] == -1 or a[i] == w:
                new_need[w] = below
                new_done[w] = (need[w] + done[w] + above) % MOD
            below = (below + need[w] + done[w]) % MOD
        need, done = new_need, new_done
    print(sum(done) % MOD)


main()
""",
    },
    # --- 7: 1090C New Year Presents -------------------------------------------------------------------------
    7: {
        "name": "1090C New Year Presents",
        "compare": "exact",
        "bug": "the +1 sizes given to the smallest boxes instead of the largest",
        "note": (
            "Any shortest sequence is accepted on Codeforces; the expected outputs follow one reference: "
            "boxes sorted by (size, index), the largest keep the extra present, donors from the largest down,"
            " receivers from the smallest up, kinds in increasing order. Input is read token by token "
            "(mutated tests have lines whose count does not match)."
        ),
        "correct": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    pos = 2
    boxes = []
    for _ in range(n):
        s = int(data[pos])
        pos += 1
        boxes.append(set(int(x) for x in data[pos : pos + s]))
        pos += s
    sizes = [len(b) for b in boxes]
    total = sum(sizes)
    base, extra = divmod(total, n)
    order = sorted(range(n), key=lambda b: (sizes[b], b))
    target = [base] * n
    for k in range(n - extra, n):
        target[order[k]] += 1
    receivers = [b for b in order if sizes[b] < target[b]]
    donors = [b for b in reversed(order) if sizes[b] > target[b]]
    moves = []
    r = 0
    for d in donors:
        excess = sizes[d] - target[d]
        while excess > 0:
            receiver = receivers[r]
            have = boxes[receiver]
            want = target[receiver] - len(have)
            kept = []
            for kind in sorted(boxes[d]):
                if excess > 0 and want > 0 and kind not in have:
                    have.add(kind)
                    moves.append("%d %d %d" % (d + 1, receiver + 1, kind))
                    excess -= 1
                    want -= 1
                else:
                    kept.append(kind)
            boxes[d] = set(kept)
            if want == 0:
                r += 1
    sys.stdout.write("\n".join([str(len(moves))] + moves) + "\n")


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    pos = 2
    boxes = []
    for _ in range(n):
        s = int(data[pos])
        pos += 1
        boxes.append(set(int(x) for x in data[pos : pos + s]))
        pos += s
    sizes = [len(b) for b in boxes]
    total = sum(sizes)
    base, extra = divmod(total, n)
    order = sorted(range(n), key=lambda b: (sizes[b], b))
    target = [base] * n
    for k in range(extra):
        target[order[k]] += 1
    receivers = [b for b in order if sizes[b] < target[b]]
    donors = [b for b in reversed(order) if sizes[b] > target[b]]
    moves = []
    r = 0
    for d in donors:
        excess = sizes[d] - target[d]
        while excess > 0:
            receiver = receivers[r]
            have = boxes[receiver]
            want = target[receiver] - len(have)
            kept = []
            for kind in sorted(boxes[d]):
                if excess > 0 and want > 0 and kind not in have:
                    have.add(kind)
                    moves.append("%d %d %d" % (d + 1, receiver + 1, kind))
                    excess -= 1
                    want -= 1
                else:
                    kept.append(kind)
            boxes[d] = set(kept)
            if want == 0:
                r += 1
    sys.stdout.write("\n".join([str(len(moves))] + moves) + "\n")


main()
""",
    },
    # --- 8: 1109F Sasha and Algorithm of Silence's Sounds ---------------------------------------------------
    8: {
        "name": "1109F Sasha and Algorithm of Silence's Sounds",
        "compare": "exact",
        "bug": "a closed cycle is not detected",
        "note": (
            "Quadratic union-find sweep: right for every test here (at most a dozen cells), too slow for the "
            "original limits (n*m up to 2e5)."
        ),
        "correct": r"""
import sys

# For each l, cells l, l+1, ... are added one by one with a union-find: a union inside one set closes a
# cycle, which stays for every larger r, so the scan for that l stops. Quadratic in n*m: fine for the
# sample's tests (at most a dozen cells), not for the original limits.


def main():
    data = sys.stdin.read().split()
    n, m = int(data[0]), int(data[1])
    size = n * m
    where = [0] * (size + 1)
    for index in range(size):
        where[int(data[2 + index])] = index
    neighbours = []
    for value in range(size + 1):
        if value == 0:
            neighbours.append([])
            continue
        i, j = divmod(where[value], m)
        around = []
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            x, y = i + di, j + dj
            if 0 <= x < n and 0 <= y < m:
                around.append(x * m + y)
        neighbours.append(around)
    value_at = [0] * size
    for value in range(1, size + 1):
        value_at[where[value]] = value
    total = 0
    for low in range(1, size + 1):
        parent = {}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        components = 0
        for high in range(low, size + 1):
            cell = where[high]
            parent[cell] = cell
            components += 1
            cycle = False
            for other in neighbours[high]:
                if low <= value_at[other] < high:
                    a, b = find(cell), find(other)
                    if a == b:
                        cycle = True
                        break
                    parent[a] = b
                    components -= 1
            if cycle:
                break
            if components == 1:
                total += 1
    print(total)


main()
""",
        "wrong": r"""
import sys

# For each l, cells l, l+1, ... are added one by one with a union-find: a union inside one set closes a
# cycle, which stays for every larger r, so the scan for that l stops. Quadratic in n*m: fine for the
# sample's tests (at most a dozen cells), not for the original limits.


def main():
    data = sys.stdin.read().split()
    n, m = int(data[0]), int(data[1])
    size = n * m
    where = [0] * (size + 1)
    for index in range(size):
        where[int(data[2 + index])] = index
    neighbours = []
    for value in range(size + 1):
        if value == 0:
            neighbours.append([])
            continue
        i, j = divmod(where[value], m)
        around = []
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            x, y = i + di, j + dj
            if 0 <= x < n and 0 <= y < m:
                around.append(x * m + y)
        neighbours.append(around)
    value_at = [0] * size
    for value in range(1, size + 1):
        value_at[where[value]] = value
    total = 0
    for low in range(1, size + 1):
        parent = {}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        components = 0
        for high in range(low, size + 1):
            cell = where[high]
            parent[cell] = cell
            components += 1
            cycle = False
            for other in neighbours[high]:
                if low <= value_at[other] < high:
                    a, b = find(cell), find(other)
                    if a != b:
                        parent[a] = b
                    components -= 1
            if cycle:
                break
            if components == 1:
                total += 1
    print(total)


main()
""",
    },
    # --- 9: 1139C Edgy Trees --------------------------------------------------------------------------------
    9: {
        "name": "1139C Edgy Trees",
        "compare": "tokens",
        "bug": "components of one vertex are not subtracted",
        "note": (
            "The official tests' expected outputs (10 of 95) are right-aligned in 64 columns ('    ...1842'),"
            " the generated ones are not: no program matches both exactly, so the check compares tokens."
        ),
        "correct": r"""
import sys

MOD = 10**9 + 7


def main():
    data = sys.stdin.buffer.read().split()
    n, k = int(data[0]), int(data[1])
    parent = list(range(n + 1))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pos = 2
    for _ in range(n - 1):
        u, v, colour = int(data[pos]), int(data[pos + 1]), data[pos + 2]
        pos += 3
        if colour == b"0":
            a, b = find(u), find(v)
            if a != b:
                parent[a] = b
    sizes = {}
    for v in range(1, n + 1):
        root = find(v)
        sizes[root] = sizes.get(root, 0) + 1
    bad = sum(pow(s, k, MOD) for s in sizes.values())
    print((pow(n, k, MOD) - bad) % MOD)


main()
""",
        "wrong": r"""
import sys

MOD = 10**9 + 7


def main():
    data = sys.stdin.buffer.read().split()
    n, k = int(data[0]), int(data[1])
    parent = list(range(n + 1))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pos = 2
    for _ in range(n - 1):
        u, v, colour = int(data[pos]), int(data[pos + 1]), data[pos + 2]
        pos += 3
        if colour == b"0":
            a, b = find(u), find(v)
            if a != b:
                parent[a] = b
    sizes = {}
    for v in range(1, n + 1):
        root = find(v)
        sizes[root] = sizes.get(root, 0) + 1
    bad = sum(pow(s, k, MOD) for s in sizes.values() if s > 1)
    print((pow(n, k, MOD) - bad) % MOD)


main()
""",
    },
    # --- 10: 1157C2 Increasing Subsequence (hard version) ----------------------------------------------------
    10: {
        "name": "1157C2 Increasing Subsequence (hard version)",
        "compare": "exact",
        "bug": "equal ends: always takes the left one instead of the longer run",
        "note": ("When both ends are equal the reference takes the longer strictly increasing run, 'R' on a tie."),
        "correct": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    a = [int(x) for x in data[1 : 1 + n]]
    left, right = 0, n - 1
    last = 0
    moves = []
    while left <= right:
        can_left = a[left] > last
        can_right = a[right] > last
        if can_left and can_right and a[left] == a[right]:
            run_left = 1
            while left + run_left <= right and a[left + run_left] > a[left + run_left - 1]:
                run_left += 1
            run_right = 1
            while right - run_right >= left and a[right - run_right] > a[right - run_right + 1]:
                run_right += 1
            if run_left > run_right:
                moves.append("L" * run_left)
            else:
                moves.append("R" * run_right)
            break
        if can_left and (not can_right or a[left] < a[right]):
            last = a[left]
            left += 1
            moves.append("L")
        elif can_right:
            last = a[right]
            right -= 1
            moves.append("R")
        else:
            break
    answer = "".join(moves)
    print(len(answer))
    print(answer)


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    a = [int(x) for x in data[1 : 1 + n]]
    left, right = 0, n - 1
    last = 0
    moves = []
    while left <= right:
        can_left = a[left] > last
        can_right = a[right] > last
        if can_left and (not can_right or a[left] <= a[right]):
            last = a[left]
            left += 1
            moves.append("L")
        elif can_right:
            last = a[right]
            right -= 1
            moves.append("R")
        else:
            break
    answer = "".join(moves)
    print(len(answer))
    print(answer)


main()
""",
    },
    # --- 11: 1179E Alesya and Discrete Math (interactive) ----------------------------------------------------
    11: {
        "name": "1179E Alesya and Discrete Math (interactive)",
        "compare": "exact",
        "bug": "splits [0, 10**18] into n equal pieces without asking anything",
        # Interactive: each test's input is the hack-format file and its expected output is the transcript of one
        # randomized reference (its first query's function is glibc's first rand() % n) reading that file as if
        # it held the interactor's answers, down to its behaviour at end of input; the statement example's
        # expected output is the interactor's side. No program that solves the problem matches them all.
        "correct": None,
        "wrong": r"""
import sys


def main():
    n, total = map(int, sys.stdin.readline().split())
    # Splits [0, 10**18] into n equal pieces without asking anything: a function may not
    # grow by L/n on its piece, so this is wrong.
    width = 10**18 // n if n > 0 else 0
    lines = ["!"]
    for i in range(n):
        lines.append("%d %d" % (i * width, (i + 1) * width))
    print("\n".join(lines))
    sys.stdout.flush()


main()
""",
    },
    # --- 12: 1198A MP3 ---------------------------------------------------------------------------------------
    12: {
        "name": "1198A MP3",
        "compare": "exact",
        "bug": "2**k - 1 distinct values allowed instead of 2**k",
        "correct": r"""
import sys
from collections import Counter


def main():
    data = sys.stdin.buffer.read().split()
    n, disk = int(data[0]), int(data[1])
    counts = Counter(map(int, data[2 : 2 + n]))
    values = sorted(counts)
    freq = [counts[v] for v in values]
    bits = 8 * disk // n
    allowed = 1 << min(bits, 30)
    window = min(allowed, len(values))
    kept = current = sum(freq[:window])
    for i in range(window, len(values)):
        current += freq[i] - freq[i - window]
        if current > kept:
            kept = current
    print(n - kept)


main()
""",
        "wrong": r"""
import sys
from collections import Counter


def main():
    data = sys.stdin.buffer.read().split()
    n, disk = int(data[0]), int(data[1])
    counts = Counter(map(int, data[2 : 2 + n]))
    values = sorted(counts)
    freq = [counts[v] for v in values]
    bits = 8 * disk // n
    allowed = (1 << min(bits, 30)) - 1
    window = min(allowed, len(values))
    kept = current = sum(freq[:window])
    for i in range(window, len(values)):
        current += freq[i] - freq[i - window]
        if current > kept:
            kept = current
    print(n - kept)


main()
""",
    },
    # --- 13: 1214H Tiles Placement ---------------------------------------------------------------------------
    13: {
        "name": "1214H Tiles Placement",
        "compare": "checker",
        "bug": "k = 2 not handled apart (a vertex of degree 3 then answers No)",
        "note": (
            "Many colourings are valid; the expected outputs come from at least three programs ('Yes' with "
            "and without a final newline, one 'YES'), so the check is a checker: the same verdict word (case-"
            "insensitively) and, for Yes, every simple path of exactly k squares holding all k colours. The "
            "program matches 65 of the 76 expected outputs exactly."
        ),
        "correct": r"""
import sys
from collections import deque


def bfs(adjacency, start):
    dist = [-1] * len(adjacency)
    parent = [0] * len(adjacency)
    dist[start] = 0
    order = [start]
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in adjacency[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                parent[v] = u
                order.append(v)
                queue.append(v)
    return dist, parent, order


def main():
    data = sys.stdin.buffer.read().split()
    n, k = int(data[0]), int(data[1])
    edges = [(int(data[2 + 2 * i]), int(data[3 + 2 * i])) for i in range(n - 1)]
    size = max([n] + [max(e) for e in edges])  # ids past n (malformed tests) get a slot too
    adjacency = [[] for _ in range(size + 1)]
    for u, v in edges:
        adjacency[u].append(v)
        adjacency[v].append(u)
    if k == 2:
        dist, _, _ = bfs(adjacency, 1)
        print("Yes")
        print(" ".join(str(dist[v] % 2 + 1) for v in range(1, n + 1)) + " ")
        return
    # Depth of every branch at every vertex (rooted at 1, then re-rooted): a vertex with three
    # branches whose two shorter ones hold b >= c >= 1 vertices and b + c + 1 >= k makes it impossible.
    dist, parent, order = bfs(adjacency, 1)
    down = [0] * (size + 1)  # vertices on the longest downward path, the vertex included
    for u in reversed(order):
        down[u] = 1 + max((down[v] for v in adjacency[u] if dist[v] > dist[u]), default=0)
    up = [0] * (size + 1)  # vertices on the longest path leaving u through its parent
    for u in order:
        children = [v for v in adjacency[u] if dist[v] > dist[u]]
        branches = sorted([down[v] for v in children] + [up[u]], reverse=True)
        if len(branches) >= 3 and branches[2] >= 1 and branches[1] + branches[2] + 1 >= k:
            print("No")
            return
        first, second = up[u], 0
        for v in children:
            if down[v] > first:
                first, second = down[v], first
            elif down[v] > second:
                second = down[v]
        for v in children:
            up[v] = (second if down[v] == first else first) + 1
    # Colour the diameter 1..k cyclically; a branch hanging off the diameter continues the cycle
    # away from the diameter's nearer end.
    dist_last, _, _ = bfs(adjacency, n)
    a = max(range(1, n + 1), key=lambda v: (dist_last[v], -v))
    dist_a, parent_a, _ = bfs(adjacency, a)
    b = max(range(1, n + 1), key=lambda v: (dist_a[v], -v))
    path = [b]
    while path[-1] != a:
        path.append(parent_a[path[-1]])
    path.reverse()  # from a to b
    length = len(path)
    colour = [0] * (size + 1)
    on_path = [False] * (size + 1)
    for i, v in enumerate(path):
        colour[v] = i % k
        on_path[v] = True
    for i, root in enumerate(path):
        step = -1 if i < length - 1 - i else 1
        stack = [(w, root, 1) for w in adjacency[root] if not on_path[w]]
        while stack:
            v, p, depth = stack.pop()
            colour[v] = (i + step * depth) % k
            for w in adjacency[v]:
                if w != p:
                    stack.append((w, v, depth + 1))
    print("Yes")
    print(" ".join(str(colour[v] + 1) for v in range(1, n + 1)) + " ")


main()
""",
        "wrong": r"""
import sys
from collections import deque


def bfs(adjacency, start):
    dist = [-1] * len(adjacency)
    parent = [0] * len(adjacency)
    dist[start] = 0
    order = [start]
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in adjacency[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                parent[v] = u
                order.append(v)
                queue.append(v)
    return dist, parent, order


def main():
    data = sys.stdin.buffer.read().split()
    n, k = int(data[0]), int(data[1])
    edges = [(int(data[2 + 2 * i]), int(data[3 + 2 * i])) for i in range(n - 1)]
    size = max([n] + [max(e) for e in edges])  # ids past n (malformed tests) get a slot too
    adjacency = [[] for _ in range(size + 1)]
    for u, v in edges:
        adjacency[u].append(v)
        adjacency[v].append(u)
    # Depth of every branch at every vertex (rooted at 1, then re-rooted): a vertex with three
    # branches whose two shorter ones hold b >= c >= 1 vertices and b + c + 1 >= k makes it impossible.
    dist, parent, order = bfs(adjacency, 1)
    down = [0] * (size + 1)  # vertices on the longest downward path, the vertex included
    for u in reversed(order):
        down[u] = 1 + max((down[v] for v in adjacency[u] if dist[v] > dist[u]), default=0)
    up = [0] * (size + 1)  # vertices on the longest path leaving u through its parent
    for u in order:
        children = [v for v in adjacency[u] if dist[v] > dist[u]]
        branches = sorted([down[v] for v in children] + [up[u]], reverse=True)
        if len(branches) >= 3 and branches[2] >= 1 and branches[1] + branches[2] + 1 >= k:
            print("No")
            return
        first, second = up[u], 0
        for v in children:
            if down[v] > first:
                first, second = down[v], first
            elif down[v] > second:
                second = down[v]
        for v in children:
            up[v] = (second if down[v] == first else first) + 1
    # Colour the diameter 1..k cyclically; a branch hanging off the diameter continues the cycle
    # away from the diameter's nearer end.
    dist_last, _, _ = bfs(adjacency, n)
    a = max(range(1, n + 1), key=lambda v: (dist_last[v], -v))
    dist_a, parent_a, _ = bfs(adjacency, a)
    b = max(range(1, n + 1), key=lambda v: (dist_a[v], -v))
    path = [b]
    while path[-1] != a:
        path.append(parent_a[path[-1]])
    path.reverse()  # from a to b
    length = len(path)
    colour = [0] * (size + 1)
    on_path = [False] * (size + 1)
    for i, v in enumerate(path):
        colour[v] = i % k
        on_path[v] = True
    for i, root in enumerate(path):
        step = -1 if i < length - 1 - i else 1
        stack = [(w, root, 1) for w in adjacency[root] if not on_path[w]]
        while stack:
            v, p, depth = stack.pop()
            colour[v] = (i + step * depth) % k
            for w in adjacency[v]:
                if w != p:
                    stack.append((w, v, depth + 1))
    print("Yes")
    print(" ".join(str(colour[v] + 1) for v in range(1, n + 1)) + " ")


main()
""",
    },
    # --- 14: 1238B Kill 'Em All ------------------------------------------------------------------------------
    14: {
        "name": "1238B Kill 'Em All",
        "compare": "exact",
        "bug": "duplicate positions not merged",
        "correct": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    q = int(data[0])
    pos = 1
    out = []
    for _ in range(q):
        n, r = int(data[pos]), int(data[pos + 1])
        pos += 2
        xs = sorted(set(int(x) for x in data[pos : pos + n]), reverse=True)
        pos += n
        shots = 0
        for x in xs:
            if x - shots * r <= 0:
                break
            shots += 1
        out.append(shots)
    sys.stdout.write("\n".join(map(str, out)) + "\n")


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    q = int(data[0])
    pos = 1
    out = []
    for _ in range(q):
        n, r = int(data[pos]), int(data[pos + 1])
        pos += 2
        xs = sorted((int(x) for x in data[pos : pos + n]), reverse=True)
        pos += n
        shots = 0
        for x in xs:
            if x - shots * r <= 0:
                break
            shots += 1
        out.append(shots)
    sys.stdout.write("\n".join(map(str, out)) + "\n")


main()
""",
    },
    # --- 15: 1256C Platforms Jumping -------------------------------------------------------------------------
    15: {
        "name": "1256C Platforms Jumping",
        "compare": "exact",
        "bug": "the packed-at-the-end bound is one cell short",
        "note": (
            "Any valid layout is accepted on Codeforces; the expected outputs are the greedy one (each "
            "platform as far right as a jump allows while the rest still fit)."
        ),
        "correct": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    n, m, d = int(data[0]), int(data[1]), int(data[2])
    lengths = [int(x) for x in data[3 : 3 + m]]
    suffix = [0] * (m + 1)
    for i in range(m - 1, -1, -1):
        suffix[i] = suffix[i + 1] + lengths[i]
    cells = [0] * (n + 2)
    end = 0  # the last cell reached so far
    for i, length in enumerate(lengths):
        # jump as far as allowed, but leave room for this platform and the rest packed at the end
        start = min(end + d, n + 1 - suffix[i])
        for cell in range(start, start + length):
            cells[cell] = i + 1
        end = start + length - 1
    if end + d < n + 1:
        print("NO")
        return
    print("YES")
    print(" ".join(map(str, cells[1 : n + 1])))


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    n, m, d = int(data[0]), int(data[1]), int(data[2])
    lengths = [int(x) for x in data[3 : 3 + m]]
    suffix = [0] * (m + 1)
    for i in range(m - 1, -1, -1):
        suffix[i] = suffix[i + 1] + lengths[i]
    cells = [0] * (n + 2)
    end = 0  # the last cell reached so far
    for i, length in enumerate(lengths):
        # jump as far as allowed, but leave room for this platform and the rest packed at the end
        start = min(end + d, n - suffix[i])
        for cell in range(start, start + length):
            cells[cell] = i + 1
        end = start + length - 1
    if end + d < n + 1:
        print("NO")
        return
    print("YES")
    print(" ".join(map(str, cells[1 : n + 1])))


main()
""",
    },
    # --- 16: 127C Hot Bath -----------------------------------------------------------------------------------
    16: {
        "name": "127C Hot Bath",
        "compare": "exact",
        "bug": "ties not broken toward the fastest fill",
        "correct": r"""
import sys


def main():
    t1, t2, x1, x2, t0 = map(int, sys.stdin.read().split())
    if t1 == t2:
        print(x1, x2)
        return
    if t0 == t2:
        print(0, x2)
        return
    a, b = t0 - t1, t2 - t0
    # y1 cold units need y2 = ceil(a*y1/b) hot units; the excess temperature is r/(y1+y2), r = b*y2 - a*y1.
    best_r, best_total, best = b * x2, x2, (0, x2)  # y1 = 0: only the hot tap, fully open
    for y1 in range(1, x1 + 1):
        y2 = (a * y1 + b - 1) // b
        if y2 > x2:
            break
        r = b * y2 - a * y1
        total = y1 + y2
        left, right = r * best_total, best_r * total
        if left < right or (left == right and total > best_total):
            best_r, best_total, best = r, total, (y1, y2)
    print(*best)


main()
""",
        "wrong": r"""
import sys


def main():
    t1, t2, x1, x2, t0 = map(int, sys.stdin.read().split())
    if t1 == t2:
        print(x1, x2)
        return
    if t0 == t2:
        print(0, x2)
        return
    a, b = t0 - t1, t2 - t0
    # y1 cold units need y2 = ceil(a*y1/b) hot units; the excess temperature is r/(y1+y2), r = b*y2 - a*y1.
    best_r, best_total, best = b * x2, x2, (0, x2)  # y1 = 0: only the hot tap, fully open
    for y1 in range(1, x1 + 1):
        y2 = (a * y1 + b - 1) // b
        if y2 > x2:
            break
        r = b * y2 - a * y1
        total = y1 + y2
        left, right = r * best_total, best_r * total
        if left < right:
            best_r, best_total, best = r, total, (y1, y2)
    print(*best)


main()
""",
    },
    # --- 17: 12B Correct Solution? ---------------------------------------------------------------------------
    17: {
        "name": "12B Correct Solution?",
        "compare": "exact",
        "bug": "compares the numbers, so leading zeros in Bob's answer pass",
        "correct": r"""
import sys


def main():
    tokens = sys.stdin.read().split()
    n, m = tokens[0], tokens[1] if len(tokens) > 1 else ""
    digits = sorted(n)
    if digits[0] == "0" and len(digits) > 1:
        first = next(i for i, ch in enumerate(digits) if ch != "0") if any(ch != "0" for ch in digits) else 0
        digits[0], digits[first] = digits[first], digits[0]
    print("OK" if "".join(digits) == m else "WRONG_ANSWER")


main()
""",
        "wrong": r"""
import sys


def main():
    tokens = sys.stdin.read().split()
    n, m = tokens[0], tokens[1] if len(tokens) > 1 else "0"
    digits = sorted(n)
    if digits[0] == "0" and len(digits) > 1:
        first = next(i for i, ch in enumerate(digits) if ch != "0") if any(ch != "0" for ch in digits) else 0
        digits[0], digits[first] = digits[first], digits[0]
    print("OK" if int("".join(digits)) == int(m) else "WRONG_ANSWER")


main()
""",
    },
    # --- 18: 1323D Present -----------------------------------------------------------------------------------
    18: {
        "name": "1323D Present",
        "compare": "exact",
        "bug": "the carry range [2^(k+1) + 2^k, 2^(k+2)) of the pairwise sums is missed",
        "correct": r"""
import sys
from bisect import bisect_left


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    a = [int(x) for x in data[1 : 1 + n]]
    answer = 0
    for bit in range(25):  # pairwise sums stay below 2 * 10**7 < 2**25
        mod = 1 << (bit + 1)
        low = 1 << bit
        b = sorted(x % mod for x in a)
        pairs = 0
        for i, x in enumerate(b):
            # partners j > i whose sum with x, taken modulo 2*mod, has this bit set:
            # the sum lies in [low, mod) or in [mod + low, 2*mod)
            pairs += bisect_left(b, mod - x, i + 1) - bisect_left(b, low - x, i + 1)
            pairs += n - bisect_left(b, mod + low - x, i + 1)
        if pairs & 1:
            answer |= low
    print(answer)


main()
""",
        "wrong": r"""
import sys
from bisect import bisect_left


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    a = [int(x) for x in data[1 : 1 + n]]
    answer = 0
    for bit in range(25):  # pairwise sums stay below 2 * 10**7 < 2**25
        mod = 1 << (bit + 1)
        low = 1 << bit
        b = sorted(x % mod for x in a)
        pairs = 0
        for i, x in enumerate(b):
            # partners j > i whose sum with x, taken modulo 2*mod, has this bit set:
            # the sum lies in [low, mod) or in [mod + low, 2*mod)
            pairs += bisect_left(b, mod - x, i + 1) - bisect_left(b, low - x, i + 1)
        if pairs & 1:
            answer |= low
    print(answer)


main()
""",
    },
    # --- 19: 1342C Yet Another Counting Problem --------------------------------------------------------------
    19: {
        "name": "1342C Yet Another Counting Problem",
        "compare": "tokens",
        "bug": "counts [l + 1, r] instead of [l, r]",
        "note": (
            "The expected outputs disagree on layout (trailing spaces on most, none on four, one number per "
            "line in the statement's example), so the check compares tokens."
        ),
        "correct": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    t = int(data[0])
    pos = 1
    out = []
    for _ in range(t):
        a, b, q = int(data[pos]), int(data[pos + 1]), int(data[pos + 2])
        pos += 3
        period = a * b
        prefix = [0] * (period + 1)  # prefix[i]: x in [0, i) with (x % a) % b != (x % b) % a
        for x in range(period):
            prefix[x + 1] = prefix[x] + ((x % a) % b != (x % b) % a)

        def count(limit):  # x in [0, limit]
            return (limit + 1) // period * prefix[period] + prefix[(limit + 1) % period]

        answers = []
        for _ in range(q):
            low, high = int(data[pos]), int(data[pos + 1])
            pos += 2
            answers.append(count(high) - count(low - 1))
        out.append("".join("%d " % v for v in answers))
    sys.stdout.write("\n".join(out) + "\n")


main()
""",
        "wrong": r"""
import sys


def main():
    data = sys.stdin.buffer.read().split()
    t = int(data[0])
    pos = 1
    out = []
    for _ in range(t):
        a, b, q = int(data[pos]), int(data[pos + 1]), int(data[pos + 2])
        pos += 3
        period = a * b
        prefix = [0] * (period + 1)  # prefix[i]: x in [0, i) with (x % a) % b != (x % b) % a
        for x in range(period):
            prefix[x + 1] = prefix[x] + ((x % a) % b != (x % b) % a)

        def count(limit):  # x in [0, limit]
            return (limit + 1) // period * prefix[period] + prefix[(limit + 1) % period]

        answers = []
        for _ in range(q):
            low, high = int(data[pos]), int(data[pos + 1])
            pos += 2
            answers.append(count(high) - count(low))
        out.append("".join("%d " % v for v in answers))
    sys.stdout.write("\n".join(out) + "\n")


main()
""",
    },
}


# --- judging ----------------------------------------------------------------------------------------------
def verl_match(stdout: str, expected: str) -> bool:
    """verl's compare (``sandbox_fusion/utils.py``): trailing newlines aside, the same text."""
    return stdout.rstrip("\n") == expected.rstrip("\n")


def check_tiles(stdin: str, stdout: str, expected: str) -> bool:
    """1214H's checker: the verdict word of the expected output (case-insensitively) and, for "Yes", n
    colours in 1..k such that every simple path of exactly k squares holds all k (by enumeration: the
    sample's trees are small)."""
    want, got = expected.split(), stdout.split()
    if not want or not got or want[0].lower() != got[0].lower():
        return False
    if want[0].lower() == "no":
        return len(got) == 1
    tokens = stdin.split()
    n, k = int(tokens[0]), int(tokens[1])
    try:
        colours = [int(x) for x in got[1:]]
    except ValueError:
        return False
    if len(colours) != n or any(not 1 <= c <= k for c in colours):
        return False
    adjacency: list[list[int]] = [[] for _ in range(n + 1)]
    for i in range(n - 1):
        u, v = int(tokens[2 + 2 * i]), int(tokens[3 + 2 * i])
        adjacency[u].append(v)
        adjacency[v].append(u)
    for start in range(1, n + 1):
        stack = [(start, 0, 1, {colours[start - 1]})]
        while stack:
            v, parent, size, seen = stack.pop()
            if size == k:
                if len(seen) != k:
                    return False
                continue
            for w in adjacency[v]:
                if w != parent:
                    stack.append((w, v, size + 1, seen | {colours[w - 1]}))
    return True


def case_passes(problem_id: int, stdin: str, stdout: str, expected: str) -> bool:
    """The output judged with the problem's compare (see ``PROGRAMS[problem_id]["compare"]``)."""
    compare = PROGRAMS[problem_id]["compare"]
    if compare == "tokens":
        return stdout.split() == expected.split()
    if compare == "checker":
        return check_tiles(stdin, stdout, expected)
    return verl_match(stdout, expected)


# --- running on the host ----------------------------------------------------------------------------------
def load_problems(path: Path = DEFAULT_DATA) -> list[dict[str, Any]]:
    """The sample's rows, each with its tests parsed: ``[{"id", "name", "tests": [(stdin, stdout)]}]``."""
    problems = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            tests = [(t["input"]["stdin"], t["output"]["stdout"]) for t in json.loads(row["test"])]
            problems.append({"id": int(row["id"]), "name": json.loads(row["labels"])["name"], "tests": tests})
    return sorted(problems, key=lambda p: p["id"])


def run_direct(code: str, stdin: str, timeout: float = 10.0) -> tuple[int | None, str, float]:
    """``python -c code`` on the host with ``stdin``: (exit code, None on timeout; stdout; seconds)."""
    with tempfile.TemporaryDirectory(prefix="referee-cc-") as work:
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=work,
            )
        except subprocess.TimeoutExpired:
            return None, "", time.perf_counter() - started
        return proc.returncode, proc.stdout, time.perf_counter() - started


def judge(problem_id: int, code: str, tests: list[tuple[str, str]], workers: int) -> list[tuple[bool, bool, float]]:
    """Per test: passes under the problem's compare, passes under verl's, seconds."""

    def one(test: tuple[str, str]) -> tuple[bool, bool, float]:
        stdin, expected = test
        exit_code, stdout, seconds = run_direct(code, stdin)
        ok = exit_code == 0
        return ok and case_passes(problem_id, stdin, stdout, expected), ok and verl_match(stdout, expected), seconds

    with ThreadPoolExecutor(workers) as threads:
        return list(threads.map(one, tests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workers", type=int, default=2, help="host programs run at once")
    args = parser.parse_args()
    problems = load_problems(args.data)
    assert sorted(p["id"] for p in problems) == sorted(PROGRAMS), "the programs do not cover the sample"
    print(f"{'id':>2}  {'problem':44} {'tests':>5}  {'compare':8} {'correct':>9} {'exact':>9} {'slowest':>8}  wrong")
    good = True
    for problem in problems:
        pid, tests = problem["id"], problem["tests"]
        entry = PROGRAMS[pid]
        cells = {kind: judge(pid, entry[kind], tests, args.workers) for kind in ("correct", "wrong") if entry[kind]}
        total = len(tests)
        if "correct" in cells:
            passed = sum(c[0] for c in cells["correct"])
            exact = sum(c[1] for c in cells["correct"])
            slowest = max(c[2] for c in cells["correct"])
            correct_text = f"{passed:>4}/{total:<4}"
            exact_text = f"{exact:>4}/{total:<4}"
            slow_text = f"{slowest * 1000:6.0f}ms"
            good &= passed == total
        else:
            correct_text, exact_text, slow_text = f"{'none':>9}", f"{'-':>9}", f"{'-':>8}"
        wrong_pass = sum(c[0] for c in cells["wrong"])
        good &= wrong_pass < total
        print(
            f"{pid:>2}  {problem['name'][:44]:44} {total:>5}  {entry['compare']:8} {correct_text} {exact_text} "
            f"{slow_text}  {total - wrong_pass} of {total} fail ({entry['bug']})"
        )
    print("all claims hold" if good else "SOME CLAIM FAILS")
    if not good:
        sys.exit(1)


if __name__ == "__main__":
    main()
