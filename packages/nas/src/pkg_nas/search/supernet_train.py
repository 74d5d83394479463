"""Single-path supernet training: one assignment sampled uniformly from the candidate set per
mini-batch (SPOS style); the LR follows a cosine from lr0 to 0 within each call (warm restart per
search step). Skipped blocks get no gradient, so SGD leaves them (and their momentum) untouched."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from pkg_nas.config import RunConfig
from pkg_nas.engine.amp import make_amp
from pkg_nas.engine.optim import base_lr, lr_factor, make_optimizer, set_lr
from pkg_nas.models import Supernet
from pkg_nas.space import LayerAssignment
from pkg_shared.logging import progress


class SupernetTrainer:
    def __init__(self, cfg: RunConfig, supernet: Supernet, train_data: Dataset, *, device: torch.device | str = "cpu",
                 log: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.supernet = supernet.to(device)
        self.data = train_data
        self.device = device
        self.log = log
        self.opt = make_optimizer(self.supernet, cfg.train, cfg.data.batch_size)
        self.lr0 = base_lr(cfg.train, cfg.data.batch_size)
        self.amp = make_amp(cfg.train.amp, device, cfg.train.amp_dtype)
        self.sampler = torch.Generator().manual_seed(cfg.search.seed)
        self.epochs_done = 0
        self.steps_done = 0

    def restart(self) -> None:
        """Re-initialise weights and optimiser (the ``--restart-supernet`` ablation)."""
        torch.manual_seed(self.cfg.search.seed + 7919 * (self.epochs_done + 1))
        self.supernet.reset_parameters()
        self.opt = make_optimizer(self.supernet, self.cfg.train, self.cfg.data.batch_size)

    def sample(self, candidates: Sequence[LayerAssignment], parent: LayerAssignment | None, mix_parent: float):
        if parent is not None and mix_parent > 0 and torch.rand((), generator=self.sampler).item() < mix_parent:
            return parent
        return candidates[int(torch.randint(len(candidates), (), generator=self.sampler))]

    def train(self, candidates: Sequence[LayerAssignment], epochs: int, *, parent: LayerAssignment | None = None,
              mix_parent: float = 0.0, tag: str = "") -> float:
        """Train ``epochs`` epochs over ``candidates``; returns the mean loss of the last epoch."""
        cands = [LayerAssignment(a) for a in candidates]
        net = self.supernet
        net.train()
        last = float("nan")
        for e in range(epochs):
            g = torch.Generator().manual_seed(self.cfg.search.seed * 100_003 + self.epochs_done)
            loader = DataLoader(self.data, batch_size=self.cfg.data.batch_size, shuffle=True, generator=g,
                                num_workers=self.cfg.data.workers)
            n = len(loader) if self.cfg.train.max_steps_per_epoch is None else min(len(loader), self.cfg.train.max_steps_per_epoch)
            tot, seen = 0.0, 0
            for i, (x, y) in enumerate(progress(loader, total=n, desc=f"supernet {tag} epoch {e + 1}/{epochs}", leave=False)):
                if i >= n:
                    break
                set_lr(self.opt, self.lr0 * lr_factor(self.cfg.train, e + i / n, epochs))
                a = self.sample(cands, parent, mix_parent)
                x, y = x.to(self.device), y.to(self.device)
                with self.amp.autocast():
                    loss = F.cross_entropy(net(x, a), y, label_smoothing=self.cfg.train.label_smoothing)
                self.opt.zero_grad(set_to_none=True)
                self.amp.step(loss, self.opt)
                tot += loss.item() * len(y)
                seen += len(y)
                self.steps_done += 1
            self.epochs_done += 1
            last = tot / max(seen, 1)
            self.log(f"supernet {tag} epoch {e + 1}/{epochs}: loss {last:.4f} over {len(cands)} candidate(s)")
        return last

    def state_dict(self) -> dict:
        return {"supernet": self.supernet.state_dict(), "optimizer": self.opt.state_dict(),
                "sampler": self.sampler.get_state(), "epochs_done": self.epochs_done, "steps_done": self.steps_done,
                "scaler": self.amp.scaler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.opt.load_state_dict(state["optimizer"])
        self.sampler.set_state(state["sampler"])
        if state.get("scaler"):
            self.amp.scaler.load_state_dict(state["scaler"])
        self.epochs_done = int(state["epochs_done"])
        self.steps_done = int(state["steps_done"])
