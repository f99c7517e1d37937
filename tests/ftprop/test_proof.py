"""Proof files: every definite answer is checked by ftprop.checker, and every tampering is caught."""

from __future__ import annotations

import itertools
import json
import zipfile
from fractions import Fraction

import numpy as np
import pytest

from combinatorial import Problem, Status, solve
from combinatorial.backends.lazy import LazyOptions
from ftprop import cli
from ftprop.checker import check

pytest.importorskip("pysat")
pytest.importorskip("drup")


def parity(n):
    X = np.array(list(itertools.product([-1, 1], repeat=n)), dtype=float)
    return X, np.prod(X, axis=1).astype(int)


# small instances whose lazy proofs need no-goods on every kind of layer (found by a seed search)
ONE_LAYER = ([[0, 0], [1, 2], [-2, -2], [2, 2], [-1, -1], [2, 0], [-1, 2], [-1, 0]], [1, 1, 0, 0, 1, 1, 1, 1])
TWO_LAYERS = ([[1, 2], [-2, -2], [0, 0], [1, -1], [-2, -1], [0, -1], [2, 0], [1, 1]], [0, 1, 0, 0, 1, 0, 0, 1])
SHORTCUT = ([[2, -1], [-1, 0], [-2, -1], [-2, -2], [0, -1], [-1, 1], [1, 2], [-2, 0], [-1, -2], [1, -2]],
            [1, 1, 0, 1, 0, 0, 1, 1, 1, 0])
MULTI = ([[2, -1], [-2, -1], [0, 2], [0, -2], [-1, 1], [2, 1], [2, -2], [2, -2]], [2, 2, 2, 2, 1, 1, 0, 0])


def prove(tmp_path, X, y, hidden, name="p.proof", **kw):
    path = tmp_path / name
    sol = solve(np.asarray(X, dtype=float), np.asarray(y), hidden=hidden, backend="lazy", workers=1,
                proof=str(path), **kw)
    return path, sol


