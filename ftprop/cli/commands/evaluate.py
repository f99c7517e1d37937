"""``ftprop evaluate``: top-1 / top-5 test accuracy of a run that ``ftprop train`` saved.

    ftprop evaluate runs/c4 --data-root ~/data            # best.pt on the CIFAR-10 test set
    ftprop evaluate runs/c4 --data-root ~/data --weights last --json

The run directory's ``config.json`` rebuilds the data set and the network; ``--data-root``
replaces the saved data root (the run may have been trained on another machine).
"""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="top-1 / top-5 test accuracy of a saved ftprop train run",
        description="Evaluate a saved FTPROP-MB run (its best.pt, or its last checkpoint) on its test set.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by ftprop train --out")
    p.add_argument("--data-root", help="directory holding cifar10 / imagenet (default: the one the run saved)")
    p.add_argument("--weights", choices=("best", "last"), default="best",
                   help="best.pt (the best epoch, default) or checkpoint.pt (the last epoch)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 (default auto)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ftprop.studies.training import evaluate_run

    r = evaluate_run(args.run_dir, data_root=args.data_root, weights=args.weights, device=args.device)
    if args.json:
        print(json.dumps(r))
        return 0
    top5 = "" if r["top5"] is None else f", top-5 {100 * r['top5']:.2f}%"
    print(f"{r['run']}: top-1 {100 * r['top1']:.2f}%{top5} on the {r['examples']} test examples of "
          f"{r['dataset']} ({r['weights']}, epoch {r['epoch']})")
    return 0
