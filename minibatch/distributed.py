"""Multi-process training: ``torchrun`` environment, process group and small collectives.

``torchrun --nproc-per-node N -m ftprop.cli train ...`` starts N processes and sets ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE``; :func:`init_from_env` joins them into one process group
(NCCL on CUDA, gloo on CPU). The trainer asks :func:`world` whether it runs distributed; rank 0
alone prints, writes metrics and checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0  # global rank of this process
    local_rank: int = 0  # rank on this machine (picks the GPU)
    size: int = 1  # number of processes

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def world() -> World:
    """The current process group, or a single process when none is initialised."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), int(os.environ.get("LOCAL_RANK", dist.get_rank())), dist.get_world_size())
    return World()


def init_from_env(device: str = "auto") -> World:
    """Join the process group that ``torchrun`` describes in the environment (no-op without one).

    The backend is NCCL when this process will train on CUDA, gloo otherwise.
    """
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1 or (dist.is_available() and dist.is_initialized()):
        return world()
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return world()


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum ``values`` over all processes (returns the input unchanged when not distributed)."""
    if world().distributed:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def barrier() -> None:
    if world().distributed:
        dist.barrier()


def resolve_device(name: str, current: World | None = None) -> torch.device:
    """The device that ``name`` (auto, cpu, cuda, cuda:1) means for this process (its local rank's GPU)."""
    current = current or world()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but torch sees no CUDA device")
        if device.index is None:
            device = torch.device("cuda", current.local_rank % torch.cuda.device_count())
    return device
