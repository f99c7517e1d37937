r"""Exact arithmetic behind every answer the engine gives.

A float is an exact rational (``Fraction(0.1)`` is 3602879701896397/2^55), so the user's data and
the weights the engine returns can be checked without any tolerance:

* :func:`signs` is the forward pass of one layer, sign(W u + b) with sign(0) = +1, decided
  exactly. It computes z in floats together with a rigorous bound on the rounding error of that
  computation (Higham's gamma_n bound for a dot product in any summation order, doubled, plus
  the absolute error of underflowing products); where |z| exceeds the bound the float sign is
  the true sign, and every other entry (ties, near-ties, overflow) is recomputed in rational
  arithmetic. The result is the exact sign of every entry, at float speed on ordinary data.
* :func:`verify_farkas` checks a Farkas certificate of an inseparable unit: multipliers
  lam >= 0 with sum(lam) > 0 and sum_i lam_i t_i [u_i, 1] = 0, exactly, on the unscaled data;
  then no real (w, b) reproduces the targets under the sign rule (proof in its docstring).
* :func:`farkas_multipliers` turns the float LP's support into exact multipliers (a null-space
  solve over ``Fraction``, or an exact LP on the support when the null space is wider).
* :func:`decide` settles a unit the float LPs could not: an exact rational simplex
  (:mod:`combinatorial.rational_lp`) with row generation, stopped at the solve's deadline
  (:mod:`combinatorial.deadline`), returning verified weights or a verified certificate, or
  nothing.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import deadline, rational_lp

_U = 2.0**-53  # unit roundoff of IEEE double
_TINY = 2.0**-1074  # smallest subnormal: bounds the absolute error of an underflowing product


def rational(v) -> Fraction:
    """The exact value of a float, int, Fraction or 'p/q' string."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (str, int, np.integer)):
        return Fraction(v if isinstance(v, str) else int(v))
    return Fraction(float(v))


def exact_dot(u, w, b) -> Fraction:
    """sum_k w_k u_k + b in rational arithmetic."""
    total = rational(b)
    for uk, wk in zip(u, w):
        if uk != 0 and wk != 0:
            total += Fraction(float(uk)) * Fraction(float(wk))
    return total


def _rational_score(u, w: list[Fraction], b: Fraction) -> Fraction:
    return sum((Fraction(float(uk)) * wk for uk, wk in zip(u, w) if uk != 0 and wk != 0), b)


def signs(U, W, b) -> np.ndarray:
    """Exact sign(U @ W.T + b) as ±1 int8 (n x units), sign(0) = +1 (see the module docstring)."""
    U = np.asarray(U, dtype=float)
    W = np.atleast_2d(np.asarray(W, dtype=float))
    b = np.asarray(b, dtype=float).reshape(-1)
    if U.ndim == 1:
        U = U[:, None]
    with np.errstate(all="ignore"):
        z = U @ W.T + b
        mag = np.abs(U) @ np.abs(W).T + np.abs(b)
        n_terms = U.shape[1] + 2
        bound = 2.0 * n_terms * _U * mag + n_terms * _TINY
    out = np.where(z >= 0, 1, -1).astype(np.int8)
    undecided = ~(np.isfinite(z) & np.isfinite(bound) & (np.abs(z) > bound))
    for i, j in zip(*np.nonzero(undecided)):
        out[i, j] = 1 if exact_dot(U[i], W[j], b[j]) >= 0 else -1
    return out


def separates(U, t, w, b) -> bool:
    """Does sign(w . u_i + b) equal t_i for every row, exactly?"""
    t = np.asarray(t).reshape(-1)
    if len(t) == 0:
        return True
    return bool(np.all(signs(U, np.asarray(w, dtype=float)[None, :], [b])[:, 0] == t))


def verify_farkas(U, t, subset, multipliers) -> bool:
    """Exact check that ``subset`` of the unit (inputs U, targets t) cannot be separated.

    Requires lam_i >= 0, sum lam_i > 0 and sum_i lam_i t_i [u_i, 1] = 0 in rational arithmetic on
    the given (unscaled) U. Why that proves it: for any (w, b) with z_i = w . u_i + b,
    sum_i lam_i t_i z_i = 0. A network unit reproducing the targets has t_i z_i >= 0 everywhere
    (z >= 0 on +1, z < 0 on -1), so every lam_i t_i z_i is 0; the bias row sum lam_i t_i = 0
    puts positive weight on some -1 target, where t_i z_i > 0: a contradiction. Multipliers may
    be Fractions, ints, floats (taken at their exact value) or 'p/q' strings.
    """
    U = np.asarray(U, dtype=float)
    if U.ndim == 1:
        U = U[:, None]
    t = np.asarray(t).reshape(-1)
    subset = [int(i) for i in np.asarray(subset).reshape(-1)]
    lam = [rational(v) for v in multipliers]
    if not subset or len(lam) != len(subset) or any(v < 0 for v in lam) or sum(lam) <= 0:
        return False
    if any(i < 0 or i >= len(t) for i in subset) or any(abs(int(t[i])) != 1 for i in subset):
        return False
    for k in range(U.shape[1] + 1):
        total = Fraction(0)
        for i, v in zip(subset, lam):
            if v:
                x = 1.0 if k == U.shape[1] else U[i, k]
                if x:
                    total += v * int(t[i]) * Fraction(float(x))
        if total != 0:
            return False
    return True


def _columns(U, t, subset) -> list[list[Fraction]]:
    """Rows k = 0..d of the matrix whose column i is t_i [u_i, 1], as Fractions."""
    d = U.shape[1]
    return [[Fraction(float(U[i, k] if k < d else 1.0)) * int(t[i]) for i in subset] for k in range(d + 1)]


