"""One set of tiny instances, every importable backend, checked against the enumerate reference.

Every FEASIBLE / OPTIMAL answer is re-checked here with a forward pass written in this file, so
the test trusts neither the backend nor :func:`combinatorial.solve`'s own verification.
"""

import numpy as np
import pytest

from combinatorial import ALL_REAL_WEIGHTS, BACKENDS, Status, solve
from instances import INSTANCES

EXACT = {"auto", "lazy", "enumerate"}  # must always decide these instances
# A heuristic never proves infeasibility and searches until its limit: keep its runs short.
TIME_LIMIT = {"fullbatch": 0.5}


def _targets(y):
    classes = np.unique(y)
    if len(classes) == 2:
        return np.where(y == classes[1], 1, -1)[:, None]
    return np.where(y[:, None] == classes[None, :], 1, -1)


def _forward(layers, X, shortcut):
    h = np.asarray(X, float)
    for l, layer in enumerate(layers):
        inp = np.concatenate([h, X], axis=1) if shortcut and l == len(layers) - 1 else h
        h = np.where(inp @ layer.W.T + layer.b >= 0, 1, -1)
    return h


def _errors(sol, inst):
    out = _forward(sol.layers, inst.X, inst.shortcut)
    return int(np.any(out != _targets(inst.y), axis=1).sum())


_REF = {}


def reference(inst, objective):
    key = (inst.id, objective)
    if key not in _REF:
        _REF[key] = solve(inst.X, inst.y, hidden=inst.hidden, shortcut=inst.shortcut,
                          backend="enumerate", objective=objective)
    return _REF[key]


@pytest.mark.parametrize("inst", INSTANCES, ids=lambda i: i.id)
def test_feasibility_agrees(inst, backend):
    ref = reference(inst, "feasibility")
    assert ref.status in (Status.FEASIBLE, Status.INFEASIBLE)
    if ref.status == Status.FEASIBLE:
        assert _errors(ref, inst) == 0
    sol = solve(inst.X, inst.y, hidden=inst.hidden, shortcut=inst.shortcut, backend=backend,
                time_limit=TIME_LIMIT.get(backend, 20), seed=1)
    if sol.status == Status.FEASIBLE:
        assert _errors(sol, inst) == 0
        assert ref.status == Status.FEASIBLE
    elif sol.status == Status.INFEASIBLE:
        if ref.status == Status.FEASIBLE:  # only a narrower (integer) scope may disagree
            assert sol.proved_for != ALL_REAL_WEIGHTS
    else:
        assert backend not in EXACT, f"{backend} left a tiny instance {sol.status}"
    if backend in EXACT:
        assert sol.status == ref.status
        if sol.status == Status.INFEASIBLE:
            assert sol.proved_for == ALL_REAL_WEIGHTS


MIN_ERR = [i for i in INSTANCES
           if i.id in ("xor-h1", "xor-h2", "xor-h1-sc", "parity3-h2", "parity3-h3", "blobs3-h1")
           or i.name.startswith("rand1")]


@pytest.mark.parametrize("inst", MIN_ERR, ids=lambda i: i.id)
def test_min_errors_agrees(inst, backend):
    ref = reference(inst, "min-errors")
    assert ref.status == Status.OPTIMAL
    assert _errors(ref, inst) == ref.train_errors == ref.lower_bound
    sol = solve(inst.X, inst.y, hidden=inst.hidden, shortcut=inst.shortcut, backend=backend,
                objective="min-errors", time_limit=TIME_LIMIT.get(backend, 20), seed=1)
    if sol.layers is not None:
        assert _errors(sol, inst) == sol.train_errors
        assert sol.train_errors >= ref.train_errors  # nobody beats the optimum
    if sol.status == Status.OPTIMAL and sol.proved_for == ALL_REAL_WEIGHTS:
        assert sol.train_errors == ref.train_errors
    if backend in EXACT:
        assert sol.status == Status.OPTIMAL and sol.train_errors == ref.train_errors
