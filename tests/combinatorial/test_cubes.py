"""Cube-and-conquer (combinatorial.cubes): split searches, one proof file holding every cube."""

from __future__ import annotations

import itertools
import json
import zipfile

import numpy as np
import pytest

from combinatorial import cubes, solve
from combinatorial.backends.lazy import LazyOptions
from combinatorial.errors import ProblemError
from combinatorial.solution import ALL_REAL_WEIGHTS, Status
from ftprop.checker import check

C4 = np.array(list(itertools.product([-1, 1], repeat=4)), dtype=float)
P4 = np.prod(C4, axis=1)


@pytest.fixture(scope="module")
def split_proof(tmp_path_factory):
    path = tmp_path_factory.mktemp("cubes") / "p4.proof"
    sol = cubes.solve(C4, P4, hidden=(3,), depth=2, proof=str(path), workers=1)
    return sol, path


def test_every_cube_refuted_is_an_infeasible_with_one_valid_proof(split_proof):
    sol, path = split_proof
    assert sol.status == Status.INFEASIBLE and sol.proved_for == ALL_REAL_WEIGHTS
    assert sol.stats["cubes"] == 4 and [c["status"] for c in sol.stats["per_cube"]] == ["infeasible"] * 4
    assert sol.proof_file.kind == "cubes" and sol.proof_file.sizes["cubes"] == 4
    verdict = check(path, C4, P4)
    assert verdict.valid, verdict.reason
    assert verdict.stats["cubes"] == 4 and verdict.stats["cube_variables"] == 2
    assert "each of the 4 cubes" in verdict.claim
    # the same question unsplit: the same answer
    assert solve(C4, P4, hidden=(3,), backend="lazy", workers=1).status == Status.INFEASIBLE


def test_the_cube_variables_are_distinct_targets_and_the_cubes_cover_every_pattern():
    from combinatorial.problem import Problem

    problem = Problem.from_data(C4, P4, (3,))
    names = cubes.cube_variables(problem, 5)
    assert len(set(names)) == 5 and all(n.startswith("t[1][") for n in names)
    patterns = {tuple(v for _, v in c) for c in cubes.cubes_of(names)}
    assert patterns == set(itertools.product((1, -1), repeat=5))


def test_a_cube_with_a_network_ends_the_search_feasible(tmp_path):
    path = tmp_path / "fit.proof"
    sol = cubes.solve(C4, P4, hidden=(4,), depth=2, workers=1, proof=str(path))
    assert sol.status == Status.FEASIBLE and sol.train_errors == 0
    assert sol.stats["found_by_cube"] in range(4)
    assert sol.proof_file.kind == "weights" and sol.proof_file.file == str(path) and check(path, C4, P4).valid


@pytest.mark.parametrize("kw, match", [({"objective": "min-errors"}, "feasibility search with real weights"),
                                       ({"weights": "ternary"}, "feasibility search with real weights"),
                                       ({"depth": 0}, "cube depth must be")])
def test_what_cubes_do_not_split_is_refused(kw, match):
    depth = kw.pop("depth", 2)
    with pytest.raises(ProblemError, match=match):
        cubes.solve(C4, P4, hidden=(3,), depth=depth, **kw)


