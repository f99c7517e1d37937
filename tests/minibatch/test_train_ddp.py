"""DistributedDataParallel on CPU: two gloo processes train one epoch, agree on the weights, and
draw their own augmentations."""

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
    from minibatch.data import ImageTensors, TensorData
    from minibatch.models import build_model
    from minibatch.trainer import fit, seed_everything

    class Recording(ImageTensors):
        """Every image is the same, so what comes out differs only by the random crop and flip."""

        seen: list = []

        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            self.seen.append(x.sum().item() + 1000 * x[0, 0, 0].item())
            return x, y

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/rendezvous", rank=rank, world_size=world_size)
    try:
        gen = torch.Generator().manual_seed(0)
        image = torch.randint(0, 256, (1, 3, 6, 6), generator=gen, dtype=torch.uint8)
        y = torch.arange(96) % 2
        train = Recording(image.expand(96, 3, 6, 6), y, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), augment=True)
        test = TensorData(torch.randn(40, 3, 6, 6, generator=gen), y[:40])
        cfg = TrainConfig(dataset="toy", model="mlp", epochs=1, batch_size=16, lr=1e-2, seed=3)  # one seed
        seed_everything(100 + rank)  # different initial weights: DDP must broadcast rank 0's
        model = build_model("mlp", input_shape=(3, 6, 6), num_classes=2, hidden=(8,))
        result = fit(model, train, test, cfg, out_dir=f"{tmp}/run", log=None)
        torch.save(model.state_dict(), f"{tmp}/weights{rank}.pt")
        with open(f"{tmp}/result{rank}.json", "w") as fh:
            json.dump({"test_acc": result["test_acc"], "world_size": result["world_size"],
                       "augmented": Recording.seen}, fh)
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
    aug0, aug1 = r0.pop("augmented"), r1.pop("augmented")
    assert r0 == r1 and r0["world_size"] == 2  # test accuracy reduced over both shards
    # one seed, two ranks: each rank draws its own crops and flips (issue 13), and they vary
    assert len(aug0) == len(aug1) == 48 and len(set(aug0)) > 1
    assert aug0 != aug1
    # rank 0 alone wrote the run directory
    rows = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1 and os.path.exists(tmp_path / "run" / "checkpoint.pt")
