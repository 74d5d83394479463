"""Mixed precision and synchronised BatchNorm: the two run-time switches of ``train.amp`` / ``train.sync_bn``.

Why here and not in the loop: both have device rules that must fail early with a one-line
message (fp16 autocast needs CUDA and a GradScaler; ``torch.nn.SyncBatchNorm`` only runs on CUDA
under a process group), and the tests check those rules without a GPU.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from pkg_shared.engine.dist import DistInfo
from pkg_shared.errors import ConfigError

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_amp(amp: str, device: torch.device) -> None:
    if amp not in ("off", *AMP_DTYPES):
        raise ConfigError(f"train.amp must be off, bf16 or fp16, got {amp!r}")
    if amp == "fp16" and device.type != "cuda":
        raise ConfigError("train.amp=fp16 needs a CUDA device (use train.amp=bf16 on CPU)")


def autocast(amp: str, device: torch.device) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for the forward pass, or a no-op context when ``amp`` is off."""
    if amp == "off":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=AMP_DTYPES[amp])


def make_scaler(amp: str, device: torch.device) -> torch.amp.GradScaler | None:
    """A loss scaler for fp16 (its gradients underflow without one); bf16 has fp32's range and needs none."""
    return torch.amp.GradScaler(device.type) if amp == "fp16" else None


def convert_sync_bn(model: nn.Module, enabled: bool, info: DistInfo, device: torch.device) -> nn.Module:
    """BatchNorm -> SyncBatchNorm when asked for and running under torchrun; a no-op for one process.

    SyncBatchNorm keeps BatchNorm's parameter and buffer names, so checkpoints load into the
    plain model (inference, export) unchanged.
    """
    if not enabled or not info.enabled:
        return model
    check_sync_bn(enabled, info, device)
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)


def check_sync_bn(enabled: bool, info: DistInfo, device: torch.device) -> None:
    """Fail before anything is written when SyncBatchNorm could not run (CPU ranks)."""
    if enabled and info.enabled and device.type != "cuda":
        raise ConfigError("train.sync_bn needs CUDA devices (torch.nn.SyncBatchNorm does not run on CPU/gloo); "
                          "set train.sync_bn=false")
