"""Lazy backend: a CP-SAT master over hidden targets, LP checks per unit, no-good cuts.

The paper's split of the problem, made exact. The master holds only Boolean targets
t[l][j][i] ("unit j of hidden layer l is +1 on merged example i"). Each candidate is checked
unit by unit by LP; an inseparable unit has a Farkas certificate on at most d + 2 examples S,
and the cut

    not (targets of the unit on S == current  and  the unit's inputs on S == current)

is valid for every network with real weights. It is added for every unit of the same layer
(they share inputs) and for negated targets (negate w, b). For first-layer units the inputs are
the fixed X, so the cut mentions targets only; from layer 2 up it also mentions the upstream
hidden targets of S (the shortcut's raw inputs are constants). When the master runs out of
candidates, no real-weight network exists (``ALL_REAL_WEIGHTS``).

The master (:mod:`combinatorial.backends.lazy.master`) gets constraints from :mod:`combinatorial.cuts` (distinct codes,
monotone output, unateness on the first layer, equal inputs) and, unless switched off, symmetry
breaking per hidden layer.

Two shortcuts to a FEASIBLE, neither of which can produce an INFEASIBLE: a complete warm start
is LP-checked before the first master solve and returned if every unit fits; and (unless
``LazyOptions.heuristic`` is off) a portfolio: slices of full-batch FTPROP
(:mod:`combinatorial.backends.fullbatch`) take turns with master solves from the start, holding a
fixed share of the elapsed time: 75 % on real-valued inputs (90 % for min-errors), where a slice
opens the search and finds fits long before the master has cut away enough candidates; 20 % on
±1 inputs, where the master goes first. On real-valued inputs a master solve is a turn that
stops after max(0.5 s * 2^k, a quarter of the time so far), k the turns cut short before, so one
long solve never starves the heuristic; the master is built only when its first turn comes. A
slice that fits ends the search; otherwise its targets hint the master.

With inputs in one or two dimensions and many examples, the search first bounds the first
layer's width by the pairs of examples it must separate (:mod:`combinatorial.separation`): a
narrower first layer is refuted by that certificate, and min-errors starts from one error, or from
the pairs' bound on the errors (:func:`combinatorial.errorsets.errors_bound`) when it proves more;
an incumbent that meets it is optimal, and its proof file carries the pairs.

min-errors with one hidden unit is settled apart (:mod:`combinatorial.backends.lazy.oneunit`), and
with two in the plane and two classes (:mod:`combinatorial.backends.lazy.twounits`). Three
classes in the plane at two to five units first let the coordinate descent look for a fit
(:func:`combinatorial.backends.lazy.threeunits.descent_fit`). On
many real-valued examples it opens with the feasibility search on working sets for a share of its
time: a fit is optimal, a refutation proves one error. Otherwise min-errors has a Boolean keep[i] per merged example, maximise sum counts[i] keep[i]; a cut only
binds when every example of its subset is kept. The incumbent is the best verified network so
far: every heuristic restart's network (ranked by the examples it gets right, which FTPROP's own
loss does not rank), or a master candidate repaired by dropping examples. The master only looks
for networks that keep more than the incumbent; when it has none left, the incumbent is optimal.
Its bound with all cuts is an upper bound on what can be kept; a lower bound on errors is
reported only from a solved master, and never above the incumbent's errors.
"""

from __future__ import annotations

from dataclasses import replace

from ... import declist
from ...deadline import TimeLimit, stop_now
from ...problem import Problem
from ...solution import BackendResult
from . import oneunit, threeunits, twounits
from . import listing, subsets
from .checks import Checker
from .goals import realise
from .loop import Loop
from .portfolio import HEURISTIC_RESTARTS, LazyOptions

__all__ = ["Checker", "HEURISTIC_RESTARTS", "LazyOptions", "Loop", "realise", "run"]