def _members(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _rewrite(tmp_path, members, edit_body=None, drop=()):
    body = json.loads(members["certificate.json"])
    if edit_body is not None:
        edit_body(body)
    out = tmp_path / "edited.proof"
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("certificate.json", json.dumps(body))
        for name, data in members.items():
            if name != "certificate.json" and name not in drop:
                z.writestr(name, data)
    return out


def test_cubes_that_do_not_cover_every_assignment_are_invalid(split_proof, tmp_path):
    _, path = split_proof
    members = _members(path)

    def drop_last(body):
        body["cubes"] = body["cubes"][:3]
    verdict = check(_rewrite(tmp_path, members, drop_last), C4, P4)
    assert not verdict.valid and "every sign pattern" in verdict.reason

    def twice(body):  # cube 1 replaced by a copy of cube 0's literals: a pattern missing, one doubled
        body["cubes"][1]["literals"] = body["cubes"][0]["literals"]
    verdict = check(_rewrite(tmp_path, members, twice), C4, P4)
    assert not verdict.valid and "every sign pattern" in verdict.reason


def test_a_cube_whose_cnf_fixes_other_literals_is_invalid(split_proof, tmp_path):
    _, path = split_proof
    members = _members(path)

    def swap(body):  # cubes 0 and 1 exchange their literals, not their CNFs
        a, b = body["cubes"][0]["literals"], body["cubes"][1]["literals"]
        body["cubes"][0]["literals"], body["cubes"][1]["literals"] = b, a
    verdict = check(_rewrite(tmp_path, members, swap), C4, P4)
    assert not verdict.valid and "cube 0" in verdict.reason and "cube's literals" in verdict.reason


def test_one_cube_alone_proves_nothing(tmp_path):
    from combinatorial.problem import Problem

    problem = Problem.from_data(C4, P4, (3,))
    cube = cubes.cubes_of(cubes.cube_variables(problem, 2))[0]
    part = tmp_path / "cube0.proof"
    sol = solve(C4, P4, hidden=(3,), backend="lazy", workers=1, proof=str(part),
                backend_options=LazyOptions(cube=cube, working_set=False))
    assert sol.status == Status.INFEASIBLE and sol.proof_file.kind == "drup"
    verdict = check(part, C4, P4)
    assert not verdict.valid and "proves nothing alone" in verdict.reason


def test_a_missing_cube_member_is_invalid(split_proof, tmp_path):
    _, path = split_proof
    verdict = check(_rewrite(tmp_path, _members(path), drop=("cube-2/refutation.lrat",)), C4, P4)
    assert not verdict.valid and "cube-2/refutation.lrat" in verdict.reason


def test_a_tampered_cube_refutation_is_invalid(split_proof, tmp_path):
    _, path = split_proof
    members = _members(path)
    lines = members["cube-1/refutation.lrat"].decode().splitlines()
    members["cube-1/refutation.lrat"] = ("\n".join(lines[:-1]) + "\n").encode()  # the empty clause dropped
    verdict = check(_rewrite(tmp_path, members), C4, P4)
    assert not verdict.valid and verdict.reason.startswith("cube 1:")


DASK_RUN = """
import itertools, json, sys
import joblib, numpy as np
import distributed
from combinatorial import cubes
from ftprop.checker import check
X = np.array(list(itertools.product([-1, 1], repeat=4)), dtype=float)
y = np.prod(X, axis=1)
with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                              dashboard_address=None) as cluster, distributed.Client(cluster) as client:
    with joblib.parallel_backend("dask"):
        sol = cubes.solve(X, y, hidden=(3,), depth=2, n_jobs=-1, proof=sys.argv[1], workers=1)
print(json.dumps({"status": sol.status.value, "cubes": [c["status"] for c in sol.stats["per_cube"]],
                  "valid": check(sys.argv[1], X, y).valid}))
"""


def test_cubes_run_on_a_dask_cluster(tmp_path):
    # In a subprocess: a LocalCluster's logging and threads outlive it and break pytest's capture.
    import subprocess
    import sys

    pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'ftprop[distributed]')")
    proc = subprocess.run([sys.executable, "-c", DASK_RUN, str(tmp_path / "dask.proof")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"status": "infeasible", "cubes": ["infeasible"] * 4, "valid": True}


def test_the_split_benchmark_checks_every_proof(tmp_path):
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "cube_split", pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "cube_split.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--n", "3", "--width", "2", "--depth", "1", "--jobs", "1", "--out", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "cube_split.jsonl").read_text().splitlines()]
    assert [(r["cubes"], r["status"], r["verdict"]) for r in rows] == [(1, "infeasible", "VALID")] * 2 + [
        (2, "infeasible", "VALID")] * 2
    assert "| parity-3, width 2 | 2 cubes | 1 |" in (tmp_path / "cube_split.md").read_text()
