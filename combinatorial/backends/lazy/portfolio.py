"""The portfolio of the lazy search: full-batch FTPROP slices take turns with master solves.

Each constant carries the reason for its value. The loop (:mod:`.loop`) asks
:func:`heuristic_share` for the heuristic's target share of the elapsed time and
:func:`master_turn` for how long one master solve may run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LazyOptions:
    heuristic: bool = True  # interleave full-batch FTPROP restarts as a primal heuristic
    working_set: bool = True  # real-valued data, many examples: search on growing example subsets
    confirm: bool = True  # an INFEASIBLE is reported only when CaDiCaL agrees on the same master
    # inputs in at most two dimensions: first bound the first layer's width by the pairs it must
    # separate (combinatorial.separation); a width below the bound is refuted by that certificate
    pair_bound: bool = True
    # one hidden layer, inputs in at most two dimensions: a first layer at least as wide as the
    # data's decision list of half-planes (combinatorial.declist) fits by construction
    decision_list: bool = True
    # ((variable name, ±1), ...) fixed in the master: one cube of a split refutation
    # (combinatorial.cubes); its INFEASIBLE then covers that cube only
    cube: tuple = ()
    # min-errors: errors already proved unavoidable for this shape (1 after a refutation of the
    # width for all real weights); an incumbent that makes only these many is optimal
    errors_at_least: int = 0
    # min-errors: the certificate of errors_at_least, when one proves it (the pairs' errors bound,
    # a combinatorial.clauses.PairErrors); an optimum it closes carries it to its proof file
    errors_certificate: object = None
    # min-errors: first incumbents, each (hidden targets on the merged examples, the examples it
    # gets right or None, where it comes from): the best network of the feasibility search that
    # opened min-errors, an enumeration's or the descent's; each realised on its examples again
    # (None: all of them) before it is used, the best kept
    incumbents: tuple = ()

# Full-batch FTPROP slices of this many restarts are interleaved with master solves.
HEURISTIC_RESTARTS = 2
# Real-valued inputs: the heuristic finds fits long before the master has cut enough candidates.
HEURISTIC_SHARE = 0.75
# ±1 inputs: the master's valid constraints usually settle the answer first.
HEURISTIC_SHARE_PM1 = 0.2
# min-errors on real-valued inputs: the incumbent comes from the heuristic's restarts (ranked by
# errors); the master's turns give the bound and repair candidates.
HEURISTIC_SHARE_MIN_ERRORS = 0.9
# ... but only while its restarts improve the incumbent: after every STALE_SLICES slices in a row
# without an improvement that share halves, down to HEURISTIC_SHARE_FLOOR. At a fixed 90 %,
# moons-40 at width 2 took 241 s, 90 % of it in restarts that no longer improved anything, while
# the master needed 2.4 s to prove the optimum.
STALE_SLICES = 4
HEURISTIC_SHARE_FLOOR = 0.2
# On real-valued inputs a master solve is one turn of the portfolio: it stops after
# MASTER_TURN * 2**k seconds (k: earlier turns the cap cut short) or its share of the time so far,
# whichever is longer. One long solve never starves the heuristic, and a master that needs a
# long solve still gets it (geometric turns cost at most twice the uncut solve). On ±1 inputs the
# master is not cut: its solves are what settle those instances.
MASTER_TURN = 0.5


def heuristic_share(pm1: bool, min_errors: bool, stale: int = 0) -> float:
    """The heuristic's target share of the elapsed time (``stale``: min-errors slices in a row
    that did not improve the incumbent)."""
    if pm1:
        return HEURISTIC_SHARE_PM1
    if not min_errors:
        return HEURISTIC_SHARE
    return max(HEURISTIC_SHARE_FLOOR, HEURISTIC_SHARE_MIN_ERRORS * 0.5 ** (stale // STALE_SLICES))


def master_turn(turns_cut: int, share: float, elapsed: float) -> float:
    """Seconds for the next master solve on real-valued inputs."""
    return max(MASTER_TURN * 2**turns_cut, (1 - share) * elapsed)
