r"""Big-M MIP with continuous weights: SCIP through OR-Tools' ``pywraplp`` (HiGHS if SCIP is missing).

Inputs of the data set are scaled column-wise to [-1, 1] (divided by max |x_k|); hidden inputs
are ±1 already. Variables, per unit j of layer l:

    w[l][j][k]           continuous in [-M, M]
    b[l][j]              continuous in [-M - 1, M] (closed under negating the unit: b -> -b - 1)
    t[l][j][i]           binary, 1 = hidden target +1 on merged example i
    p[l][j][k][i]        w[l][j][k] * h_k(i) for a hidden input h_k = 2 t - 1, by the four big-M
                         rows  |p - w| <= 2M (1 - t_k(i)),  |p + w| <= 2M t_k(i)
    keep[i]              min-errors only (objective: sum counts_i (1 - keep_i))

With z_i = sum_k w_k u_ik + b (so |z_i| <= Z = M (fan-in + 1) + 1) every unit meets

    z_i >= -Z (1 - t_i) - Z (1 - keep_i)               target +1  =>  z >= 0
    z_i <= -1 + (Z + 1) t_i + (Z + 1) (1 - keep_i)      target -1  =>  z <= -1

(the keep terms only for min-errors). This is the engine's tie rule, sign(0) = +1, with margin 1
on the negative side. Proof scope of INFEASIBLE (and of a min-errors OPTIMAL): no network with
|w| <= M and -M - 1 <= b <= M *after scaling the inputs to [-1, 1]* meets that form, margin
included (z <= -1 on -1 targets). It is never a claim about all real weights: a network may need
larger weights than M. It is also the MIP solver's word, reached in floating point.

Symmetry breaking (optional): every hidden unit's target on merged example 0 is +1, and the units
of a layer are ordered lexicographically on their first min(m, 12) targets (weights 2^11..2^0,
small enough for MIP tolerances). Both hold for the canonical form of any solution.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..certificates import SolverWord
from ..problem import Problem, ProblemError
from ..solution import BackendResult, Status

DEFAULT_BIG_M = 16.0  # |w|, |b| bound after scaling; K(5) = 5 weights need biases up to ~26 unscaled
_LEX_PREFIX = 12
_SOLVERS = ("SCIP", "HIGHS")


def scope(M: float) -> str:
    return (f"weights |w| <= {M:g}, biases in [{-M - 1:g}, {M:g}] after scaling inputs to [-1, 1], "
            "with z <= -1 on -1 targets")


def _create_solver():
    from ortools.linear_solver import pywraplp

    for name in _SOLVERS:
        solver = pywraplp.Solver.CreateSolver(name)
        if solver is not None:
            return solver, name
    raise ProblemError("backend 'mip' needs SCIP or HiGHS in this OR-Tools build; neither is available")


@dataclass(frozen=True)
class MipOptions:
    big_m: float | None = None  # bound on |w| (and the bias range) after scaling; None: DEFAULT_BIG_M


def _big_m(options) -> float:
    M = options.own(MipOptions, "mip").big_m
    if M is None:
        return DEFAULT_BIG_M
    if isinstance(M, bool) or not isinstance(M, (int, float, np.integer, np.floating)) or not (0 < M < np.inf):
        raise ProblemError(f"big_m must be a positive finite number, got {M!r}")
    return float(M)


class _Builder:
    def __init__(self, solver, problem: Problem, M: float, Xs: np.ndarray, min_errors: bool, symmetry: bool):
        self.s, self.problem, self.M, self.Xs = solver, problem, M, Xs
        m = problem.n_merged
        self.keep = [solver.BoolVar(f"keep[{i}]") for i in range(m)] if min_errors else None
        self.t = [[[solver.BoolVar(f"t[{l + 1}][{j}][{i}]") for i in range(m)] for j in range(width)]
                  for l, width in enumerate(problem.hidden)]
        self.rows = 0
        for layer in range(1, len(problem.hidden) + 2):
            self._layer(layer)
        self.sym_rows = self._symmetry() if symmetry else 0

    def _layer(self, layer: int) -> None:
        p, s, M = self.problem, self.s, self.M
        m, last = p.n_merged, layer == len(p.hidden) + 1
        lits = self.t[layer - 2] if layer > 1 else []
        consts = self.Xs if (layer == 1 or (last and p.shortcut)) else np.zeros((m, 0))
        Z = M * (len(lits) + consts.shape[1] + 1) + 1  # bounds |z|, the bias range included
        for j in range(p.n_outputs if last else p.hidden[layer - 1]):
            w = [s.NumVar(-M, M, f"w[{layer}][{j}][{k}]") for k in range(len(lits) + consts.shape[1])]
            # [-M - 1, M] is closed under negating a unit (b -> -b - 1 keeps z >= 0 vs z <= -1),
            # so fixing each hidden unit's sign on example 0 cuts off nothing inside the scope
            b = s.NumVar(-M - 1, M, f"b[{layer}][{j}]")
            for i in range(m):
                terms = []
                for k, col in enumerate(lits):
                    q = s.NumVar(-M, M, f"p[{layer}][{j}][{k}][{i}]")
                    s.Add(q - w[k] <= 2 * M * (1 - col[i]))
                    s.Add(q - w[k] >= -2 * M * (1 - col[i]))
                    s.Add(q + w[k] <= 2 * M * col[i])
                    s.Add(q + w[k] >= -2 * M * col[i])
                    terms.append(q)
                    self.rows += 4
                z = s.Sum(terms + [float(c) * w[len(lits) + k] for k, c in enumerate(consts[i]) if c] + [b])
                drop = 0 if self.keep is None else 1 - self.keep[i]
                if last:
                    if p.Yu[i, j] > 0:
                        s.Add(z >= -Z * drop)
                    else:
                        s.Add(z <= -1 + (Z + 1) * drop)
                else:
                    t = self.t[layer - 1][j][i]
                    s.Add(z >= -Z * (1 - t) - Z * drop)
                    s.Add(z <= -1 + (Z + 1) * t + (Z + 1) * drop)
                self.rows += 1 if last else 2

    def _symmetry(self) -> int:
        rows = 0
        for layer in self.t:
            for col in layer:
                self.s.Add(col[0] == 1)
                rows += 1
            r = min(_LEX_PREFIX, len(layer[0]))
            coef = [float(2 ** (r - 1 - i)) for i in range(r)]
            for a, b in zip(layer, layer[1:]):
                self.s.Add(self.s.Sum([c * a[i] for i, c in enumerate(coef)])
                           >= self.s.Sum([c * b[i] for i, c in enumerate(coef)]))
                rows += 1
        return rows


def run(problem: Problem, options, deadline: float | None) -> BackendResult:
    from ortools.linear_solver import pywraplp

    start = time.monotonic()
    if options.weights.is_integer:
        raise ProblemError(f"mip supports real weights only, got weights {options.weights}")
    min_errors = options.objective == "min-errors"
    M = _big_m(options)
    col_scale = np.max(np.abs(problem.Xu), axis=0)
    col_scale = np.where(col_scale > 0, col_scale, 1.0)
    Xs = problem.Xu / col_scale

    solver, name = _create_solver()
    built = _Builder(solver, problem, M, Xs, min_errors, options.symmetry_breaking)
    if min_errors:
        solver.Minimize(solver.Sum([float(c) * (1 - k) for c, k in zip(problem.counts, built.keep)]))
    if options.warm_start is not None:
        _hint(solver, problem, built, options)
    # SCIP with more than one thread runs its concurrent mode, which ignores InterruptSolve (Ctrl-C
    # would hang until the time limit) and was slower on 2 cores; so SCIP always gets one thread.
    threads = 1 if name == "SCIP" else options.resolved_workers()
    solver.SetNumThreads(threads)
    if name == "SCIP":
        # SCIP's own Ctrl-C handler loses the incumbent; let Python see it and InterruptSolve().
        solver.SetSolverSpecificParametersAsString(
            f"randomization/randomseedshift = {int(options.seed)}\nmisc/catchctrlc = FALSE\n")
    if deadline is not None:
        solver.SetTimeLimit(max(1, int(1000 * (deadline - time.monotonic()))))
    if options.verbose:
        solver.EnableOutput()

    solve_start = time.monotonic()
    code, interrupted = _solve_interruptibly(solver)
    solve_s = time.monotonic() - solve_start
    stats = {
        "mip_solver": name, "big_m": M, "input_scale": col_scale.tolist(), "threads": threads,
        "variables": solver.NumVariables(), "constraints": solver.NumConstraints(),
        "symmetry_rows": built.sym_rows, "solver_seconds": round(solve_s, 4),
        "model_seconds": round(solve_start - start, 4), "mip_status": _STATUS_NAMES.get(code, str(code)),
    }
    if code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE, pywraplp.Solver.INFEASIBLE):
        stats["nodes"] = solver.nodes()  # only defined once a solve finished with a status
    return _translate(problem, solver, built, code, M, stats, interrupted, deadline)


def _solve_interruptibly(solver) -> tuple[int, bool]:
    """Solve in a worker thread so that Ctrl-C (delivered to the main thread) can stop the MIP
    solver through ``InterruptSolve``; the solver then returns its best solution so far.

    The main thread waits on an Event, not on ``Thread.join``: a KeyboardInterrupt inside
    ``join`` can leave the thread reported dead while it still runs."""
    import threading

    from ortools.linear_solver import pywraplp

    out, done = {}, threading.Event()

    def work():
        try:
            out["code"] = solver.Solve()
        finally:
            done.set()

    threading.Thread(target=work, name="mip-solve", daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.05)
        except KeyboardInterrupt:
            interrupted = True
            solver.InterruptSolve()
    return out.get("code", pywraplp.Solver.ABNORMAL), interrupted


_STATUS_NAMES = {0: "OPTIMAL", 1: "FEASIBLE", 2: "INFEASIBLE", 3: "UNBOUNDED", 4: "ABNORMAL",
                 5: "MODEL_INVALID", 6: "NOT_SOLVED"}


def _translate(problem, solver, built, code, M, stats, interrupted, deadline) -> BackendResult:
    """The one place MIP statuses become engine statuses."""
    from ortools.linear_solver import pywraplp

    min_errors = built.keep is not None
    if code in (pywraplp.Solver.MODEL_INVALID, pywraplp.Solver.UNBOUNDED):
        raise RuntimeError(f"mip built an invalid model (status {stats['mip_status']})")
    if code == pywraplp.Solver.INFEASIBLE:
        return BackendResult(Status.INFEASIBLE, proved_for=scope(M), stats=stats, certificate=SolverWord(
            "mip", f"{stats['mip_solver']} proved the big-M model infeasible ({scope(M)})", {
                "solver": stats["mip_solver"], "big_m": M, "input_scale": stats["input_scale"],
                "constraint_form": "t=+1 => z >= 0; t=-1 => z <= -1; |w| <= M, -M-1 <= b <= M on inputs scaled to [-1, 1]"}))
    early = deadline is None or time.monotonic() < deadline - 0.05
    has_solution = code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    bound = None
    if min_errors and code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        bound = float(solver.Objective().BestBound())
    if not has_solution:
        # SCIP through OR-Tools reports an interrupt without an incumbent as ABNORMAL.
        if interrupted:
            why = "interrupted"
        elif code == pywraplp.Solver.ABNORMAL:
            why = "the MIP solver stopped abnormally"
        else:
            why = "stopped early" if early else "time limit reached"
        return BackendResult(Status.UNKNOWN, stats=stats, lower_bound=bound, message=f"{why} before any solution")
    targets = [np.array([[1 if v.solution_value() > 0.5 else -1 for v in col] for col in layer], dtype=np.int8).T
               for layer in built.t]
    kept = None if built.keep is None else np.array([k.solution_value() > 0.5 for k in built.keep])
    status, message = Status.FEASIBLE, ""
    if min_errors:
        status = Status.OPTIMAL if code == pywraplp.Solver.OPTIMAL else Status.UNKNOWN
        if status == Status.UNKNOWN:
            message = "interrupted; best assignment so far" if interrupted else "time limit reached; best assignment so far"
    return BackendResult(status, hidden_targets=targets, kept=kept,
                         proved_for=scope(M) if status == Status.OPTIMAL else None,
                         lower_bound=bound, stats=stats, message=message)


def _hint(solver, problem, built, options) -> None:
    """Warm start: the given hidden targets (original examples) as a solution hint."""
    from ..symmetry import hint_targets

    variables, values = [], []
    for l, Tm in enumerate(hint_targets(problem, options.warm_start, canonical=options.symmetry_breaking)):
        for j, col in enumerate(built.t[l]):
            for i, v in enumerate(col):
                variables.append(v)
                values.append(1.0 if Tm[i, j] > 0 else 0.0)
    solver.SetHint(variables, values)