CASES = {
    "xor": (*parity(2), (1,), {}),
    "parity-3": (*parity(3), (2,), {}),
    "parity-4": (*parity(4), (3,), {}),
    "parity-3 two layers": (*parity(3), (2, 1), {}),
    "parity-3 no symmetry breaking": (*parity(3), (2,), {"symmetry_breaking": False}),
    "no-goods on layer 1": (*ONE_LAYER, (1,), {}),
    "no-goods on two layers": (*TWO_LAYERS, (2, 1), {}),
    "shortcut": (*SHORTCUT, (1,), {"shortcut": True}),
    "multi-class": (*MULTI, (2,), {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_infeasible_answers_carry_proofs_that_check(tmp_path, name):
    X, y, hidden, kw = CASES[name]
    path, sol = prove(tmp_path, X, y, hidden, **kw)
    assert sol.status == Status.INFEASIBLE
    assert sol.proof_file.kind == "drup" and sol.proof_file.file == str(path)
    verdict = check(path, X, y)
    assert verdict.valid, verdict.reason
    assert "real weights" in verdict.claim


def test_no_goods_are_exercised_on_hidden_and_output_layers(tmp_path):
    # the cases above would test little if the valid constraints alone refuted them
    for name, layers in (("no-goods on layer 1", {1}), ("no-goods on two layers", {1, 2}), ("shortcut", {2})):
        X, y, hidden, kw = CASES[name]
        sol = solve(np.asarray(X, float), np.asarray(y), hidden=hidden, backend="lazy", workers=1,
                    proof=str(tmp_path / "p.proof"), **kw)
        assert layers <= {g["layer"] for g in sol.refutation.nogoods}, name


@pytest.mark.parametrize("hidden,shortcut", [((2,), False), ((1,), True), ((2, 2), False), ((), False)])
def test_feasible_answers_carry_exact_weights(tmp_path, hidden, shortcut):
    X, y = parity(2) if not shortcut else parity(3)
    if hidden == ():
        X, y = parity(2)[0], np.array([0, 0, 0, 1])  # AND: one unit
    path, sol = prove(tmp_path, X, y, hidden, shortcut=shortcut)
    assert sol.status == Status.FEASIBLE and sol.proof_file.kind == "weights"
    assert check(path, X, y).valid


def test_farkas_and_conflict_certificates_check(tmp_path):
    X, y = parity(2)
    path, sol = prove(tmp_path, X, y, ())
    assert sol.certificate.kind == sol.proof_file.kind == "farkas" and check(path, X, y).valid
    Xc, yc = np.array([[0.0], [1.0], [0.0]]), np.array([0, 1, 1])
    path, sol = prove(tmp_path, Xc, yc, (3,), name="c.proof")
    assert sol.certificate.kind == sol.proof_file.kind == "conflict" and check(path, Xc, yc).valid
    assert not check(path, Xc, np.array([0, 1, 0])).valid


# --- tampering ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    X, y, hidden, kw = CASES["no-goods on two layers"]
    path, sol = prove(tmp_path_factory.mktemp("proof"), X, y, hidden, **kw)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n).decode() for n in z.namelist()}
    return np.asarray(X, float), np.asarray(y), members


def rewrite(tmp_path, members, **changes):
    path = tmp_path / "tampered.proof"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in {**members, **changes}.items():
            z.writestr(name, text)
    return path


def edit_clause(cnf: str, tag: str, edit) -> str:
    """Apply ``edit`` to the first clause line after ``c o <tag>``."""
    lines, inside = cnf.splitlines(), False
    for k, line in enumerate(lines):
        if line.startswith("c o "):
            inside = line == f"c o {tag}"
        elif inside and not line.startswith(("c", "p")):
            lines[k] = edit(line)
            break
    else:
        raise AssertionError(f"no {tag} clause")
    return "\n".join(line for line in lines if line is not None) + "\n"


def test_the_untouched_base_is_valid(base, tmp_path):
    X, y, members = base
    assert check(rewrite(tmp_path, members), X, y).valid


def negate_first(line):
    lits = line.split()
    return " ".join([str(-int(lits[0]))] + lits[1:])


@pytest.mark.parametrize("tag", ["unateness", "distinct-codes", "symmetry", "nogood 0"])
def test_a_flipped_literal_is_caught(base, tmp_path, tag):
    X, y, members = base
    cnf = edit_clause(members["master.cnf"], tag, negate_first)
    verdict = check(rewrite(tmp_path, members, **{"master.cnf": cnf}), X, y)
    assert not verdict.valid


def test_a_dropped_clause_is_caught(base, tmp_path):
    X, y, members = base
    lines = members["master.cnf"].splitlines()
    header = next(k for k, l in enumerate(lines) if l.startswith("p cnf"))
    _, _, v, c = lines[header].split()
    first = next(k for k, l in enumerate(lines) if k > header and not l.startswith("c"))
    del lines[first]
    lines[header] = f"p cnf {v} {int(c) - 1}"
    verdict = check(rewrite(tmp_path, members, **{"master.cnf": "\n".join(lines) + "\n"}), X, y)
    assert not verdict.valid and "refutation" in verdict.reason


def test_a_false_tag_is_caught(base, tmp_path):
    X, y, members = base
    cnf = members["master.cnf"].replace("c o unateness", "c o symmetry", 1)
    verdict = check(rewrite(tmp_path, members, **{"master.cnf": cnf}), X, y)
    assert not verdict.valid and "symmetry" in verdict.reason


def test_wrong_multipliers_are_caught(base, tmp_path):
    X, y, members = base
    body = json.loads(members["certificate.json"])
    for record in body["nogoods"]:
        record["multipliers"][0] = str(2 * Fraction(record["multipliers"][0]) + 1)
    verdict = check(rewrite(tmp_path, members, **{"certificate.json": json.dumps(body)}), X, y)
    assert not verdict.valid and "Farkas" in verdict.reason


def test_a_truncated_refutation_is_caught(base, tmp_path):
    X, y, members = base
    steps = members["refutation.lrat"].splitlines()
    short = "\n".join(steps[: len(steps) // 2]) + "\n"
    verdict = check(rewrite(tmp_path, members, **{"refutation.lrat": short}), X, y)
    assert not verdict.valid and "empty clause" in verdict.reason


def test_a_lemma_that_does_not_follow_is_caught(base, tmp_path):
    X, y, members = base
    steps = members["refutation.lrat"].splitlines()
    cid, rest = steps[0].split(" ", 1)
    lits, hints = rest.split(" 0 ", 1)
    steps[0] = f"{cid} {' '.join(lits.split()[:-1]) if len(lits.split()) > 1 else ''} 0 {hints}".replace("  ", " ")
    verdict = check(rewrite(tmp_path, members, **{"refutation.lrat": "\n".join(steps) + "\n"}), X, y)
    assert not verdict.valid


def test_other_data_and_other_architecture_are_caught(base, tmp_path):
    X, y, members = base
    assert "data differ" in check(rewrite(tmp_path, members), X, 1 - y).reason
    for hidden in ([3, 1], [2, 2], [2]):
        body = json.loads(members["certificate.json"])
        body["architecture"]["hidden"] = hidden
        verdict = check(rewrite(tmp_path, members, **{"certificate.json": json.dumps(body)}), X, y)
        assert not verdict.valid, hidden
    body = json.loads(members["certificate.json"])
    body["options"]["symmetry_breaking"] = False
    assert not check(rewrite(tmp_path, members, **{"certificate.json": json.dumps(body)}), X, y).valid


def test_tampered_weights_are_caught(tmp_path):
    X, y = parity(2)
    path, _ = prove(tmp_path, X, y, (2,))
    with zipfile.ZipFile(path) as z:
        body = json.loads(z.read("certificate.json"))
    body["layers"][-1]["b"][0] = "1000"
    verdict = check(rewrite(tmp_path, {"certificate.json": json.dumps(body)}), X, y)
    assert not verdict.valid and "misses" in verdict.reason


# --- the command line -----------------------------------------------------------------------


def test_solve_proof_check_and_ftprop_check(tmp_path, capsys):
    path = tmp_path / "p3.proof"
    assert cli.main(["solve", "--dataset", "parity-3", "--hidden", "2", "--workers", "1",
                     "--proof", str(path), "--check", "--json"]) == 0
    cert = json.loads(capsys.readouterr().out)["proof_file"]
    assert cert["kind"] == "drup" and cert["file"] == str(path) and cert["checked"] is True
    assert cli.main(["check", str(path), "--dataset", "parity-3"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "VALID"
    assert cli.main(["check", str(path), "--dataset", "parity-4"]) == 1
    assert capsys.readouterr().out.startswith("INVALID: the data differ")


def test_check_names_the_families_it_trusted_and_only_those_the_cnf_uses(base, tmp_path, capsys):
    from ftprop.checker.families import TRUSTED

    X, y, members = base
    verdict = check(rewrite(tmp_path, members), X, y)
    used = {line[4:] for line in members["master.cnf"].splitlines() if line.startswith("c o ")}
    assert verdict.valid and set(verdict.trusted) == used & set(TRUSTED) and verdict.trusted
    assert all(verdict.trusted[name] == TRUSTED[name] for name in verdict.trusted)
    path = tmp_path / "plain.proof"
    assert cli.main(["solve", "--dataset", "parity-3", "--hidden", "2", "--workers", "1", "--no-symmetry-breaking",
                     "--proof", str(path)]) == 0
    capsys.readouterr()
    assert cli.main(["check", str(path), "--dataset", "parity-3"]) == 0
    out = capsys.readouterr().out
    assert "trusted (symmetry)" not in out and "checked exactly:" in out
    assert "certified (unateness)" in out and "trusted (unateness)" not in out


def test_unateness_and_equal_inputs_are_certified_not_trusted():
    import numpy as np

    from ftprop.checker.certify import certify
    from ftprop.checker.cnf import Invalid

    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 2.0], [0.0, 0.0]])
    names = ["s[1][0][0]", "t[1][0][0]", "t[1][0][1]", "t[1][0][2]", "t[1][0][3]", "t[1][0][4]"]
    s, t = 1, {i: i + 2 for i in range(5)}
    # not s or (t0 => t1); s or (t3 => t2); and t0 <=> t4 (identical inputs)
    clauses = [[-s, -t[0], t[1]], [s, -t[3], t[2]], [-t[0], t[4]], [t[0], -t[4]]]
    tags = ["unateness", "unateness", "equal-inputs", "equal-inputs"]
    assert certify(names, clauses, tags, X) == {"equal-inputs": 2, "unateness": 1}
    bad = {  # each edit breaks one thing the certificate rests on
        "not fresh": (clauses + [[s, t[2]]], tags + ["nogood 0"]),
        "do not run along coordinate": ([[-s, -t[1], t[0]], [s, -t[3], t[2]]], tags[:2]),
        "is no Farkas no-good": ([[-s, -t[0], t[1]], [s, -t[3], t[1]]], tags[:2]),
        "exactly one direction variable": ([[-s, s, t[1]]], tags[:1]),
    }
    for why, (cls, tgs) in bad.items():
        with pytest.raises(Invalid, match=why):
            certify(names, cls, tgs, X)
    with pytest.raises(Invalid, match="equal-inputs clause 1 is no Farkas no-good"):
        certify(names, [[-t[0], t[1]]], ["equal-inputs"], X)  # examples 0 and 1 differ


def test_bad_input_to_check_is_one_line_and_exit_2(tmp_path, capsys):
    junk = tmp_path / "junk.proof"
    junk.write_text("not a proof")
    for target in (junk, tmp_path / "missing.proof"):
        assert cli.main(["check", str(target), "--dataset", "xor"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ")


def test_answers_without_a_certificate_say_so(tmp_path, capsys):
    assert cli.main(["solve", "--dataset", "parity-3", "--hidden", "2", "--backend", "cpsat", "--workers", "1",
                     "--proof", str(tmp_path / "c.proof")]) == 0
    assert "solver's word, no certificate" in capsys.readouterr().out
    # a min-errors answer at a time limit claims no optimum (random labels: far from proved in 0.5 s)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))  # three inputs: the general search (two units in the plane are enumerated)
    sol = solve(X, rng.integers(0, 2, size=120), hidden=(2,), backend="lazy", objective="min-errors",
                workers=1, time_limit=0.5, proof=str(tmp_path / "m.proof"))
    assert sol.status.value == "feasible" and sol.train_errors > 0
    assert sol.proof_file.kind == "none" and "nothing is claimed" in sol.proof_file.note
    assert not (tmp_path / "m.proof").exists()


def test_without_cadicals_hints_the_drup_refutation_is_replayed_for_them(tmp_path, monkeypatch):
    from combinatorial import proof
    from combinatorial.proof.hints import HintError

    def no_tracer(clauses):
        raise HintError("no LRAT tracer")

    monkeypatch.setattr(proof, "cadical_lrat", no_tracer)
    X, y, hidden, kw = CASES["no-goods on two layers"]
    path, sol = prove(tmp_path, X, y, hidden, **kw)
    with zipfile.ZipFile(path) as z:
        assert "replayed" in json.loads(z.read("certificate.json"))["refutation"]["solver"]
    assert check(path, X, y).valid


def test_minwidth_writes_one_checked_proof_per_width(tmp_path, capsys):
    path = tmp_path / "xor.proof"
    assert cli.main(["minwidth", "--dataset", "xor", "--workers", "1", "--proof", str(path), "--check"]) == 0
    out = capsys.readouterr().out
    assert out.count("checked by ftprop check: VALID") >= 3  # widths 1 and 2, and the answer again
    from ftprop.data import load_dataset

    xor = load_dataset("xor")
    X, y = xor.X, xor.y
    assert check(tmp_path / "xor.w1.proof", X, y).claim.startswith("no 2-1-1 network")
    assert "fits every example" in check(tmp_path / "xor.w2.proof", X, y).claim


def test_a_time_limit_is_the_solvers_word(tmp_path):
    sol = solve(*parity(6), hidden=(5,), backend="lazy", workers=1, time_limit=0.05, proof=str(tmp_path / "t.proof"))
    assert sol.status == Status.UNKNOWN
    assert sol.proof_file.kind == "none" and sol.proof_file.note.startswith("solver's word, no certificate")


def test_a_master_constraint_outside_the_known_families_means_no_certificate():
    from combinatorial import SolveOptions
    from combinatorial.backends.lazy.master import Master
    from combinatorial.errors import ProofError

    X, y, hidden, kw = CASES["no-goods on layer 1"]
    master = Master(Problem.from_data(np.asarray(X, float), np.asarray(y), hidden), SolveOptions(), False)
    assert master.refutation().cnf.tags  # every constraint accounted for
    master.model.add_bool_or([master.t[0][0][1]])  # a constraint no family or no-good explains
    with pytest.raises(ProofError, match="outside the logged families"):
        master.refutation()


def test_every_clause_is_logged_under_the_family_that_added_it():
    from combinatorial import SolveOptions
    from combinatorial.backends.lazy.master import Master
    from combinatorial.clauses import FAMILIES

    X, y = parity(3)
    master = Master(Problem.from_data(X, y, (2,)), SolveOptions(), False)
    record = master.refutation().cnf
    assert set(record.tags) <= set(FAMILIES) and {"monotone-output", "symmetry"} <= set(record.tags)
    assert len(record.names) == len(master.model.Proto().variables)


def test_check_reads_data_files(tmp_path, capsys):
    from ftprop.data import load_dataset

    ds = load_dataset("parity-3")
    data = tmp_path / "p3.npz"
    np.savez(data, X=ds.X, y=ds.y)
    proof = tmp_path / "p3.proof"
    assert cli.main(["solve", "--data", str(data), "--hidden", "2", "--workers", "1", "--proof", str(proof)]) == 0
    capsys.readouterr()
    assert cli.main(["check", str(proof), "--data", str(data)]) == 0
    assert capsys.readouterr().out.startswith("VALID")


def test_lemmas_checked_in_parallel_give_the_same_verdicts(base, tmp_path):
    X, y, members = base
    assert check(rewrite(tmp_path, members), X, y, jobs=2).valid
    steps = members["refutation.lrat"].splitlines()
    cid, rest = steps[-2].split(" ", 1)
    steps[-2] = f"{cid} 0 {rest.split(' 0 ', 1)[1]}"  # an early empty clause its hints do not give
    verdict = check(rewrite(tmp_path, members, **{"refutation.lrat": "\n".join(steps) + "\n"}), X, y, jobs=2)
    assert not verdict.valid


def test_the_checkers_families_accept_their_clauses_and_nothing_else():
    from ftprop.checker.families import Families

    Xu = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    Yu = np.array([[1], [-1], [-1]], dtype=np.int8)
    fam = Families(Xu, Yu, [2], shortcut=False, symmetry=True)
    assert fam.monotone  # one output, no shortcut, symmetry on: the last layer is monotone
    equal = frozenset({("t[1][1][0]", False), ("t[1][1][1]", True)})
    assert fam.contains("equal-inputs", equal) and not fam.contains("equal-inputs", frozenset({("t[1][1][0]", False), ("t[1][1][2]", True)}))
    above = frozenset({("above[1][0][0,2]", True), ("above[1][1][0,2]", True)})
    assert fam.contains("monotone-output", above)
    assert not fam.contains("monotone-output", frozenset({("above[1][0][2,0]", True), ("above[1][1][2,0]", True)}))
    assert not fam.contains("distinct-codes", frozenset({("diff[1][0][0,2]", True), ("diff[1][1][0,2]", True)}))
    assert not fam.contains("symmetry", frozenset({("t[1][0][0]", True)}))  # no sign fix on a monotone layer
    unate = frozenset({("s[1][0][0]", False), ("t[1][0][0]", False), ("t[1][0][2]", True)})
    assert fam.contains("unateness", unate) and not fam.contains("symmetry", unate)
    plain = Families(Xu, np.array([[1, -1], [-1, 1], [-1, -1]], dtype=np.int8), [2], shortcut=False, symmetry=True)
    assert plain.contains("symmetry", frozenset({("t[1][0][0]", True)}))
    assert plain.contains("distinct-codes", frozenset({("diff[1][0][0,2]", True), ("diff[1][1][0,2]", True)}))


def test_a_proof_that_fails_its_check_is_an_internal_error(tmp_path, monkeypatch, capsys):
    import ftprop.checker as checker
    from ftprop.checker import Verdict

    monkeypatch.setattr(checker, "check", lambda *a, **k: Verdict(False, "planted"))
    assert cli.main(["solve", "--dataset", "xor", "--hidden", "2", "--workers", "1",
                     "--proof", str(tmp_path / "x.proof"), "--check"]) == 1
    assert "INVALID: planted" in capsys.readouterr().out


def test_pair_constraints_added_late_are_in_the_proof(tmp_path, monkeypatch):
    from combinatorial import cuts
    from combinatorial.backends.lazy import master as lazy_master
    from combinatorial.backends.lazy import LazyOptions

    monkeypatch.setattr(lazy_master, "LAZY_PAIRS_ABOVE", 0)  # every pair constraint on demand,
    monkeypatch.setattr(cuts, "nearest_pairs", lambda Xu, a, b, k=6: np.zeros(len(a), dtype=bool))  # none up front
    X, y = parity(4)
    path, sol = prove(tmp_path, X, y, (3,), backend_options=LazyOptions(heuristic=False))
    assert sol.status == Status.INFEASIBLE and sol.stats["late_pairs"] > 0
    verdict = check(path, X, y)
    assert verdict.valid, verdict.reason


# --- refutations of an example subset ----------------------------------------------------------


@pytest.fixture(scope="module")
def subset_proof(tmp_path_factory):
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("circles", DataOptions(samples=120))
    path = tmp_path_factory.mktemp("subset") / "c.proof"
    sol = solve(d.X, d.y, (2,), proof=str(path), workers=1, time_limit=120,  # the pair bound would settle it first
                backend_options=LazyOptions(pair_bound=False))
    assert sol.status is Status.INFEASIBLE and sol.stats["working_set"] < 120
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n).decode() for n in z.namelist()}
    return d, sol, path, members


def test_a_subset_refutation_names_its_rows_and_checks(subset_proof):
    d, sol, path, members = subset_proof
    body = json.loads(members["certificate.json"])
    assert len(body["subset"]) == sol.stats["working_set"] and body["data"]["merged_examples"] == 120
    verdict = check(path, d.X, d.y)
    assert verdict.valid and verdict.stats["subset"] == len(body["subset"])
    assert "its %d examples" % len(body["subset"]) in verdict.claim


def test_a_tampered_subset_is_caught(subset_proof, tmp_path):
    d, _, _, members = subset_proof
    body = json.loads(members["certificate.json"])
    rows = body["subset"]
    others = sorted(set(range(120)) - set(rows))[: len(rows)]
    for bad, why in ((rows[:-1] + rows[:1], "twice"), (rows[:-1] + [120], "index"), (others, "")):
        verdict = check(rewrite(tmp_path, members, **{"certificate.json": json.dumps({**body, "subset": bad})}), d.X, d.y)
        assert not verdict.valid and why in verdict.reason, (bad[:5], verdict.reason)
