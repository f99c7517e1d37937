"""Min-errors optima with certificates: the network and a refutation of one error less."""

from __future__ import annotations

import itertools
import json
import re
import zipfile

import numpy as np
import pytest

from combinatorial import solve
from combinatorial.clauses import at_most_errors
from combinatorial.solution import Status
from ftprop import cli
from ftprop.checker import check
from ftprop.checker.families import at_most_errors as checker_at_most

C3 = np.array(list(itertools.product([-1, 1], repeat=3)), dtype=float)
P3 = (np.prod(C3, axis=1) > 0).astype(int)
# parity-3 with two rows repeated and one input given the other label too: counts 2 and a conflict
XD = np.concatenate([C3, C3[:2], C3[3:4]])
YD = np.concatenate([P3, P3[:2], 1 - P3[3:4]])


def optimum(tmp_path, X, y, hidden=(2,), name="o.proof"):
    path = tmp_path / name
    sol = solve(X, y, hidden=hidden, backend="lazy", objective="min-errors", workers=1, proof=str(path))
    return sol, path


@pytest.mark.parametrize("X, y", [(C3, P3), (XD, YD)], ids=["parity3", "repeats-and-a-conflict"])
def test_an_optimum_carries_a_proof_of_its_bound(tmp_path, X, y):
    sol, path = optimum(tmp_path, X, y)
    assert sol.status == Status.OPTIMAL and sol.train_errors >= 1 and sol.proof_file.kind == "optimal"
    verdict = check(path, X, y)
    assert verdict.valid, verdict.reason
    assert f"makes {sol.train_errors} training errors, and no 3-2-1 network" in verdict.claim
    assert "at-most-errors" in verdict.trusted
    # one error less is what the refutation says: the same question as feasibility is refuted too
    assert solve(X, y, hidden=(2,), backend="lazy", workers=1).status == Status.INFEASIBLE


def test_the_conflict_family_appears_only_with_conflicting_inputs(tmp_path):
    _, plain = optimum(tmp_path, C3, P3, name="a.proof")
    _, dup = optimum(tmp_path, XD, YD, name="b.proof")
    assert "conflicting-inputs" not in check(plain, C3, P3).trusted
    assert "conflicting-inputs" in check(dup, XD, YD).trusted


