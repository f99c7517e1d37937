"""`ftprop export`: a saved answer's network as an ONNX graph or a PyTorch program.

    ftprop solve --dataset moons --samples 40 --hidden 3 --save moons.json
    ftprop export moons.json --format onnx --out moons.onnx     # onnxruntime runs it
    ftprop export moons.json --format torch --out moons.pt2     # torch.export.load(...).module()

Both compute sign(W h + b) with sign(0) = +1 in float64 (:mod:`ftprop.export`). ONNX needs the
``onnx`` package (``pip install 'ftprop[export]'``), torch needs torch. Exit status 0 when the file
is written, 2 on bad input (a file that is no saved answer, an answer without a network).
"""

from __future__ import annotations

import argparse

from ftprop.cli.commands.common import require, require_writable

SUFFIXES = {".onnx": "onnx", ".pt2": "torch", ".pt": "torch"}


def add_parser(subparsers) -> None:
    from ftprop.export import FORMATS

    p = subparsers.add_parser(
        "export", help="a saved network (--save FILE.json) as ONNX or a PyTorch program",
        description="Write the network of an answer saved by `ftprop solve --save` (or Solution.save) as an "
                    "ONNX graph or a torch.export program, both with sign(0) = +1.",
    )
    p.add_argument("solution", metavar="SOLUTION.json", help="a file written by ftprop solve --save or Solution.save")
    p.add_argument("--format", choices=FORMATS, help="onnx or torch (default: from the --out suffix, "
                                                     ".onnx or .pt2)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (atomically)")
    p.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from combinatorial import Solution
    from combinatorial.files import write_bytes

    from ftprop.errors import InputError
    from ftprop.export import OPSET, export_bytes, network_layers

    fmt = args.format or SUFFIXES.get(os.path.splitext(args.out)[1].lower())
    require(fmt is not None, f"--format onnx|torch is needed: the suffix of --out {args.out} names neither")
    require_writable(out=args.out)
    sol = Solution.load(args.solution)
    network_layers(sol)
    data = export_bytes(sol, fmt)
    try:
        write_bytes(args.out, data)
    except OSError as exc:
        raise InputError(f"--out {args.out}: {exc.strerror or exc}") from None
    arch = "-".join(map(str, sol.architecture)) + (" with shortcut" if sol.shortcut else "")
    errors = "" if sol.train_errors is None else f", {sol.train_errors}/{sol.n_examples} training errors"
    what = f"ONNX opset {OPSET}" if fmt == "onnx" else "torch.export program"
    print(f"exported: network {arch} ({sol.status.value}{errors}) to {args.out}, {what}, {len(data)} bytes")
    print(f"input x: n x {sol.architecture[0]} float64; output y: n x {sol.architecture[-1]} of ±1 "
          f"(unit = sign(W . input + b), sign(0) = +1)")
    return 0
