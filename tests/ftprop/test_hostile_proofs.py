"""`ftprop check` on files built to attack it: each must end quickly as INVALID, or as bad input
(exit 2, "not an ftprop proof file"), never hang, crash, or use memory out of proportion.

Every case is a few lines that build the file from a genuine proof of a small instance.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from combinatorial import solve
from ftprop import cli
from ftprop.checker import check
from ftprop.errors import InputError

XOR = (np.array([[0.0, 0.0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0]))


@pytest.fixture(scope="module")
def proofs(tmp_path_factory):
    """Genuine proofs: a Farkas certificate (XOR, no hidden layer), a refutation (XOR, one hidden
    unit), and weights (XOR, two hidden units); each as its members' texts."""
    folder = tmp_path_factory.mktemp("genuine")
    out = {}
    for name, hidden in (("farkas", ()), ("drup", (1,)), ("weights", (2,))):
        path = folder / f"{name}.proof"
        solve(*XOR, hidden=hidden, proof=str(path), workers=1)
        with zipfile.ZipFile(path) as z:
            out[name] = {n: z.read(n).decode() for n in z.namelist()}
        assert check(path, *XOR).valid
    return out


def write(tmp_path, members, **replace) -> str:
    path = tmp_path / "hostile.proof"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in {**members, **replace}.items():
            z.writestr(name, text)
    return str(path)


def edited(members, edit) -> dict:
    body = json.loads(members["certificate.json"])
    edit(body)
    return {**members, "certificate.json": json.dumps(body)}


def invalid(tmp_path, members, **replace) -> str:
    verdict = check(write(tmp_path, members, **replace), *XOR)
    assert not verdict.valid
    return verdict.reason


def test_a_huge_exponent_is_refused_without_building_it(proofs, tmp_path):
    m = edited(proofs["farkas"], lambda b: b["multipliers"].__setitem__(0, "1e100000000"))
    assert "digits" in invalid(tmp_path, m)


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN"])
def test_json_infinity_and_nan_are_invalid_not_internal_errors(proofs, tmp_path, value):
    text = proofs["farkas"]["certificate.json"]
    body = json.loads(text)
    first = body["multipliers"][0]
    hostile = text.replace(json.dumps(first), value, 1)
    assert value in hostile
    invalid(tmp_path, proofs["farkas"], **{"certificate.json": hostile})
    w = json.loads(proofs["weights"]["certificate.json"])["layers"][0]["W"][0][0]
    text = proofs["weights"]["certificate.json"]
    invalid(tmp_path, proofs["weights"], **{"certificate.json": text.replace(json.dumps(w), value, 1)})


def test_a_float_literal_past_the_float_range_is_invalid(proofs, tmp_path):
    text = proofs["farkas"]["certificate.json"]
    first = json.loads(text)["multipliers"][0]
    invalid(tmp_path, proofs["farkas"], **{"certificate.json": text.replace(json.dumps(first), "1e999", 1)})


def test_deep_nesting_is_bad_input_not_a_crash(proofs, tmp_path, capsys):
    path = write(tmp_path, {"certificate.json": "[" * 200_000 + "]" * 200_000})
    with pytest.raises(InputError, match="not an ftprop proof file"):
        check(path, *XOR)
    assert cli.main(["check", path, "--dataset", "xor"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an ftprop proof file" in err[0]


def test_an_unknown_member_is_never_unpacked_and_is_reported(proofs, tmp_path, monkeypatch):
    path = write(tmp_path, proofs["farkas"], **{"padding.bin": "\0" * (50 << 20)})
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *a, **k):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    verdict = check(path, *XOR)
    assert verdict.valid and verdict.stats["ignored_members"] == ["padding.bin"]
    assert "padding.bin" not in opened


def test_a_member_over_its_cap_is_refused(proofs, tmp_path, monkeypatch):
    import ftprop.checker as checker

    monkeypatch.setitem(checker.MEMBER_LIMITS, "certificate.json", 100)
    with pytest.raises(InputError, match="more than 100"):
        check(write(tmp_path, proofs["farkas"]), *XOR)


@pytest.mark.parametrize("field,value", [("unit", True), ("examples", [True, 1, 2, 3])])
def test_true_is_not_an_integer(proofs, tmp_path, field, value):
    m = edited(proofs["farkas"], lambda b: b.__setitem__(field, value))
    assert "not an integer" in invalid(tmp_path, m)


def test_true_is_not_a_hidden_width(proofs, tmp_path):
    m = edited(proofs["weights"], lambda b: b["architecture"].__setitem__("hidden", [True, True][:1] * 2))
    assert "not an integer" in invalid(tmp_path, m)


def test_true_is_not_a_multiplier(proofs, tmp_path):
    m = edited(proofs["farkas"], lambda b: b["multipliers"].__setitem__(0, True))
    assert "not a number" in invalid(tmp_path, m)


def test_a_huge_width_is_refused_before_anything_is_built(proofs, tmp_path):
    m = edited(proofs["drup"], lambda b: b["architecture"].__setitem__("hidden", [10**12]))
    invalid(tmp_path, m)


def _clause_lines(cnf: str) -> list[int]:
    return [k for k, line in enumerate(cnf.splitlines()) if line and not line.startswith(("c", "p"))]


def test_minus_zero_is_not_a_literal(proofs, tmp_path):
    lines = proofs["drup"]["master.cnf"].splitlines()
    k = _clause_lines(proofs["drup"]["master.cnf"])[0]
    lines[k] = "-0 " + lines[k]
    assert "not a clause line" in invalid(tmp_path, proofs["drup"], **{"master.cnf": "\n".join(lines) + "\n"})


def test_a_lemma_literal_beyond_the_variables_is_refused(proofs, tmp_path):
    # drup truncates literals above 2^32: 2^32 + 1 would read as variable 1
    steps = proofs["drup"]["refutation.lrat"].splitlines()
    first = steps[0].split()
    hostile = " ".join([first[0], str(2**32 + 1), *first[1:]])
    text = "\n".join([hostile, *steps[1:]]) + "\n"
    assert "not a variable" in invalid(tmp_path, proofs["drup"], **{"refutation.lrat": text})


def test_a_header_claiming_a_trillion_variables_is_refused_cheaply(proofs, tmp_path):
    cnf = proofs["drup"]["master.cnf"]
    hostile = "\n".join(f"p cnf 999999999999 {line.split()[3]}" if line.startswith("p ") else line
                        for line in cnf.splitlines()) + "\n"
    invalid(tmp_path, proofs["drup"], **{"master.cnf": hostile})


def test_a_string_that_is_no_rational_is_invalid(proofs, tmp_path):
    for value in ("1/0", "0x10", "1_000", "one", "", "1/2/3"):
        m = edited(proofs["farkas"], lambda b: b["multipliers"].__setitem__(0, value))
        invalid(tmp_path, m)


def test_the_genuine_files_stay_valid_with_the_caps(proofs, tmp_path):
    for members in proofs.values():
        assert check(write(tmp_path, members), *XOR).valid