def run(problem: Problem, options, deadline: float | None) -> BackendResult:
    settled = _settled_small(problem, options)
    if settled is not None:
        return settled
    own = options.own(LazyOptions, "lazy")
    bounded, stats = _pair_bound(problem, options, own, deadline)
    if isinstance(bounded, BackendResult):
        return bounded
    if bounded:  # no fit exists: one error at least, or as many as the pairs' errors bound proves
        errors = bounded.errors if not isinstance(bounded, bool) else 1
        if errors > own.errors_at_least:
            own = replace(own, errors_at_least=errors, errors_certificate=None if isinstance(bounded, bool) else bounded)
        options = replace(options, backend_options=own)
    if own.decision_list and options.objective in ("feasibility", "min-errors") and (not bounded or listing.narrows(problem, options)):
        listed, more = listing.decision_list(problem, options, deadline)
        stats.update(more)
        if isinstance(listed, BackendResult):
            return replace(listed, stats={**stats, **listed.stats})
        if isinstance(listed, declist.Narrowed):  # min-errors below the list's width: a first incumbent
            own = replace(own, incumbents=own.incumbents + (((listed.codes,), listed.right, listed.method),))
            options = replace(options, backend_options=own, warm_start=options.warm_start or (listed.codes[problem.index],))
        elif listed is not None:  # too few units for the list: its first ones start the search
            options = replace(options, warm_start=listed)
    if not bounded and threeunits.fits(problem, options):  # three classes, two to five units
        fitted, more = threeunits.descent_fit(problem, options)
        stats.update(more)
        if isinstance(fitted, BackendResult):
            return replace(fitted, stats={**stats, **fitted.stats})
        if fitted is not None:  # its best network: an incumbent, and the warm start where none errs less
            own = replace(own, incumbents=own.incumbents + (((fitted.D,), fitted.right, fitted.method),))
            best = fitted.errors <= _fewest_handed(problem, own)
            options = replace(options, backend_options=own,
                              warm_start=(fitted.D[problem.index],) if best else options.warm_start)
    settled, options, first = _three_units(problem, options, own)
    if settled is not None and settled.status.value == "optimal":
        return replace(settled, stats={**stats, **settled.stats})
    own = options.own(LazyOptions, "lazy")  # with the errors the error sets proved
    result = _searched(problem, options, own, deadline)
    if settled is not None:  # an unfinished enumeration: the search may not even realise its network
        result = _better(problem, result, settled)
    stats.update(first)
    return replace(result, stats={**stats, **result.stats}) if stats else result


def _better(problem: Problem, result: BackendResult, found: BackendResult) -> BackendResult:
    """The search's ``result`` unless the enumeration ``found`` a network with fewer errors (its
    warm start, which a search cut short may not have realised), with the better bound."""
    import numpy as np

    def errors(r):
        if r.hidden_targets is None:
            return float("inf")
        return 0 if r.kept is None else int(problem.counts[~np.asarray(r.kept, bool)].sum())

    if errors(found) >= errors(result):
        return result
    bound = max(found.lower_bound or 0.0, result.lower_bound or 0.0)
    why = (result.message or "time limit reached").split(":")[0]  # the search's own "not proved optimal" goes
    return replace(found, lower_bound=bound, message=f"{why}: the best network "
                   f"is the enumeration's, not proved optimal (at least {bound:g} training errors)")


def _settled_small(problem: Problem, options) -> BackendResult | None:
    """min-errors with one hidden unit, or two in the plane, settled by enumeration; None where
    that does not apply or gives up (the general search runs instead)."""
    if options.objective == "min-errors" and oneunit.applies(problem):
        return _exact_small(problem, options, oneunit.best_unit)
    if options.objective == "min-errors" and twounits.applies(problem):
        return _exact_small(problem, options, twounits.best_pair)
    return None


