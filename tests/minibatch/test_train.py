"""minibatch.trainer: learning, exact resume, checkpoints, metrics and diagnostics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from minibatch.config import TrainConfig  # noqa: E402
from minibatch.data import TensorData  # noqa: E402
from minibatch.models import build_model  # noqa: E402
from minibatch.trainer import (  # noqa: E402
    evaluate, fit, hard_threshold_modules, load_checkpoint, lr_factor, seed_everything, stream_seed,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def moons(n=400, seed=0):
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=0.1, random_state=seed)
    X = torch.tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    y = torch.tensor(y)
    cut = n * 3 // 4
    return TensorData(X[:cut], y[:cut]), TensorData(X[cut:], y[cut:])


def mlp(config: TrainConfig, hidden=(32, 32)):
    seed_everything(config.seed)
    return build_model("mlp", input_shape=(2,), num_classes=2, activation=config.activation,
                       rule=config.rule, weighted=config.weighted, hidden=hidden)


def config(**kw) -> TrainConfig:
    base = dict(dataset="moons", model="mlp", epochs=3, batch_size=32, lr=1e-2, seed=0)
    return TrainConfig(**{**base, **kw})


def test_sign_mlp_learns_moons_with_soft_hinge():
    cfg = config(epochs=8)
    train, test = moons()
    result = fit(mlp(cfg), train, test, cfg, log=None)
    assert result["train_acc"] >= 0.9 and result["best_test_acc"] >= 0.9
    assert result["epochs"] == 8 and result["seed"] == 0 and result["device"].startswith("cpu")
    assert {"torch", "numpy", "python"} <= set(result["versions"]) and result["wall_time_s"] > 0


class Killed(Exception):
    pass


def _strip_times(rows):
    return [{k: v for k, v in r.items() if k != "epoch_time_s"} for r in rows]


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_killed_and_resumed_run_matches_an_uninterrupted_one(tmp_path):
    cfg = config(epochs=3)
    train, test = moons()
    whole = mlp(cfg)
    full = fit(whole, train, test, cfg, out_dir=tmp_path / "full", log=None)

    def kill_after_first_epoch(row):
        if row["epoch"] == 1:
            raise Killed

    with pytest.raises(Killed):
        fit(mlp(cfg), train, test, cfg, out_dir=tmp_path / "cut", log=None, on_epoch_end=kill_after_first_epoch)
    assert load_checkpoint(tmp_path / "cut")["epoch"] == 1
    # A fresh process would rebuild the model from the seed and then load the checkpoint.
    torch.manual_seed(12345)
    np.random.seed(12345)
    resumed_model = mlp(cfg)
    resumed = fit(resumed_model, train, test, cfg, out_dir=tmp_path / "cut", resume=True, log=None)

    for a, b in zip(whole.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)
    assert _strip_times(_rows(tmp_path / "full" / "metrics.jsonl")) == _strip_times(_rows(tmp_path / "cut" / "metrics.jsonl"))
    for key in ("train_acc", "train_loss", "test_acc", "best_test_acc", "best_epoch"):
        assert full[key] == resumed[key], key


def test_checkpoint_holds_everything_a_resume_needs(tmp_path):
    cfg = config(epochs=2, schedule="step", milestones=(1,), gamma=0.5)
    train, test = moons(n=120)
    fit(mlp(cfg), train, test, cfg, out_dir=tmp_path, log=None)
    state = load_checkpoint(tmp_path)
    # no scheduler or RNG states: the rate and every random stream follow from (config, epoch)
    assert {"model", "optimizer", "config", "epoch", "best", "elapsed_s"} <= set(state)
    assert state["epoch"] == 2 and TrainConfig.from_dict(state["config"]) == cfg
    assert state["best"]["test_acc"] is not None
    assert json.loads((tmp_path / "config.json").read_text()) == cfg.to_dict()
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["epochs_run"] == 2
    rows = _rows(tmp_path / "metrics.jsonl")
    assert [r["lr"] for r in rows] == [1e-2, 5e-3]  # halved after the milestone


def test_extending_a_finished_run_continues_on_the_new_schedule(tmp_path):
    # issue 13: a finished cosine run ends at lr 0; resumed with more epochs, its next epoch must
    # run at the new schedule's rate, which makes it the same run as an uninterrupted longer one
    train, test = moons(n=200)
    long = config(epochs=3)
    fit(mlp(long), train, test, long, out_dir=tmp_path / "long", log=None)
    short = config(epochs=1)
    fit(mlp(short), train, test, short, out_dir=tmp_path / "ext", log=None)
    model = mlp(long)
    fit(model, train, test, long, out_dir=tmp_path / "ext", resume=True, log=None)
    rows = _strip_times(_rows(tmp_path / "ext" / "metrics.jsonl"))
    assert [r["lr"] for r in rows] == pytest.approx([1e-2, 7.5e-3, 2.5e-3])
    assert rows == _strip_times(_rows(tmp_path / "long" / "metrics.jsonl"))


def test_best_weights_are_kept_beside_the_last_checkpoint(tmp_path):
    cfg = config(epochs=4, lr=5e-2)
    train, test = moons(n=200)
    model = mlp(cfg)
    result = fit(model, train, test, cfg, out_dir=tmp_path, log=None)
    best = load_checkpoint(tmp_path, "best.pt")
    rows = _rows(tmp_path / "metrics.jsonl")
    best_row = max(rows, key=lambda r: r["test_acc"])  # first epoch with the best test accuracy
    assert best["selected_by"] == "test_acc" and best["epoch"] == best_row["epoch"] == result["best_model_epoch"]
    rebuilt = mlp(cfg)
    rebuilt.load_state_dict(best["model"])
    assert evaluate(rebuilt, test, device="cpu")["acc"] == best_row["test_acc"] == result["best_test_acc"]
    last = mlp(cfg)
    last.load_state_dict(load_checkpoint(tmp_path)["model"])
    assert evaluate(last, test, device="cpu")["acc"] == rows[-1]["test_acc"]


def test_each_rank_and_epoch_has_its_own_random_stream():
    seeds = {stream_seed(7, rank, epoch) for rank in range(4) for epoch in range(50)}
    assert len(seeds) == 200 and stream_seed(7, 1, 3) == stream_seed(7, 1, 3)
    assert all(0 <= s < 2**63 for s in seeds)


def test_diagnostics_name_layers_by_what_they_are():
    def names(model):
        return [name for name, _ in hard_threshold_modules(model)]

    convnet4 = build_model("convnet4", input_shape=(3, 32, 32), num_classes=10)
    assert names(convnet4) == ["conv1.act", "conv2.act", "fc1.act"]
    conv1d = build_model("conv1d", input_shape=(40,), num_classes=10)
    assert names(conv1d) == ["features.conv1.act", "features.conv2.act", "features.conv3.act"]
    resnet = build_model("resnet18", input_shape=(3, 32, 32), num_classes=10)
    assert names(resnet)[:3] == ["stem.conv1.act", "stages.0.act1", "stages.0.act2"]
    assert len(set(names(resnet))) == len(names(resnet)) == 17


def test_metrics_rows_carry_layer_diagnostics(tmp_path):
    cfg = config(epochs=2, val_split=0.25)
    train, test = moons(n=200)
    model = mlp(cfg)
    fit(model, train, test, cfg, out_dir=tmp_path, log=None)
    rows = _rows(tmp_path / "metrics.jsonl")
    names = [name for name, _ in hard_threshold_modules(model)]
    assert names == ["fc1.act", "fc2.act"]
    for row in rows:
        assert {"train_loss", "train_acc", "val_acc", "val_loss", "test_acc", "best_test_acc", "lr"} <= set(row)
        assert set(row["diagnostics"]) == set(names)
        for stats in row["diagnostics"].values():
            assert set(stats) >= {"disagree", "zero_target", "saturated"}
            assert all(0.0 <= stats[k] <= 1.0 for k in ("disagree", "zero_target", "saturated"))
    # diagnostics are off outside training
    assert all(not m.track_stats for _, m in hard_threshold_modules(model))


def test_relu_network_has_no_diagnostics_and_top5_appears_with_ten_classes(tmp_path):
    seed_everything(0)
    X = torch.randn(120, 5)
    y = torch.arange(120) % 10
    cfg = config(epochs=1, activation="relu")
    model = build_model("mlp", input_shape=(5,), num_classes=10, activation="relu", hidden=(8,))
    result = fit(model, TensorData(X, y), TensorData(X, y), cfg, out_dir=tmp_path, log=None)
    row = _rows(tmp_path / "metrics.jsonl")[0]
    assert "diagnostics" not in row and "test_top5" in row and result["test_top5"] >= result["test_acc"]


def test_schedules():
    cos = TrainConfig(epochs=4, schedule="cosine")
    assert [round(lr_factor(cos, e), 6) for e in range(4)] == [1.0, round(0.5 + 0.5 * math.cos(math.pi / 4), 6), 0.5,
                                                             round(0.5 + 0.5 * math.cos(3 * math.pi / 4), 6)]
    step = TrainConfig(epochs=300, schedule="step", milestones=(200, 250))
    assert [lr_factor(step, e) for e in (0, 199, 200, 249, 250)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    assert lr_factor(TrainConfig(schedule="none"), 29) == 1.0


@pytest.mark.parametrize("field, value, message", [
    ("epochs", 0, "epochs must be a positive integer"),
    ("batch_size", -1, "batch_size must be a positive integer"),
    ("lr", 0.0, "lr must be a positive number"),
    ("optimizer", "rmsprop", "optimizer must be one of adam, sgd"),
    ("val_split", 1.0, r"val_split must be in \[0, 1\)"),
    ("milestones", (5, 3), "milestones must be increasing"),
])
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value})


def test_config_round_trips_through_json():
    cfg = TrainConfig(model_options={"hidden": [16]}, milestones=(2, 3), schedule="step")
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown configuration field"):
        TrainConfig.from_dict({"learning_rate": 1})
    assert "lr" in cfg.describe() and "= 0.01" in cfg.describe()
