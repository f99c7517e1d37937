"""Argument helpers shared by the commands: data selection, solver options, integers and seconds.

Choices and help texts come from the modules that own the names (backends, objectives).
"""

from __future__ import annotations

import argparse

from combinatorial.backends import ALIASES, BACKENDS, deprecation
from combinatorial.backends import DEFAULT as DEFAULT_BACKEND
from combinatorial.options import OBJECTIVES

from ftprop.cli.argtypes import (  # noqa: F401  (re-exported: the commands take their types from here)
    fraction, hidden_widths, int_list, nonnegative_float, nonnegative_int, positive_float, positive_int, seconds,
)
from ftprop.data import DataOptions, Dataset, dataset_names, load_dataset, load_file
from ftprop.errors import InputError


def add_data_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_argument_group("data")
    src = group.add_mutually_exclusive_group(required=required)
    src.add_argument("--dataset", metavar="NAME", help="built-in data set: " + ", ".join(dataset_names()))
    src.add_argument("--data", metavar="FILE", help="CSV (last column the label) or NPZ with arrays X, y")
    group.add_argument("--samples", type=positive_int, help="examples for synthetic data sets")
    group.add_argument("--noise", type=float, help="noise of moons / circles / blobs")
    group.add_argument("--classes", type=lambda s: int_list(s, what="class", lowest=0),
                       help="keep only these classes, e.g. 4,9")
    group.add_argument("--per-class", type=positive_int, help="training examples per class (few-shot)")
    group.add_argument("--inputs", type=positive_int, help="input dimension of the teacher data set")
    group.add_argument("--teacher-hidden", type=int_list, default=(3,), help="hidden widths of the teacher (default 3)")
    group.add_argument("--data-root", help="directory (or file) holding mnist / fashion-mnist / cifar10 / imagenet")


def dataset_from_args(args: argparse.Namespace) -> Dataset:
    opts = DataOptions(
        samples=args.samples,
        noise=args.noise,
        seed=getattr(args, "seed", 0) or 0,
        classes=tuple(args.classes) if args.classes else None,
        per_class=args.per_class,
        inputs=args.inputs,
        teacher_hidden=tuple(args.teacher_hidden),
        data_root=args.data_root,
    )
    if args.data:
        ds = load_file(args.data)
        if opts.classes is not None or opts.per_class is not None:
            from ftprop.data import select

            ds = select(ds, opts)
        return ds
    return load_dataset(args.dataset, opts)


def require(condition: bool, message: str) -> None:
    """Raise :class:`InputError` unless ``condition`` (never ``assert`` on user input)."""
    if not condition:
        raise InputError(message)


def weight_domain(text: str):
    """``--weights``: real, ternary or integer:P (validated here, one-line error on a bad value)."""
    from combinatorial.domains import parse_weights
    from combinatorial.problem import ProblemError

    try:
        return parse_weights(text)
    except ProblemError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def widths(text: str) -> tuple[int, ...]:
    """``--hidden 3`` or ``3,2``: one positive integer per hidden layer; ``none``: a perceptron."""
    return hidden_widths(text)


def add_solver_arguments(p: argparse.ArgumentParser, *, objective: bool = True) -> None:
    g = p.add_argument_group("solver")
    g.add_argument("--backend", default="auto", metavar="NAME",
                   help=f"search backend: auto, {', '.join(BACKENDS)} (default auto: the given targets and the "
                        f"linear code, then {DEFAULT_BACKEND}; cpsat for integer weights)")
    if objective:
        g.add_argument("--objective", default="feasibility", choices=list(OBJECTIVES),
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
    g.add_argument("--no-confirm", action="store_true",
                   help="lazy: report an infeasible master on CP-SAT's word alone (default: CaDiCaL re-solves it)")
    g.add_argument("--no-working-set", action="store_true",
                   help="lazy: search on every example at once instead of a growing working set of examples")
    g.add_argument("--no-pair-bound", action="store_true",
                   help="lazy: do not first bound the width by the pairs of examples a first layer must separate "
                        "(inputs in one or two dimensions)")
    g.add_argument("--no-decision-list", action="store_true",
                   help="lazy: do not first try the decision list of half-planes, which fits one hidden layer "
                        "by construction when it is wide enough (inputs in one or two dimensions)")
    g.add_argument("--shortcut", action="store_true", help="direct input -> output connections (one hidden layer)")
    g.add_argument("--verbose", action="store_true", help="the backend's own detail lines on stderr")
    g.add_argument("--progress", action="store_true",
                   help="progress lines on stderr (at most one a second) even when stderr is not a terminal")
    g.add_argument("--quiet", action="store_true", help="no progress lines (default: on when stderr is a terminal)")
    g.add_argument("--log", metavar="FILE", help="append every search event to FILE as JSON lines")
    g.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


def add_proof_arguments(group) -> None:
    group.add_argument("--proof", metavar="FILE",
                       help="write a proof file that `ftprop check` verifies: the network of a feasible "
                            "answer, a refutation (lazy backend) of an infeasible one, or a min-errors optimum's "
                            "network with a refutation of one error less")
    group.add_argument("--check", action="store_true", help="check the proof file right after solving")


def require_writable(**paths) -> None:
    """Refuse output paths that cannot be written (a directory, a file where a folder must be)
    before any work: ``require_writable(save=args.save, proof=args.proof)``."""
    from combinatorial.files import check_target

    for flag, path in paths.items():
        if path:
            try:
                check_target(path)
            except OSError as exc:
                raise InputError(f"--{flag} {path}: {exc.strerror or exc}") from None


def save_json(flag: str, path, obj) -> None:
    """``--save``: the JSON written atomically; a write that fails is a one-line error."""
    from ftprop.io import atomic_write_json

    try:
        atomic_write_json(path, obj)
    except OSError as exc:
        raise InputError(f"--{flag} {path}: {exc.strerror or exc}") from None


def options_from_args(args, **overrides):
    from combinatorial import SolveOptions
    from combinatorial.backends import resolve
    from combinatorial.backends.lazy import LazyOptions

    if args.backend in ALIASES:  # an old name: one line on stderr, then the new one
        import sys

        print(f"note: {deprecation(args.backend)}", file=sys.stderr)
        args.backend = ALIASES[args.backend]
    backend = resolve(args.backend)  # an unknown name fails here, before any work
    kw = dict(
        backend_options=LazyOptions(heuristic=not args.no_heuristic, working_set=not args.no_working_set,
                                    confirm=not args.no_confirm, pair_bound=not args.no_pair_bound,
                                    decision_list=not args.no_decision_list)
        if backend == "lazy" else None,
        backend=args.backend,
        objective=getattr(args, "objective", "feasibility"),
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        symmetry_breaking=not args.no_symmetry_breaking,
        verbose=args.verbose,
        weights=getattr(args, "weights", "real"),
        proof=getattr(args, "proof", None),
    )
    kw.update(overrides)
    return SolveOptions(**kw)
