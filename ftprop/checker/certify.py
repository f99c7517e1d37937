"""Families the checker certifies instead of trusting: unateness and equal inputs.

Both come down to Farkas no-goods on the data, checked exactly like the solver's cuts.

* **Equal inputs** (layer 1): the clause (not t_a or t_b) for x_a = x_b says "not (t_a = +1 and
  t_b = -1)". The multipliers (1, 1) give [x_a, 1] - [x_b, 1] = 0, which holds exactly when the
  inputs are equal.
* **Unateness** (layer 1) uses a direction variable s = s[1][j][k]. Every clause of the family
  is (±s or not t_p or t_q), that is "t_p => t_q" under s or under not s. Suppose s occurs in no
  other clause of the CNF (it is fresh). Then the clauses may be added to any set of clauses on
  the t variables without making it unsatisfiable, provided that every resolvent on s holds
  whenever those clauses hold:

  - if every clause with not s holds, set s true;
  - otherwise one (not s or C) has C false, and every (s or D) needs D, which the resolvent
    C or D gives.

  A resolvent of (not s or not t_p or t_q) with (s or not t_r or t_u) says "not (t_p = +1,
  t_q = -1, t_r = +1, t_u = -1)". Along coordinate k, x_q - x_p = d1 e_k and x_r - x_u = d2 e_k
  with d1, d2 > 0. The multipliers (d2, d2, d1, d1) then make the Farkas identity hold:
  d2 (x_p - x_q) + d1 (x_r - x_u) = 0, and d2 - d2 + d1 - d1 = 0. So each resolvent is a no-good
  that no unit sign(w . x + b) can break. The checker computes these multipliers and checks the
  identity in rationals.

What remains trusted is one generic fact about adding a fresh variable, stated above, and nothing
about networks.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ftprop.checker.cnf import Invalid, farkas_holds

UNATE, EQUAL = "unateness", "equal-inputs"
_S = re.compile(r"^s\[1\]\[(\d+)\]\[(\d+)\]$", re.ASCII)
_T1 = re.compile(r"^t\[1\]\[(\d+)\]\[(\d+)\]$", re.ASCII)


def certify(names, clauses, tags, Xu) -> dict[str, int]:
    """Certify the equal-inputs and unateness clauses of the CNF. Returns the number of Farkas
    no-goods checked for each family; raises :class:`Invalid` when one fails."""
    X = [[Fraction(v) for v in row] for row in Xu.tolist()]
    implications: dict[str, tuple[list, list]] = {}  # s name -> (under not s, under s): (p, q) for t_p => t_q
    checked = {EQUAL: 0, UNATE: 0}
    for k, (clause, tag) in enumerate(zip(clauses, tags), 1):
        lits = [(names[abs(l) - 1], l > 0) for l in clause]
        directions = [(name, positive) for name, positive in lits if _S.match(name)]
        if tag != UNATE:
            if directions:
                raise Invalid(f"clause {k} ({tag}) uses the unateness direction {directions[0][0]}: it is not fresh")
            if tag == EQUAL:
                p, q, _ = _implication(lits, k)
                _holds(X, [p, q], [1, -1], [Fraction(1), Fraction(1)], f"equal-inputs clause {k}")
                checked[EQUAL] += 1
            continue
        if len(directions) != 1:
            raise Invalid(f"unateness clause {k} does not hold exactly one direction variable")
        s, positive = directions[0]
        p, q, unit = _implication([lit for lit in lits if lit[0] != s], k)
        if unit != int(_S.match(s).group(1)):
            raise Invalid(f"unateness clause {k} mixes unit {unit}'s targets with {s}")
        implications.setdefault(s, ([], []))[1 if positive else 0].append((p, q))
    seen: set = set()
    for s, (under_not, under) in implications.items():
        axis = int(_S.match(s).group(2))
        for p, q in set(under_not):
            for r, u in set(under):
                if {p, r} & {q, u} or (p, q, r, u, axis) in seen:  # a tautology, or checked already
                    continue
                seen.add((p, q, r, u, axis))
                d1, d2 = X[q][axis] - X[p][axis], X[r][axis] - X[u][axis]
                if d1 <= 0 or d2 <= 0:
                    raise Invalid(f"the unateness clauses of {s} do not run along coordinate {axis}")
                _holds(X, [p, q, r, u], [1, -1, 1, -1], [d2, d2, d1, d1], f"a resolvent of the clauses of {s}")
                checked[UNATE] += 1
    return checked


def _implication(lits, k) -> tuple[int, int, int]:
    """(p, q, unit) of a clause (not t_p or t_q) on first-layer targets of one unit."""
    neg = [_T1.match(name) for name, positive in lits if not positive]
    pos = [_T1.match(name) for name, positive in lits if positive]
    if len(neg) != 1 or len(pos) != 1 or not neg[0] or not pos[0] or neg[0].group(1) != pos[0].group(1):
        raise Invalid(f"clause {k} is not an implication between one first-layer unit's targets")
    return int(neg[0].group(2)), int(pos[0].group(2)), int(neg[0].group(1))


def _holds(X, rows, t, lam, what) -> None:
    if any(not 0 <= i < len(X) for i in rows):
        raise Invalid(f"{what} names an example that does not exist")
    why = farkas_holds([X[i] for i in rows], t, lam)
    if why:
        raise Invalid(f"{what} is no Farkas no-good: {why}")
