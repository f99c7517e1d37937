"""Valid constraints on hidden targets, for CP-SAT searches over t[l][j][i].

Every constraint here holds for the targets of *some* optimal network whenever one exists, so
adding them never changes a feasibility answer or an optimal error count. The argument is the
same for all of them: take any network that fits the kept examples, replace every hidden target
by that network's actual output on every example (kept or not), and the constraints hold.

* :func:`add_distinct_codes`: two examples with different output rows must reach the output
  with different codes at every hidden layer (the rest of the network is a function of them).
* :func:`add_monotone_output`: with a single output unit and no shortcut, negating last-layer
  hidden units makes every outgoing weight >= 0 (the sign symmetry, spent here instead of on
  example 0); the output is then monotone in the code, so a positive example's code is not
  below a negative example's code: some unit is +1 on the positive and -1 on the negative one.
  Stronger than distinct codes; used in their place on the last hidden layer.
* :func:`add_unateness`: a first-layer unit is sign(w . x + b); along a coordinate k its output
  is monotone, non-decreasing when w_k >= 0, non-increasing otherwise. One direction literal
  s[j][k] per unit and coordinate ties all pairs of examples that differ only in x_k.
* :func:`add_equal_inputs`: examples with identical inputs get identical first-layer targets.

``t[j][i]`` is the Boolean "unit j has target +1 on merged example i"; ``keep[i]`` (optional) is
"example i must be fitted" in min-errors searches. Each function adds its clauses to a
:class:`~combinatorial.clauses.ClauseModel` under its own family's name, so a proof file knows
where every clause came from.
"""

from __future__ import annotations

import numpy as np

from . import deadline
from .clauses import DISTINCT, EQUAL, MONOTONE, UNATE, ClauseModel

# Above this many (pair, unit) literals, distinct-code constraints use near neighbours only.
MAX_DISTINCT_LITERALS = 60_000
NEIGHBOURS = 6


def _differing_pairs(Xu: np.ndarray, Yu: np.ndarray, width: int) -> list[tuple[int, int]]:
    """Pairs of merged examples whose output rows differ; near neighbours only when too many."""
    m = len(Yu)
    codes = np.unique(Yu, axis=0, return_inverse=True)[1].reshape(-1)
    diff = codes[:, None] != codes[None, :]
    n_pairs = int(np.triu(diff, 1).sum())
    if n_pairs * width <= MAX_DISTINCT_LITERALS:
        a, b = np.nonzero(np.triu(diff, 1))
        return list(zip(a.tolist(), b.tolist()))
    # Too many: keep each example's nearest differently labelled neighbours (the pairs a
    # network is most likely to confuse, and the ones that make the constraint bite).
    pairs = set()
    for i in range(m):
        cand = np.flatnonzero(diff[i])
        dist = np.abs(Xu[cand] - Xu[i]).sum(axis=1)
        for k in cand[np.argsort(dist, kind="stable")[:NEIGHBOURS]]:
            pairs.add((min(i, int(k)), max(i, int(k))))
    return sorted(pairs)


def all_differing_pairs(Yu: np.ndarray, *, oriented: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a, b) of merged examples with different output rows, as two index arrays;
    ``oriented`` (one output unit): a is the +1 example and b the -1 one."""
    codes = np.unique(Yu, axis=0, return_inverse=True)[1].reshape(-1)
    a, b = np.nonzero(np.triu(codes[:, None] != codes[None, :], 1))
    if oriented:
        swap = Yu[a, 0] < 0
        a, b = np.where(swap, b, a), np.where(swap, a, b)
    return a, b


def nearest_pairs(Xu: np.ndarray, a: np.ndarray, b: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Mask of the pairs (a, b) that are among each example's k nearest (L1) partners: the pairs
    a network is most likely to confuse, and the ones that make the constraint bite."""
    dist = np.abs(Xu[a] - Xu[b]).sum(axis=1)
    keep = np.zeros(len(a), dtype=bool)
    for side in (a, b):
        order = np.lexsort((dist, side))  # by example, nearest first
        first = np.r_[0, np.flatnonzero(np.diff(side[order])) + 1]
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        keep[order[rank < k]] = True
    return keep


def violated_pairs(H: np.ndarray, a: np.ndarray, b: np.ndarray, *, monotone: bool) -> np.ndarray:
    """Mask of the pairs whose constraint the layer's targets H (m x width, ±1) break: equal codes
    (distinct codes), or no unit +1 on a and -1 on b (monotone output)."""
    if monotone:
        return ~np.any((H[a] > 0) & (H[b] < 0), axis=1)
    return np.all(H[a] == H[b], axis=1)


