"""Scoring a network: loss, top-1 and top-5 accuracy over a data set, summed over all ranks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from . import distributed as D


def eval_loader(ds: Dataset, batch_size: int, world: D.World, loader_kw: dict) -> DataLoader:
    """A loader over ``ds``; in a distributed run each rank scores a disjoint slice."""
    if world.distributed:
        ds = Subset(ds, list(range(world.rank, len(ds), world.size)))
    return DataLoader(ds, batch_size=batch_size, shuffle=False, **loader_kw)


@torch.no_grad()
def score(net: nn.Module, loader: DataLoader, device: torch.device, amp_dtype=None) -> dict:
    """``loss`` (mean cross-entropy), ``acc`` (top-1) and, with 10 or more classes, ``top5``."""
    net.eval()
    totals = torch.zeros(4, device=device, dtype=torch.float64)  # loss sum, top-1, top-5, examples
    classes = 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            logits = net(x).float()
        classes = logits.shape[1]
        top = logits.topk(min(5, classes), dim=1).indices
        totals += torch.stack([F.cross_entropy(logits, y, reduction="sum").double(),
                               (top[:, 0] == y).sum().double(), (top == y[:, None]).any(1).sum().double(),
                               torch.tensor(float(len(y)), device=device, dtype=torch.float64)])
    loss, top1, top5, count = D.all_reduce_sum(totals).tolist()
    out = {"loss": loss / max(count, 1), "acc": top1 / max(count, 1)}
    if classes >= 10:
        out["top5"] = top5 / max(count, 1)
    return out


def evaluate(model: nn.Module, dataset: Dataset, *, device: str = "auto", batch_size: int = 512) -> dict:
    """:func:`score` of ``model`` on ``dataset`` in this process (moves ``model`` to ``device``)."""
    dev = D.resolve_device(device)
    model.to(dev)
    return score(model, DataLoader(dataset, batch_size=batch_size, shuffle=False), dev)
