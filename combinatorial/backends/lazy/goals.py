"""What the lazy search is after: fitting every example, or as many as possible.

The loop (:mod:`.loop`) runs master solves, checks and cuts the same way for both; at each
decision it asks its goal: what a verified fit means, what to keep from a candidate that failed,
what a heuristic network is worth, and what to answer when the master is exhausted or time runs
out. Both keep the best verified network seen (the incumbent: the fewest training errors), which
an answer without a proof returns; :class:`MinErrors` also makes the master look only for
networks that keep more examples than it.
"""

from __future__ import annotations

import time

import numpy as np

from ...certificates import SolverWord
from ...problem import Problem
from ...solution import ALL_REAL_WEIGHTS, BackendResult, Status
from .checks import repair


class Feasibility:
    """Every example fitted: a verified fit ends the search; an exhausted master is a proof."""

    min_errors = False
    stale = 0  # the heuristic's share never decays here: its fit is the answer

    def closed(self) -> None:  # only a fit or a refutation ends this search
        return None

    def __init__(self, loop):
        self.loop = loop
        self.best, self.best_keep, self.best_errors = None, None, None  # the incumbent
        self.best_fail = None  # the fewest inseparable units of a master candidate so far

    def incumbent_errors(self) -> int | None:
        return self.best_errors

    def lower_bound(self) -> float | None:
        return None

    def offer(self, targets, right) -> None:
        """A realised network (targets, the examples it gets right) becomes the incumbent if better."""
        errors = self.loop.total - int(self.loop.problem.counts[right].sum())
        if self.best_errors is None or errors < self.best_errors:
            self.best, self.best_keep, self.best_errors = targets, right, errors

    def before_solve(self) -> None:
        """Nothing to require of the next candidate beyond the cuts."""

    def fitted(self, targets, keep, proved: bool, cut_short: bool) -> BackendResult | None:
        return self.loop.result(Status.FEASIBLE, hidden_targets=targets)

    def heuristic_fit(self, targets) -> BackendResult:
        return self.loop.result(Status.FEASIBLE, hidden_targets=targets)

    def heuristic_networks(self, finals, targets) -> None:
        """The restarts' best network (by its estimated errors) may become the incumbent; the first
        new targets hint the master."""
        loop = self.loop
        final, estimate = min(finals, key=lambda f: f[1], default=(None, np.inf))
        if final is not None and (self.best_errors is None or estimate < self.best_errors):
            self.offer(*realise(loop.problem, final, None))
        if targets is None or targets is loop.seen:  # nothing new since the last slice
            return
        loop.seen = targets
        if loop.hint is None:
            loop.hint = loop.hint_form(realise(loop.problem, targets, None)[0])

    def warm_fit(self, hint) -> BackendResult:
        return BackendResult(Status.FEASIBLE, hidden_targets=hint, stats=self.loop.stats)

    def failed(self, targets, keep, fails) -> None:
        """A candidate with fewer inseparable units than any before is realised as a network."""
        if self.best_fail is None or len(fails) < self.best_fail:
            self.best_fail = len(fails)
            self.offer(*realise(self.loop.problem, targets, None))

    def exhausted(self) -> BackendResult:
        """No candidate left: a proof, unless a cut rests on an undecided unit."""
        loop = self.loop
        if loop.master.tainted:
            loop.master.drop_opinion()
            return loop.result(Status.UNKNOWN, hidden_targets=self.best, kept=self.best_keep, message=(
                f"numerically undecided at {loop.master.tainted}; the search is exhausted only "
                "if that unit is inseparable, which exact arithmetic could not confirm" + self.said()))
        from .master import reason

        if loop.own.confirm:  # never one solver's word: CaDiCaL re-solves the same clauses
            started = time.monotonic()
            doubt = loop.master.second_opinion(loop.deadline)
            loop.stats["confirm_s"] = round(time.monotonic() - started, 4)
            if doubt is not None:
                return loop.result(Status.UNKNOWN, hidden_targets=self.best, kept=self.best_keep,
                                   message=f"CP-SAT exhausted the master, but {doubt}" + self.said())
            loop.stats["confirmed_by"] = "CaDiCaL (python-sat) on the same master clauses"
        cuts, iterations = loop.stats["cuts"], loop.stats["iterations"]
        return loop.result(Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS, refutation=loop.refutation(), certificate=SolverWord(
            "no-good cuts", reason(cuts, loop.master), {"cuts": cuts, "iterations": iterations}))

    def stopped(self, why: str) -> BackendResult:
        loop = self.loop
        return loop.result(Status.UNKNOWN, hidden_targets=self.best, kept=self.best_keep, message=(
            f"{why} after {loop.stats['iterations']} master solves and {loop.stats['cuts']} cuts" + self.said()))

    def said(self) -> str:
        if self.best_errors is None:
            return ""
        return "; the answer carries the best network found (fewest training errors)"


