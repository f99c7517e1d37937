"""One hard refutation split into independent cubes, solved in parallel (cube-and-conquer).

Choose k hidden targets of the lazy master (:func:`cube_variables`) and fix them to each of their
2^k sign patterns: every assignment of the master lies in exactly one cube, so when every cube's
master is refuted, the whole master is. Each cube is a complete lazy search of its own (its own
cuts, portfolio and CaDiCaL confirmation; :class:`~combinatorial.backends.lazy.LazyOptions`
``cube``), so the search and the proof both split; the cubes run through :class:`joblib.Parallel`
(local processes by default; inside ``joblib.parallel_backend("dask")`` on a Dask cluster, as
the ensembles do).

Why the parts make a proof: take any real network N that fits the data and its canonical form
N' (:mod:`combinatorial.proof`, steps 1-3: one form for every cube, since every cube's master
is built from the same data and options). N' gives every master variable a value, so it lies in
exactly one cube, whose CNF (the valid families, that cube's own no-goods, valid for every
network, and the cube's unit clauses) it then satisfies: a refutation of that CNF rules N out.
So the proof file holds every cube's CNF and refutation; ``ftprop check`` confirms that the
cubes are all 2^k patterns of the same k variables and checks each cube like a single refutation.

    from combinatorial import cubes
    sol = cubes.solve(X, y, hidden=(5,), depth=3, n_jobs=2, proof="p6.proof")

Any cube with a verified network ends the search FEASIBLE (a network is a network, whatever the
cube); a cube left undecided leaves the whole answer UNKNOWN, saying which.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from .certificates import SolverWord
from .errors import ProblemError
from .files import write_bytes
from .options import SolveOptions
from .problem import Problem
from .solution import ALL_REAL_WEIGHTS, Solution, Status

MAX_DEPTH = 12  # 4096 cubes: far more than any machine count this is meant for


def cube_variables(problem: Problem, depth: int) -> list[str]:
    """``depth`` first-layer targets t[1][j][i]: distinct units where the layer has enough
    (then round again), on examples spread over the second half of the merged order, where the
    lexicographic symmetry breaking (which orders units by their early examples) binds least."""
    width, m = problem.hidden[0], problem.n_merged
    half = m // 2
    chosen: list[str] = []
    for c in range(depth):
        j = width - 1 - (c % width)
        i = half + (c * max(1, (m - half) // max(depth, 1))) % max(1, m - half)
        while f"t[1][{j}][{i}]" in chosen:
            i = (i + 1) % m
        chosen.append(f"t[1][{j}][{i}]")
    return chosen


def cubes_of(variables: list[str]) -> list[tuple[tuple[str, int], ...]]:
    """Every sign pattern of ``variables``: 2^k cubes that together cover every assignment."""
    return [tuple(zip(variables, signs)) for signs in itertools.product((1, -1), repeat=len(variables))]


def solve(X, y=None, hidden=(), *, depth: int = 3, n_jobs: int | None = 1, shortcut: bool = False,
          options: SolveOptions | None = None, **kw) -> Solution:
    """Decide (X, y) with ``hidden`` by 2^depth cubes of the lazy master, ``n_jobs`` at a time.

    ``options`` as for :func:`combinatorial.solve` (feasibility, real weights, the lazy backend);
    ``proof``: one file that holds every cube's refutation (an INFEASIBLE) or the network.
    """
    from joblib import Parallel, delayed, effective_n_jobs

    from .backends.lazy import LazyOptions

    start = time.monotonic()
    problem = X if isinstance(X, Problem) else Problem.from_data(X, y, hidden, shortcut=shortcut)
    options = replace(options or SolveOptions(), **kw)
    if options.backend not in ("auto", "lazy") or options.objective != "feasibility" or options.weights.is_integer:
        raise ProblemError("cubes split the lazy backend's feasibility search with real weights (got backend "
                           f"{options.backend}, objective {options.objective}, weights {options.weights.scope})")
    if not problem.hidden:
        raise ProblemError("cubes split hidden targets: the architecture needs a hidden layer")
    if not 1 <= depth <= MAX_DEPTH or depth > problem.n_merged * problem.hidden[0]:
        raise ProblemError(f"cube depth must be 1..{min(MAX_DEPTH, problem.n_merged * problem.hidden[0])}, got {depth}")
    own = options.own(LazyOptions, "lazy")
    cubes = cubes_of(cube_variables(problem, depth))
    wall_deadline = None if options.time_limit is None else time.time() + options.time_limit
    if options.workers == 0 and effective_n_jobs(n_jobs) > 1:  # the cores shared out, not oversubscribed
        options = replace(options, workers=max(1, (os.cpu_count() or 1) // effective_n_jobs(n_jobs)))
    with tempfile.TemporaryDirectory(prefix="ftprop-cubes-") as tmp:
        parts = [(k, replace(options, backend="lazy", time_limit=None, progress=None,
                             proof=None if options.proof is None else str(Path(tmp) / f"cube-{k}.proof"),
                             backend_options=replace(own, cube=cube, working_set=False)))
                 for k, cube in enumerate(cubes)]
        results: dict[int, Solution] = {}
        found = None
        run = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        for k, sol in run(delayed(_solve_cube)(problem, k, part, wall_deadline) for k, part in parts):
            results[k] = sol
            if sol.status == Status.FEASIBLE:
                found = sol
                break  # closing the generator cancels the cubes not yet started
        return _answer(options, cubes, results, found, start)


def _solve_cube(problem: Problem, k: int, options: SolveOptions, wall_deadline: float | None):
    from .engine import solve as engine_solve

    if wall_deadline is not None:
        options = replace(options, time_limit=max(0.01, wall_deadline - time.time()))
    sol = engine_solve(problem, options=options)
    return k, replace(sol, trace=None, refutation=None, stats={**sol.stats, "cube_index": k})


def _answer(options, cubes, results, found, start) -> Solution:
    from .certificates import ProofFile
    from .proof import NO_CERTIFICATE, write_cubes

    summary = [{"cube": k, "status": s.status.value, "wall_s": round(s.wall_time_s, 3),
                "cuts": s.stats.get("cuts"), "iterations": s.stats.get("iterations")}
               for k, s in sorted(results.items())]
    stats = {"cubes": len(cubes), "cube_variables": [name for name, _ in cubes[0]], "per_cube": summary,
             "cube_seconds_sum": round(sum(s.wall_time_s for s in results.values()), 3),
             "largest_cube_s": round(max((s.wall_time_s for s in results.values()), default=0.0), 3)}
    elapsed = time.monotonic() - start
    if found is not None:
        proof = found.proof_file
        if options.proof is not None and found.proof_file is not None and found.proof_file.file:
            write_bytes(options.proof, Path(found.proof_file.file).read_bytes())  # atomically
            proof = replace(found.proof_file, file=options.proof)
        return replace(found, wall_time_s=elapsed, proof_file=proof,
                       stats={**found.stats, **stats, "found_by_cube": found.stats.get("cube_index")})
    undecided = [k for k in range(len(cubes)) if k not in results or results[k].status != Status.INFEASIBLE]
    if undecided:
        k = undecided[0]
        why = results[k].message if k in results else "not solved"
        base = next(iter(results.values()))
        return replace(base, status=Status.UNKNOWN, proved_for=None, certificate=None, proof_file=None,
                       wall_time_s=elapsed, stats=stats,
                       message=f"{len(undecided)} of {len(cubes)} cubes undecided (cube {k}: {why or 'unknown'})")
    base = results[0]
    certificate = SolverWord("cubes", f"every one of the {len(cubes)} cubes over {len(cubes[0])} first-layer "
                             "targets is refuted by its own lazy search (no-good cuts, CaDiCaL confirmation)",
                             {"cubes": len(cubes)})
    proof = None
    if options.proof is not None:
        files = [results[k].proof_file for k in range(len(cubes))]
        missing = [k for k, f in enumerate(files) if f is None or not f.file]
        if missing:
            note = files[missing[0]].note if files[missing[0]] is not None else "no file"
            proof = ProofFile("none", note=f"{NO_CERTIFICATE}: cube {missing[0]}: {note}")
        else:
            proof = write_cubes(options.proof, [f.file for f in files])
    return replace(base, proved_for=ALL_REAL_WEIGHTS, certificate=certificate, proof_file=proof,
                   wall_time_s=elapsed, stats=stats,
                   message=f"all {len(cubes)} cubes infeasible")
