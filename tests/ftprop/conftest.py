"""Fixtures for the application layer's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_run(capsys):
    """``cli_run(*argv) -> (exit code, stdout, stderr)`` of the ``ftprop`` command line."""
    from ftprop import cli

    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run
