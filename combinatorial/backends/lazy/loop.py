"""The cut loop of the lazy search: master solve -> exact unit checks -> cuts, with the portfolio."""

from __future__ import annotations

import sys
import time

import numpy as np

from ...errors import ProofError
from ...problem import Problem
from ...solution import BackendResult
from ...symmetry import hint_targets
from .checks import Checker
from .goals import Feasibility, MinErrors, realise
from .master import Master, normalise_hint
from .portfolio import HEURISTIC_RESTARTS, LazyOptions, heuristic_share, master_turn


class Loop:
    """Master solve -> exact unit checks -> cuts, until an answer, the deadline or Ctrl-C."""

    def __init__(self, problem: Problem, options, deadline):
        self.problem, self.options, self.deadline = problem, options, deadline
        self.own = options.own(LazyOptions, "lazy")
        self.checker = Checker(problem)
        self._master = None  # built on first use: a first slice that fits never pays for it
        self.total = int(problem.counts.sum())
        self.stats = {"iterations": 0, "cuts": 0}
        self.hint = hint_targets(problem, options.warm_start, canonical=False)  # normalised below
        self.hint_keep = None  # min-errors: which examples the hint keeps
        self.goal = MinErrors(self) if options.objective == "min-errors" else Feasibility(self)
        self.start = time.monotonic()
        self.real_valued = not bool(np.all(np.abs(problem.Xu) == 1))
        self.slices = None  # the FTPROP search of the portfolio, resumed slice by slice
        self.seen = None  # the last targets it handed over
        self.turns_cut = 0  # master solves the portfolio's turn limit stopped

    @property
    def share(self) -> float:
        """The heuristic's target share of the elapsed time (min-errors: it decays while stale)."""
        return heuristic_share(not self.real_valued, self.goal.min_errors, self.goal.stale)

    @property
    def master(self) -> Master:
        if self._master is None:
            self._master = Master(self.problem, self.options, self.goal.min_errors)
        return self._master

    def hint_form(self, targets) -> list[np.ndarray]:
        """Targets in the master's symmetry-broken form (a hint outside it is rejected at once)."""
        return normalise_hint(self.problem, targets, self.master.monotone) if self.options.symmetry_breaking else targets

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
            return self.goal.warm_fit(self.hint)
        self.stats["warm_start"] = "used as CP-SAT hint"
        network = realise(self.problem, self.hint, None)  # and, realised, an incumbent
        if self.goal.min_errors:
            self.goal.incumbent(*network)
        else:
            self.goal.offer(*network)
        self.hint = self.hint_form(self.hint)
        return None

    def loop(self) -> BackendResult:
        self.report("start")
        while True:
            if self.past_deadline():
                return self.stopped("time limit reached")
            turn = "heuristic" if self.heuristic_turn() else "master"
            answer = self.heuristic() if turn == "heuristic" else self.iteration()
            self.report(turn)
            answer = answer or self.goal.closed()
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
        if trace.found:
            self.stats["found_by"] = "primal heuristic (full-batch FTPROP)"
            return self.goal.heuristic_fit(trace.hidden_targets)
        self.goal.heuristic_networks(self.slices.finals(), trace.hidden_targets)
        return None

    def iteration(self) -> BackendResult | None:
        """One master solve and its checks: an answer, or None to go on."""
        master, stats, goal = self.master, self.stats, self.goal
        goal.before_solve()
        cap = self.turn()
        # CaDiCaL beside the first solve only, where the valid constraints alone most often refute
        # (every parity-n at width n - 1); a later refutation gets it after CP-SAT
        beside = self.own.confirm and not goal.min_errors and cap is None and stats["iterations"] == 0
        answer = master.solve(self.deadline, self.hint, self.hint_keep, cap=cap, confirm=beside)
        state, targets, keep, bound = answer.state, answer.targets, answer.keep, answer.bound
        stats["iterations"] += 1
        if bound is not None and goal.min_errors:
            goal.bound = bound if goal.bound is None else min(goal.bound, bound)
        if state == "interrupted":
            return self.stopped("interrupted")
        cut_short = cap is not None and state in ("unknown", "feasible") and not self.past_deadline()
        self.turns_cut += cut_short
        if state == "unknown":
            return None if cut_short else self.stopped("time limit reached")
        if state == "infeasible":
            return goal.exhausted()
        pairs = master.add_violated_pairs(targets, keep)
        fails = self.checker.failures(targets, keep)
        self.log(f"pair constraints added: {pairs}") if pairs else None
        self.log(f"iteration {stats['iterations']}: {len(fails)} inseparable units, {stats['cuts']} cuts, "
                 f"{self.checker.lp_checks} LPs" + (f", bound {bound:g}" if bound is not None else ""))
        if not fails:  # a verified fit, even where it breaks a pair constraint's symmetry form
            return goal.fitted(targets, keep, state == "optimal" and not master.tainted, cut_short)
        for layer, unit, subsets, undecided in fails:
            if undecided and not master.tainted:
                master.tainted = f"layer {layer} unit {unit} ({undecided})"
            for subset, multipliers in subsets:
                stats["cuts"] += master.add_cut(layer, unit, subset, targets, multipliers)
        goal.failed(targets, keep, fails)
        self.hint = targets
        return None

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def turn(self) -> float | None:
        """The master's time for this solve: None (to the deadline) unless a real-valued portfolio."""
        if not self.portfolio() or not self.real_valued:
            return None
        return master_turn(self.turns_cut, self.share, time.monotonic() - self.start)

    def refutation(self, errors: int | None = None):
        """The master's record when a proof file is asked for (else None), or why there is none;
        min-errors: ``errors``, the optimum's (its refutation is of "at most errors - 1")."""
        if self.options.proof is None:
            return None
        if errors == 0:
            return None  # a network without errors is its own proof
        try:
            return self.master.refutation(errors)
        except ProofError as exc:
            return str(exc)

    def stopped(self, why: str) -> BackendResult:
        """Time limit or Ctrl-C: the goal's best so far."""
        return self.goal.stopped(why)

    def report(self, event: str) -> None:
        """One progress event for ``SolveOptions.progress`` (the CLI prints and logs them)."""
        if self.options.progress is None:
            return
        stats, goal = self.stats, self.goal
        self.options.progress({
            "event": event, "elapsed_s": round(time.monotonic() - self.start, 3), "examples": self.total,
            "working_set": self.problem.n_merged, "incumbent_errors": goal.incumbent_errors(),
            "lower_bound": goal.lower_bound(), "cuts": stats["cuts"], "iterations": stats["iterations"],
            "heuristic_runs": stats.get("heuristic_runs", 0)})

    def log(self, msg: str) -> None:
        if self.options.verbose:
            print(f"lazy: {msg}", file=sys.stderr, flush=True)
