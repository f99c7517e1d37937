"""A small exact simplex over ``fractions.Fraction`` for :func:`combinatorial.exact.decide`.

Why not a library: SymPy's rational ``linprog`` (what this replaced) cycles or stalls on the
degenerate systems the exact fallback meets (a 4 x 8 Farkas system from an 8-point data set ran
for minutes), and it cannot be interrupted at a deadline. This one is a dense two-phase tableau
simplex with Bland's rule, which never cycles, and it checks the deadline before every pivot.
Its answers are not trusted: :mod:`combinatorial.exact` verifies every solution it uses.

:func:`solve` minimises ``c . x`` subject to ``A x = b``, ``x >= 0`` and returns the optimal
basic solution, or None when the system has no solution. :class:`~combinatorial.deadline.TimeLimit` is raised past the
deadline. The problems here are bounded below (the costs are non-negative), so there is no
unbounded case to report.
"""

from __future__ import annotations

import time
from fractions import Fraction

from .deadline import TimeLimit

_ZERO = Fraction(0)


def solve(A: list[list[Fraction]], b: list[Fraction], c: list[Fraction] | None = None,
          deadline: float | None = None) -> list[Fraction] | None:
    """argmin c.x s.t. A x = b, x >= 0 (a basic optimal solution), None when infeasible."""
    m, n = len(A), len(A[0]) if A else 0
    rows = []
    for i in range(m):  # b >= 0 row by row, then one artificial variable per row
        sign = -1 if b[i] < 0 else 1
        rows.append([sign * Fraction(v) for v in A[i]] + [Fraction(int(k == i)) for k in range(m)]
                    + [sign * Fraction(b[i])])
    basis = list(range(n, n + m))
    # phase 1: minimise the sum of the artificials
    _optimise(rows, basis, [_ZERO] * n + [Fraction(1)] * m, n + m, deadline)
    if sum((rows[i][-1] for i in range(m) if basis[i] >= n), _ZERO) != 0:
        return None
    _drive_out_artificials(rows, basis, n)
    keep = [i for i in range(len(rows)) if basis[i] < n]  # rows left with an artificial are redundant
    rows = [rows[i][:n] + [rows[i][-1]] for i in keep]
    basis = [basis[i] for i in keep]
    if c is not None and any(c):
        _optimise(rows, basis, [Fraction(v) for v in c], n, deadline)
    x = [_ZERO] * n
    for i, j in enumerate(basis):
        x[j] = rows[i][-1]
    return x


def _optimise(rows, basis, cost, n_cols, deadline) -> None:
    """Pivot to optimality under ``cost`` (columns 0..n_cols-1), Bland's rule."""
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeLimit
        duals = [cost[j] for j in basis]
        enter = None
        for j in range(n_cols):
            if j in basis:
                continue
            reduced = cost[j] - sum((d * r[j] for d, r in zip(duals, rows) if d and r[j]), _ZERO)
            if reduced < 0:
                enter = j
                break
        if enter is None:
            return
        leave, best = None, None
        for i, r in enumerate(rows):
            if r[enter] > 0:
                ratio = r[-1] / r[enter]
                if best is None or ratio < best or (ratio == best and basis[i] < basis[leave]):
                    leave, best = i, ratio
        if leave is None:  # unbounded: cannot happen for the non-negative costs used here
            raise ValueError("unbounded exact LP")
        _pivot(rows, basis, leave, enter)


def _drive_out_artificials(rows, basis, n) -> None:
    """Swap every basic artificial (at level 0 after phase 1) for a real column where possible."""
    for i in range(len(rows)):
        if basis[i] >= n:
            j = next((j for j in range(n) if rows[i][j] != 0 and j not in basis), None)
            if j is not None:
                _pivot(rows, basis, i, j)


def _pivot(rows, basis, r, j) -> None:
    p = rows[r][j]
    rows[r] = [v / p for v in rows[r]]
    pr = rows[r]
    for i, row in enumerate(rows):
        f = row[j]
        if i != r and f:
            rows[i] = [a - f * q if q else a for a, q in zip(row, pr)]
    basis[r] = j
