"""The example-subset search: lazy on a growing working set of examples.

Any network that fits every example fits every subset, so an INFEASIBLE proved on a subset S is
a proof for the whole data set (its refutation names S's rows). The search starts from a small,
informative S (the examples nearest the other class, and far-apart seeds), runs the cut loop on S,
and checks the network it finds on *all* examples exactly; the examples it gets wrong join S (up
to half of S again per round, spread over the data), and the network's hidden outputs on the new
S hint the next round. A network right on every example ends the search. Cuts do not carry over
between rounds (each round's master is built for its S); the hints do.

Feasibility only: for min-errors the same rounds (the optimum on S is a lower bound for all)
gave worse incumbents within a time limit than the search on every example (moons-200 width 1,
10 s: 42 errors against 21), so min-errors searches every example at once.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ...problem import Problem
from ...solution import BackendResult, Status
from ...symmetry import hint_targets
from .goals import realise

# The first working set: this many examples per (input + 1), at least MIN_START: a unit in d
# dimensions is refuted by d + 2 examples (Kirchberger), a network needs a few such sets.
START_PER_DIMENSION = 6
MIN_START = 24
# Below this many merged examples the whole set is the working set from the start.
MIN_EXAMPLES = 80


def wanted(problem: Problem, options) -> bool:
    """Example subsets pay on real-valued data with many examples."""
    pm1 = bool(np.all(np.abs(problem.Xu) == 1))
    small_start = 2 * _start_size(problem) <= problem.n_merged  # else the first set is most of the data
    return (options.objective == "feasibility" and not pm1 and problem.n_merged >= MIN_EXAMPLES
            and problem.conflict is None and small_start)


def _start_size(problem: Problem) -> int:
    return min(problem.n_merged, max(MIN_START, START_PER_DIMENSION * (problem.n_inputs + 1)))


def start(problem: Problem, seed: int) -> np.ndarray:
    """Informative rows: per class the examples nearest the other classes, then far-apart seeds."""
    X, labels = _standardised(problem.Xu), _label_index(problem.Yu)
    m, size = len(X), _start_size(problem)
    near = np.full(m, np.inf)
    for c in np.unique(labels):
        own, other = labels == c, labels != c
        D = _sq_dist(X[own], X[other])
        near[own] = D.min(axis=1)
    chosen = list(np.argsort(near, kind="stable")[: size // 2])
    rng = np.random.default_rng(seed)
    far = np.full(m, np.inf)
    for i in chosen:
        far = np.minimum(far, _sq_dist(X, X[i : i + 1])[:, 0])
    while len(chosen) < size:  # farthest-point seeds cover the rest of the data
        i = int(np.argmax(far + rng.random(m) * 1e-12))
        chosen.append(i)
        far = np.minimum(far, _sq_dist(X, X[i : i + 1])[:, 0])
    return np.unique(np.asarray(chosen, dtype=int))


def grow(problem: Problem, rows: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """``rows`` with up to half as many again of the ``wrong`` examples, spread over the data."""
    room = max(8, len(rows) // 2)
    if len(wrong) > room:
        X = _standardised(problem.Xu)
        picked, far = [int(wrong[0])], _sq_dist(X[wrong], X[wrong[:1]])[:, 0]
        while len(picked) < room:
            k = int(np.argmax(far))
            picked.append(int(wrong[k]))
            far = np.minimum(far, _sq_dist(X[wrong], X[wrong[k] : wrong[k] + 1])[:, 0])
        wrong = np.asarray(picked)
    return np.union1d(rows, wrong)


def run(problem: Problem, options, deadline: float | None, search) -> BackendResult:
    """``search(problem, options, deadline)`` (the plain lazy run) on growing working sets."""
    rows, rounds, hint, begin = start(problem, int(options.seed)), 0, None, time.monotonic()
    state = {"best": None}  # (errors on all, targets, right): the best network of any round
    given = hint_targets(problem, options.warm_start, canonical=False)
    if given is not None:  # the caller's warm start: the first round's hint, and a network to beat
        targets, right = realise(problem, given, None)
        state["best"] = (int(problem.counts[~right].sum()), targets, right)
        hint = [T[rows] for T in given]
    while True:
        rounds += 1
        sub = problem.restricted(rows)
        relay = _relay(options.progress, problem, rows, begin, state, first=rounds == 1)
        result = search(sub, replace(options, warm_start=hint, progress=relay), deadline)
        stats = {**result.stats, "working_set": int(len(rows)), "working_set_rounds": rounds,
                 "working_set_s": round(time.monotonic() - begin, 4)}
        if result.status is Status.INFEASIBLE:
            return _refuted(problem, rows, result, stats)
        best = state["best"]
        if result.hidden_targets is None:  # stopped without a network: the best of earlier rounds
            return replace(result, stats=stats) if best is None else replace(
                result, hidden_targets=best[1], kept=best[2], stats=stats)
        targets, right = _judge(problem, sub, result)
        errors = int(problem.counts[~right].sum())
        if best is None or errors < best[0]:
            best = state["best"] = (errors, targets, right)
        if result.status is not Status.FEASIBLE:  # stopped on S: the best network, judged on everything
            return replace(result, hidden_targets=best[1], kept=best[2], stats=stats)
        elif right.all():
            return replace(result, hidden_targets=targets, kept=None, stats=stats)
        rows = grow(problem, rows, np.setdiff1d(np.flatnonzero(~right), rows))
        hint = [T[rows] for T in targets]  # the network's own outputs on the new working set


def _relay(progress, problem: Problem, rows, begin: float, state: dict, *, first: bool):
    """The round's progress events, told about the whole search: every example, the working set,
    the time since the first round, and the errors on all examples of the best network so far."""
    if progress is None:
        return None
    total = int(problem.counts.sum())

    def relay(event: dict) -> None:
        kind = "round" if event["event"] == "start" and not first else event["event"]
        best = state["best"]
        progress({**event, "event": kind, "examples": total, "working_set": int(len(rows)),
                  "incumbent_errors": None if best is None else best[0], "elapsed_s": round(time.monotonic() - begin, 3)})

    return relay


def _judge(problem: Problem, sub: Problem, result: BackendResult):
    """The network fitted to the working set's answer, on every example: (its hidden outputs as
    targets, which examples it gets right). Every unit is separable on the right ones."""
    from ...fitting import fit_network
    from ...network import forward

    layers, _, _ = fit_network(sub, result.hidden_targets, result.kept, strict=False)
    acts = forward(layers, problem.Xu, shortcut=problem.shortcut)
    return [np.asarray(a, dtype=np.int8) for a in acts[:-1]], np.all(acts[-1] == problem.Yu, axis=1)


def _refuted(problem: Problem, rows, result: BackendResult, stats: dict) -> BackendResult:
    """An INFEASIBLE on the working set, for the whole data: its refutation and reason name the rows."""
    refutation = result.refutation
    if refutation is not None and not isinstance(refutation, str):
        refutation = replace(refutation, rows=tuple(int(r) for r in rows))
    cert = result.certificate
    if cert is not None and hasattr(cert, "facts"):  # say what the proof is about
        cert = replace(cert, reason=f"on {len(rows)} of the {problem.n_merged} distinct examples (a network for "
                       f"all of them would fit these): {cert.reason}", facts={**cert.facts, "working_set": len(rows)})
    return replace(result, stats=stats, refutation=refutation, certificate=cert)


def _standardised(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    spread = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def _label_index(Yu: np.ndarray) -> np.ndarray:
    return np.unique(Yu, axis=0, return_inverse=True)[1].reshape(-1)


def _sq_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return np.maximum((A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2 * A @ B.T, 0.0)
