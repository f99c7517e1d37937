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
    (["--model", "nope", "--dataset", "moons"], "unknown model 'nope'; valid: "),
    (["--activation", "tanh", "--dataset", "moons"], "unknown activation 'tanh'; valid: sign, step"),
    (["--rule", "magic", "--dataset", "moons"], "unknown rule 'magic'; valid: "),
    (["--schedule", "step"], "--schedule step needs --milestones"),
    (["--milestones", "5,3"], "--milestones must be increasing positive epochs"),
    (["--val-split", "1.5"], "--val-split: expected a fraction in [0, 1), got 1.5"),
    (["--lr", "0"], "--lr: expected a positive number, got 0"),
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
