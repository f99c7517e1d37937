"""The package arrows point down only, and importing the light packages stays light."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _imported_roots(package: str) -> set[str]:
    roots = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return roots


def test_combinatorial_never_imports_torch_or_the_other_packages():
    assert not _imported_roots("combinatorial") & {"torch", "minibatch", "ftprop"}


def test_minibatch_never_imports_combinatorial_or_ftprop():
    assert not _imported_roots("minibatch") & {"combinatorial", "ftprop"}


def test_importing_the_cli_loads_neither_ortools_nor_torch():
    code = (
        "import sys, combinatorial, ftprop, ftprop.cli; ftprop.cli.build_parser(); "
        "print(','.join(m for m in ('torch', 'ortools') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_missing_torch_is_a_one_line_error(monkeypatch, capsys):
    from ftprop import cli

    def needs_torch(args):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    parser = cli.build_parser()
    args = parser.parse_args(["solve", "--dataset", "xor", "--hidden", "2"])
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv=None: (setattr(args, "run", needs_torch), args)[1])
    assert cli.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ftprop solve needs PyTorch")
