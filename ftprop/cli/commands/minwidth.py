"""`ftprop minwidth`: the smallest single hidden layer that fits the data exactly.

Tries widths 1, 2, ... in turn: the answer is the first feasible width w, returned with its
network and with the proof that width w - 1 is infeasible. The time limit covers the whole
search. ``--proof runs/p.proof`` writes one proof file per width tried (``runs/p.w1.proof``, ...),
each checkable by ``ftprop check``. Exit 0 with an answer, 3 when a width stays unknown or max-width is reached first.
"""

from __future__ import annotations

import argparse
import json

from ftprop.errors import EXIT_INTERNAL, EXIT_OK, EXIT_UNKNOWN
from ftprop.cli.watch import Watch
from ftprop.cli.report import certificate_line, describe, run_metadata, with_certificate
from ftprop.cli.commands.common import (add_data_arguments, add_proof_arguments, add_solver_arguments, dataset_from_args,
                     options_from_args, positive_int, require, require_writable)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "minwidth", help="smallest hidden layer that fits exactly, with the proof for one less",
        description="Search widths 1, 2, ... of a single hidden layer for the first that fits "
                    "every example exactly; report its network and the proof for width - 1.",
    )
    add_data_arguments(p)
    p.add_argument("--max-width", type=positive_int, default=8, help="largest width to try (default 8)")
    add_solver_arguments(p, objective=False)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_proof_arguments(p)
    p.add_argument("--plot", metavar="FILE.png",
                   help="2-D inputs: draw the network at the minimum width (examples, unit lines, decision regions)")
    p.set_defaults(run=run)


def proof_path(proof: str | None, width: int) -> str | None:
    """Width w's proof file: ``runs/p5.proof`` -> ``runs/p5.w3.proof``."""
    if proof is None:
        return None
    from pathlib import Path

    path = Path(proof)
    return str(path.with_name(f"{path.stem}.w{width}{path.suffix}"))


def run(args: argparse.Namespace) -> int:
    from combinatorial import min_width

    require(not args.check or args.proof, "--check needs --proof FILE")
    require_writable(proof=args.proof and proof_path(args.proof, 1), plot=args.plot)
    ds = dataset_from_args(args)
    if args.plot:  # before any work: a picture needs 2-D inputs
        from ftprop.cli.plot import check_plottable

        check_plottable(ds.X)
    watch = Watch.from_args(args)
    options = options_from_args(args, time_limit=None, progress=watch)

    def after_each(sol):
        sol = with_certificate(sol, ds, check=args.check)
        if not args.json:
            print(f"width {sol.architecture[1]}: {sol.summary()}", flush=True)
            if args.proof:  # without --proof, describe() below says it once
                print(f"  {certificate_line(sol.proof_file)}", flush=True)
        if sol.proof_file.rejected:  # a bug, never an answer
            raise _ProofFailed(f"the proof for width {sol.architecture[1]} fails its check: {sol.proof_file.check}")
        return sol

    try:
        search = min_width(ds.X, ds.y, max_width=args.max_width, shortcut=args.shortcut, options=options,
                           time_limit=args.time_limit, proof=lambda w: proof_path(args.proof, w), after_each=after_each)
    except _ProofFailed as exc:
        print(f"internal error: {exc}")
        return EXIT_INTERNAL
    finally:
        if watch is not None:
            watch.close()
    message = search.message().replace("max width", "--max-width")
    if args.json:
        attempts = [{"width": s.architecture[1], "status": s.status.value, "proved_for": s.proved_for,
                     "wall_time_s": round(s.wall_time_s, 4),
                     "proof_file": {k: s.proof_file.to_dict().get(k) for k in ("kind", "file", "checked", "note")}}
                    for s in search.attempts]
        print(json.dumps({
            "min_width": search.min_width,
            "proved_for": None if search.below is None else search.below.proved_for,
            "message": message,
            "backend": options.backend,
            "attempts": attempts,
            "network": None if search.found is None else search.found.to_dict(),
            "proof": None if search.below is None else search.below.to_dict(),
            "wall_time_s": round(search.wall_time_s, 4),
            "seed": args.seed,
            **run_metadata(args, ds),
        }))
    else:
        print(f"{message} ({search.wall_time_s:.2f} s)")
        if search.found is not None:
            print(describe(search.found, ds.label))
    if args.plot:
        _plot(args, ds, search, message)
    return EXIT_OK if search.found is not None else EXIT_UNKNOWN


def _plot(args, ds, search, message: str) -> None:
    """The network at the minimum width, or the last width tried when none fits."""
    from ftprop.cli.plot import plot_solution

    sol = search.found if search.found is not None else (search.attempts[-1] if search.attempts else None)
    if sol is None:
        return
    plot_solution(args.plot, sol, ds.X, ds.y, heading=f"{ds.name}: {message}")
    if not args.json:
        print(f"plot: {args.plot}")


class _ProofFailed(Exception):
    """A proof file the independent checker rejects: an internal error, never an answer."""
