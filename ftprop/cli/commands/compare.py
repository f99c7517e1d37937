"""``ftprop compare``: the exact engine vs full-batch FTPROP vs FTPROP-MB on one small problem.

    ftprop compare --dataset xor --hidden 2
    ftprop compare --dataset teacher --inputs 4 --teacher-hidden 3 --samples 40 --hidden 3 --seeds 5
    ftprop compare --dataset digits --classes 4,9 --per-class 5 --hidden 2 --rules soft-hinge,sste --json

Exit status 0 when the comparison ran (whatever the methods found), 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys

from ftprop.errors import InputError
from ftprop.cli.commands.common import (add_data_arguments, dataset_from_args, hidden_widths, nonnegative_int, positive_int,
                     require_writable, save_json, seconds)


def _batch_size(text: str):
    if text.strip().lower() == "full":
        return None
    return positive_int(text)


def _rules(text: str) -> tuple[str, ...]:
    from minibatch.rules import RULES

    rules = tuple(r.strip() for r in text.split(",") if r.strip())
    if not rules:
        raise argparse.ArgumentTypeError("expected a comma-separated list of rules")
    for r in rules:
        if r not in RULES:
            raise argparse.ArgumentTypeError(f"unknown rule {r!r}; valid: {', '.join(RULES)}")
    return rules


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="exact engine vs full-batch FTPROP vs FTPROP-MB on one problem",
                       description=__doc__.split("\n\n")[0])
    add_data_arguments(p)
    p.add_argument("--hidden", type=hidden_widths, required=True, help="hidden widths, e.g. 4 or 4,3")
    p.add_argument("--rules", type=_rules, default=("soft-hinge", "sste", "ste", "hinge"),
                   help="FTPROP-MB target rules (default soft-hinge,sste,ste,hinge; also sat-hinge)")
    p.add_argument("--seeds", type=positive_int, default=5, help="runs per heuristic (default 5)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="first seed; also seeds the data (default 0)")
    p.add_argument("--epochs", type=positive_int, default=300, help="FTPROP-MB passes over the data (default 300)")
    p.add_argument("--batch-size", type=_batch_size, default=None, metavar="B|full",
                   help="FTPROP-MB batch size (default full)")
    p.add_argument("--lr", type=float, default=0.01, help="FTPROP-MB Adam step (default 0.01)")
    p.add_argument("--time-limit", type=seconds, default=10.0,
                   help="seconds for the exact solve and for each heuristic run (default 10)")
    p.add_argument("--restarts", type=positive_int, default=None,
                   help="full-batch FTPROP restarts per run (default: until the time limit)")
    p.add_argument("--backend", default="auto", help="exact backend (default auto: proof or network)")
    p.add_argument("--workers", type=nonnegative_int, default=0, help="CP-SAT threads (default 0: every core)")
    p.add_argument("--no-ftprop", dest="ftprop", action="store_false", help="skip full-batch FTPROP")
    p.add_argument("--json", action="store_true", help="print the full report as one JSON object")
    p.add_argument("--save", metavar="FILE", help="also write the full JSON report to FILE")
    p.add_argument("--plot", metavar="FILE.png",
                   help="2-D inputs: draw the exact engine's network (examples, unit lines, decision regions)")
    p.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    p.set_defaults(run=run)


def run(args) -> int:
    import json

    from ftprop.studies.compare import CompareConfig, compare, format_table
    from ftprop.io import command_line

    if not args.lr > 0 or args.lr == float("inf"):
        raise InputError(f"--lr must be a positive number, got {args.lr}")
    require_writable(save=args.save, plot=args.plot)
    ds = dataset_from_args(args)
    if args.plot:  # before any work: a picture needs 2-D inputs
        from ftprop.cli.plot import check_plottable

        check_plottable(ds.X)
    config = CompareConfig(hidden=tuple(args.hidden), rules=tuple(args.rules), seeds=args.seeds, seed=args.seed,
                           epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, time_limit=args.time_limit,
                           exact_backend=args.backend, workers=args.workers, ftprop=args.ftprop,
                           ftprop_restarts=args.restarts)
    if not args.json:
        print(f"compare: {ds.name}, hidden {','.join(map(str, config.hidden))}, rules {','.join(config.rules)}, "
              f"{config.seeds} seeds from {config.seed}, epochs {config.epochs}, batch "
              f"{'full' if config.batch_size is None else config.batch_size}, time limit {config.time_limit:g} s",
              file=sys.stderr)
    exact = _exact_solution(ds, config) if args.plot else None
    report = compare(ds.X, ds.y, config, exact_solution=exact)
    report["dataset"] = ds.name
    report["command"] = command_line()
    if args.json:
        print(json.dumps(report), flush=True)
    else:
        print(format_table(report), flush=True)
    if args.save:  # after printing: a write that fails loses nothing
        save_json("save", args.save, report)
    if args.plot:
        from ftprop.cli.plot import plot_solution

        plot_solution(args.plot, exact, ds.X, ds.y, heading=f"{ds.name}, {exact.n_examples} examples (exact engine)")
        if not args.json:
            print(f"plot: {args.plot}")
    return 0


def _exact_solution(ds, config):
    """The exact engine's answer, solved here (not inside compare) so that --plot can draw it."""
    from combinatorial.problem import Problem

    from ftprop.studies.compare import solve_exact

    return solve_exact(Problem.from_data(ds.X, ds.y, config.hidden), config)
