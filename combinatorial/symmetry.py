"""Symmetry breaking for searches over hidden targets.

Negating a hidden unit (its targets, its incoming weights and the matching outgoing weights) and
permuting the units of a layer give the same function, so a search that ignores this explores
width! * 2^width copies of every answer. Both symmetries are broken together, per hidden layer:

* sign: every unit's target on merged example 0 is +1;
* order: the units' target columns are lexicographically non-increasing (example 0 first).

Any solution can be brought into this form (flip each unit to +1 on example 0, then sort the
columns), so adding these constraints never turns a feasible instance infeasible, for every
objective that only looks at outputs, error counts, margins or weight counts.
"""

from __future__ import annotations

import numpy as np

from . import deadline
from .clauses import SYMMETRY, ClauseModel


def canonicalize(targets: np.ndarray) -> np.ndarray:
    """Canonical form of one layer's ±1 targets (m x width): sign-fixed, columns sorted."""
    T = np.asarray(targets).copy()
    if T.size == 0:
        return T
    T = T * np.where(T[0:1, :] >= 0, 1, -1)
    keys = [tuple(col) for col in (T.T > 0).astype(int)]
    order = sorted(range(T.shape[1]), key=lambda j: keys[j], reverse=True)
    return T[:, order]



def add_cpsat_symmetry_breaking(cm: ClauseModel, t, *, name: str = "", fix_sign: bool = True) -> int:
    """Add both symmetry breakings for one layer to ``cm`` (clauses of the ``symmetry`` family).

    ``fix_sign=False`` adds the order only, for a caller that spends the sign symmetry
    elsewhere (e.g. on non-negative outgoing weights of the last hidden layer).

    ``t[j][i]`` is the Boolean "unit j has target +1 on merged example i". Returns the number of
    clauses added. The lexicographic order between consecutive units a, b uses prefix-equality
    literals e_i ("a and b agree on examples < i"): e_0 holds; e_i => a_i >= b_i; and
    e_i and a_i == b_i => e_{i+1}.
    """
    added = 0
    width = len(t)
    if width == 0:
        return 0
    m = len(t[0])
    for j in range(width if fix_sign else 0):
        cm.fix(SYMMETRY, t[j][0], True)
        added += 1
    for j in range(width - 1):
        deadline.check()
        a, b = t[j], t[j + 1]
        e = [None] + [cm.bool_var(f"lex{name}[{j}][{i}]") for i in range(1, m)]
        for i in range(m):
            cond = [] if i == 0 else [e[i].Not()]
            cm.clause(SYMMETRY, cond + [a[i], b[i].Not()])
            added += 1
            if i + 1 < m:
                cm.clause(SYMMETRY, cond + [a[i].Not(), b[i].Not(), e[i + 1]])
                cm.clause(SYMMETRY, cond + [a[i], b[i], e[i + 1]])
                added += 2
    return added


def hint_targets(problem, warm_start, *, canonical: bool) -> list[np.ndarray] | None:
    """Warm-start targets (per hidden layer, original examples) on the merged examples, in the
    canonical form of :func:`canonicalize` when the search breaks symmetries (a hint outside
    that form would be rejected at once); None without a warm start."""
    if warm_start is None:
        return None
    targets = problem.merged_targets(warm_start)
    return [canonicalize(T) for T in targets] if canonical else targets


def linear_code(problem, *, narrow: bool) -> list[np.ndarray] | None:
    """Hidden targets repeating the output code (one-vs-rest columns for k classes, the label for
    two) in every hidden layer, cycling through it when a layer is wider. A layer narrower than
    the code cannot carry it: None, unless ``narrow`` (then it takes the first columns)."""
    code = np.asarray(problem.Yu, dtype=np.int8)
    k = code.shape[1]
    if not narrow and any(width < k for width in problem.hidden):
        return None
    return [code[:, np.arange(width) % k] for width in problem.hidden]
