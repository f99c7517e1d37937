"""Exact vs heuristic on one data set and architecture: what ``ftprop compare`` computes.

Runs the exact engine once (``combinatorial.solve``, proof or network), full-batch FTPROP once
per seed, and FTPROP-MB once per (rule, seed) on the same examples, and measures each heuristic
run against the exact answer:

* training errors of its hard-threshold network, and success (zero errors);
* per hidden unit, whether (a) its activations and (b) its last targets t = sign(-g) are linearly
  separable given the layer below (the layer below's activations, X for the first layer; for
  full-batch FTPROP its targets). (a) holds by construction for a network's own activations (a
  sign unit realises a halfspace) and is a consistency check; (b) says whether the targets the
  heuristic is chasing are reachable at all. ``output_separable``: the labels are separable given
  the last hidden layer, i.e. the hidden activations are feasible targets and an exact refit of
  the output layer alone would reach zero errors;
* the distance between its hidden targets and the exact solution's modulo the network's
  symmetries (:func:`target_distance`); only to *the* exact solution found, not to the nearest of
  all solutions;
* wall time.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from combinatorial.options import check_seconds
from combinatorial.problem import Problem
from combinatorial.separability import check_separable
from minibatch.rules import RULES

from ftprop.errors import InputError
from ftprop.studies.heuristics import MBConfig, run_fullbatch, run_minibatch


@dataclass(frozen=True)
class CompareConfig:
    hidden: tuple[int, ...]  # hidden widths of the network every method fits
    rules: tuple[str, ...] = ("soft-hinge", "sste", "ste", "hinge")  # FTPROP-MB target rules
    seeds: int = 5  # heuristic runs per method, seeds seed .. seed + seeds - 1
    seed: int = 0  # first seed; also the exact solve's seed
    epochs: int = 300  # FTPROP-MB passes over the data
    batch_size: int | None = None  # FTPROP-MB: None = full batch
    lr: float = 0.01  # FTPROP-MB Adam step
    time_limit: float = 10.0  # seconds for the exact solve, and for each FTPROP / FTPROP-MB run
    ftprop_restarts: int | None = None  # full-batch FTPROP restart budget (None: until the time limit)
    exact_backend: str = "auto"  # the exact engine's backend (auto = lazy: proof or network)
    workers: int = 0  # CP-SAT threads of the exact solve (0: every core)
    ftprop: bool = True  # include full-batch FTPROP

    def __post_init__(self):
        if not self.hidden:
            raise InputError("compare needs at least one hidden layer")
        bad = [r for r in self.rules if r not in RULES]
        if bad:
            raise InputError(f"unknown rule {bad[0]!r}; valid: {', '.join(RULES)}")
        if self.seeds <= 0:
            raise InputError(f"seeds must be a positive integer, got {self.seeds}")
        check_seconds("time_limit", self.time_limit, InputError)
        if self.time_limit is None:  # every heuristic run is bounded here
            raise InputError("time_limit must be a positive number of seconds, got None")


def symmetric_distance(A, B) -> float:
    """Hamming distance between two n x w ±1 target tables, minimised over the layer's symmetries
    (unit permutations and a sign flip per unit), normalised by n * w.

    Units are matched by a min-cost assignment on cost[a, b] = min(d(A_a, B_b), d(A_a, -B_b)).
    """
    from scipy.optimize import linear_sum_assignment

    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    if A.shape != B.shape:
        raise ValueError(f"target tables differ in shape: {A.shape} vs {B.shape}")
    n, w = A.shape
    if n * w == 0:
        return 0.0
    same = (A[:, :, None] != B[:, None, :]).sum(axis=0)  # same[a, b] = d(A_a, B_b)
    cost = np.minimum(same, n - same)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum() / (n * w))


def target_distance(heuristic, exact) -> tuple[float, list[float]]:
    """(distance over all hidden units, per-layer distances); layers are matched independently."""
    per = [symmetric_distance(H, E) for H, E in zip(heuristic, exact)]
    sizes = [np.asarray(H).size for H in heuristic]
    return float(np.dot(per, sizes) / max(1, sum(sizes))), per


def unit_separability(X, Y, below, targets) -> dict:
    """Separability of each hidden unit's ``targets`` given ``below`` (per layer, input side first;
    ``below[0]`` is ignored: layer 1 sees X). Also whether Y is separable given the last layer."""
    units, ok_all = [], []
    for l, T in enumerate(targets):
        U = X if l == 0 else np.asarray(below[l - 1], dtype=float)
        for j in range(np.asarray(T).shape[1]):
            ok = bool(check_separable(U, np.asarray(T)[:, j]).separable)
            units.append({"layer": l + 1, "unit": j, "separable": ok})
            ok_all.append(ok)
    return {"units": units, "share": float(np.mean(ok_all)) if ok_all else None}


def output_separable(Y, last_hidden) -> bool:
    U = np.asarray(last_hidden, dtype=float)
    return all(check_separable(U, Y[:, k]).separable for k in range(Y.shape[1]))


def compare(X, y, config: CompareConfig, *, progress=None, exact_solution=None) -> dict:
    """Run every method on (X, y) and return the full report (JSON-ready).

    ``exact_solution``: a :class:`combinatorial.Solution` already computed for the same data and
    architecture (the benchmark times it separately); otherwise the exact engine runs here.
    """
    from ftprop.io import versions

    start = time.monotonic()
    problem = Problem.from_data(X, y, config.hidden)
    say = progress or (lambda msg: None)
    sol = exact_solution
    if sol is None:
        say(f"exact engine ({config.exact_backend}), time limit {config.time_limit:g} s")
        sol = solve_exact(problem, config)
    exact_targets = sol.hidden_targets if sol.status.value in ("feasible", "optimal") else None
    exact = {"status": sol.status.value, "proved_for": sol.proved_for, "backend": sol.backend,
             "train_errors": sol.train_errors, "time_s": round(sol.wall_time_s, 4),
             "fit_exists": {"feasible": True, "optimal": True, "infeasible": False}.get(sol.status.value)}
    runs = []
    seeds = range(config.seed, config.seed + config.seeds)
    if config.ftprop:
        for seed in seeds:
            say(f"full-batch FTPROP, seed {seed}")
            s, trace = run_fullbatch(problem, seed=seed, time_limit=config.time_limit, max_restarts=config.ftprop_restarts)
            last = [trace.last_sign_targets.get(l + 1) for l in range(len(problem.hidden))]
            last = [None if T is None else np.asarray(T)[problem.index] for T in last]
            capped = not trace.found and (config.ftprop_restarts is None or trace.restarts < config.ftprop_restarts)
            row = {"method": "fullbatch", "rule": None, "seed": seed, "status": s.status.value,
                   "restarts": trace.restarts, "hit_time_limit": capped, "time_s": round(s.wall_time_s, 4)}
            runs.append(_measure(row, problem, s.train_errors, s.hidden_targets, last, exact, exact_targets))
    for rule in config.rules:
        cfg = MBConfig(rule=rule, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                       time_limit=config.time_limit)
        for seed in seeds:
            say(f"FTPROP-MB {rule}, seed {seed}")
            r = run_minibatch(problem, config=cfg, seed=seed)
            row = {"method": "minibatch", "rule": rule, "seed": seed, "epochs": r.epochs,
                   "hit_time_limit": r.epochs < config.epochs and r.train_errors > 0,
                   "best_epoch": r.best_epoch, "final_errors": r.final_errors, "time_s": round(r.wall_time_s, 4)}
            runs.append(_measure(row, problem, r.train_errors, r.hidden_activations, r.sign_targets,
                                 exact, exact_targets))
    return {
        "data": {"n_examples": problem.n_examples, "n_inputs": problem.n_inputs,
                 "n_classes": len(problem.classes), "architecture": problem.sizes},
        "config": {**asdict(config), "hidden": list(config.hidden), "rules": list(config.rules)},
        "exact": exact,
        "runs": runs,
        "summary": summarize(runs),
        "versions": versions(),
        "wall_time_s": round(time.monotonic() - start, 3),
    }


def solve_exact(problem: Problem, config: CompareConfig):
    from combinatorial import SolveOptions, solve

    return solve(problem, options=SolveOptions(backend=config.exact_backend, time_limit=config.time_limit,
                                               seed=config.seed, workers=config.workers))


def _measure(row, problem, errors, hidden, sign_targets, exact, exact_targets) -> dict:
    X, Y = problem.X, problem.Y
    row = dict(row, train_errors=errors, n_examples=problem.n_examples, success=errors == 0)
    row["reached_zero_where_fit_exists"] = (errors == 0) if exact["fit_exists"] else None
    act = unit_separability(X, Y, hidden, hidden)
    row["activations_separable_share"] = act["share"]
    if all(T is not None for T in sign_targets):
        sig = unit_separability(X, Y, hidden, sign_targets)
        row["sign_targets_separable_share"] = sig["share"]
        for u, v in zip(act["units"], sig["units"]):
            u["sign_targets_separable"] = v["separable"]
    else:
        row["sign_targets_separable_share"] = None  # no sign-rule step was ever taken
    row["units"] = [{"layer": u["layer"], "unit": u["unit"], "activations_separable": u["separable"],
                     "sign_targets_separable": u.get("sign_targets_separable")} for u in act["units"]]
    row["output_separable"] = output_separable(Y, hidden[-1])
    if exact_targets is not None:
        d, per = target_distance(hidden, exact_targets)
        row["target_distance"], row["target_distance_by_layer"] = round(d, 4), [round(p, 4) for p in per]
    else:
        row["target_distance"], row["target_distance_by_layer"] = None, None
    return row


def summarize(runs: list[dict]) -> list[dict]:
    """One line per method: success rate and means over its seeds."""
    out = []
    keys = list(dict.fromkeys((r["method"], r["rule"]) for r in runs))
    for method, rule in keys:
        rs = [r for r in runs if r["method"] == method and r["rule"] == rule]

        def mean(field):
            vals = [r[field] for r in rs if r.get(field) is not None]
            return round(float(np.mean(vals)), 4) if vals else None

        out.append({"method": method, "rule": rule, "runs": len(rs), "successes": sum(r["success"] for r in rs),
                    "success_rate": round(sum(r["success"] for r in rs) / len(rs), 4),
                    "mean_errors": mean("train_errors"), "min_errors": min(r["train_errors"] for r in rs),
                    "activations_separable_share": mean("activations_separable_share"),
                    "sign_targets_separable_share": mean("sign_targets_separable_share"),
                    "output_separable_rate": round(float(np.mean([r["output_separable"] for r in rs])), 4),
                    "target_distance": mean("target_distance"), "mean_time_s": mean("time_s")})
    return out


def format_table(report: dict) -> str:
    """The compact human table of ``ftprop compare``."""
    e, d = report["exact"], report["data"]
    scope = f" ({e['proved_for']})" if e["proved_for"] else ""
    fit = {True: "a fit exists", False: "no fit exists", None: "undecided"}[e["fit_exists"]]
    if e["fit_exists"] is None and any(r["success"] for r in report["runs"]):
        fit = "undecided, but a heuristic reached 0 errors, so a fit exists"
    lines = [f"data: {d['n_examples']} examples, architecture {'-'.join(map(str, d['architecture']))}",
             f"exact: {e['status']}{scope} in {e['time_s']:.2f} s [{e['backend']}]: {fit}", ""]
    head = ("method", "success", "errors", "sep(act)", "sep(t)", "out-sep", "distance", "time/run")
    rows = []
    for s in report["summary"]:
        name = s["method"] if s["rule"] is None else f"{s['method']} {s['rule']}"
        rows.append((name, f"{s['successes']}/{s['runs']}", f"{s['mean_errors']:.1f} (min {s['min_errors']})",
                     _pct(s["activations_separable_share"]), _pct(s["sign_targets_separable_share"]),
                     _pct(s["output_separable_rate"]),
                     "-" if s["target_distance"] is None else f"{s['target_distance']:.3f}",
                     f"{s['mean_time_s']:.2f} s"))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    lines += ["", "sep(act)/sep(t): share of hidden units whose activations / last targets sign(-g) are "
              "separable given the layer below;", "out-sep: runs whose last hidden layer makes the labels "
              "separable; distance: Hamming to the exact targets modulo symmetries, per n*width."]
    return "\n".join(lines)


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"
