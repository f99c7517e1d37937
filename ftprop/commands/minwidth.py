"""`ftprop minwidth`: the smallest single hidden layer that fits the data exactly.

Tries widths 1, 2, ... in turn: the answer is the first feasible width w, returned with its
network and with the proof that width w - 1 is infeasible. The time limit covers the whole
search. ``--proof runs/p.proof`` writes one proof file per width tried (``runs/p.w1.proof``, ...),
each checkable by ``ftprop check``. Exit 0 with an answer, 3 when a width stays unknown or max-width is reached first.
"""

from __future__ import annotations

import argparse
import json
import time

from ..errors import EXIT_INTERNAL, EXIT_OK, EXIT_UNKNOWN
from ..report import certificate_line, describe, exit_code, run_metadata, with_certificate
from .common import (add_data_arguments, add_proof_arguments, add_solver_arguments, dataset_from_args,
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
    p.set_defaults(run=run)


def proof_path(proof: str | None, width: int) -> str | None:
    """Width w's proof file: ``runs/p5.proof`` -> ``runs/p5.w3.proof``."""
    if proof is None:
        return None
    from pathlib import Path

    path = Path(proof)
    return str(path.with_name(f"{path.stem}.w{width}{path.suffix}"))


def run(args: argparse.Namespace) -> int:
    from combinatorial import Status, solve

    require(not args.check or args.proof, "--check needs --proof FILE")
    require_writable(proof=args.proof and proof_path(args.proof, 1))
    options = options_from_args(args, time_limit=None)
    ds = dataset_from_args(args)
    start = time.monotonic()
    attempts, proof, found = [], None, None
    for width in range(1, args.max_width + 1):
        left = None
        if args.time_limit is not None:
            left = args.time_limit - (time.monotonic() - start)
            if left <= 0:
                break
        sol = solve(ds.X, ds.y, hidden=(width,), shortcut=args.shortcut, options=options, time_limit=left,
                    proof=proof_path(args.proof, width))
        sol = with_certificate(sol, ds, check=args.check)
        attempts.append({"width": width, "status": sol.status.value, "proved_for": sol.proved_for,
                         "wall_time_s": round(sol.wall_time_s, 4),
                         "certificate": {k: sol.certificate.get(k) for k in ("kind", "file", "checked", "note")}})
        if not args.json:
            print(f"width {width}: {sol.summary()}", flush=True)
            if args.proof:  # without --proof, describe() below says it once
                print(f"  {certificate_line(sol.certificate)}", flush=True)
        if sol.certificate.get("check", "VALID") != "VALID":  # a bug, never an answer
            print(f"internal error: the proof for width {width} fails its check: {sol.certificate['check']}")
            return EXIT_INTERNAL
        if sol.status == Status.INFEASIBLE:
            proof = sol
            continue
        if sol.status == Status.FEASIBLE and exit_code(sol) == EXIT_OK:
            found = sol
        break
    wall = time.monotonic() - start
    tried = attempts[-1]["width"] if attempts else 0
    if found is not None:
        w = found.architecture[1]
        scope = proof.proved_for if proof is not None else None
        message = f"minimum width {w}" + (f"; width {w - 1} infeasible ({scope})" if proof else "")
        code = EXIT_OK
    elif attempts and attempts[-1]["status"] != "infeasible":
        message = f"width {tried} is unknown (limit reached); widths below it are infeasible"
        code = EXIT_UNKNOWN
    elif tried >= args.max_width:
        message = f"no width up to --max-width {args.max_width} fits; try a larger --max-width"
        code = EXIT_UNKNOWN
    else:
        message = f"time limit reached before width {tried + 1}; widths up to {tried} are infeasible"
        code = EXIT_UNKNOWN
    if args.json:
        out = {
            "min_width": None if found is None else found.architecture[1],
            "proved_for": None if proof is None else proof.proved_for,
            "message": message,
            "backend": options.backend,
            "attempts": attempts,
            "network": None if found is None else found.to_dict(),
            "proof": None if proof is None else proof.to_dict(),
            "wall_time_s": round(wall, 4),
            "seed": args.seed,
            **run_metadata(args, ds),
        }
        print(json.dumps(out))
    else:
        print(f"{message} ({wall:.2f} s)")
        if found is not None:
            print(describe(found, ds.label))
    return code
