"""Mixed precision for both training loops (standalone and supernet).

``train.amp: true`` runs forward and loss under ``torch.autocast``; the weights, the optimiser
state and the BN statistics stay float32. The low-precision type is ``train.amp_dtype``:
``auto`` = float16 on CUDA (with a gradient scaler, whose state is checkpointed) and bfloat16
elsewhere (CPU; bfloat16 keeps float32's exponent range, so no scaler is needed).
"""

from __future__ import annotations

import contextlib
import dataclasses

import torch

from pkg_shared.errors import ConfigError

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclasses.dataclass
class Amp:
    """What one training loop needs: an autocast context factory and a (possibly disabled) scaler."""

    enabled: bool
    device_type: str
    dtype: torch.dtype | None
    scaler: torch.amp.GradScaler

    def autocast(self):
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def step(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        """backward + optimiser step, through the scaler when it is on (float16)."""
        self.scaler.scale(loss).backward()
        self.scaler.step(opt)
        self.scaler.update()


def make_amp(enabled: bool, device: torch.device | str, dtype: str = "auto") -> Amp:
    device = torch.device(device)
    if dtype != "auto" and dtype not in DTYPES:
        raise ConfigError(f"train.amp_dtype must be auto, float16 or bfloat16, got {dtype!r}")
    if not enabled:
        return Amp(False, device.type, None, torch.amp.GradScaler(device.type, enabled=False))
    name = dtype if dtype != "auto" else ("float16" if device.type == "cuda" else "bfloat16")
    use_scaler = name == "float16"
    return Amp(True, device.type, DTYPES[name], torch.amp.GradScaler(device.type, enabled=use_scaler))