def _three_units(problem: Problem, options, own) -> tuple[BackendResult | None, object, dict]:
    """min-errors with three units in the plane, settled by enumerating triples of half-planes
    where the pair bound proves few errors certain (at most :data:`FIT_FIRST_NEAR` of the
    examples: circles-500, 12 errors in 15 s) or on few points (:data:`threeunits.FEW_POINTS`:
    the two spirals at 200 points, 68 errors in 36 s), down to that bound at most. Where both are
    many (spirals-500, 165 errors certain) the pruning is weak and the whole listing would take
    hours, but it only has to beat the coordinate descent's network (spirals-500: 182 errors,
    where the enumeration's first rows gave 197 and the search alone ends at 211), and the best
    network starts the search for what time is left. With four units or more in the same places
    the best triple found (:func:`threeunits.wider_start`; in :data:`threeunits.START_SHARE` of
    the time on few points, where the search has the rest to use the fourth unit) or the coordinate
    descent's four units (:mod:`combinatorial.descent`), whichever errs less, starts the search
    instead, and is the answer where it meets the pairs' bound; three classes at width three or
    more start from the descent's three units everywhere, four at width four or more (blobs-200:
    4 and 2 errors; at width three the search alone ended at 6). (The answer, FEASIBLE
    where the enumeration did not finish, or None; the options the search runs with: an
    unfinished enumeration's best network as its warm start; stats.)"""
    from functools import partial

    import numpy as np

    few = len(np.unique(problem.Xu, axis=0)) <= threeunits.FEW_POINTS
    many = own.errors_at_least > FIT_FIRST_NEAR * problem.n_merged
    # four units or more (three classes: three or more): the best network of fewer starts the search
    wider = threeunits.starts(problem) and (few or many or problem.n_outputs > 1)
    if options.objective != "min-errors" or not (threeunits.applies(problem) or wider):
        return None, options, {}
    search = threeunits.best_triple
    floor = own.errors_at_least
    fewest = _fewest_handed(problem, own)  # the narrowed decision list's, when it ran
    if wider:  # proved optimal only where it meets the pairs' bound, whose certificate is the proof
        search, floor = partial(threeunits.wider_start, beat=fewest), \
            floor if own.errors_certificate is not None else 0
    settled = _exact_small(problem, replace(options, proof=None) if wider else options,
                           partial(search, floor=floor, progress=options.progress, seed=options.seed,
                                   share=threeunits.START_SHARE if wider and few else threeunits.SHARE))
    settled, own = threeunits.raise_bound(problem, own, settled, options.progress)
    options = replace(options, backend_options=own)
    if settled is not None and settled.status.value == "optimal" and (wider or settled.refutation is not None) \
            and own.errors_certificate is not None and own.errors_at_least >= settled.lower_bound:
        settled = replace(settled, refutation=own.errors_certificate if options.proof is not None else None)
    if settled is None or settled.status.value == "optimal":
        return settled, options, {}
    beaten = fewest is not None and settled.kept is not None and fewest < problem.counts[~np.asarray(settled.kept, bool)].sum()
    if options.warm_start is None or (wider and not beaten):  # the hint: the better network
        options = replace(options, warm_start=(settled.hidden_targets[0][problem.index],))
    handed = (tuple(settled.hidden_targets), settled.kept, settled.stats.get("exact_method"))  # on its own examples
    return settled, replace(options, backend_options=replace(own, incumbents=own.incumbents + (handed,))), settled.stats


def _fewest_handed(problem: Problem, own) -> int | None:
    """The fewest errors of the incumbents handed to the search (those that say which examples
    they get right), or None."""
    import numpy as np

    counts = [int(problem.counts[~np.asarray(keep, bool)].sum()) for _, keep, _ in own.incumbents if keep is not None]
    return min(counts, default=None)


def _searched(problem: Problem, options, own, deadline: float | None) -> BackendResult:
    if own.working_set and not own.cube:  # a cube names merged rows
        fit = replace(options, objective="feasibility", proof=None)
        near = own.errors_at_least <= FIT_FIRST_NEAR * problem.n_merged
        if options.objective == "min-errors" and near and subsets.wanted(problem, fit):
            return _fit_first(problem, options, own, fit, deadline)
        if subsets.wanted(problem, options):
            return subsets.run(problem, options, deadline, _run)
    return _run(problem, options, deadline)


