r"""One joint CP-SAT model: Boolean hidden targets and integer weights, solved together.

Variables (named so that logs and exported models read):

    t[l][j][i]   hidden unit j of layer l has target +1 on merged example i
    w[l][j][k]   integer weight of input k of unit j in layer l, |w| <= K_l (one K, or K(fan-in) per layer)
    b[l][j]      integer bias (its range, +-(K * sum of input bounds) + 1, loses nothing)
    p[l][j][k][i]  w[l][j][k] * h_k(i) for a ±1 hidden input h_k: p = w if the input's literal
                 is true, p = -w otherwise (two half-reified equalities)
    keep[i]      min-errors only: merged example i is fitted (objective: sum counts_i * !keep_i)

Constraint form of every unit, with z_i = sum_k w_k u_ik + b an integer:

    target +1  =>  z_i >= 0          target -1  =>  z_i <= -1

(``OnlyEnforceIf`` on the target literal, and on keep[i] for min-errors). Because z is an
integer, the two cases partition the integers exactly as the engine's tie rule sign(0) = +1
does, so no margin is lost: forbidding z = 0 (z >= 1 / z <= -1) would need up to twice the
weights. Under this form every threshold function of n ±1 inputs has a realisation with
|w| <= K(n), K = 1, 1, 2, 3, 5 for n = 1..5, computed and proved complete by enumeration in
``benchmarks/weight_bounds.py`` and re-checked for n <= 4 by ``tests/test_weight_bounds.py``.

Proof scope of INFEASIBLE (and of a min-errors OPTIMAL):

* all real weights, when every input of the data set is -1 or +1 (hidden units always are) and
  K >= K(fan-in) for every layer: each unit of any real-weight network computes a threshold
  function of its ±1 inputs, which an integer unit with |w| <= K reproduces on the whole cube;
* otherwise integer weights |w| <= K. Real-valued features are multiplied by a scale S (reported
  in stats) and must then be integers: S is the smallest integer (<= 10^4) that makes them
  so. The weights are then integers for the scaled features, i.e. multiples of 1/S for the
  given ones. S is exact only when every S * x is an integer in exact arithmetic (a float is a
  dyadic rational: pixel/256 scales exactly, the float 0.1 does not). When no such S exists the
  features are rounded (max |x| -> 1000); an INFEASIBLE on rounded features proves nothing about
  the data and is reported as UNKNOWN.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from ..certificates import SolverWord
from ..network import LayerWeights
from ..problem import Problem, ProblemError
from ..separability import check_separable
from ..solution import ALL_REAL_WEIGHTS, BackendResult, Status, integer_scope
from ..clauses import ClauseModel
from ..symmetry import add_cpsat_symmetry_breaking, hint_targets
from ._cpsat import solve_keeping_sigint

# K(n) for fan-in n under the form above (benchmarks/results/weight_bounds.md).
SUFFICIENT_WEIGHT_BOUND = {1: 1, 2: 1, 3: 2, 4: 3, 5: 5}
DEFAULT_WEIGHT_BOUND_LARGE_FAN_IN = 8  # fan-in > 5: a working default, not proved to suffice
DEFAULT_WEIGHT_BOUND_REAL = 10  # units fed real-valued (scaled) features
CONSTRAINT_FORM = "t=+1 => w.u + b >= 0; t=-1 => w.u + b <= -1 (integer w, b)"
_MAX_EXACT_MAGNITUDE = 2**31  # largest |S * x| kept exact: weights and fan-in must fit in int64
_MAX_EXACT_SCALE = 10**4
_ROUNDED_RANGE = 1000


def is_pm1(X: np.ndarray) -> bool:
    return bool(np.all(np.abs(np.asarray(X)) == 1))


def feature_scale(X: np.ndarray) -> tuple[float, bool]:
    """Scale S making S * X integral: (S, True) for the smallest integer S <= _MAX_EXACT_SCALE
    with every S * x an exact integer (the lcm of the values' denominators as exact rationals:
    16 for pixels in sixteenths), else (S, False) with max |S * X| = 1000 (the caller then
    rounds). Small S keeps CP-SAT's coefficients small, which matters far more for its speed than
    the value of the bound."""
    from fractions import Fraction
    from math import lcm

    X = np.asarray(X, dtype=float)
    top = float(np.max(np.abs(X))) if X.size else 0.0
    rounded = (_ROUNDED_RANGE / top if top > 0 else 1.0), False
    S = 1
    for v in np.unique(np.abs(X)):
        S = lcm(S, Fraction(float(v)).denominator)
        if S > _MAX_EXACT_SCALE:
            return rounded
    # exact integers too large for CP-SAT's 64-bit sums (1e308 is an integer) are rounded too
    return rounded if S * top > _MAX_EXACT_MAGNITUDE else (float(S), True)


def default_weight_bound(problem: Problem) -> int:
    """Largest per-layer default: K(fan-in) for ±1-input layers, documented defaults otherwise."""
    pm1 = is_pm1(problem.Xu)
    K = 1
    for layer in range(1, len(problem.hidden) + 2):
        n = problem.fan_in(layer)
        real = not pm1 and (layer == 1 or (problem.shortcut and layer == len(problem.hidden) + 1))
        if real:
            K = max(K, DEFAULT_WEIGHT_BOUND_REAL)
        else:
            K = max(K, SUFFICIENT_WEIGHT_BOUND.get(n, DEFAULT_WEIGHT_BOUND_LARGE_FAN_IN))
    return K


def _all_pm1_covered(problem: Problem) -> bool:
    """Every unit sees ±1 inputs only and its fan-in has a proved K(n)."""
    return is_pm1(problem.Xu) and all(
        problem.fan_in(l) in SUFFICIENT_WEIGHT_BOUND for l in range(1, len(problem.hidden) + 2))


def proof_scope(problem: Problem, K) -> str:
    """What an INFEASIBLE with weight bound K (one int, or one per layer) proves."""
    n_layers = len(problem.hidden) + 1
    Ks = [K] * n_layers if isinstance(K, (int, np.integer)) else list(K)
    if is_pm1(problem.Xu) and all(
        Ks[l - 1] >= SUFFICIENT_WEIGHT_BOUND.get(problem.fan_in(l), np.inf) for l in range(1, n_layers + 1)
    ):
        return ALL_REAL_WEIGHTS
    return integer_scope(max(Ks))


@dataclass(frozen=True)
class CpsatOptions:
    weight_bound: int | None = None  # |w| <= K in the joint model; None: K(fan-in) or the defaults above


def _weight_bounds(problem: Problem, options) -> list[int]:
    """K per layer: the option for every layer; by default K(fan-in) per layer when every unit
    is ±1-fed with a proved bound (smaller domains, same all-real-weights scope), else one
    uniform default so that ``integer weights |w| <= K`` describes every layer."""
    n_layers = len(problem.hidden) + 1
    K = options.own(CpsatOptions, "cpsat").weight_bound
    if options.weights.is_integer:  # an integer domain is cpsat's native mode: its bound is K
        if K is not None and K != options.weights.bound:
            raise ProblemError(f"weight_bound {K} contradicts weights {options.weights}")
        K = options.weights.bound
    if K is None:
        if _all_pm1_covered(problem):
            return [SUFFICIENT_WEIGHT_BOUND[problem.fan_in(l)] for l in range(1, n_layers + 1)]
        return [default_weight_bound(problem)] * n_layers
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ProblemError(f"weight_bound must be a positive integer, got {K!r}")
    return [int(K)] * n_layers


class _Builder:
    """Builds the joint model; keeps the variables a solution is read back from."""

    def __init__(self, problem: Problem, Ks: list[int], Xs: np.ndarray, min_errors: bool):
        from ortools.sat.python import cp_model

        self.model = cp_model.CpModel()
        self.problem, self.Ks, self.Xs = problem, Ks, Xs
        m = problem.n_merged
        md = self.model
        self.keep = [md.new_bool_var(f"keep[{i}]") for i in range(m)] if min_errors else None
        self.t = [[[md.new_bool_var(f"t[{l + 1}][{j}][{i}]") for i in range(m)] for j in range(width)]
                  for l, width in enumerate(problem.hidden)]
        self.w, self.b = [], []
        for layer in range(1, len(problem.hidden) + 2):
            self._layer(layer)

    def _layer(self, layer: int) -> None:
        p, md, K = self.problem, self.model, self.Ks[layer - 1]
        m, last = p.n_merged, layer == len(p.hidden) + 1
        lits = self.t[layer - 2] if layer > 1 else []  # per input unit, per example
        consts = self.Xs if (layer == 1 or (last and p.shortcut)) else np.zeros((m, 0), dtype=np.int64)
        input_range = len(lits) + (int(np.abs(consts).max(axis=0).sum()) if consts.size else 0)
        bound = K * input_range
        n_units = p.n_outputs if last else p.hidden[layer - 1]
        W, B = [], []
        for j in range(n_units):
            w = [md.new_int_var(-K, K, f"w[{layer}][{j}][{k}]") for k in range(len(lits) + consts.shape[1])]
            b = md.new_int_var(-bound - 1, bound, f"b[{layer}][{j}]")
            W.append(w)
            B.append(b)
            for i in range(m):
                terms = []
                for k, col in enumerate(lits):
                    prod = md.new_int_var(-K, K, f"p[{layer}][{j}][{k}][{i}]")
                    md.add(prod == w[k]).only_enforce_if(col[i])
                    md.add(prod == -w[k]).only_enforce_if(col[i].Not())
                    terms.append(prod)
                z = sum(terms) + sum(int(c) * w[len(lits) + k] for k, c in enumerate(consts[i]) if c) + b
                guard = [] if self.keep is None else [self.keep[i]]
                if last:
                    target_up = p.Yu[i, j] > 0
                    md.add(z >= 0 if target_up else z <= -1).only_enforce_if(guard)
                else:
                    tl = self.t[layer - 1][j][i]
                    md.add(z >= 0).only_enforce_if([tl] + guard)
                    md.add(z <= -1).only_enforce_if([tl.Not()] + guard)
        self.w.append(W)
        self.b.append(B)


def run(problem: Problem, options, deadline: float | None) -> BackendResult:
    from ortools.sat.python import cp_model

    start = time.monotonic()
    min_errors = options.objective == "min-errors"
    Ks = _weight_bounds(problem, options)
    S, exact = (1.0, True) if is_pm1(problem.Xu) else feature_scale(problem.Xu)
    Xs = np.round(problem.Xu * S).astype(np.int64)
    scope = proof_scope(problem, Ks)

    built = _Builder(problem, Ks, Xs, min_errors)
    md = built.model
    sym_clauses = 0
    if options.symmetry_breaking:
        for l, t in enumerate(built.t):
            sym_clauses += add_cpsat_symmetry_breaking(ClauseModel(md, log=False), t, name=f"[{l + 1}]")
    hints = hint_targets(problem, options.warm_start, canonical=options.symmetry_breaking)
    if hints is not None:
        for l, T in enumerate(hints):
            for j in range(T.shape[1]):
                for i in range(T.shape[0]):
                    md.add_hint(built.t[l][j][i], bool(T[i, j] > 0))
    if min_errors:
        md.minimize(sum(int(c) * (1 - k) for c, k in zip(problem.counts, built.keep)))

    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = options.resolved_workers()
    prm.random_seed = int(options.seed)
    if deadline is not None:
        prm.max_time_in_seconds = max(0.0, deadline - time.monotonic())
    if options.verbose:
        prm.log_search_progress = True
        prm.log_to_stdout = False
        solver.log_callback = lambda line: print(line, file=sys.stderr)

    best = _Best(built)
    code, interrupted = solve_keeping_sigint(solver, md, best)

    stats = {
        "weight_bound": max(Ks), "weight_bounds": Ks, "feature_scale": S, "feature_scale_exact": exact,
        "constraint_form": CONSTRAINT_FORM, "symmetry_clauses": sym_clauses,
        "workers": prm.num_workers, "solutions_seen": best.count,
        "model_seconds": round(time.monotonic() - start - solver.wall_time, 4),
        "solver_seconds": round(solver.wall_time, 4), "cpsat_status": solver.status_name(code),
        "booleans": solver.num_booleans, "conflicts": solver.num_conflicts, "branches": solver.num_branches,
    }
    return _translate(problem, options, built, best, solver, code, scope, exact, stats, interrupted)


def _Best(built):
    """A solution callback remembering the latest (hence best) assignment, so that a time-out or
    Ctrl-C keeps it."""
    from ortools.sat.python import cp_model

    class Callback(cp_model.CpSolverSolutionCallback):
        def __init__(self):
            super().__init__()
            self.count, self.values = 0, None

        def on_solution_callback(self):
            self.count += 1
            self.values = _read(built, self.value)

    return Callback()


def _read(built, value) -> dict:
    targets = [np.array([[1 if value(v) else -1 for v in col] for col in layer], dtype=np.int8).T
               for layer in built.t]
    kept = None if built.keep is None else np.array([bool(value(k)) for k in built.keep])
    layers = [LayerWeights([[value(v) for v in row] for row in W], [value(v) for v in B])
              for W, B in zip(built.w, built.b)]
    return {"targets": targets, "kept": kept, "layers": layers}


def _translate(problem, options, built, best, solver, code, scope, exact, stats, interrupted) -> BackendResult:
    """The one place CP-SAT statuses become engine statuses."""
    from ortools.sat.python import cp_model

    min_errors = built.keep is not None
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"cpsat built an invalid model: {built.model.validate()}")
    if code == cp_model.INFEASIBLE:
        if not exact:
            return BackendResult(Status.UNKNOWN, stats=stats, message=(
                f"infeasible on features rounded to integers (scale {stats['feature_scale']:.4g}); "
                "that proves nothing about the given data"))
        return BackendResult(Status.INFEASIBLE, proved_for=scope, stats=stats, certificate=SolverWord(
            "cpsat", f"CP-SAT proved the joint model infeasible ({scope})", {
                "weight_bound": stats["weight_bound"], "constraint_form": CONSTRAINT_FORM,
                "feature_scale": stats["feature_scale"], "inputs_pm1": is_pm1(problem.Xu),
                "sufficient_weight_bounds": SUFFICIENT_WEIGHT_BOUND}))
    if best.values is None:
        why = "interrupted" if interrupted else "time limit reached"
        return BackendResult(Status.UNKNOWN, stats=stats, message=f"{why} before any solution",
                             lower_bound=_bound(solver, min_errors, code))
    v = best.values
    status = Status.FEASIBLE
    if min_errors:
        status = Status.OPTIMAL if code == cp_model.OPTIMAL and not interrupted else Status.UNKNOWN
    message = "interrupted; best assignment so far" if interrupted else ""
    if not exact:
        # The targets fit the rounded features; the LP refit must also work on the real ones.
        U, T = problem.Xu, v["targets"][0] if problem.hidden else problem.Yu
        kept = np.ones(problem.n_merged, bool) if v["kept"] is None else v["kept"]
        if not all(check_separable(U[kept], T[kept, j]) for j in range(T.shape[1])):
            status, message = Status.UNKNOWN, "targets fit the rounded features but not the given ones"
        elif status == Status.OPTIMAL:
            status, message = Status.UNKNOWN, "optimal on rounded features only"
    own = options.weights.is_integer and exact
    layers = _integer_layers(problem, v["layers"], stats["feature_scale"]) if own else None
    return BackendResult(
        status, hidden_targets=v["targets"], kept=v["kept"],
        proved_for=scope if status == Status.OPTIMAL else None, layers=layers,
        lower_bound=_bound(solver, min_errors, code), stats=stats, message=message,
    )


def _bound(solver, min_errors: bool, code) -> float | None:
    from ortools.sat.python import cp_model

    if not min_errors or code not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):
        return None
    return float(solver.best_objective_bound)


def _integer_layers(problem: Problem, layers: list[LayerWeights], S: float) -> list[LayerWeights]:
    """The model's own integer weights, for the given (unscaled) inputs.

    A unit fed only scaled features computes sign(w . (S x) + b) = sign(w . x + b / S): its
    weights stay the in-domain integers and its bias is divided by S (S is a power of two, so
    b / S is exact). A shortcut output unit sees hidden units too; there the raw-input columns
    get S * w instead (out of the integer domain, and reported as such by the scale in stats)."""
    out = []
    for layer, L in enumerate(layers, start=1):
        W, b = L.W.copy(), L.b.copy()
        n_hidden_in = 0 if layer == 1 else problem.hidden[layer - 2]
        if W.shape[1] > n_hidden_in and S != 1.0:
            if n_hidden_in == 0:
                b = b / S
            else:
                W[:, n_hidden_in:] *= S
        out.append(LayerWeights(W, b))
    return out