def _edit(path, tmp_path, body_edit=None, cnf_edit=None):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n).decode() for n in z.namelist()}
    body = json.loads(members["certificate.json"])
    if body_edit:
        body_edit(body)
    members["certificate.json"] = json.dumps(body)
    if cnf_edit:
        members["master.cnf"] = cnf_edit(members["master.cnf"])
    out = tmp_path / "edited.proof"
    with zipfile.ZipFile(out, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return out


def test_a_claim_the_network_does_not_meet_is_invalid(tmp_path):
    sol, path = optimum(tmp_path, C3, P3)
    for claimed in (sol.train_errors - 1, sol.train_errors + 1):
        if claimed < 1:
            continue
        verdict = check(_edit(path, tmp_path, lambda b, c=claimed: b.update(errors=c)), C3, P3)
        assert not verdict.valid and "training errors, not the" in verdict.reason


def test_a_weakened_bound_is_invalid(tmp_path):
    _, path = optimum(tmp_path, C3, P3)

    def flip_first_card_clause(cnf: str) -> str:
        lines, inside = cnf.splitlines(), False
        for k, line in enumerate(lines):
            if line.startswith("c o "):
                inside = line == "c o at-most-errors"
            elif inside and not line.startswith(("c", "p")):
                lits = line.split()
                lines[k] = " ".join([str(-int(lits[0]))] + lits[1:])
                break
        return "\n".join(lines) + "\n"
    verdict = check(_edit(path, tmp_path, cnf_edit=flip_first_card_clause), C3, P3)
    assert not verdict.valid and "is not a valid at-most-errors clause" in verdict.reason


def test_the_counter_is_the_same_on_both_sides():
    keep = [1, 2, 3, 4]
    counts = [1, 2, 1, 1]
    for errors in (0, 1, 2, 4):
        names, clauses = at_most_errors(keep, counts, errors, 5)
        lookup = {k: f"keep[{k - 1}]" for k in keep} | {5 + i: n for i, n in enumerate(names)}
        named = {frozenset((lookup[abs(l)], l > 0) for l in c) for c in clauses}
        assert named == checker_at_most(counts, errors)


def test_min_errors_on_the_command_line_writes_and_checks_the_certificate(tmp_path, capsys):
    path = tmp_path / "m.proof"
    code = cli.main(["solve", "--dataset", "parity-3", "--hidden", "2", "--objective", "min-errors",
                     "--backend", "lazy", "--workers", "1", "--proof", str(path), "--check"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("status: optimal (all real weights), 1/8 training errors")
    assert "certificate: optimal in" in out and "VALID" in out


def _noisy_cube(seed=3, n=24):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).round(2)
    y = (X @ [1.0, -1.0, 0.5] > 0).astype(int)
    y[rng.choice(n, 4, replace=False)] ^= 1  # noisy labels: one unit must make errors
    return X, y


@pytest.mark.parametrize("X, y", [(C3, P3), _noisy_cube()], ids=["parity3", "noisy-3d"])
def test_a_one_unit_optimum_in_three_dimensions_carries_a_proof(tmp_path, X, y):
    """Width 1 is settled apart (Benders cuts over exact Farkas certificates); with --proof the
    cuts become no-goods of the master, on every example's target whether kept or not."""
    sol, path = optimum(tmp_path, X, y, hidden=(1,))
    assert sol.status == Status.OPTIMAL and sol.train_errors >= 1 and sol.proof_file.kind == "optimal"
    assert "Benders" in sol.stats["exact_method"]
    verdict = check(path, X, y)
    assert verdict.valid, verdict.reason
    with zipfile.ZipFile(path) as z:
        body, cnf = json.loads(z.read("certificate.json")), z.read("master.cnf").decode()
    assert body["errors"] == sol.train_errors
    names, tag, strong = {}, None, 0
    for line in cnf.splitlines():
        if line.startswith("c v "):
            _, _, v, name = line.split(maxsplit=3)
            names[v] = name
        elif line.startswith("c o "):
            tag = line[4:]
        elif line and line[0] not in "cp" and tag.startswith("nogood"):
            assert not any(names[v.lstrip("-")].startswith("keep[") for v in line.split()[:-1])
            strong += 1
    assert strong >= len(body["nogoods"])  # every cut is a strong no-good (with its mirror)
    # one error less than the optimum is refuted by a search that knows nothing of these cuts
    assert solve(X, y, hidden=(1,), objective="min-errors", workers=1).train_errors == sol.train_errors


def test_a_strong_nogood_with_a_false_certificate_is_invalid(tmp_path):
    X, y = _noisy_cube()
    _, path = optimum(tmp_path, X, y, hidden=(1,))

    def spoil(body):
        assert body["nogoods"], "the noisy cube needs Benders cuts"
        body["nogoods"][0]["multipliers"] = ["1"] + ["0"] * (len(body["nogoods"][0]["multipliers"]) - 1)

    verdict = check(_edit(path, tmp_path, spoil), X, y)
    assert not verdict.valid


def _moons(n=60):
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("moons", DataOptions(samples=n, noise=0.3))
    return d.X, d.y


def _blobs(n=60):
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("blobs", DataOptions(samples=n))
    return d.X, d.y


def _line(n=40):
    x = np.linspace(0, 1, n)[:, None]
    return x, ((x[:, 0] > 0.3) ^ (x[:, 0] > 0.7) ^ (np.arange(n) == 5)).astype(int)


@pytest.mark.parametrize("data, width, kind", [(_moons, 1, "lines"), (_blobs, 1, "lines"), (_line, 1, "lines"),
                                               (_moons, 2, "wedges"), (_line, 2, "wedges"), (_blobs, 2, "trees")],
                         ids=["moons", "blobs-3-classes", "1-d", "moons-wedges", "1-d-wedges", "blobs-trees"])
def test_an_optimum_in_the_plane_carries_the_proof_the_checker_enumerates(tmp_path, data, width, kind):
    """In one or two dimensions the file holds the network alone. Width 1: the checker
    enumerates the lines; width 2 with two classes: it lists every half-plane dichotomy itself
    and scores every undominated pair; with three classes also every tree of two lines."""
    X, y = data()
    sol, path = optimum(tmp_path, X, y, hidden=(width,))
    assert sol.status == Status.OPTIMAL and sol.train_errors >= 1 and sol.proof_file.kind == kind
    verdict = check(path, X, y)
    assert verdict.valid, verdict.reason
    assert f"makes {sol.train_errors} training errors" in verdict.claim and kind in verdict.trusted


def test_a_lines_proof_of_a_network_that_is_not_optimal_is_invalid(tmp_path):
    X, y = _moons()
    sol, path = optimum(tmp_path, X, y, hidden=(1,))
    flat = int(min(np.sum(y == 0), np.sum(y == 1)))  # h = +1 everywhere: the output is one label

    def constant(body):
        body["layers"][0] = {"W": [["0", "0"]], "b": ["1"]}
        body["errors"] = flat

    assert flat > sol.train_errors
    verdict = check(_edit(path, tmp_path, constant), X, y)
    found = re.search(r"makes (\d+) training errors, fewer than the (\d+) claimed", verdict.reason)
    assert not verdict.valid and found and int(found[2]) == flat
    assert sol.train_errors <= int(found[1]) < flat  # a dichotomy that is really there
    wider = check(_edit(path, tmp_path, lambda b: b["architecture"].update(hidden=[2])), X, y)
    assert not wider.valid


@pytest.mark.parametrize("seed", range(3))
def test_the_checkers_enumeration_of_lines_agrees_with_every_dichotomy(seed):
    """The checker's own enumeration (ftprop.checker.lines) against all 2^n dichotomies, each
    realisable one found by the exact LP, on grids, collinear points and inexact near-collinear ones."""
    from combinatorial.separability import check_separable
    from ftprop.checker.lines import _fewest

    rng = np.random.default_rng(seed)
    for trial in range(40):
        n, kind = int(rng.integers(2, 8)), trial % 4
        if kind == 0:
            P = rng.integers(-2, 3, size=(n, 2)).astype(float)
        elif kind == 1:
            P = rng.normal(size=(n, 2))
        elif kind == 2:
            P = np.column_stack([rng.integers(-3, 4, size=n), np.zeros(n)]).astype(float)
        else:  # 0.1 t, 0.3 t: nearly collinear in floats, not exactly
            t = rng.integers(-3, 4, size=n)
            P = np.column_stack([t * 0.1, t * 0.3])
        P = np.unique(P, axis=0)
        plus, minus = rng.integers(0, 3, size=len(P)), rng.integers(0, 3, size=len(P))
        best, undecided = int(min(plus.sum(), minus.sum())), False
        for D in itertools.product([1, -1], repeat=len(P)):
            D = np.array(D)
            cost = int(plus[D > 0].sum() + minus[D < 0].sum())
            if cost < best:
                r = check_separable(P, D)
                undecided |= r.separable is None
                best = cost if r.separable else best
        got = _fewest(P, plus.astype(np.int64), minus.astype(np.int64), -1)
        assert got <= best  # never above a realisable dichotomy: the bound is sound
        if not undecided:
            assert got == best


def test_a_one_unit_optimum_its_label_rows_prove_needs_no_geometry(tmp_path):
    """Iris at width 1: every pair of classes leaves the third's 50 examples wrong, so the file
    is the network alone (kind lines) in four dimensions; a 3-D bound that needs hyperplanes is
    not accepted in that form."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("iris", DataOptions())
    sol, path = optimum(tmp_path, d.X, d.y, hidden=(1,))
    assert sol.train_errors == 50 and sol.proof_file.kind == "lines"
    assert check(path, d.X, d.y).valid
    X, y = _noisy_cube()
    _, cube = optimum(tmp_path, X, y, hidden=(1,), name="cube.proof")
    verdict = check(_edit(cube, tmp_path, lambda b: b.update(kind="lines")), X, y)
    assert not verdict.valid and "two dimensions only" in verdict.reason


def test_a_wedges_proof_of_a_network_that_is_not_optimal_is_invalid(tmp_path):
    X, y = _moons()
    sol, path = optimum(tmp_path, X, y, hidden=(2,))
    _, one = optimum(tmp_path, X, y, hidden=(1,), name="one.proof")
    with zipfile.ZipFile(one) as z:
        line = json.loads(z.read("certificate.json"))
    w1 = line["errors"]
    assert w1 > sol.train_errors  # a wedge does better than a line on these moons

    def as_line(body):  # both hidden units the best line, the output copying it: w1 errors
        unit = line["layers"][0]
        body["layers"][0] = {"W": unit["W"] * 2, "b": unit["b"] * 2}
        body["layers"][1] = {"W": [[line["layers"][1]["W"][0][0], "0"]], "b": line["layers"][1]["b"]}
        body["errors"] = w1

    verdict = check(_edit(path, tmp_path, as_line), X, y)
    found = re.search(r"makes (\d+) training errors, fewer than the (\d+) claimed", verdict.reason)
    assert not verdict.valid and found and int(found[2]) == w1, verdict.reason
    assert sol.train_errors <= int(found[1]) < w1
    narrow = check(_edit(one, tmp_path, lambda b: b.update(kind="wedges")), X, y)
    assert not narrow.valid and "hidden width [2]" in narrow.reason


def test_a_trees_proof_of_a_network_that_is_not_optimal_is_invalid(tmp_path):
    """Blobs at width 2: the first hidden unit copied into the second makes the network one line
    (two classes right at most); claimed optimal, the checker names a tree with fewer errors.
    A two-class file relabelled ``trees`` is not accepted."""
    X, y = _blobs()
    sol, path = optimum(tmp_path, X, y, hidden=(2,))
    assert sol.proof_file.kind == "trees"

    def one_line(body, errors=1):
        body["layers"][0] = {"W": [body["layers"][0]["W"][0]] * 2, "b": [body["layers"][0]["b"][0]] * 2}
        body["errors"] = errors

    counted = check(_edit(path, tmp_path, one_line), X, y)  # the checker's own count of its errors
    claimed = int(re.search(r"makes (\d+) training errors, not the 1", counted.reason)[1])
    edited = _edit(path, tmp_path, lambda b: one_line(b, claimed))
    verdict = check(edited, X, y)
    assert not verdict.valid and claimed > sol.train_errors
    assert re.search(r"makes (\d+) training errors, fewer than the (\d+) claimed", verdict.reason), verdict.reason
    Xm, ym = _moons()
    _, two = optimum(tmp_path, Xm, ym, hidden=(2,), name="two.proof")
    narrow = check(_edit(two, tmp_path, lambda b: b.update(kind="trees")), Xm, ym)
    assert not narrow.valid and "three one-vs-rest classes" in narrow.reason