# The pair bound (combinatorial.separation) may use this share of the time left.
PAIR_BOUND_SHARE = 0.5


def _pair_bound(problem: Problem, options, own, deadline: float | None) -> tuple[BackendResult | bool, dict]:
    """A first layer narrower than the pair bound is refuted for all real weights: the answer
    for feasibility; for min-errors one error at least (True), or the pairs' bound on the errors
    (:func:`combinatorial.errorsets.errors_bound`, a :class:`~combinatorial.clauses.PairErrors`)
    when it proves more; False: no refutation. With the bound's stats."""
    import time

    from ... import errorsets, separation
    from ...deadline import time_limit
    from ...solution import ALL_REAL_WEIGHTS, Status

    if not own.pair_bound or own.cube or not separation.applies(problem) or problem.n_merged < subsets.MIN_EXAMPLES \
            or options.objective not in ("feasibility", "min-errors"):  # few examples: the master refutes as fast
        return False, {}
    start = time.monotonic()
    until = None if deadline is None else start + PAIR_BOUND_SHARE * max(0.0, deadline - start)
    with time_limit(until):
        found, search = separation.refute(problem, problem.hidden[0])
    stats = {"pair_bound": None if search.best is None else search.best.width, "pair_bound_s": round(time.monotonic() - start, 4),
             "pair_bound_rounds": search.rounds, "pair_bound_pairs": len(search.A)}
    if found is not None and options.objective == "min-errors":
        with time_limit(until):  # what is left of the same share
            errors = errorsets.errors_bound(problem, problem.hidden[0])
        stats.update(pair_errors_bound=1 if errors is None else max(1, errors.errors),
                     pair_bound_s=round(time.monotonic() - start, 4))
        return errors if errors is not None else True, stats
    if found is None or options.objective != "feasibility":
        return found is not None, stats
    return BackendResult(Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS, certificate=found, stats=stats), stats


# min-errors on many real-valued examples opens with the feasibility search on working sets for
# this share of its time (this many seconds without a limit): it finds zero-error networks that
# the min-errors search is slow to reach (circles-200 at width 4: a fit in 3 s, 9 errors after
# 60 s of min-errors; circles-500: a fit after 24 s), and its refutations prove at least one
# error. Where the pair bound has refuted the width already it only hands on its best network,
# for a smaller share, and only while the errors proved unavoidable are at most this share of
# the examples: near-fits help there (circles-200 at width 3: 7 errors, where min-errors alone
# ends with 11), not where many errors are certain (spirals-500 at width 4: 209, not 200).
FIT_FIRST_SHARE = 0.5
FIT_FIRST_SHARE_REFUTED = 0.25
FIT_FIRST_NEAR = 0.02
FIT_FIRST_S = 30.0


def _fit_first(problem: Problem, options, own, fit, deadline: float | None) -> BackendResult:
    """The feasibility search first: a fit is the optimum (no errors); a refutation for all real
    weights is a lower bound of one error for the min-errors search that follows."""
    import time

    import numpy as np

    from ...solution import ALL_REAL_WEIGHTS, Status

    start = time.monotonic()
    share = FIT_FIRST_SHARE_REFUTED if own.errors_at_least else FIT_FIRST_SHARE
    share = FIT_FIRST_S if deadline is None else share * max(0.0, deadline - start)
    first = subsets.run(problem, fit, start + share if deadline is None else min(deadline, start + share), _run)
    stats = {"fit_first": first.status.value, "fit_first_s": round(time.monotonic() - start, 4)}
    if first.status is Status.FEASIBLE:
        return replace(first, status=Status.OPTIMAL, kept=np.ones(problem.n_merged, bool),
                       proved_for=ALL_REAL_WEIGHTS, lower_bound=0.0, stats={**first.stats, **stats})
    refuted = first.status is Status.INFEASIBLE and first.proved_for == ALL_REAL_WEIGHTS
    handed = () if first.hidden_targets is None else \
        ((tuple(first.hidden_targets), None, "the feasibility search that opened min-errors"),)
    own = replace(own, errors_at_least=max(own.errors_at_least, int(refuted)), incumbents=own.incumbents + handed)
    rest = _run(problem, replace(options, backend_options=own), deadline)
    return replace(rest, stats={**rest.stats, **stats})