class MinErrors:
    """As many examples as possible: the incumbent is the best verified network so far; the master
    looks only for networks keeping more, and when it has none left the incumbent is optimal."""

    min_errors = True

    def __init__(self, loop):
        self.loop = loop
        self.best, self.best_keep = _trivial(loop.problem)
        seed = _narrow_start(loop.problem)
        if seed is not None and self.errors(seed[1]) < self.errors(self.best_keep):
            self.best, self.best_keep, loop.stats["incumbent_by"] = seed
        for targets, keep, by in loop.own.incumbents:
            handed = realise(loop.problem, list(targets), keep)
            if self.errors(handed[1]) < self.errors(self.best_keep):
                self.best, self.best_keep = handed
                loop.stats["incumbent_by"] = by
        loop.hint_keep = self.best_keep
        self.floor = -1  # the master only looks for networks keeping more than this
        self.stale = 0  # heuristic slices in a row that did not improve the incumbent
        self.bound = None  # the master's upper bound on what can be kept, when it reported one

    def errors(self, keep: np.ndarray) -> int:
        """Training errors of a network that gets exactly the ``keep`` examples right."""
        return self.loop.total - int(self.loop.problem.counts[keep].sum())

    def incumbent_errors(self) -> int:
        return self.errors(self.best_keep)

    def lower_bound(self) -> float | None:
        """A true lower bound on the errors (never above the incumbent): the master's bound, or
        the errors known unavoidable before the search (:attr:`LazyOptions.errors_at_least`)."""
        known = self.loop.own.errors_at_least
        if self.bound is not None and not self.loop.master.tainted:
            known = max(known, self.loop.total - int(np.floor(self.bound + 1e-6)))
        elif not known:
            return None
        return float(min(self.errors(self.best_keep), known))

    def closed(self) -> BackendResult | None:
        """OPTIMAL once the incumbent makes no more errors than were known unavoidable."""
        own = self.loop.own
        known = own.errors_at_least
        if known and self.errors(self.best_keep) <= known:
            errors = f"at least {known} error{'s' if known > 1 else ''}"
            how = (f"the pairs a first layer must separate ({errors})" if own.errors_certificate is not None
                   else f"the width refuted for all real weights ({errors})")
            return self.optimal(self.best, self.best_keep, by_master=False, exact_method=f"{how}, and a network making {known}")
        return None

    def incumbent(self, targets, keep) -> bool:
        """Make (targets, keep) the incumbent if it has fewer errors; says whether it did."""
        if self.errors(keep) < self.errors(self.best_keep):
            self.best, self.best_keep = targets, keep
            return True
        return False

    def before_solve(self) -> None:
        """Candidates must beat the incumbent: none left proves it optimal."""
        kept = self.loop.total - self.errors(self.best_keep)
        if kept > self.floor:
            self.loop.master.require_more_than(kept)
            self.floor = kept

    def optimal(self, targets, keep, *, by_master: bool = True, **stats) -> BackendResult:
        """OPTIMAL; ``by_master``: the master proved it, so a proof file can refute one error less.
        Where the errors known unavoidable have a certificate that covers the optimum, the proof
        file carries that instead (no master to re-solve with proof logging)."""
        self.loop.stats.update(stats)
        errors, own = self.errors(keep), self.loop.own
        if errors > 0 and own.errors_certificate is not None and own.errors_at_least >= errors:
            refutation = own.errors_certificate
        else:
            refutation = self.loop.refutation(errors) if by_master and errors > 0 else None
        return self.loop.result(Status.OPTIMAL, hidden_targets=targets, kept=keep, proved_for=ALL_REAL_WEIGHTS,
                                lower_bound=float(errors), refutation=refutation)

    def fitted(self, targets, keep, proved: bool, cut_short: bool) -> BackendResult | None:
        """A verified candidate: optimal when the master proved it so, else a new incumbent."""
        if proved:
            return self.optimal(targets, keep)
        self.incumbent(targets, keep)
        self.loop.hint, self.loop.hint_keep = targets, keep
        return None if cut_short else self.stopped("time limit reached")

    def heuristic_fit(self, targets) -> BackendResult:
        return self.optimal(targets, np.ones(self.loop.problem.n_merged, bool), by_master=False)

    def heuristic_networks(self, finals, targets) -> None:
        """Every restart's network ranked by its estimated errors; the best is realised."""
        loop = self.loop
        final, estimate = min(finals, key=lambda f: f[1], default=(None, np.inf))
        self.stale += 1
        if estimate < self.errors(self.best_keep):
            realised, right = realise(loop.problem, final, None)
            if self.incumbent(realised, right):
                self.stale = 0
                loop.hint_keep = right
                loop.stats["incumbent_by"] = "primal heuristic (full-batch FTPROP)"
                loop.hint = loop.hint_form(self.best)

    def warm_fit(self, hint) -> BackendResult:
        return BackendResult(Status.OPTIMAL, hidden_targets=hint, kept=np.ones(self.loop.problem.n_merged, bool),
                             proved_for=ALL_REAL_WEIGHTS, lower_bound=0.0, stats=self.loop.stats)

    def failed(self, targets, keep, fails) -> None:
        """Repair the candidate by dropping examples (within the master's turn); keep it if better."""
        loop = self.loop
        stop, turn = loop.deadline, loop.turn()
        if turn is not None:
            stop = time.monotonic() + turn if stop is None else min(stop, time.monotonic() + turn)
        repaired = repair(loop.checker, targets, keep.copy(), loop.problem.counts, stop)
        if repaired is not None:
            self.incumbent(*realise(loop.problem, targets, repaired))
        loop.hint_keep = keep

    def exhausted(self) -> BackendResult:
        """No network keeps more than the incumbent: it is optimal (unless a cut is undecided)."""
        if self.loop.master.tainted:
            return self.stopped(f"exhausted above the incumbent, but numerically undecided at {self.loop.master.tainted}")
        return self.optimal(self.best, self.best_keep, optimal_by="master exhausted above the incumbent")

    def stopped(self, why: str) -> BackendResult:
        """Time limit or Ctrl-C: the incumbent, with a lower bound that is true."""
        loop, lb = self.loop, self.lower_bound()
        return loop.result(Status.FEASIBLE, hidden_targets=self.best, kept=self.best_keep, lower_bound=lb,
                           message=f"{why}: best network found, not proved optimal"
                           + (f" (at least {lb:g} training errors)" if lb is not None else ""))