def add_distinct_codes(cm: ClauseModel, t, Xu, Yu, *, keep=None, name: str = "", pairs=None) -> int:
    """Examples with different output rows differ in at least one unit of this layer (all
    differing pairs, near neighbours only when too many, or the given ``pairs``)."""
    width = len(t)
    added = 0
    for a, b in pairs if pairs is not None else _differing_pairs(Xu, Yu, width):
        deadline.check()
        lits = []
        for j in range(width):
            d = cm.bool_var(f"diff{name}[{j}][{a},{b}]")
            cm.clause(DISTINCT, [d.Not(), t[j][a], t[j][b]])  # d => t_a != t_b
            cm.clause(DISTINCT, [d.Not(), t[j][a].Not(), t[j][b].Not()])
            lits.append(d)
        if keep is not None:
            lits += [keep[a].Not(), keep[b].Not()]
        cm.clause(DISTINCT, lits)
        added += 1
    return added


def add_monotone_output(cm: ClauseModel, t, Xu, Yu, *, keep=None, name: str = "", pairs=None) -> int:
    """Last hidden layer, one output unit, outgoing weights >= 0: pos code not <= neg code."""
    width = len(t)
    y = Yu[:, 0]
    added = 0
    for a, b in pairs if pairs is not None else _differing_pairs(Xu, Yu, width):
        deadline.check()
        if y[a] < 0:
            a, b = b, a  # a positive, b negative
        lits = []
        for j in range(width):
            g = cm.bool_var(f"above{name}[{j}][{a},{b}]")
            cm.implication(MONOTONE, g, t[j][a])  # g => t_a = +1 and t_b = -1
            cm.implication(MONOTONE, g, t[j][b].Not())
            lits.append(g)
        if keep is not None:
            lits += [keep[a].Not(), keep[b].Not()]
        cm.clause(MONOTONE, lits)
        added += 1
    return added


def single_coordinate_chains(Xu: np.ndarray) -> list[tuple[int, int, int]]:
    """Triples (a, b, k): examples a, b differ only in coordinate k and Xu[a, k] < Xu[b, k].

    Only consecutive values along each line are returned (monotonicity is transitive).
    """
    m, d = Xu.shape
    out = []
    for k in range(d):
        rest = np.delete(Xu, k, axis=1)
        groups: dict[bytes, list[int]] = {}
        for i in range(m):
            groups.setdefault(rest[i].tobytes(), []).append(i)
        for members in groups.values():
            if len(members) < 2:
                continue
            members = sorted(members, key=lambda i: Xu[i, k])
            for a, b in zip(members, members[1:]):
                if Xu[a, k] < Xu[b, k]:
                    out.append((a, b, k))
    return out


def add_unateness(cm: ClauseModel, t, Xu, *, name: str = "") -> int:
    """First layer only: each unit is monotone along every coordinate, in a direction s[j][k]."""
    chains = single_coordinate_chains(Xu)
    if not chains:
        return 0
    width = len(t)
    coords = sorted({k for _, _, k in chains})
    s = {(j, k): cm.bool_var(f"s{name}[{j}][{k}]") for j in range(width) for k in coords}
    for j in range(width):
        deadline.check()
        for a, b, k in chains:
            # s => (t_a => t_b);  not s => (t_b => t_a)
            cm.clause(UNATE, [s[j, k].Not(), t[j][a].Not(), t[j][b]])
            cm.clause(UNATE, [s[j, k], t[j][b].Not(), t[j][a]])
    return 2 * width * len(chains)


def add_equal_inputs(cm: ClauseModel, t, Xu) -> int:
    """First layer only: merged examples with identical inputs (conflicts) share their targets."""
    _, first, inv = np.unique(Xu, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    added = 0
    for i in range(len(Xu)):
        r = int(first[inv[i]])
        if r != i:
            for j in range(len(t)):
                cm.same(EQUAL, t[j][i], t[j][r])
                added += 1
    return added


def identical_input_groups(Xu: np.ndarray) -> list[list[int]]:
    """Groups (size >= 2) of merged examples sharing one input row: at most one can be fitted."""
    _, inv = np.unique(Xu, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    groups = [np.flatnonzero(inv == g).tolist() for g in range(inv.max() + 1)]
    return [g for g in groups if len(g) > 1]