def _null_space(M: list[list[Fraction]], n_cols: int) -> list[list[Fraction]]:
    """Basis of {x : M x = 0} by exact Gauss-Jordan elimination."""
    rows = [r[:] for r in M if any(r)]
    pivots = []
    r = 0
    for c in range(n_cols):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        inv = 1 / rows[r][c]
        rows[r] = [v * inv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
        pivots.append(c)
        r += 1
        if r == len(rows):
            break
    free = [c for c in range(n_cols) if c not in pivots]
    basis = []
    for f in free:
        x = [Fraction(0)] * n_cols
        x[f] = Fraction(1)
        for i, c in enumerate(pivots):
            x[c] = -rows[i][f]
        basis.append(x)
    return basis


def farkas_multipliers(U, t, support) -> tuple[np.ndarray, list[Fraction]] | None:
    """Exact Farkas multipliers on ``support`` (the float LP's non-zeros), verified, or None."""
    U = np.asarray(U, dtype=float)
    if U.ndim == 1:
        U = U[:, None]
    support = np.asarray(support, dtype=int).reshape(-1)
    if len(support) == 0:
        return None
    M = _columns(U, t, support)
    basis = _null_space(M, len(support))
    lam = None
    if len(basis) == 1:
        v = basis[0]
        if all(x <= 0 for x in v):
            v = [-x for x in v]
        if all(x >= 0 for x in v) and sum(v) > 0:
            lam = v
    elif len(basis) > 1:
        try:
            lam = _lp_farkas(M, len(support))
        except deadline.TimeLimit:
            return None
    if lam is None:
        return None
    keep = [i for i, v in enumerate(lam) if v != 0]
    total = sum(lam)
    subset, mult = support[keep], [lam[i] / total for i in keep]
    return (subset, mult) if verify_farkas(U, t, subset, mult) else None


def _lp_farkas(M: list[list[Fraction]], n: int) -> list[Fraction] | None:
    """Exact LP: lam >= 0, M lam = 0, sum lam = 1."""
    A = [list(row) for row in M] + [[Fraction(1)] * n]
    return rational_lp.solve(A, [Fraction(0)] * len(M) + [Fraction(1)], deadline=deadline.get())


def _lp_separate(U, t, rows) -> tuple[list[Fraction], Fraction] | None:
    """Exact LP on ``rows``: some (w, b) with t_i (w . u_i + b) >= 1, smallest L1 norm of w; None
    when infeasible. Variables: w+ and b+, w- and b-, one surplus per row."""
    d, n = U.shape[1], len(rows)
    A = []
    for r, i in enumerate(rows):
        a = [Fraction(float(U[i, k])) * int(t[i]) for k in range(d)] + [Fraction(int(t[i]))]
        A.append(a + [-v for v in a] + [Fraction(-int(r == q)) for q in range(n)])
    cost = [Fraction(1)] * d + [Fraction(0)] + [Fraction(1)] * d + [Fraction(0)] * (1 + n)
    x = rational_lp.solve(A, [Fraction(1)] * n, cost, deadline=deadline.get())
    if x is None:
        return None
    v = [a - b for a, b in zip(x[: d + 1], x[d + 1 : 2 * d + 2])]
    return v[:d], v[d]


# Row generation bounds for :func:`decide`: a dense exact simplex is exact but slow.
DECIDE_MAX_ROUNDS = 12
DECIDE_MAX_CELLS = 12000  # rows x columns of the largest exact tableau tried


def decide(U, t) -> tuple[str, object, object]:
    """Settle separability exactly: ("separable", w, b) with float weights verified by
    :func:`separates`; ("inseparable", subset, multipliers) verified by :func:`verify_farkas`;
    or ("undecided", reason, None)."""
    U = np.asarray(U, dtype=float)
    if U.ndim == 1:
        U = U[:, None]
    t = np.asarray(t).reshape(-1)
    n, d = U.shape
    cap = 1  # the most rows whose tableau (rows x (2 (d + 1) + 2 rows)) fits the cell budget
    while (cap + 1) * (2 * (d + 1) + 2 * (cap + 1)) <= DECIDE_MAX_CELLS:
        cap += 1
    try:
        return _decide(U, t, n, d, cap)
    except deadline.TimeLimit:
        return "undecided", "the time limit was reached during the exact LP", None


def _decide(U, t, n, d, cap) -> tuple[str, object, object]:
    step = max(1, n // max(1, min(n, 2 * (d + 2))))
    work = sorted(set(range(0, n, step)))[:cap]
    for _ in range(DECIDE_MAX_ROUNDS):
        fit = _lp_separate(U, t, work)
        if fit is None:
            found = _lp_farkas(_columns(U, t, work), len(work))
            if found is not None:
                sub = np.asarray(work)
                got = farkas_multipliers(U, t, sub[[i for i, v in enumerate(found) if v != 0]])
                if got is not None:
                    return "inseparable", got[0], got[1]
            return "undecided", "the exact LP found no certificate it could verify", None
        w, b = fit
        wf, bf = np.array([float(v) for v in w]), float(b)
        if separates(U, t, wf, bf):
            return "separable", wf, bf
        inside = set(work)
        bad = [i for i in range(n) if i not in inside and int(t[i]) * _rational_score(U[i], w, b) < 1]
        if not bad:
            return "undecided", "exact weights exist but do not survive rounding to floats", None
        room = cap - len(work)
        if room <= 0:
            return "undecided", f"the exact LP would need more than {cap} examples", None
        work = sorted(set(work) | set(bad[: min(room, d + 1)]))
    return "undecided", f"no exact answer within {DECIDE_MAX_ROUNDS} rounds of row generation", None
