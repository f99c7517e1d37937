"""`ftprop check`: verify a proof file without the solver that wrote it.

    ftprop solve --dataset parity-5 --hidden 4 --proof p5.proof
    ftprop check p5.proof --dataset parity-5
    VALID

Prints ``VALID`` (then what the file proves) or ``INVALID: <first reason>``. Exit status 0 valid,
1 invalid, 2 bad input (an unreadable file, unknown data).
"""

from __future__ import annotations

import argparse
import json

from ftprop.cli.commands.common import add_data_arguments, dataset_from_args, nonnegative_int, positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="verify a proof file (from solve/minwidth --proof) independently of the solver",
        description="Re-derive everything a proof file claims from the data alone: the merged data's "
                    "fingerprint, every valid-constraint clause, every Farkas certificate (exact "
                    "rationals), the refutation (drup) or the network's forward pass (exact rationals).",
    )
    p.add_argument("file", metavar="FILE", help="proof file written by --proof")
    add_data_arguments(p)
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of a synthetic data set's generator")
    p.add_argument("--jobs", type=positive_int, default=1,
                   help="processes that share the refutation's lemmas (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ftprop.checker import check

    ds = dataset_from_args(args)
    verdict = check(args.file, ds.X, ds.y, jobs=args.jobs)
    if args.json:
        print(json.dumps({"valid": verdict.valid, "reason": verdict.reason, "claim": verdict.claim,
                          "file": args.file, "dataset": ds.name, "examples": len(ds.y),
                          "header_skipped": ds.meta.get("header"), "stats": verdict.stats}))
    else:
        print(verdict.line())
        print(f"data: {ds.label}, {len(ds.y)} examples")
        if verdict.valid:
            print(f"claim: {verdict.claim}")
        print("stats: " + ", ".join(f"{k}={v}" for k, v in verdict.stats.items()
                                    if k not in ("trusted", "certified", "checked")))
        if verdict.valid and verdict.stats.get("trusted") is not None:
            print("checked exactly: " + verdict.stats.get("checked", (
                "the data's fingerprint, every no-good's Farkas certificate (rationals), every clause's "
                "membership in its family, and every refutation step (drup)")))
            for name, n in verdict.stats.get("certified", {}).items():
                print(f"certified ({name}): {n} Farkas no-goods derived from its clauses and checked "
                      "(ftprop.checker.certify)")
            for name, why in verdict.trusted.items():
                print(f"trusted ({name}): {why}")
    return 0 if verdict.valid else 1