# A first incumbent from the best half-plane (every hidden unit a copy of it) where enumerating
# the lines costs about a second: one hidden layer, inputs of two dimensions at most.
HALF_PLANE_START_MAX = 600  # distinct examples (the enumeration grows as their cube)
# Width 3 or more in the plane: then the best pair of units (twounits), the last one copied, in
# this share of the time left; without it spirals-200 at width 3 ended on 83 errors, above width
# 2's optimum of 82.
PAIR_START_SHARE = 0.25


def _narrow_start(problem: Problem):
    """(targets, keep, how) of the best half-plane network of this width (the best pair's, from
    width 3 on in the plane, when it is better), or None."""
    from . import oneunit, twounits
    from ... import deadline

    if len(problem.hidden) != 1 or problem.shortcut or problem.n_merged > HALF_PLANE_START_MAX:
        return None
    try:
        found = oneunit.best_unit(problem, exact_up_to_2d_only=True)
    except deadline.TimeLimit:  # the search proper has what is left
        return None
    if found is None:
        return None
    width = problem.hidden[0]
    if width >= 3 and twounits.applies(problem, width=width):
        left = deadline.remaining()
        try:
            with deadline.time_limit(None if left is None else time.monotonic() + PAIR_START_SHARE * left):
                pair = twounits.best_pair(problem)
        except deadline.TimeLimit:
            pair = None
        if pair is not None and pair.errors < found.errors:
            D = pair.D
            return ([np.concatenate([D, np.repeat(D[:, 1:], width - 2, axis=1)], axis=1)], pair.right,
                    f"the best pair of units, the second copied ({pair.method})")
    return ([np.repeat(found.D[:, None], width, axis=1)], found.right,
            "the best half-plane, in every hidden unit (combinatorial.halfplanes)")


def _trivial(problem: Problem):
    """The first incumbent, which always verifies: constant hidden targets, keep one output row."""
    rows, inv = np.unique(problem.Yu, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    weight = np.bincount(inv, weights=problem.counts)
    keep = inv == int(np.argmax(weight))
    # the at-most-one constraint on identical inputs: they all carry different rows already
    targets = [np.ones((problem.n_merged, w), dtype=np.int8) for w in problem.hidden]
    return targets, keep


def realise(problem: Problem, targets, keep):
    """Fit the kept examples (None: all, least slack where a unit does not fit), then take the
    network's own outputs as targets and keep exactly the examples it gets right: every unit is
    then separable on them (its targets are its outputs), often more than ``keep``."""
    from ...fitting import fit_network
    from ...network import forward

    layers, _, _ = fit_network(problem, targets, keep, strict=keep is not None)
    acts = forward(layers, problem.Xu, shortcut=problem.shortcut)
    right = np.all(acts[-1] == problem.Yu, axis=1)
    # Only what the forward pass gets right. A unit the time limit left undecided is fitted best
    # effort and may miss kept examples; an exact fit of ``keep`` has keep within ``right``.
    return [np.asarray(a, dtype=np.int8) for a in acts[:-1]], right
