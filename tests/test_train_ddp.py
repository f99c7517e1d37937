"""DistributedDataParallel on CPU: two gloo processes train one epoch and agree on the weights."""

from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch built without torch.distributed")


def _worker(rank: int, world_size: int, tmp: str) -> None:
    import torch
    import torch.distributed as dist

    from minibatch.config import TrainConfig
    from minibatch.data import TensorData
    from minibatch.models import build_model
    from minibatch.trainer import fit, seed_everything

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/rendezvous", rank=rank, world_size=world_size)
    try:
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(96, 6, generator=gen)
        y = (X[:, 0] + X[:, 1] > 0).long()
        cfg = TrainConfig(dataset="toy", model="mlp", epochs=1, batch_size=16, lr=1e-2, seed=rank)  # seeds differ
        seed_everything(100 + rank)  # different initial weights: DDP must broadcast rank 0's
        model = build_model("mlp", input_shape=(6,), num_classes=2, hidden=(8,))
        result = fit(model, TensorData(X, y), TensorData(X[:40], y[:40]), cfg, out_dir=f"{tmp}/run", log=None)
        torch.save(model.state_dict(), f"{tmp}/weights{rank}.pt")
        with open(f"{tmp}/result{rank}.json", "w") as fh:
            json.dump({"test_acc": result["test_acc"], "world_size": result["world_size"]}, fh)
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    w0 = torch.load(tmp_path / "weights0.pt")
    w1 = torch.load(tmp_path / "weights1.pt")
    assert w0.keys() == w1.keys()
    for key in w0:
        assert torch.equal(w0[key], w1[key]), key
    r0, r1 = (json.loads((tmp_path / f"result{r}.json").read_text()) for r in (0, 1))
    assert r0 == r1 and r0["world_size"] == 2  # test accuracy reduced over both shards
    # rank 0 alone wrote the run directory
    rows = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1 and os.path.exists(tmp_path / "run" / "checkpoint.pt")
