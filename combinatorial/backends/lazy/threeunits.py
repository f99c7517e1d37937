"""Min-errors with three hidden sign units and two classes in one or two input dimensions, settled
by enumerating triples of half-planes (:mod:`combinatorial.triples`).

The output is a threshold function of the three hidden bits, so one label gets A n B n C,
A n (B u C) or maj(A, B, C) of three half-planes and the other label the rest. The first
incumbent is the better of the best single line (every unit that half-plane) and the coordinate
descent's network (:mod:`combinatorial.descent`, in :data:`DESCENT_SHARE` of the time); the
enumeration then only looks below it. Each unit of the answer is realised by the exact LP, so the engine verifies the network
like any other. The enumeration gets :data:`SHARE` of the time left: where it does not finish,
its best network starts the general search, which has the rest. Where the pair bound proves many
errors certain on many points its pruning is too weak to finish (spirals-500: hours), but its
first rows still beat the general search (:func:`combinatorial.backends.lazy._three_units`).
Wider layers, and three classes at width three or more, start their search from the best network
of fewer units (three classes at width four or more: of four; :func:`wider_start`).
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

import numpy as np

from ... import deadline, descent, errorsets, halfplanes, triples
from .oneunit import Found
from .twounits import _found, labelled

MAX_POINTS = 600  # distinct inputs; the undominated dichotomies grow as their square (circles-500: 15,000)
FEW_POINTS = 250  # distinct inputs on which the enumeration runs even with many errors certain
SHARE = 0.95  # of the time left, for the enumeration (its best network beats the search's where it stops)
DESCENT_SHARE = 0.15  # of the time left, for the coordinate descent whose count the enumeration has to beat
DESCENT_MAX_S = 10.0  # and never more than this (without a time limit too)
START_SHARE = 0.4  # of the time left, for the triples that start a wider layer's search
DESCENT = "coordinate descent over half-planes from random starts (combinatorial.descent)"
METHOD = "every triple of undominated half-plane dichotomies, each through two examples (combinatorial.triples)"


def applies(problem) -> bool:
    """One hidden layer of three units, no shortcut, two classes, inputs in at most two
    dimensions, at most :data:`MAX_POINTS` distinct inputs."""
    return (len(problem.hidden) == 1 and problem.hidden[0] == 3 and not problem.shortcut
            and problem.n_outputs == 1 and problem.n_inputs <= 2
            and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


def starts(problem) -> bool:
    """One hidden layer of four units or more and two classes, or of three or more and three
    classes, no shortcut, inputs in at most two dimensions, at most :data:`MAX_POINTS` distinct
    inputs: its search may start from the best network of fewer units (:func:`wider_start`)."""
    return (len(problem.hidden) == 1 and problem.hidden[0] >= (4 if problem.n_outputs == 1 else 3)
            and problem.n_outputs in (1, 3) and not problem.shortcut and problem.n_inputs <= 2
            and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


def wider_start(problem, floor: int = 0, progress=None, share: float = START_SHARE, seed: int = 0,
                beat: int | None = None) -> Found | None:
    """The better of the best triple found in ``share`` of the time left (two classes) and the
    coordinate descent's network of four units (three classes: three, or four at four units and
    more), as the targets of a layer whose units past those copy the first (the output gives them
    weight 0): a network of that width with as many errors. Its lower bound is ``floor`` (a bound proved for this width): the
    triple's own holds for three units only, unless the network meets ``floor``. ``beat``: the
    errors of a network the search already has (the narrowed decision list's); the triples look
    only below it."""
    found = descended_network(problem, 4 if problem.n_outputs == 1 else min(problem.hidden[0], 4), seed, floor, progress)
    if problem.n_outputs == 1 and (found is None or found.errors > floor):
        left = deadline.remaining()
        with deadline.time_limit(None if left is None else time.monotonic() + share * left):
            beats = [e for e in (beat, None if found is None else found.errors) if e is not None]
            triple = best_triple(problem, floor, progress, seed=seed, beat=min(beats, default=None))
        found = triple or found
    if found is None:
        return None
    D = np.concatenate([found.D] + [found.D[:, :1]] * (problem.hidden[0] - found.D.shape[1]), axis=1)
    if found.errors <= floor:
        return replace(found, D=D, lower_bound=found.errors, why="")
    why = f"the best of {found.D.shape[1]} units found: {found.errors} errors; wider layers are not enumerated"
    return replace(found, D=D, lower_bound=floor, why=why)


def descent_fit(problem, options):
    """The descent's search for a fit (:func:`fits`): a FEASIBLE answer (min-errors: OPTIMAL,
    no errors) when it finds one; otherwise its best network (a :class:`Found`), or None. With
    its stats."""
    from ...solution import ALL_REAL_WEIGHTS, BackendResult, Status

    start = time.monotonic()
    found = descended_network(problem, problem.hidden[0], options.seed, progress=options.progress, fit=True)
    stats = {"descent_fit_s": round(time.monotonic() - start, 4)}
    if found is None:
        return None, stats
    stats["descent_fit_errors"] = found.errors
    feasible = options.objective == "feasibility"
    if found.errors > 0:
        return found, stats
    return BackendResult(Status.FEASIBLE if feasible else Status.OPTIMAL, hidden_targets=[found.D],
                         proved_for=None if feasible else ALL_REAL_WEIGHTS, lower_bound=None if feasible else 0.0,
                         stats={"incumbent_by": DESCENT}), stats


def descended_network(problem, width: int, seed: int, floor: int = 0, progress=None, fit: bool = False) -> Found | None:
    """The coordinate descent's network of ``width`` units (:func:`descended`; with ``fit``, its
    search for a fit) on ``problem``, each unit realised by the exact LP; None if there is none."""
    points, where = np.unique(problem.Xu, axis=0, return_inverse=True)
    where, counts = where.reshape(-1), problem.counts.astype(np.int64)
    truth = np.argmax(problem.Yu, axis=1) if problem.n_outputs > 1 else (problem.Yu[:, 0] > 0).astype(np.int64)
    C = np.zeros((len(points), max(2, problem.n_outputs)), dtype=np.int64)
    np.add.at(C, (where, truth), counts)
    found = descended(points, C, width, seed, floor, progress, fit)
    if found is None:
        return None
    return _found(points, where, tuple(found.H.T), found.predicted(), truth, counts, found.errors, 0, "", DESCENT)


def best_triple(problem, floor: int = 0, progress=None, share: float = SHARE, seed: int = 0,
                beat: int | None = None) -> Found | None:
    """The fewest errors of a three-unit network on ``problem`` (see the module docstring); under
    the deadline, or past ``share`` of the time left, the best found, with bound ``floor`` (a
    bound proved before: the enumeration stops when it meets it; ``progress``:
    ``SolveOptions.progress``). None when a unit of the answer is not realised by the exact LP
    (floats and rationals undecided) or there was no time for the first line, or, given ``beat``
    (a wider network's errors), when no triple found makes fewer."""
    points, where = np.unique(problem.Xu, axis=0, return_inverse=True)
    where = where.reshape(-1)
    y, counts, pos, neg = labelled(problem, where, len(points))
    try:
        errors, line = halfplanes.best_dichotomy(points, neg, pos)
    except deadline.TimeLimit:
        return None
    # no triple beats the best line: every unit is that line; or the descent's network, if better
    # (not asked for when a wider network's count is the one to beat)
    rows, predicted, method = (line > 0,) * 3, np.where(line > 0, 1, -1), METHOD
    start = None if beat is not None else descended(points, np.stack([neg, pos], axis=1), 3, seed, floor, progress)
    if start is not None and start.errors < errors:
        errors, rows, predicted = start.errors, tuple(start.H.T), np.where(start.predicted() == 1, 1, -1)
        method = f"{DESCENT}, then {METHOD} below it"
    left = deadline.remaining()
    with deadline.time_limit(None if left is None else time.monotonic() + share * left):
        report = None if progress is None else triples.Progress(progress, int(counts.sum()), floor)
        found = triples.best_triple(points, pos, neg, errors if beat is None else min(errors, beat), floor, report)
    if found.rows is None and beat is not None and beat < errors:
        return None
    if found.rows is not None:
        rows, predicted, method = found.rows, np.where(found.region(), found.inside, -found.inside), METHOD
    return _found(points, where, rows, predicted, y, counts, found.errors, found.lower_bound, found.why, method)


def descended(points, C, width: int, seed: int, floor: int = 0, progress=None, fit: bool = False) -> descent.Descent | None:
    """The coordinate descent's network (:mod:`combinatorial.descent`) within
    :data:`DESCENT_SHARE` of the time left and :data:`DESCENT_MAX_S`, or None (none in time);
    ``progress``: ``SolveOptions.progress``. With ``fit``, a search for a fit instead: up to
    :data:`FIT_RESTARTS` starts in :data:`FIT_SHARE` of the time left (:data:`FIT_MAX_S` without
    a limit), however long without a better network."""
    restarts = FIT_RESTARTS if fit else descent.RESTARTS
    tick = None if progress is None else triples.Progress(progress, int(C.sum()), floor).starts(restarts)
    left = deadline.remaining()
    budget = (FIT_MAX_S if left is None else FIT_SHARE * left) if fit else \
        DESCENT_MAX_S if left is None else min(DESCENT_MAX_S, DESCENT_SHARE * left)
    with deadline.time_limit(time.monotonic() + budget):
        return descent.descend(points, C, width, seed, restarts=restarts, floor=floor, tick=tick,
                               patience=restarts if fit else None)


FIT_SHARE = 0.5  # of the time left, for the descent's search for a fit (three classes)
FIT_RESTARTS = 256  # its starts at most (blobs-200 at five units: a fit from the 100th start, 20 s)
FIT_MAX_S = 120.0  # and its time without a time limit (blobs-500 at five units: 7 s a start)


def fits(problem, options) -> bool:
    """Feasibility or min-errors, three classes, one hidden layer of two to five units, no
    shortcut, inputs in at most two dimensions, at most :data:`MAX_POINTS` distinct inputs: the
    descent looks for a fit first (:func:`descent_fit`; the caller skips it where the pairs
    already refute the width)."""
    return (options.objective in ("feasibility", "min-errors") and problem.n_outputs == 3
            and len(problem.hidden) == 1 and descent.applies(3, problem.hidden[0]) and not problem.shortcut
            and problem.n_inputs <= 2 and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


# The error sets (combinatorial.errorsets) may use this share of the time left.
RAISE_SHARE = 0.25


def raise_bound(problem, own, settled, progress=None):
    """A few errors short of the network ``settled`` (FEASIBLE: not proved optimal), the pairs'
    bound (``own.errors_certificate``) raised by the error sets it allows
    (:func:`combinatorial.errorsets.raised`), within :data:`RAISE_SHARE` of the time left: the
    network is optimal where they meet; ``progress``: ``SolveOptions.progress``. (The answer;
    ``own`` with the bound.)"""
    from ...clauses import PairErrors
    from ...solution import ALL_REAL_WEIGHTS, Status

    cert = own.errors_certificate
    if settled is None or settled.status is not Status.FEASIBLE or not isinstance(cert, PairErrors):
        return settled, own
    errors = int(problem.counts[~np.asarray(settled.kept, bool)].sum())
    if not errorsets.wanted(cert.errors, errors):
        return settled, own
    start, left = time.monotonic(), deadline.remaining()
    with deadline.time_limit(None if left is None else start + RAISE_SHARE * left):
        report = None if progress is None else triples.Progress(progress, int(problem.counts.sum()), cert.errors)
        cert = errorsets.raised(problem, cert, errors, None if report is None else report.cuts(errors))
    stats = {**settled.stats, "errors_raised": cert.errors, "errors_cuts": 1 + len(cert.more),
             "errors_raised_s": round(time.monotonic() - start, 4)}
    own = replace(own, errors_at_least=max(own.errors_at_least, cert.errors), errors_certificate=cert)
    if cert.errors >= errors:
        return replace(settled, status=Status.OPTIMAL, proved_for=ALL_REAL_WEIGHTS, lower_bound=float(errors),
                       message=None, stats=stats, refutation=cert), own
    bound = max(cert.errors, settled.lower_bound or 0)
    message = re.sub(r"\(at least [0-9.]+ training errors\)", f"(at least {bound:g} training errors)", settled.message or "")
    return replace(settled, lower_bound=float(bound), stats=stats, message=message), own