def _exact_small(problem: Problem, options, search) -> BackendResult | None:
    """min-errors settled apart: one hidden unit (every pair of output rows with the best
    half-space between them, :mod:`combinatorial.backends.lazy.oneunit`) or two in the plane
    (:mod:`combinatorial.backends.lazy.twounits`), each unit realised by an exact LP. With a
    proof file to write, an optimum with errors also gets its certificate (:func:`_one_unit_proof`).
    None when ``search`` gives up (the general search runs instead)."""
    import time

    from ...clauses import Lines
    from ...solution import ALL_REAL_WEIGHTS, Status

    start = time.monotonic()
    found = search(problem)
    if found is None:  # an undecided unit, or no time for the first line: the general search instead
        return None
    width = 1 if found.D.ndim == 1 else found.D.shape[1]
    stats = {"exact_method": found.method, "exact_s": round(time.monotonic() - start, 4)}
    kw = dict(hidden_targets=[found.D.reshape(problem.n_merged, width)], kept=found.right,
              lower_bound=float(found.lower_bound), stats=stats)
    if found.lower_bound == found.errors:
        if options.proof is not None and found.errors > 0:
            started = time.monotonic()
            kw["refutation"] = _one_unit_proof(problem, options, found.errors) if width == 1 else Lines(
                found.errors, "triples" if width == 3 else "wedges" if problem.n_outputs == 1 else "trees")
            stats["exact_proof_s"] = round(time.monotonic() - started, 4)
        return BackendResult(Status.OPTIMAL, proved_for=ALL_REAL_WEIGHTS, **kw)
    return BackendResult(Status.FEASIBLE, message=f"{found.why}: best network found, not proved optimal "
                         f"(at least {found.lower_bound} training errors)", **kw)


def _one_unit_proof(problem: Problem, options, errors: int):
    """In one or two dimensions, or where the label rows alone prove it, the count per pair of
    label rows and the enumeration of lines, which a checker redoes (:class:`Lines`). Otherwise
    the master's refutation of "at most errors - 1" for one hidden unit: every pair constraint,
    and Benders cuts (:func:`oneunit.proof_cuts`) as no-goods on the unit's targets of every
    example, kept or not. A reason string when there is none."""
    import numpy as np

    from ...clauses import Lines
    from .master import Master

    if problem.n_inputs <= 2 or oneunit.counted(problem, errors):
        return Lines(errors)
    if problem.n_outputs > 1:
        return ("a width-1 optimum of more than two classes that needs hyperplanes in three or more dimensions "
                "has no proof file: refuting its counter by resolution is slow to write and to check (iris, "
                "were its label rows not enough: 4.6 MB, checked in 117 s)")
    try:
        cuts = oneunit.proof_cuts(problem, errors)
        if isinstance(cuts, str):
            return cuts
        master = Master(problem, options, min_errors=True)
        master.add_pairs()
    except TimeLimit:
        return "the time limit was reached while collecting the optimum's cuts"
    for examples, sides, multipliers in cuts:
        targets = np.ones((problem.n_merged, 1), np.int8)
        targets[examples, 0] = sides
        master.add_cut(1, 0, examples, [targets], multipliers, keep=False)
    return master.refutation(errors)


def _run(problem: Problem, options, deadline: float | None) -> BackendResult:
    search = Loop(problem, options, deadline)
    try:
        return search.warm_start() or search.loop()
    except KeyboardInterrupt:  # Ctrl-C during an LP check: the best found so far
        stop_now()  # and the engine's final fit does no slow exact work
        return search.stopped("interrupted")
    except TimeLimit:  # inside model building or a long loop
        return search.stopped("time limit reached")


