"""MNIST / Fashion-MNIST from local files: every format written here, tiny, and read back the same."""

import gzip
import pickle

import numpy as np
import pytest

from ftprop.cli import main
from ftprop.data import DataOptions, load_dataset
from ftprop.errors import InputError
from ftprop.data.mnist import load_mnist_arrays


def _images(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    X[:, :2] = 0  # a dead border, as in MNIST
    return X, (np.arange(n) % 10).astype(np.uint8)


TRAIN, TEST = _images(12, 0), _images(5, 1)


def _idx_bytes(a: np.ndarray) -> bytes:
    """Reference writer of the idx layout: 0, 0, 0x08 (uint8), ndim, big-endian sizes, data."""
    return bytes([0, 0, 8, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes() + a.astype(np.uint8).tobytes()


def write_idx(folder, *, gz=False, sep="-"):
    folder.mkdir(parents=True, exist_ok=True)
    names = {f"train-images{sep}idx3-ubyte": TRAIN[0], f"train-labels{sep}idx1-ubyte": TRAIN[1],
             f"t10k-images{sep}idx3-ubyte": TEST[0], f"t10k-labels{sep}idx1-ubyte": TEST[1]}
    for name, a in names.items():
        if gz:
            with gzip.open(folder / (name + ".gz"), "wb") as fh:
                fh.write(_idx_bytes(a))
        else:
            (folder / name).write_bytes(_idx_bytes(a))


def write_npz(path):
    np.savez(path, x_train=TRAIN[0], y_train=TRAIN[1].astype(np.int64), x_test=TEST[0], y_test=TEST[1])


def write_pickle(path):
    # The classic split: float32 pixel / 256, train + validation = the training images.
    f = lambda X: (X.reshape(len(X), -1) / 256.0).astype(np.float32)  # noqa: E731
    splits = ((f(TRAIN[0][:8]), TRAIN[1][:8].astype(np.int64)), (f(TRAIN[0][8:]), TRAIN[1][8:].astype(np.int64)),
              (f(TEST[0]), TEST[1].astype(np.int64)))
    with gzip.open(path, "wb") as fh:
        pickle.dump(splits, fh, protocol=2)


def _same(a):
    np.testing.assert_array_equal(a["X"], TRAIN[0])
    np.testing.assert_array_equal(a["y"], TRAIN[1])
    np.testing.assert_array_equal(a["X_test"], TEST[0])
    np.testing.assert_array_equal(a["y_test"], TEST[1])
    assert a["X"].dtype == np.uint8 and a["y"].dtype == np.int64


@pytest.mark.parametrize("gz, sep", [(False, "-"), (True, "-"), (True, ".")])
def test_idx(tmp_path, gz, sep):
    write_idx(tmp_path, gz=gz, sep=sep)
    a = load_mnist_arrays(tmp_path, "mnist")
    _same(a)
    assert a["format"] == "idx" and len(a["files"]) == 4


def test_idx_in_torchvision_layout_for_fashion(tmp_path):
    write_idx(tmp_path / "FashionMNIST" / "raw", gz=True)
    _same(load_mnist_arrays(tmp_path, "fashion-mnist"))
    with pytest.raises(InputError, match="no mnist files"):  # fashion's folder is not MNIST's
        load_mnist_arrays(tmp_path, "mnist")


def test_npz_and_pickle_give_the_same_arrays(tmp_path):
    write_npz(tmp_path / "mnist.npz")
    _same(load_mnist_arrays(tmp_path, "mnist"))
    other = tmp_path / "p"
    other.mkdir()
    write_pickle(other / "mnist.pkl.gz")
    a = load_mnist_arrays(other, "mnist")
    _same(a)
    assert a["format"] == "pickle"
    _same(load_mnist_arrays(other / "mnist.pkl.gz", "mnist"))  # --data-root may name the file itself


def test_dataset_scaled_and_flat(tmp_path):
    write_idx(tmp_path)
    ds = load_dataset("mnist", DataOptions(data_root=str(tmp_path), per_class=1))
    assert ds.X.shape == (10, 784) and ds.X_test.shape == (5, 784)  # per-class keeps the real test set
    assert ds.X.min() >= 0 and ds.X.max() <= 1 and ds.X.dtype == np.float32
    full = load_dataset("mnist", DataOptions(data_root=str(tmp_path)))
    np.testing.assert_allclose(full.X[3] * 255, TRAIN[0][3].reshape(-1), atol=1e-4)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(InputError) as err:
        load_mnist_arrays(tmp_path, "mnist")
    msg = str(err.value)
    assert "train-images-idx3-ubyte" in msg and "mnist.npz" in msg and "mnist.pkl.gz" in msg
    with pytest.raises(InputError, match="data root"):
        load_mnist_arrays(None, "mnist")


def test_malformed_files(tmp_path):
    write_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)  # float magic
    with pytest.raises(InputError, match="not an idx file"):
        load_mnist_arrays(tmp_path, "mnist")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(TEST[1][:3]))  # 3 labels, 5 images
    with pytest.raises(InputError, match="5 test images"):
        load_mnist_arrays(tmp_path, "mnist")
    bad = tmp_path / "k"
    bad.mkdir()
    np.savez(bad / "mnist.npz", x_train=TRAIN[0])
    with pytest.raises(InputError, match="missing y_train"):
        load_mnist_arrays(bad, "mnist")


def test_cli_one_line_error(tmp_path, capsys):
    code = main(["solve", "--dataset", "mnist", "--data-root", str(tmp_path), "--hidden", "none"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: no mnist files under") and err.count("\n") == 1


def test_cli_solves_a_tiny_mnist(tmp_path, capsys):
    write_npz(tmp_path / "mnist.npz")
    code = main(["solve", "--dataset", "mnist", "--data-root", str(tmp_path), "--classes", "0,1",
                 "--hidden", "none", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and '"status": "feasible"' in out.replace("'", '"')
