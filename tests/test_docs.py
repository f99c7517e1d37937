"""The documentation says what the code does: the README stays short and opens with the two
commands, the backend table is the registry's, the module map is the tree, links resolve."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_short_and_opens_with_the_two_commands():
    assert len(README.splitlines()) <= 200
    first = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]  # CI runs the README's test command
    assert first == ["pip install torch==2.13.0 -e . && ftprop minwidth --dataset parity-4", ci]
    assert ci == "pip install torch==2.13.0 -e '.[dev,export,distributed]' && python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text()
    assert first[1] in ci


def test_the_backend_table_is_the_registry():
    from combinatorial.backends import markdown_table

    assert markdown_table() in (ROOT / "docs" / "exact.md").read_text(encoding="utf-8")


def test_backend_help_names_every_backend():
    from combinatorial.backends import BACKENDS
    from ftprop.cli import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["solve"].format_help()
    assert all(name in help_text for name in BACKENDS)


def test_the_module_map_is_the_tree():
    block = README.split("<!-- module map")[1].split("```")[1]
    listed, prefix = set(), None
    for line in block.strip().splitlines():
        words = line.split()
        if words[0].endswith("/"):
            prefix, words = words[0], words[1:]
        listed |= {prefix + w + ".py" for w in words} | {prefix + "__init__.py"}
    tree = {str(p.relative_to(ROOT)) for pkg in ("combinatorial", "minibatch", "ftprop")
            for p in (ROOT / pkg).rglob("*.py")}
    assert listed == tree


def test_relative_links_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), (doc.name, target)
