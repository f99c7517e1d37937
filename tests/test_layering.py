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


def _python_files(*folders):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _import_nodes(path):
    """(module, names) of every import in ``path``, relative imports resolved; ``import a.b``
    gives ("a.b", [])."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            yield ".".join([*base, node.module] if node.module else base), [a.name for a in node.names]


def _imports(path) -> set[str]:
    """Absolute module names imported by ``path`` (relative imports resolved), and module.name
    for every name taken from a module."""
    out = set()
    for module, names in _import_nodes(path):
        out |= {module} | {f"{module}.{name}" for name in names}
    return out


def test_backends_never_import_the_engine():
    for path in _python_files("combinatorial/backends"):
        assert "combinatorial.engine" not in _imports(path), path


def test_only_commands_import_commands():
    for path in _python_files("combinatorial", "minibatch", "ftprop", "benchmarks", "tests"):
        if "commands" in path.relative_to(ROOT).parts or path.relative_to(ROOT).as_posix() == "ftprop/cli/__init__.py" \
                or path.name == "test_layering.py":
            continue
        assert not any(m.startswith("ftprop.cli.commands") for m in _imports(path)), path


NAME_LISTS = ("OBJECTIVES", "OBJECTIVE_CHOICES", "STAGED_OBJECTIVES", "STAGES", "UNIT_OBJECTIVES",
              "BACKENDS", "BACKEND_CHOICES", "RULES", "ACTIVATIONS")


def test_every_name_list_has_one_definition():
    defined: dict[str, list[str]] = {}
    for path in _python_files("combinatorial", "minibatch", "ftprop"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and t.id in NAME_LISTS:
                    defined.setdefault(t.id, []).append(str(path.relative_to(ROOT)))
    assert {name: places for name, places in defined.items() if len(places) > 1} == {}
    assert "OBJECTIVE_CHOICES" not in defined and "BACKEND_CHOICES" not in defined


def test_objective_names_are_spelled_out_once():
    from combinatorial.options import OBJECTIVES

    for path in _python_files("combinatorial", "ftprop"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                items = node.keys if isinstance(node, ast.Dict) else node.elts
                names = {k.value for k in items if isinstance(k, ast.Constant) and k.value in OBJECTIVES}
                if len(names) >= 3:  # a list of objectives, not one or two compared against
                    assert path.name == "options.py", path


def test_torch_free_commands_run_with_torch_blocked(tmp_path):
    # solve, minwidth, check and a warm start from a JSON file need no torch: block its import
    import json
    import subprocess
    import sys

    saved = tmp_path / "xor.json"
    proof = tmp_path / "xor.proof"
    script = f"""
import sys
sys.modules["torch"] = None  # any import of torch now raises ImportError
from ftprop import cli
codes = [
    cli.main(["solve", "--dataset", "xor", "--hidden", "2", "--workers", "1", "--save", {str(saved)!r},
              "--proof", {str(proof)!r}]),
    cli.main(["minwidth", "--dataset", "parity-3", "--workers", "1"]),
    cli.main(["check", {str(proof)!r}, "--dataset", "xor"]),
    cli.main(["solve", "--dataset", "xor", "--hidden", "2", "--workers", "1", "--warm-start", {str(saved)!r}]),
]
assert "torch" not in sys.modules or sys.modules["torch"] is None
print("CODES", codes)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "CODES [0, 0, 0, 0]" in out.stdout, out.stdout + out.stderr
    assert json.loads(saved.read_text())["status"] == "feasible"


def test_the_proof_writer_imports_no_backend():
    for path in [*_python_files("combinatorial/proof"), ROOT / "combinatorial" / "clauses.py"]:
        imports = _imports(path)
        assert not any(m.startswith("combinatorial.backends") for m in imports), path


def test_no_frame_inspection_or_object_new_in_the_packages():
    for path in _python_files("combinatorial", "minibatch", "ftprop"):
        text = path.read_text(encoding="utf-8")
        assert "_getframe" not in text and "object.__new__" not in text, path


def test_the_checker_shares_no_code_with_the_solver():
    for path in _python_files("ftprop/checker"):
        roots = {m.split(".")[0] for m in _imports(path)}
        assert not roots & {"combinatorial", "ortools", "pysat", "minibatch"}, path
        others = {m for m in _imports(path) if m.startswith("ftprop.") and not m.startswith(("ftprop.checker", "ftprop.errors"))}
        assert not others, path


def _module(path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _edges(path, modules) -> set[str]:
    """The modules ``path`` imports: ``from P import m`` is an edge to P.m when that is a module,
    else to P (the package's __init__ runs for its names, not for its submodules)."""
    out = set()
    for module, names in _import_nodes(path):
        out |= {f"{module}.{n}" if f"{module}.{n}" in modules else module for n in names} if names else {module}
    return out & modules.keys()


def test_no_import_circles():
    """Module-level and function-level imports alike: no module reaches itself again."""
    paths = [p for p in _python_files("combinatorial", "minibatch", "ftprop")]
    modules = {_module(p): p for p in paths}
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in _edges(path, modules) if m != name}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_modules_and_functions_stay_readable():
    """The renovation's budgets: no module over 400 lines, no function over 60."""
    long = []
    for path in _python_files("combinatorial", "minibatch", "ftprop"):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []
