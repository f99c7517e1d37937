"""Data read right and result files written safely (the audit's reproducers, issue 17)."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

from ftprop import cli
from ftprop.checker import check, fingerprint, merge
from ftprop.data import load_file
from ftprop.errors import InputError

XOR_ROWS = "0,0,0\n0,1,1\n1,0,1\n1,1,0\n"


def test_a_byte_order_mark_does_not_drop_the_first_row(tmp_path, cli_run):
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xef\xbb\xbf" + XOR_ROWS.encode())
    ds = load_file(path)
    assert len(ds.y) == 4 and ds.meta["header"] is None
    proof = tmp_path / "p"
    code, out, _ = cli_run("solve", "--data", path, "--hidden", "none", "--proof", proof, "--check")
    assert code == 0 and out.startswith("status: infeasible") and "4 examples" in out
    code, out, _ = cli_run("check", proof, "--data", path)
    assert code == 0 and "data: b.csv, 4 examples" in out


def test_a_first_row_with_a_typo_is_an_error_not_a_header(tmp_path, cli_run):
    path = tmp_path / "m.csv"
    path.write_text("\u22121,0,1\n0,1,1\n1,0,0\n", encoding="utf-8")  # U+2212 MINUS SIGN
    with pytest.raises(InputError, match=r"row 1: '\u22121' is not a number"):
        load_file(path)
    code, out, err = cli_run("solve", "--data", path, "--hidden", "none")
    assert code == 2 and out == "" and err.count("\n") == 1 and "row 1" in err


def test_a_header_is_named_in_the_summary(tmp_path, cli_run):
    path = tmp_path / "h.csv"
    path.write_text("x1,x2,label\n" + XOR_ROWS)
    ds = load_file(path)
    assert len(ds.y) == 4 and ds.meta["header"] == ["x1", "x2", "label"]
    code, out, _ = cli_run("solve", "--data", path, "--hidden", "2", "--json")
    record = json.loads(out)
    assert record["rows_read"] == 4 and record["header_skipped"] == ["x1", "x2", "label"]
    code, out, _ = cli_run("solve", "--data", path, "--hidden", "2")
    assert "data: h.csv (header row skipped: x1,x2,label), 4 examples" in out


@pytest.mark.parametrize("cell", ["1_0", "0x1", "\u0661"])  # float() would take the first and last
def test_only_plain_decimal_numbers_are_numbers(tmp_path, cell):
    path = tmp_path / "d.csv"
    path.write_text(f"0,0\n{cell},1\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2"):
        load_file(path)


def test_minus_zero_and_zero_fingerprint_alike(tmp_path, cli_run):
    neg, pos = tmp_path / "neg.csv", tmp_path / "pos.csv"
    neg.write_text("-0.0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    pos.write_text(XOR_ROWS)
    proof = tmp_path / "p"
    assert cli_run("solve", "--data", neg, "--hidden", "2", "--proof", proof)[0] == 0
    assert cli_run("check", proof, "--data", pos)[0] == 0
    X = np.array([[-0.0, 1.0]])
    assert fingerprint(*merge(X, [1])) == fingerprint(*merge(np.array([[0.0, 1.0]]), [1]))


def test_complex_npz_arrays_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, X=np.array([[1 + 2j], [0]]), y=np.array([0, 1]))
    with pytest.raises(InputError, match="complex"):
        load_file(path)


def test_inputs_near_the_float_range_neither_overflow_nor_warn(tmp_path, cli_run):
    path = tmp_path / "big.npz"
    np.savez(path, X=np.array([[1e308, -1e308], [-1.7e308, 1e308], [1e300, 1e308]]), y=np.array([0, 1, 0]))
    for backend in ("lazy", "cpsat", "fullbatch"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            code, out, err = cli_run("solve", "--data", path, "--hidden", "1", "--backend", backend,
                                 "--time-limit", "20")
        assert code in (0, 3) and "internal error" not in err and "Warning" not in err, (backend, err)


# --- output files ---------------------------------------------------------------------------


def test_save_into_a_directory_is_bad_input_before_any_work(tmp_path, cli_run):
    (tmp_path / "d").mkdir()
    for flag in ("--save", "--proof"):
        code, out, err = cli_run("solve", "--dataset", "xor", "--hidden", "2", flag, tmp_path / "d")
        assert code == 2 and out == "" and err.strip().splitlines() == [f"error: {flag} {tmp_path / 'd'}: is a directory"]


def test_save_follows_a_symlink_and_keeps_it(tmp_path, cli_run):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    assert cli_run("solve", "--dataset", "xor", "--hidden", "2", "--save", link)[0] == 0
    assert link.is_symlink() and json.loads(target.read_text())["status"] == "feasible"


def test_save_writes_into_a_fifo_without_replacing_it(tmp_path, cli_run):
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    assert cli_run("solve", "--dataset", "xor", "--hidden", "2", "--save", fifo)[0] == 0
    reader.join(30)
    assert json.loads(got[0])["status"] == "feasible"
    import stat

    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_writing_onto_a_device_writes_into_it(tmp_path):
    from combinatorial.files import write_bytes

    write_bytes(os.devnull, b"nothing")
    import stat

    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_proof_file_written_twice_keeps_its_mode(tmp_path):
    from combinatorial import solve

    path = tmp_path / "p.proof"
    solve(*_xor(), hidden=(2,), proof=str(path), workers=1)
    os.chmod(path, 0o640)
    solve(*_xor(), hidden=(2,), proof=str(path), workers=1)
    assert (os.stat(path).st_mode & 0o777) == 0o640 and check(path, *_xor()).valid


def _xor():
    return np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0])
