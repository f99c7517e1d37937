"""benchmarks/minibatch_rules.py's image setting: the paper's 4-layer convnet on MNIST images."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("minibatch_rules", ROOT / "benchmarks" / "minibatch_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny_mnist(folder, n_train=200, n_test=50):
    rng = np.random.default_rng(0)
    y, yt = np.arange(n_train) % 10, np.arange(n_test) % 10
    x = lambda labels: (rng.integers(0, 40, (len(labels), 28, 28)) + 20 * labels[:, None, None]).astype(np.uint8)  # noqa: E731
    np.savez(folder / "mnist.npz", x_train=x(y), y_train=y, x_test=x(yt), y_test=yt)


def test_mnist_arrives_as_images_for_a_convnet(tmp_path):
    from ftprop.studies.training import load_data
    from minibatch.config import TrainConfig

    _tiny_mnist(tmp_path)
    bundle = load_data(TrainConfig(dataset="mnist", model="convnet4", data_options={"data_root": str(tmp_path)}))
    assert bundle.input_shape == (1, 28, 28) and bundle.num_classes == 10
    X, _ = bundle.train[0]
    assert tuple(X.shape) == (1, 28, 28)
    pixels = torch.stack([bundle.train[i][0] for i in range(len(bundle.train))])
    assert abs(float(pixels.mean())) < 1e-4 and abs(float(pixels.std()) - 1) < 1e-2  # one mean / sd over pixels


def test_the_image_setting_runs_and_records_its_row(tmp_path):
    rules = _script()
    _tiny_mnist(tmp_path)
    row = rules.run_one("mnist-convnet4", "qrelu-soft-hinge", 0, True, 1, str(tmp_path))
    assert row["model"] == "convnet4" and row["activation"] == "qrelu" and row["rule"] == "soft-hinge"
    assert row["config"]["data_options"]["data_root"] == str(tmp_path) and row["epochs"] == 1
    assert 0.0 <= row["best_test_acc"] <= 1.0


def test_the_image_setting_needs_a_data_root(capsys):
    with pytest.raises(SystemExit) as exc:
        _script().main(["--settings", "mnist-convnet4", "--out", "unused"])
    assert exc.value.code == 2 and "needs --data-root" in capsys.readouterr().err
