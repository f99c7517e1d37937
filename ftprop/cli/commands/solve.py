"""`ftprop solve`: exact fit of a hard-threshold network, or a proof that none exists.

    ftprop solve --dataset parity-5 --hidden 4
    status: infeasible (all real weights) in 0.82 s [lazy]
    ftprop solve --dataset parity-5 --hidden 4 --proof p5.proof --check   # a proof anyone can check
    ftprop solve --dataset parity-6 --hidden 5 --cubes 3 --jobs 2 --proof p6.proof   # 8 cubes, 2 at a time

Exit status: 0 definite answer (feasible, optimal, infeasible), 3 limit reached (unknown, or a
min-errors network not proved optimal), 2 bad input, 1 internal error.
"""

from __future__ import annotations

import json
import sys

from ftprop.cli.watch import Watch
from ftprop.cli.report import describe, exit_code, run_metadata, with_certificate
from ftprop.cli.commands.common import (add_data_arguments, add_proof_arguments, add_solver_arguments, dataset_from_args,
                     options_from_args, require, require_writable, save_json, widths)
from ftprop.cli.argtypes import positive_int

def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "solve", help="fit a network exactly or prove that none exists",
        description="Search hidden-unit targets that make every unit linearly separable "
                    "(an exact fit), or prove that no network of this shape fits the data.",
    )
    add_data_arguments(p)
    p.add_argument("--hidden", type=widths, required=True, metavar="W[,W...]",
                   help="hidden widths, input side first, e.g. 3 or 3,2 ('none': a single perceptron layer)")
    add_solver_arguments(p)
    split = p.add_argument_group("split search (cube-and-conquer, combinatorial.cubes)")
    split.add_argument("--cubes", type=positive_int, metavar="K",
                       help="split the lazy search into 2^K cubes over K first-layer targets, solved as "
                            "independent searches (feasibility, real weights); --proof then holds every cube")
    split.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="with --cubes: cubes solved at once, one process each (-1: every core; default 1)")
    p.add_argument("--warm-start", metavar="fullbatch|minibatch|FILE",
                   help="hint the search with hidden targets from full-batch FTPROP, FTPROP-MB (soft-hinge), "
                        "or a JSON file with hidden_targets (as --save writes)")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    out.add_argument("--save", metavar="FILE", help="also write the JSON result to FILE (atomically)")
    add_proof_arguments(out)
    out.add_argument("--plot", metavar="FILE.png",
                     help="2-D inputs: draw the examples, the first-layer units' lines and the decision regions "
                          "into a PNG (atomically)")
    p.set_defaults(run=run)


def run(args) -> int:
    from combinatorial import solve

    require(not args.check or args.proof, "--check needs --proof FILE")
    require_writable(save=args.save, proof=args.proof, plot=args.plot)
    ds = dataset_from_args(args)
    if args.plot:  # before any work: a picture needs 2-D inputs
        from ftprop.cli.plot import check_plottable

        check_plottable(ds.X)
    watch = Watch.from_args(args)
    options = options_from_args(args, progress=watch)
    warm = None
    if getattr(args, "warm_start", None):
        options, warm = _with_warm_start(args, ds, options)
    require(args.cubes is None or args.jobs != 0, "--jobs must be a positive number of processes, or -1")
    try:
        if args.cubes is not None:
            from combinatorial import cubes

            sol = cubes.solve(ds.X, ds.y, hidden=args.hidden, shortcut=args.shortcut, options=options,
                              depth=args.cubes, n_jobs=args.jobs)
        else:
            sol = solve(ds.X, ds.y, hidden=args.hidden, shortcut=args.shortcut, options=options)
    finally:
        if watch is not None:
            watch.close()
    sol = with_certificate(sol, ds, check=args.check)
    out = sol.to_dict()
    if warm is not None:
        out["warm_start"] = warm
    meta = run_metadata(args, ds)
    out["versions"] = {**meta.pop("versions"), **out.get("versions", {})}
    out.update(meta)
    out["options"] = {"hidden": list(args.hidden), "time_limit": options.time_limit, "workers": options.workers,
                      "symmetry_breaking": options.symmetry_breaking, "heuristic": not args.no_heuristic,
                      "proof": args.proof, "cubes": args.cubes, "jobs": args.jobs if args.cubes else None}
    if args.json:
        print(json.dumps(out), flush=True)
    else:
        print(sol.summary())
        print(describe(sol, ds.label), flush=True)
    if args.save:  # after printing: a write that fails loses nothing
        save_json("save", args.save, out)
        if not args.json:
            print(f"saved: {args.save}")
    if args.plot:
        from ftprop.cli.plot import plot_solution

        plot_solution(args.plot, sol, ds.X, ds.y, heading=f"{ds.name}, {sol.n_examples} examples")
        if not args.json:
            print(f"plot: {args.plot}")
    return exit_code(sol)


def _with_warm_start(args, ds, options):
    """Options with ``warm_start`` targets from ``--warm-start`` (see :mod:`ftprop.studies.heuristics`)."""
    from dataclasses import replace

    from combinatorial.problem import Problem

    from ftprop.studies.heuristics import warm_start_targets

    problem = Problem.from_data(ds.X, ds.y, args.hidden, shortcut=args.shortcut)
    targets, info = warm_start_targets(args.warm_start, problem, seed=options.seed)
    if not args.json:
        errs = f", {info['train_errors']} training errors" if info.get("train_errors") is not None else ""
        print(f"warm start: {info['source']}{errs} in {info['time_s']:.2f} s", file=sys.stderr)
    return replace(options, warm_start=targets), info


if __name__ == "__main__":  # pragma: no cover
    from ftprop.cli import main

    sys.exit(main(["solve", *sys.argv[1:]]))
