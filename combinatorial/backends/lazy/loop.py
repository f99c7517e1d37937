"""The cut loop of the lazy search: master solve -> exact unit checks -> cuts, with the portfolio."""

from __future__ import annotations

import sys
import time

import numpy as np

from ...errors import ProofError
from ...problem import Problem
from ...solution import ALL_REAL_WEIGHTS, BackendResult, Status
from ...symmetry import hint_targets
from .checks import Checker, repair
from .master import Master, normalise_hint, reason
from .portfolio import HEURISTIC_RESTARTS, LazyOptions, heuristic_share, master_turn


def _trivial(problem: Problem):
    """min-errors fallback that always verifies: constant hidden targets, keep one output row."""
    rows, inv = np.unique(problem.Yu, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    weight = np.bincount(inv, weights=problem.counts)
    keep = inv == int(np.argmax(weight))
    # the at-most-one constraint on identical inputs: they all carry different rows already
    targets = [np.ones((problem.n_merged, w), dtype=np.int8) for w in problem.hidden]
    return targets, keep


class Loop:
    """Master solve -> exact unit checks -> cuts, until an answer, the deadline or Ctrl-C."""

    def __init__(self, problem: Problem, options, deadline):
        self.problem, self.options, self.deadline = problem, options, deadline
        self.min_errors = options.objective == "min-errors"
        self.own = options.own(LazyOptions, "lazy")
        self.checker = Checker(problem)
        self._master = None  # built on first use: a first slice that fits never pays for it
        self.total = int(problem.counts.sum())
        self.stats = {"iterations": 0, "cuts": 0}
        self.hint = hint_targets(problem, options.warm_start, canonical=False)  # normalised below
        self.hint_keep = None
        self.best, self.best_fail, self.best_keep = None, None, None  # feasibility: fewest failing units
        if self.min_errors:
            self.best, self.best_keep = _trivial(problem)
            self.hint_keep = self.best_keep
        self.bound = None
        self.start = time.monotonic()
        pm1 = bool(np.all(np.abs(problem.Xu) == 1))
        self.real_valued = not pm1
        self.share = heuristic_share(pm1, self.min_errors)
        self.slices = None  # the FTPROP search of the portfolio, resumed slice by slice
        self.seen = None  # the last targets it handed over
        self.turns_cut = 0  # master solves the portfolio's turn limit stopped
        self.floor = -1  # min-errors: the master only looks for networks keeping more than this

    @property
    def master(self) -> Master:
        if self._master is None:
            self._master = Master(self.problem, self.options, self.min_errors)
        return self._master

    def result(self, status, **kw) -> BackendResult:
        c = self.checker
        if self._master is not None:
            m = self._master
            self.stats.update(m.stats, master_conflicts=m.conflicts, master_time_s=round(m.seconds, 4))
        self.stats.update(lp_checks=c.lp_checks, cache_hits=c.cache_hits, lp_time_s=round(c.seconds, 4))
        if self.turns_cut:
            self.stats["master_turns_cut"] = self.turns_cut
        return BackendResult(status, stats=self.stats, **kw)

    def warm_start(self) -> BackendResult | None:
        """A complete hint is LP-checked first: if every unit fits, there is nothing to search."""
        if self.hint is None:
            return None
        if not self.checker.failures(self.hint, None, first_only=True):
            self.stats["warm_start"] = "hint fits every example: returned after LP checks"
            if self.min_errors:
                return BackendResult(Status.OPTIMAL, hidden_targets=self.hint, kept=np.ones(self.problem.n_merged, bool),
                                     proved_for=ALL_REAL_WEIGHTS, lower_bound=0.0, stats=self.stats)
            return BackendResult(Status.FEASIBLE, hidden_targets=self.hint, stats=self.stats)
        self.stats["warm_start"] = "used as CP-SAT hint"
        self.hint = _hint_form(self.problem, self.hint, self.options, self.master)
        return None

    def loop(self) -> BackendResult:
        while True:
            if self.past_deadline():
                return self.stopped("time limit reached")
            answer = self.heuristic() if self.heuristic_turn() else self.iteration()
            if answer is not None:
                return answer

    def portfolio(self) -> bool:
        return self.own.heuristic and bool(self.problem.hidden)

    def heuristic_turn(self) -> bool:
        """Is it the heuristic's turn? Its share of the time so far is below its target share."""
        if not self.portfolio():
            return False
        if "heuristic_runs" not in self.stats:  # real-valued data: the heuristic opens
            return self.real_valued
        elapsed = time.monotonic() - self.start
        return self.stats["heuristic_time_s"] < self.share * elapsed

    def heuristic(self) -> BackendResult | None:
        """One FTPROP slice: a fit ends the search; otherwise its network (with the examples it
        gets right) may become the min-errors incumbent, and its targets the master's hint."""
        start = time.monotonic()
        try:
            return self._heuristic()
        finally:  # all of it, fitting and hint included, counts against the heuristic's share
            self.stats["heuristic_runs"] = self.stats.get("heuristic_runs", 0) + 1
            self.stats["heuristic_time_s"] = round(self.stats.get("heuristic_time_s", 0.0) + time.monotonic() - start, 4)

    def _heuristic(self) -> BackendResult | None:
        if self.slices is None:
            from .. import load

            self.slices = load("fullbatch").Slices(self.problem, seed=int(self.options.seed), deadline=self.deadline)
        trace = self.slices.next(HEURISTIC_RESTARTS)
        targets, found = trace.hidden_targets, trace.found
        finals = self.slices.finals()
        if found:
            self.stats["found_by"] = "primal heuristic (full-batch FTPROP)"
            if not self.min_errors:
                return self.result(Status.FEASIBLE, hidden_targets=targets)
            return self.result(Status.OPTIMAL, hidden_targets=targets, kept=np.ones(self.problem.n_merged, bool),
                               proved_for=ALL_REAL_WEIGHTS, lower_bound=0.0)
        if self.min_errors:  # every restart's network ranked by its errors; the best is realised
            final, estimate = min(finals, key=lambda f: f[1], default=(None, np.inf))
            if estimate < self.errors(self.best_keep):
                realised, right = _realise(self.problem, final, None)
                if self.errors(right) < self.errors(self.best_keep):
                    self.best, self.best_keep, self.hint_keep = realised, right, right
                    self.stats["incumbent_by"] = "primal heuristic (full-batch FTPROP)"
                    self.hint = _hint_form(self.problem, self.best, self.options, self.master)
            return None
        if targets is None or targets is self.seen:  # nothing new since the last slice
            return None
        self.seen = targets
        if self.hint is None:
            realised, _ = _realise(self.problem, targets, None)
            self.hint = _hint_form(self.problem, realised, self.options, self.master)
        return None

    def iteration(self) -> BackendResult | None:
        """One master solve and its checks: an answer, or None to go on."""
        master, stats = self.master, self.stats
        if self.min_errors:  # candidates must beat the incumbent: none left proves it optimal
            kept = self.total - self.errors(self.best_keep)
            if kept > self.floor:
                master.require_more_than(kept)
                self.floor = kept
        cap = self.turn()
        answer = master.solve(self.deadline, self.hint, self.hint_keep, cap=cap)
        state, targets, keep, bound = answer.state, answer.targets, answer.keep, answer.bound
        stats["iterations"] += 1
        if bound is not None:
            self.bound = bound if self.bound is None else min(self.bound, bound)
        if state == "interrupted":
            return self.stopped("interrupted")
        cut_short = cap is not None and state in ("unknown", "feasible") and not self.past_deadline()
        self.turns_cut += cut_short
        if state == "unknown":
            return None if cut_short else self.stopped("time limit reached")
        if state == "infeasible":
            return self.exhausted()
        pairs = master.add_violated_pairs(targets, keep)
        fails = self.checker.failures(targets, keep)
        self.log(f"pair constraints added: {pairs}") if pairs else None
        self.log(f"iteration {stats['iterations']}: {len(fails)} inseparable units, {stats['cuts']} cuts, "
                 f"{self.checker.lp_checks} LPs" + (f", bound {bound:g}" if bound is not None else ""))
        if not fails:  # a verified fit, even where it breaks a pair constraint's symmetry form
            if not self.min_errors:
                return self.result(Status.FEASIBLE, hidden_targets=targets)
            if state == "optimal" and not master.tainted:
                return self.result(Status.OPTIMAL, hidden_targets=targets, kept=keep,
                                   proved_for=ALL_REAL_WEIGHTS, lower_bound=float(self.errors(keep)))
            if self.errors(keep) < self.errors(self.best_keep):  # verified, not proved optimal
                self.best, self.best_keep = targets, keep
            self.hint, self.hint_keep = targets, keep
            return None if cut_short else self.stopped("time limit reached")
        for layer, unit, subsets, undecided in fails:
            if undecided and not master.tainted:
                master.tainted = f"layer {layer} unit {unit} ({undecided})"
            for subset, multipliers in subsets:
                stats["cuts"] += master.add_cut(layer, unit, subset, targets, multipliers)
        self.remember(targets, keep, fails)
        return None

    def errors(self, keep: np.ndarray) -> int:
        """Training errors of a network that gets exactly the ``keep`` examples right."""
        return self.total - int(self.problem.counts[keep].sum())

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def turn(self) -> float | None:
        """The master's time for this solve: None (to the deadline) unless a real-valued portfolio."""
        if not self.portfolio() or not self.real_valued:
            return None
        return master_turn(self.turns_cut, self.share, time.monotonic() - self.start)

    def remember(self, targets, keep, fails) -> None:
        """Keep the best candidate so far and hint the next master solve with this one."""
        if self.min_errors:
            stop, turn = self.deadline, self.turn()  # repairs belong to the master's turn
            if turn is not None:
                stop = time.monotonic() + turn if stop is None else min(stop, time.monotonic() + turn)
            repaired = repair(self.checker, targets, keep.copy(), self.problem.counts, stop)
            if repaired is not None:
                fixed, repaired = _realise(self.problem, targets, repaired)
                if self.errors(repaired) < self.errors(self.best_keep):
                    self.best, self.best_keep = fixed, repaired
            self.hint_keep = keep
        elif self.best_fail is None or len(fails) < self.best_fail:
            self.best, self.best_fail = targets, len(fails)
        self.hint = targets

    def exhausted(self) -> BackendResult:
        """The master has no candidate left: a proof, unless a cut rests on an undecided unit.
        min-errors: none keeps more than the incumbent, which is therefore optimal."""
        if self.min_errors:
            if self.master.tainted:
                return self.stopped(f"exhausted above the incumbent, but numerically undecided at {self.master.tainted}")
            self.stats["optimal_by"] = "master exhausted above the incumbent"
            return self.result(Status.OPTIMAL, hidden_targets=self.best, kept=self.best_keep,
                               proved_for=ALL_REAL_WEIGHTS, lower_bound=float(self.errors(self.best_keep)))
        if self.master.tainted:
            return self.result(Status.UNKNOWN, hidden_targets=self.best, message=(
                f"numerically undecided at {self.master.tainted}; the search is exhausted only "
                "if that unit is inseparable, which exact arithmetic could not confirm"))
        cuts, iterations = self.stats["cuts"], self.stats["iterations"]
        return self.result(Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS, refutation=self.refutation(), certificate={
            "kind": "no-good cuts", "cuts": cuts, "iterations": iterations, "reason": reason(cuts, self.master)})

    def refutation(self):
        """The master's record when a proof file is asked for (else None), or why there is none."""
        if self.options.proof is None:
            return None
        try:
            return self.master.refutation()
        except ProofError as exc:
            return str(exc)

    def stopped(self, why: str) -> BackendResult:
        """Time limit or Ctrl-C: the best network so far, with a lower bound that is true."""
        if self.min_errors:
            lb = None
            if self.bound is not None and not self.master.tainted:
                best_errors = self.errors(self.best_keep)
                lb = float(min(best_errors, max(0, self.total - int(np.floor(self.bound + 1e-6)))))
            return self.result(Status.FEASIBLE, hidden_targets=self.best, kept=self.best_keep, lower_bound=lb,
                               message=f"{why}: best network found, not proved optimal"
                               + (f" (at least {lb:g} training errors)" if lb is not None else ""))
        return self.result(Status.UNKNOWN, hidden_targets=self.best, message=(
            f"{why} after {self.stats['iterations']} master solves and {self.stats['cuts']} cuts"))

    def log(self, msg: str) -> None:
        if self.options.verbose:
            print(f"lazy: {msg}", file=sys.stderr, flush=True)


def _hint_form(problem: Problem, targets, options, master) -> list[np.ndarray]:
    """Targets in the master's symmetry-broken form (a hint outside it is rejected at once)."""
    return normalise_hint(problem, targets, master.monotone) if options.symmetry_breaking else targets


def _realise(problem: Problem, targets, keep):
    """Fit the kept examples (None: all, least slack where a unit does not fit), then take the
    network's own outputs as targets and keep every example it gets right: every unit is then
    separable on the kept examples (its targets are its outputs), often more are kept."""
    from ...fitting import fit_network
    from ...network import forward

    layers, _, _ = fit_network(problem, targets, keep, strict=keep is not None)
    acts = forward(layers, problem.Xu, shortcut=problem.shortcut)
    right = np.all(acts[-1] == problem.Yu, axis=1)
    return [np.asarray(a, dtype=np.int8) for a in acts[:-1]], right if keep is None else right | keep


