"""`ftprop solve`: exact fit of a hard-threshold network, or a proof that none exists.

    ftprop solve --dataset parity-5 --hidden 4
    status: infeasible (all real weights) in 0.82 s [lazy]

Exit status: 0 definite answer (feasible, optimal, infeasible), 3 limit reached (unknown, or a
min-errors network not proved optimal), 2 bad input, 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import EXIT_OK, EXIT_UNKNOWN
from .common import add_data_arguments, dataset_from_args, hidden_widths, nonnegative_int, seconds

BACKEND_CHOICES = ("auto", "lazy", "cpsat", "mip", "enumerate", "ftprop")
OBJECTIVE_CHOICES = ("feasibility", "min-errors", "max-margin", "min-weight", "lexicographic")


def weight_domain(text: str) -> str:
    """``--weights``: real, ternary or integer:P (validated here, one-line error on a bad value)."""
    from combinatorial.domains import parse_weights
    from combinatorial.problem import ProblemError

    try:
        return str(parse_weights(text))
    except ProblemError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def widths(text: str) -> tuple[int, ...]:
    """``--hidden 3`` or ``3,2``: one positive integer per hidden layer; ``none``: a perceptron."""
    return hidden_widths(text)


def add_solver_arguments(p: argparse.ArgumentParser, *, objective: bool = True) -> None:
    g = p.add_argument_group("solver")
    g.add_argument("--backend", default="auto", metavar="NAME",
                   help=f"search backend: {', '.join(BACKEND_CHOICES)} (default auto = lazy)")
    if objective:
        g.add_argument("--objective", default="feasibility", choices=OBJECTIVE_CHOICES,
                       help="feasibility: fit every example; min-errors: fit as many as possible; "
                            "max-margin / min-weight: then per-unit margins / fewest weights; "
                            "lexicographic: min-errors, then margin, then fewest weights")
        g.add_argument("--weights", type=weight_domain, default="real", metavar="DOMAIN",
                       help="weight domain: real (default), ternary, or integer:P (|w| <= P); the bias stays real")
    g.add_argument("--time-limit", type=seconds, metavar="S", help="wall-clock limit in seconds (default: none)")
    g.add_argument("--workers", type=nonnegative_int, default=0, help="solver threads (default 0 = all cores)")
    g.add_argument("--seed", type=nonnegative_int, default=0, help="seed of every solver and data generator")
    g.add_argument("--no-symmetry-breaking", action="store_true",
                   help="do not break the unit-permutation and sign symmetries")
    g.add_argument("--no-heuristic", action="store_true",
                   help="lazy: no full-batch FTPROP restarts between master solves (pure search)")
    g.add_argument("--shortcut", action="store_true", help="direct input -> output connections (one hidden layer)")
    g.add_argument("--verbose", action="store_true", help="backend progress on stderr")
    g.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


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
    p.add_argument("--warm-start", metavar="ftprop|minibatch|FILE",
                   help="hint the search with hidden targets from full-batch FTPROP, FTPROP-MB (soft-hinge), "
                        "or a JSON file with hidden_targets (as --save writes)")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    out.add_argument("--save", metavar="FILE", help="also write the JSON result to FILE (atomically)")
    p.set_defaults(run=run)


def options_from_args(args, **overrides):
    from combinatorial.solve import SolveOptions, resolve_backend

    resolve_backend(args.backend)  # an unknown name fails here, before any work
    kw = dict(
        backend=args.backend,
        objective=getattr(args, "objective", "feasibility"),
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        symmetry_breaking=not args.no_symmetry_breaking,
        heuristic=not args.no_heuristic,
        verbose=args.verbose,
        weights=getattr(args, "weights", "real"),
    )
    kw.update(overrides)
    return SolveOptions(**kw)


def run_metadata(args, ds) -> dict:
    from ..io import command_line, versions

    return {"dataset": ds.name, "data_file": args.data, "command": command_line(), "versions": versions()}


def exit_code(sol) -> int:
    from combinatorial import Status

    if sol.status in (Status.INFEASIBLE, Status.OPTIMAL):
        return EXIT_OK
    if sol.status == Status.FEASIBLE and sol.objective == "feasibility":
        return EXIT_OK
    if sol.status == Status.FEASIBLE and sol.objective in ("max-margin", "min-weight", "lexicographic"):
        stage1 = (sol.stats.get("stages") or [{}])[0]
        if sol.train_errors == 0 or stage1.get("search_status") == "optimal":
            return EXIT_OK  # the fit is definite; stages 2-3 report their own per-unit statuses
    return EXIT_UNKNOWN


def run(args) -> int:
    from combinatorial import solve

    options = options_from_args(args)
    ds = dataset_from_args(args)
    warm = None
    if getattr(args, "warm_start", None):
        options, warm = _with_warm_start(args, ds, options)
    sol = solve(ds.X, ds.y, hidden=args.hidden, shortcut=args.shortcut, options=options)
    out = sol.to_dict()
    if warm is not None:
        out["warm_start"] = warm
    meta = run_metadata(args, ds)
    out["versions"] = {**meta.pop("versions"), **out.get("versions", {})}
    out.update(meta)
    out["options"] = {"hidden": list(args.hidden), "time_limit": options.time_limit, "workers": options.workers,
                      "symmetry_breaking": options.symmetry_breaking, "heuristic": options.heuristic}
    if args.save:
        from ..io import atomic_write_json

        atomic_write_json(args.save, out)
    if args.json:
        print(json.dumps(out))
    else:
        print(sol.summary())
        print(describe(sol, ds.name))
        if args.save:
            print(f"saved: {args.save}")
    return exit_code(sol)


def _with_warm_start(args, ds, options):
    """Options with ``warm_start`` targets from ``--warm-start`` (see :mod:`ftprop.heuristics`)."""
    from dataclasses import replace

    from combinatorial.problem import Problem

    from ..heuristics import warm_start_targets

    problem = Problem.from_data(ds.X, ds.y, args.hidden, shortcut=args.shortcut)
    targets, info = warm_start_targets(args.warm_start, problem, seed=options.seed)
    if not args.json:
        errs = f", {info['train_errors']} training errors" if info.get("train_errors") is not None else ""
        print(f"warm start: {info['source']}{errs} in {info['time_s']:.2f} s", file=sys.stderr)
    return replace(options, warm_start=targets), info


MAX_WEIGHTS_SHOWN = 16  # wider units are summarised in the human output


def describe(sol, name: str) -> str:
    """Readable details after the summary line: data, proof in words, rounded weights."""
    arch = "-".join(map(str, sol.architecture)) + (" with shortcut" if sol.shortcut else "")
    lines = [f"data: {name}, {sol.n_examples} examples; network {arch}; objective {sol.objective}; seed {sol.seed}"]
    if sol.message:
        lines.append(f"note: {sol.message}")
    cert = sol.certificate
    if cert:
        if cert.get("kind") == "farkas":
            lam = ", ".join(f"{v:.3g}" for v in cert["multipliers"])
            lines.append(
                f"proof: output unit {cert['unit']} has no weights: examples {cert['examples']} with "
                f"multipliers [{lam}] sum to zero in [input, 1] space, each signed by its target "
                "(a Farkas certificate, re-checked with numpy)"
            )
        else:
            lines.append(f"proof: {cert.get('reason', cert)}")
    if sol.lower_bound is not None and sol.objective == "min-errors":
        lines.append(f"lower bound on training errors: {sol.lower_bound:g}")
    if sol.layers is not None:
        lines.append("network (unit = sign(W . input + b), sign(0) = +1):")
        for l, layer in enumerate(sol.layers, 1):
            kind = "output" if l == len(sol.layers) else "hidden"
            for j, (w, b) in enumerate(zip(layer["W"], layer["b"])):
                if len(w) > MAX_WEIGHTS_SHOWN:  # wide units: a summary (--json has every weight)
                    nz = int(sum(1 for v in w if abs(v) > 1e-12))
                    ws = f"{len(w)} weights, {nz} non-zero, max |w| {max(abs(_r(v)) for v in w):.3g}"
                else:
                    ws = " ".join(f"{_r(v):+.3g}" for v in w)
                lines.append(f"  layer {l} ({kind}) unit {j}: W = [{ws}]  b = {_r(b):+.3g}")
    for st in sol.stats.get("stages") or []:
        extra = "".join(
            f", {label} {st[key]:g}" for key, label in (("margin_sum", "margin sum"), ("nonzero_weights", "non-zero weights"))
            if st.get(key) is not None
        )
        lines.append(f"stage {st.get('stage')}: {st.get('status')} ({st.get('optimal_for', '')}; "
                     f"{st.get('scope', '')}){extra} in {st.get('seconds', 0):.2f} s")
    stats = {k: v for k, v in sol.stats.items() if not isinstance(v, (dict, list))}
    if stats:
        lines.append("stats: " + ", ".join(f"{k}={v}" for k, v in stats.items()))
    return "\n".join(lines)


def _r(v: float) -> float:
    return round(float(v), 3) + 0.0  # no "-0"


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main

    sys.exit(main(["solve", *sys.argv[1:]]))
