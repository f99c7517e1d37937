"""Weights from targets: every unit's LP fit, and the checks that make an answer an answer.

Shared by the engine (:mod:`combinatorial.engine` fits and verifies what a backend returns) and
by the backends that fit networks on the way (lazy's min-errors repair, full-batch FTPROP). It
imports no backend and not the engine.
"""

from __future__ import annotations

import numpy as np

from . import deadline
from .network import LayerWeights, forward
from .problem import Problem
from .separability import check_separable, highs_limits
from .solution import VerificationError


def fit_network(problem: Problem, hidden_targets, kept=None, *, strict: bool = True):
    """Fit every unit to its targets on the ``kept`` merged examples.

    Returns (layers, n_unfit_units, undecided): ``undecided`` names the first unit whose
    separability floats could not settle (None when there is none). With ``strict`` a unit
    proved inseparable raises :class:`VerificationError` (the backend promised separable
    targets); every unit that is not fitted exactly gets the LP that minimises its total hinge
    slack, the best-effort weights of an UNKNOWN answer.
    """
    m = problem.n_merged
    kept = np.ones(m, dtype=bool) if kept is None else np.asarray(kept, dtype=bool)
    layers, unfit, undecided = [], 0, None
    for layer in range(1, len(problem.hidden) + 2):
        U = problem.unit_inputs(hidden_targets, layer)[kept]
        T = problem.unit_targets(hidden_targets, layer)[kept]
        W, b = np.zeros((T.shape[1], U.shape[1])), np.zeros(T.shape[1])
        for j in range(T.shape[1]):
            if deadline.passed():  # the rest keep the constant fit: no claim rests on them
                undecided = undecided or f"the time limit was reached before layer {layer} unit {j} was fitted"
                unfit += T.shape[1] - j
                W[j:], b[j:] = 0.0, 1.0
                break
            r = check_separable(U, T[:, j], sparse=True)
            if r.separable is True:
                W[j], b[j] = r.w, r.b
                continue
            if r.separable is False and strict:
                raise VerificationError(f"layer {layer} unit {j}: targets from the backend are not separable")
            if r.separable is None and undecided is None:
                undecided = f"layer {layer} unit {j}: {r.reason}"
            unfit += 1
            W[j], b[j], _ = min_slack(U, T[:, j])
        layers.append(LayerWeights(W, b))
    return layers, unfit, undecided


def min_slack(U, t, c=None):
    """LP: minimise sum_i c_i s_i with t_i (w . u_i + b) >= 1 - s_i, s >= 0 (c = 1 by default).

    Returns (w, b, s) with w for the unscaled inputs. Constant targets, an empty unit or an LP
    that HiGHS cannot solve give the constant fit (w = 0, b = the heavier side's sign)."""
    from scipy.optimize import linprog

    U = np.asarray(U, dtype=float)
    t = np.asarray(t, dtype=float).reshape(-1)
    n, d = U.shape
    c = np.ones(n) if c is None else np.asarray(c, dtype=float)
    b0 = float(np.sign(c @ t) or 1.0) if n else 1.0
    trivial = np.zeros(d), b0, np.where(t * b0 < 0, 2.0, 0.0)
    if n == 0 or np.all(t == t[0]):
        return trivial
    scale = np.max(np.abs(U), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    A = -(t[:, None] * np.concatenate([U / scale, np.ones((n, 1))], axis=1))
    res = linprog(np.concatenate([np.zeros(d + 1), c]), A_ub=np.concatenate([A, -np.eye(n)], axis=1),
                  b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1) + [(0, None)] * n, method="highs",
                  options=highs_limits())
    if res.status != 0:
        return trivial
    x = res.x
    return x[:d] / scale, float(x[d]), np.maximum(x[d + 1 :], 0.0)


def training_errors(problem: Problem, layers) -> np.ndarray:
    """Boolean mask over the original examples: does the network's output row miss the target row?
    (The forward pass is exact: :mod:`combinatorial.exact`.)"""
    out = forward(layers, problem.X, shortcut=problem.shortcut)[-1]
    return np.any(out != problem.Y, axis=1)
