"""`ftprop` command line: one sub-command per module in :mod:`ftprop.cli.commands`.

Each command module defines ``add_parser(subparsers)`` and ``run(args) -> int``. Modules import
their engines inside ``run`` so that ``ftprop --help`` loads neither OR-Tools nor torch.
Exit codes: 0 definite answer, 3 unknown (limit reached), 2 bad input or usage, 1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ftprop.errors import EXIT_INTERNAL, EXIT_USAGE, InputError

# Modules that only some commands need, with how to get them (torch is not a hard dependency:
# the exact engine runs without it, and GPU users pick their own CUDA build).
OPTIONAL_MODULES = {
    "torch": "PyTorch: pip install 'torch>=2.2' (or pip install 'ftprop[torch]')",
    "torchvision": "torchvision for ImageNet folders: pip install 'ftprop[vision]'",
    "onnx": "the onnx package: pip install 'ftprop[export]'",
}

# name -> module under ftprop.cli.commands; the order is the order shown in --help.
COMMANDS = ("solve", "minwidth", "check", "train", "evaluate", "compare", "export")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``ftprop solve: error: --hidden: ...`` and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ftprop",
        description="Hard-threshold networks as a mixed convex-combinatorial problem.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ftprop.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ftprop.cli.commands.{name}":
                continue  # command not built yet
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    from combinatorial.problem import ProblemError  # numpy only: cheap

    try:
        return int(args.run(args) or 0)
    except (InputError, ProblemError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug users
        if isinstance(exc, ModuleNotFoundError) and exc.name in OPTIONAL_MODULES:
            sys.stderr.write(f"error: ftprop {args.command} needs {OPTIONAL_MODULES[exc.name]}\n")
            return EXIT_USAGE
        if "--debug" in (argv if argv is not None else sys.argv):
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)\n")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
