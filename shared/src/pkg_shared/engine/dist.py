"""``torchrun`` data-parallel helpers: gloo on CPU, nccl on CUDA, rank-0-only side effects."""

from __future__ import annotations

import dataclasses
import os

import torch
import torch.distributed as tdist
from torch import nn


@dataclasses.dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def launch_rank() -> int:
    """This process's rank as torchrun set it (0 when not launched by torchrun), readable before the
    process group exists: CLIs use it to let one rank write logs and print the summary, since
    torchrun merges every rank's stdout and two prints can run together on one line."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0
    return int(os.environ.get("RANK", "0"))


def init_from_env(device: torch.device | None = None) -> DistInfo:
    """Initialise the process group when launched by torchrun (WORLD_SIZE > 1); no-op otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and (device is None or device.type == "cuda")
    if not tdist.is_initialized():
        if use_cuda:
            torch.cuda.set_device(local_rank)
        tdist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistInfo(rank=rank, local_rank=local_rank, world_size=world)


def device_for(info: DistInfo, requested: torch.device) -> torch.device:
    if requested.type == "cuda" and info.enabled:
        return torch.device("cuda", info.local_rank)
    return requested


def wrap_model(model: nn.Module, info: DistInfo, device: torch.device) -> nn.Module:
    if not info.enabled:
        return model
    if device.type == "cuda":
        return nn.parallel.DistributedDataParallel(model, device_ids=[device.index])
    return nn.parallel.DistributedDataParallel(model)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def all_reduce_mean(value: torch.Tensor, info: DistInfo) -> torch.Tensor:
    if not info.enabled:
        return value
    value = value.clone()
    tdist.all_reduce(value, op=tdist.ReduceOp.SUM)
    return value / info.world_size


def barrier(info: DistInfo) -> None:
    if info.enabled:
        tdist.barrier()


def cleanup(info: DistInfo) -> None:
    """End of a normal run: wait for every rank (rank 0 may still be writing checkpoints), then tear
    the group down. A rank that leaves while a peer still talks to it can make gloo abort the peer
    (``Connection closed by peer`` thrown on gloo's I/O thread)."""
    if info.enabled and tdist.is_initialized():
        tdist.barrier()
        tdist.destroy_process_group()
