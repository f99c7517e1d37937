r"""Full-batch FTPROP: the paper's recursive target-propagation search, as a (heuristic) backend.

Work from the output layer down. Layer d's units are fitted to their targets given the targets of
layer d-1 (one LP per unit). When some unit of layer d is not separable, the targets of layer d-1
are changed to lower layer d's loss, and the search recurses into layer d-1 to make the new
targets feasible there; a layer that runs out of budget backtracks. Restarts from fresh initial
targets continue until the deadline or ``FTPropConfig.max_restarts`` (20 without a deadline);
a restart budget makes a run independent of machine load unless the deadline cuts it short.

The answer is FEASIBLE (hidden targets that make every unit separable; :func:`solve` refits and
verifies them) or UNKNOWN with the best targets seen. This backend never answers INFEASIBLE: a
heuristic that fails has proved nothing. (``solve(..., backend="fullbatch")`` can still return
INFEASIBLE on conflicting data, the same input with two labels: that proof comes from the front
end in :mod:`combinatorial.solve`, before any backend runs, with certificate kind "conflict".)

Choices the paper leaves open, and what this module does:

* **Layer loss.** Layer d's loss is the sum over its units of the hinge loss of the unit's best
  soft fit: the LP  min sum_i c_i s_i  s.t.  t_i (w.u_i + b) >= 1 - s_i, s >= 0, with c_i the
  multiplicity of merged example i. It is 0 exactly when every unit of the layer is separable.
* **Target heuristic.** g = dL_d/dh_{d-1} at the best soft fits (only examples with positive
  slack contribute: g_ij = -sum_k w_ik t_ik W_kj, w_ik the example's weight in unit k's loss).
  Flipping h_ij lowers L_d to first order iff h_ij g_ij > 0. Each step evaluates, after the
  recursion below, these proposals: the paper's rule on the whole data set, t = sign(-g) where
  g != 0 (old target where g = 0); the same rule on one unit at a time (units moving together
  often collide); ``flip_tries`` loss-guided flips of a few bits sampled in proportion to their
  first-order gain; and the rule again with g taken at fits on a random half of the examples
  (an LP optimum is often symmetric, e.g. zero weight on a unit, and then gives that unit no
  gradient). The proposal whose true (re-solved) loss is lowest is taken if it lowers L_d; else
  a sideways move to an equal-loss proposal is taken (plateaus are common) and the step counts
  as stale. Proposals carry per-bit weights w_ij = c_i (|g_ij| + eps): the weighted layer loss
  of the paper (|g| weighting), plus a small eps that keeps the bits the layer above does not
  care about where they are.
* **Recursion and backtracking.** A proposal for layer d-1 is handed down: the search tries to
  make layer d-1 separable by changing layer d-2 (with ``inner_budget`` steps). If it cannot (or
  d-1 = 1, whose inputs are fixed), the proposal is *projected*: each inseparable unit of layer
  d-1 takes the sign of its best soft fit under the proposal's weights, which is separable by
  construction. So every layer below the one being worked on stays consistent at all times, and
  the search never leaves the set of realisable hidden representations. A layer gives up after
  ``patience`` stale steps or its budget (``layer_budget`` at the output layer, ``inner_budget``
  below) and the caller backtracks (its targets are restored); the output layer giving up ends
  the restart. The best targets of all restarts (lowest output loss) are the UNKNOWN answer.
* **Initial targets.** Seeded by ``options.seed``. Restarts alternate two inits: ``random`` is the
  forward pass of a random hard-threshold network (Gaussian weights on standardised inputs,
  each threshold drawn between two projected examples so no unit starts constant);
  ``lp`` makes each first-layer unit the LP best soft fit of one output unit's targets on a
  random half of the examples (an LP relaxation of "hidden unit = useful feature"), deeper layers
  by a random forward pass. Both are consistent from the start.

Soft fits are cached by (inputs, targets, weights): proposals repeat. A restart costs a few
hundred small LPs; the intended use is the tiny instances of the exact-vs-heuristic study (``ftprop compare``, ``benchmarks/exact_vs_heuristic.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import deadline
from ..problem import Problem, standardised
from ..separability import check_separable
from ..solution import BackendResult, Status
from ..fitting import min_slack


@dataclass(frozen=True)
class FTPropConfig:
    max_restarts: int | None = None  # None: until the deadline, or 20 restarts without one
    layer_budget: int = 30  # steps the output layer may spend per restart before giving up
    inner_budget: int = 4  # steps a hidden layer may spend per visit before backtracking
    patience: int = 4  # steps in a row without a better proposal before a layer gives up
    flip_tries: int = 4  # loss-guided proposals of a few sampled bits, after the sign-rule ones
    resample_tries: int = 3  # refits on random halves when the best soft fit gives no gradient
    keep_weight: float = 0.1  # eps of the bit weights c_i (|g_ij| + eps), as a share of mean |g|
    flip_boost: float = 10.0  # extra weight of the bits a loss-guided proposal flips
    max_flip_fraction: float = 0.25  # a loss-guided proposal flips at most this share of bits
    inits: tuple = ("random", "lp")  # initial-target schemes, used in turn across restarts
    tol: float = 1e-7  # losses below this count as zero (then confirmed by the separability LP)


@dataclass
class FTPropTrace:
    """What a run found, beyond the BackendResult: for ``ftprop compare``."""

    hidden_targets: list[np.ndarray] | None = None  # merged examples; the FEASIBLE or best targets
    found: bool = False
    best_loss: float = float("inf")  # output-layer loss of the best targets
    last_sign_targets: dict = field(default_factory=dict)  # layer -> last sign(-g) proposal (m x w)
    restarts: int = 0
    steps: int = 0
    lp_calls: int = 0
    time_to_feasible_s: float | None = None
    init: str | None = None  # init scheme of the restart that succeeded


def run(problem: Problem, options, deadline: float | None) -> BackendResult:
    config = options.own(FTPropConfig, "fullbatch")
    return result_from_trace(search(problem, seed=options.seed, deadline=deadline, config=config))


def result_from_trace(trace: FTPropTrace) -> BackendResult:
    """FEASIBLE with the targets found, else UNKNOWN with the best ones (never INFEASIBLE)."""
    stats = {"restarts": trace.restarts, "steps": trace.steps, "lp_calls": trace.lp_calls,
             "best_output_loss": round(trace.best_loss, 6), "time_to_feasible_s": trace.time_to_feasible_s,
             "init": trace.init}
    if trace.found:
        return BackendResult(Status.FEASIBLE, hidden_targets=trace.hidden_targets, stats=stats, trace=trace)
    return BackendResult(Status.UNKNOWN, hidden_targets=trace.hidden_targets, stats=stats, trace=trace,
                         message="heuristic search ended without a fit (this proves nothing)")


def search(problem: Problem, *, seed: int = 0, deadline: float | None = None,
           config: FTPropConfig | None = None) -> FTPropTrace:
    """Run restarts of recursive FTPROP until a fit is found, the deadline, or the restart budget."""
    return _Search(problem, config or FTPropConfig(), seed, deadline).run()


class Slices:
    """One FTPROP search run in slices (``next(restarts)``), e.g. between a master's solves:
    the same restarts, in the same order, as one uninterrupted :func:`search` with this seed."""

    def __init__(self, problem: Problem, *, seed: int = 0, deadline: float | None = None,
                 config: FTPropConfig | None = None):
        self._search = _Search(problem, config or FTPropConfig(), seed, deadline)
        self._search.finals = []

    def next(self, restarts: int) -> FTPropTrace:
        return self._search.run(more=restarts)

    def finals(self) -> list[tuple[list[np.ndarray], float]]:
        """(hidden targets, errors) for each restart since the last call: the targets it ended
        with (every hidden layer realisable) and the weighted count of examples its output
        layer's best soft fit gets wrong, in floats. A min-errors search ranks restarts by these
        errors, where the trace keeps only the restart of lowest output loss."""
        out, self._search.finals = self._search.finals, []
        return out


class _OutOfTime(Exception):
    """The deadline passed between two unit fits of one layer."""


class _Search:
    def __init__(self, problem: Problem, config: FTPropConfig, seed: int, deadline: float | None):
        self.p, self.cfg, self.deadline = problem, config, deadline
        self.rng = np.random.default_rng(seed)
        self.c = problem.counts.astype(float)
        self.top = len(problem.hidden) + 1
        self.trace = FTPropTrace()
        self.omega: dict[int, np.ndarray] = {}  # layer -> bit weights of the proposal it must meet
        self.cache: dict = {}  # soft fits by (inputs, targets, weights): candidates repeat often
        self.start = time.monotonic()
        self.finals: list | None = None  # a Slices run collects every restart's end targets here
        self.Xs = standardised(problem.Xu)

    def out_of_time(self) -> bool:
        return (self.deadline is not None and time.monotonic() >= self.deadline) or deadline.passed()

    # --- the recursion --------------------------------------------------------------------
    def run(self, more: int | None = None) -> FTPropTrace:
        """Restarts until a fit, the deadline or the budget; ``more`` continues an earlier run
        (same random stream) for that many further restarts."""
        tr = self.trace
        r = tr.restarts
        if more is not None:
            limit = r + more
        else:
            limit = self.cfg.max_restarts if self.cfg.max_restarts is not None else (None if self.deadline else 20)
        while not tr.found and not self.out_of_time() and (limit is None or r < limit):
            init = self.cfg.inits[r % len(self.cfg.inits)]
            self.T, self.omega = self.initial_targets(init), {}
            tr.restarts = r = r + 1
            try:
                ok = self.descend(self.top, self.cfg.layer_budget)
                loss, fits = self.layer_fit(self.top)
            except _OutOfTime:  # inside a wide layer's fits: this restart ends unfinished
                break
            if self.finals is not None:
                self.finals.append(([T.astype(np.int8) for T in self.T], self.output_errors(fits)))
            if ok or loss < tr.best_loss:
                tr.best_loss, tr.hidden_targets = loss, [T.astype(np.int8) for T in self.T]
            if ok and self.confirm():
                tr.found, tr.init = True, init
                tr.time_to_feasible_s = round(time.monotonic() - self.start, 4)
                break
            if not self.p.hidden:
                break  # nothing to search: one perceptron layer either fits or does not
        return tr

    def descend(self, d: int, budget: int) -> bool:
        """Make layer d separable by changing the targets of the layers below (in place)."""
        loss, fits = self.layer_fit(d)
        if loss <= self.cfg.tol:
            return True
        if d == 1:
            return False
        stale = 0
        for _ in range(budget):
            if self.out_of_time() or stale >= self.cfg.patience:
                return False
            self.trace.steps += 1
            saved = [T.copy() for T in self.T[: d - 1]], dict(self.omega)
            best = side = None
            for proposal, weights in self.proposals(d, fits):
                self.T[d - 2], self.omega[d - 1] = proposal, weights
                if d - 1 == 1:  # fixed inputs below: only changed columns need a new fit
                    self.T[d - 2] = self.realise(d - 1, unchanged=saved[0][d - 2])
                elif not self.descend(d - 1, self.cfg.inner_budget):
                    self.T[d - 2] = self.realise(d - 1)
                new_loss, new_fits = self.layer_fit(d)
                if new_loss <= self.cfg.tol:
                    return True
                if new_loss < loss - self.cfg.tol and (best is None or new_loss < best[0]):
                    best = new_loss, new_fits, [T.copy() for T in self.T[: d - 1]], dict(self.omega)
                elif side is None and new_loss <= loss + self.cfg.tol and not np.array_equal(self.T[d - 2], saved[0][d - 2]):
                    side = new_loss, new_fits, [T.copy() for T in self.T[: d - 1]], dict(self.omega)
                self.T[: d - 1], self.omega = [T.copy() for T in saved[0]], dict(saved[1])
                if self.out_of_time():
                    break
            if best is None:  # no better proposal: take a sideways one (plateaus are common)
                stale += 1
                if side is not None:
                    loss, fits, self.T[: d - 1], self.omega = side
                continue
            stale = 0
            loss, fits, self.T[: d - 1], self.omega = best
        return False

    # --- the convex half ------------------------------------------------------------------
    def layer_fit(self, d: int):
        """(total weighted hinge loss of layer d's best soft fits, [(w, b, slack) per unit])."""
        U = self.p.unit_inputs(self.T, d)
        Tg = self.p.unit_targets(self.T, d)
        Om = self.omega.get(d)
        fits = []
        for j in range(Tg.shape[1]):  # wide layers: the deadline is seen between units
            if self.out_of_time():
                raise _OutOfTime
            fits.append(self.soft_fit(U, Tg[:, j], None if Om is None else Om[:, j]))
        c = [self.c if Om is None else Om[:, j] for j in range(Tg.shape[1])]
        return float(sum(cj @ s for cj, (_, _, s) in zip(c, fits))), fits

    def soft_fit(self, U, t, c=None):
        """Weighted min-slack LP (margin 1); returns weights for the unscaled inputs and slacks."""
        c = self.c if c is None else c
        if np.all(t == t[0]):
            return np.zeros(U.shape[1]), float(t[0]), np.zeros(len(U))
        key = (U.tobytes(), np.asarray(t, dtype=float).tobytes(), np.asarray(c, dtype=float).tobytes())
        if key in self.cache:
            return self.cache[key]
        if len(self.cache) > 50_000:
            self.cache.clear()
        self.cache[key] = fit = self._soft_fit_lp(U, t, c)
        return fit

    def _soft_fit_lp(self, U, t, c):
        self.trace.lp_calls += 1
        return min_slack(U, t, c)

    def realise(self, d: int, unchanged=None) -> np.ndarray:
        """Layer d's targets projected onto what its units can realise given the layer below:
        each inseparable unit takes the sign of its best soft fit under the proposal's weights.
        Columns equal to those of ``unchanged`` (consistent targets, same inputs) are kept."""
        U = self.p.unit_inputs(self.T, d)
        T = self.T[d - 1].copy()
        Om = self.omega.get(d)
        for j in range(T.shape[1]):
            if unchanged is not None and np.array_equal(T[:, j], unchanged[:, j]):
                continue
            w, b, slack = self.soft_fit(U, T[:, j].astype(float), None if Om is None else Om[:, j])
            if slack.max() > self.cfg.tol:  # inseparable (a separable column is kept as it is)
                T[:, j] = np.where(U @ w + b >= 0, 1, -1)
        return T

    def output_errors(self, fits) -> float:
        """Weighted count of examples that the output layer's soft fits get wrong (floats)."""
        U, Tg = self.p.unit_inputs(self.T, self.top), self.p.unit_targets(self.T, self.top)
        wrong = np.zeros(len(U), bool)
        for k, (w, b, _) in enumerate(fits):
            wrong |= np.where(U @ w + b >= 0, 1, -1) != Tg[:, k]
        return float(self.c[wrong].sum())

    def confirm(self) -> bool:
        """Exact separability check of every unit (the loss threshold is only a float test)."""
        return all(not self.out_of_time()
                   and check_separable(self.p.unit_inputs(self.T, d), self.p.unit_targets(self.T, d)[:, j]).separable
                   for d in range(1, self.top + 1) for j in range(self.p.unit_targets(self.T, d).shape[1]))

    # --- the combinatorial half -----------------------------------------------------------
    def proposals(self, d: int, fits):
        """Candidate (targets, weights) for layer d-1 that lower layer d's loss to first order.

        g = dL_d/dh_{d-1} at the best soft fits, then at fits on random halves of the data (an
        LP optimum is often symmetric, e.g. w = 0 on a unit, and then gives that unit no
        gradient). The weight of bit (i, j) is c_i (|g_ij| + eps), so the projection of a
        proposal trades the bits the layer above cares about against keeping the rest.
        """
        H = self.T[d - 2]
        yielded = 0
        for attempt in range(self.cfg.resample_tries + 1):
            if attempt:
                if yielded and attempt > 1:
                    return
                fits = self.half_fits(d)
            g = self.gradient(d, fits, H.shape[1])
            gain = H * g  # > 0: flipping this bit lowers the loss to first order
            flip = gain > 1e-12 * max(1.0, np.abs(g).max())
            if not flip.any():
                continue
            eps = self.cfg.keep_weight * np.abs(g[g != 0]).mean()
            weights = self.c[:, None] * (np.abs(g) + eps)
            sign_rule = np.where(flip, -H, H).astype(np.int8)
            if attempt == 0:
                self.trace.last_sign_targets[d - 1] = sign_rule
            yielded += 1
            yield sign_rule, weights  # the paper's rule on the whole data set
            for j in self.rng.permutation(H.shape[1]) if H.shape[1] > 1 else ():
                if flip[:, j].any():  # one unit at a time: moves that do not collide
                    cand = H.copy()
                    cand[:, j] = sign_rule[:, j]
                    yield cand, weights
            if attempt:
                continue
            bits = np.flatnonzero(flip.ravel())
            p = gain.ravel()[bits] / gain.ravel()[bits].sum()
            limit = max(1, int(self.cfg.max_flip_fraction * H.size))
            for _ in range(self.cfg.flip_tries):  # loss-guided: a few bits, sampled by their gain
                pick = self.rng.choice(bits, size=int(self.rng.integers(1, min(limit, len(bits)) + 1)),
                                       replace=False, p=p)
                cand, strong = H.copy().ravel(), weights.copy().ravel()
                cand[pick] *= -1
                strong[pick] *= self.cfg.flip_boost
                yield cand.reshape(H.shape), strong.reshape(H.shape)

    def gradient(self, d: int, fits, width: int) -> np.ndarray:
        """dL_d/dh_{d-1} (hinge loss, only examples with positive slack contribute)."""
        Tg, Om = self.p.unit_targets(self.T, d), self.omega.get(d)
        g = np.zeros((len(Tg), width))
        for k, (w, _, s) in enumerate(fits):
            ck = self.c if Om is None else Om[:, k]
            g -= (ck * Tg[:, k] * (s > 1e-9))[:, None] * w[None, :width]
        return g

    def half_fits(self, d: int):
        """Soft fits of layer d on a random half of the examples, with slacks on all of them."""
        U, Tg, Om = self.p.unit_inputs(self.T, d), self.p.unit_targets(self.T, d), self.omega.get(d)
        half = self.rng.random(len(U)) < 0.5
        fits = []
        for k in range(Tg.shape[1]):
            ck = self.c if Om is None else Om[:, k]
            if half.sum() > 1:
                w, b, _ = self.soft_fit(U[half], Tg[half, k].astype(float), ck[half])
            else:
                w, b = np.zeros(U.shape[1]), 0.0
            fits.append((w, b, np.maximum(0.0, 1 - Tg[:, k] * (U @ w + b))))
        return fits

    def initial_targets(self, init: str) -> list[np.ndarray]:
        T, U = [], self.Xs
        for l, width in enumerate(self.p.hidden):
            if init == "lp" and l == 0:
                cols = []
                for _ in range(width):
                    half = self.rng.random(len(U)) < 0.5
                    k = int(self.rng.integers(self.p.Yu.shape[1]))
                    if half.sum() < 2:
                        half[:] = True
                    w, b, _ = self.soft_fit(U[half], self.p.Yu[half, k].astype(float), self.c[half])
                    cols.append(U @ w + b)
                Z = np.stack(cols, axis=1)
            else:
                Z = U @ self.rng.standard_normal((U.shape[1], width))
                for j in range(width):  # threshold strictly between two projected examples
                    v = np.unique(Z[:, j])
                    if len(v) > 1:
                        i = int(self.rng.integers(len(v) - 1))
                        Z[:, j] -= (v[i] + v[i + 1]) / 2
            H = np.where(Z >= 0, 1, -1).astype(np.int8)
            T.append(H)
            U = H.astype(float)
        return T
