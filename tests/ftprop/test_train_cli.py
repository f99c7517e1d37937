"""``ftprop train``: JSON output, run directory, resume, and one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from ftprop.cli import main  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def call(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse errors
        return exc.code


def test_json_output_and_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "moons", "--samples", "200", "--hidden", "16", "--epochs", "2",
            "--batch-size", "32", "--lr", "1e-2", "--seed", "3", "--out", str(out), "--json"]
    assert call(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # exactly one JSON object on stdout
    for key in ("train_acc", "test_acc", "best_test_acc", "epochs", "wall_time_s", "seed", "config", "versions", "device"):
        assert key in result, key
    assert result["epochs"] == 2 and result["seed"] == 3 and result["config"]["model"] == "mlp"
    assert result["config"]["model_options"] == {"hidden": [16]} and result["config"]["dataset"] == "moons"
    assert "configuration:" in captured.err and "epoch 2/2" in captured.err  # logs on stderr with --json
    assert {p.name for p in out.iterdir()} >= {"config.json", "metrics.jsonl", "checkpoint.pt", "result.json"}

    # resume and extend to 3 epochs: the saved configuration is reused, only --epochs changes
    assert call(["train", "--resume", str(out), "--epochs", "3", "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["epochs"] == 3 and resumed["epochs_run"] == 3 and resumed["config"]["seed"] == 3
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3


def test_plain_output_prints_config_epochs_and_summary(capsys):
    assert call(["train", "--dataset", "teacher", "--samples", "60", "--epochs", "1", "--hidden", "8"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("configuration:\n") and "epoch 1/1" in text
    assert "teacher mlp sign/soft-hinge: best test" in text.splitlines()[-1]


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "--epochs: expected a positive integer, got -1"),
    (["--epochs", "0"], "--epochs: expected a positive integer, got 0"),
    (["--dataset", "nope"], "unknown data set 'nope'; valid: "),
    (["--dataset", "cifar10"], "--dataset cifar10 needs --data-root"),
    (["--dataset", "cifar10", "--data-root", "{tmp}"], "lacks data_batch_1, data_batch_2"),
    (["--dataset", "imagenet", "--data-root", "{tmp}"], "lacks train/ and val/"),
    # choices come from minibatch's registries
    (["--model", "nope", "--dataset", "moons"], "--model: invalid choice: 'nope' (choose from 'mlp', 'conv1d'"),
    (["--activation", "tanh", "--dataset", "moons"], "invalid choice: 'tanh' (choose from 'sign', 'step'"),
    (["--rule", "magic", "--dataset", "moons"], "invalid choice: 'magic' (choose from 'ste', 'sste'"),
    (["--preset", "convnet5"], "invalid choice: 'convnet5' (choose from 'convnet4-sign-sste'"),
    (["--preset", "convnet4-sign-sste"], "--preset convnet4-sign-sste needs --data-root"),
    (["--preset", "convnet4-sign-sste", "--resume", "{tmp}"], "--preset starts a new run"),
    (["--schedule", "step"], "--schedule step needs --milestones"),
    (["--milestones", "5,3"], "--milestones must be increasing positive epochs"),
    (["--val-split", "1.5"], "--val-split: expected a fraction in [0, 1), got 1.5"),
    (["--lr", "0"], "--lr: expected a positive number, got 0"),
    (["--dataset", "moons", "--samples", "10", "--val-split", "0.95"], "val_split 0.95 leaves no training examples"),
    (["--resume", "{tmp}/absent"], "no such directory"),
    (["--resume", "{tmp}"], "no config.json"),
    (["--dataset", "moons", "--model-option", "colour=3", "--epochs", "1"], "model 'mlp': "),
    (["--dataset", "moons", "--device", "cuda:7"], "device"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    argv = ["train"] + [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--device" in argv and torch.cuda.is_available():
        pytest.skip("a CUDA machine may have that device")
    assert call(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == ""
    assert len(lines) == 1 and message in lines[0], captured.err


def test_resume_refuses_to_change_the_network(tmp_path, capsys):
    out = tmp_path / "run"
    assert call(["train", "--dataset", "moons", "--epochs", "1", "--hidden", "4", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    assert call(["train", "--resume", str(out), "--activation", "relu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot change activation" in err and len(err.splitlines()) == 1


def _rows(path):
    return [{k: v for k, v in json.loads(ln).items() if k != "epoch_time_s"} for ln in path.read_text().splitlines()]


def test_resume_with_more_epochs_continues_on_the_new_schedule(tmp_path, capsys):
    # issue 13's reproduction: the extended run's epoch 2 ran at lr 0 (the finished schedule's end)
    common = ["train", "--dataset", "digits", "--model", "mlp", "--hidden", "32,32", "--batch-norm",
              "--batch-size", "64", "--seed", "3", "--json"]
    assert call(common + ["--epochs", "1", "--out", str(tmp_path / "B")]) == 0
    assert call(["train", "--resume", str(tmp_path / "B"), "--epochs", "2", "--json"]) == 0
    assert call(common + ["--epochs", "2", "--out", str(tmp_path / "whole")]) == 0
    capsys.readouterr()
    extended, whole = _rows(tmp_path / "B" / "metrics.jsonl"), _rows(tmp_path / "whole" / "metrics.jsonl")
    assert [r["lr"] for r in extended] == [1e-2, 5e-3]
    assert extended == whole


def test_evaluate_reports_the_saved_runs_test_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    assert call(["train", "--dataset", "moons", "--samples", "200", "--hidden", "16", "--epochs", "3",
                 "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (out / "best.pt").is_file()
    assert call(["evaluate", str(out), "--json"]) == 0
    best = json.loads(capsys.readouterr().out)
    assert best["top1"] == result["best_test_acc"] and best["weights"] == "best.pt"
    assert best["epoch"] == result["best_model_epoch"] and best["top5"] is None  # two classes: no top-5
    assert call(["evaluate", str(out), "--weights", "last"]) == 0
    line = capsys.readouterr().out.strip()
    assert f"top-1 {100 * result['test_acc']:.2f}%" in line and "checkpoint.pt, epoch 3" in line
    assert call(["evaluate", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no such directory" in err


def test_preset_runs_from_the_command_line_on_cifar_files(tmp_path, capsys):
    from fakes import write_fake_cifar

    write_fake_cifar(tmp_path)
    out = tmp_path / "run"
    assert call(["train", "--preset", "convnet4-qrelu-ftp-sh", "--data-root", str(tmp_path), "--epochs", "1",
                 "--batch-size", "16", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    config = result["config"]
    assert config["preset"] == "convnet4-qrelu-ftp-sh" and config["lr"] == 2.5e-4 and config["epochs"] == 1
    assert config["weight_decay"] == 5e-4 and config["milestones"] == [200, 250] and config["augment"] is True
    assert config["model_options"] == {"batch_norm": False, "levels": 3, "quantizer": "ceil"}
    assert result["epochs_run"] == 1 and result["preset"] == "convnet4-qrelu-ftp-sh"
    assert call(["evaluate", str(out), "--data-root", str(tmp_path), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["examples"] == 6 and scores["top5"] >= scores["top1"]
    # augmentation is on by default for image data (the paper's code) and --no-augment turns it off
    assert call(["train", "--dataset", "cifar10", "--data-root", str(tmp_path), "--epochs", "1", "--json",
                 "--no-augment"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["augment"] is False
