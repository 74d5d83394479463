"""Model outputs over a dataset, the per-task view of them (which columns, which labels), multi-clip scores."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pkg_skeleton.config import RecognitionConfig


@torch.no_grad()
def predict(model, loader, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenated outputs and targets of every batch (eval mode)."""
    model.eval()
    logits, labels = [], []
    for x, motion, y in loader:
        x = x.to(device)
        motion = motion.to(device) if motion.numel() else None
        logits.append(model(x, motion).float().cpu())
        labels.append(y)
    return torch.cat(logits), torch.cat(labels)


def clip_scores(out: torch.Tensor, labels: torch.Tensor, clips: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N * clips, K) outputs, clip-major per sample -> (N, K): the logits themselves for one clip,
    else the mean of the clips' softmax probabilities (the score that is ranked for top-k)."""
    if clips <= 1:
        return out, labels
    probs = torch.softmax(out, dim=1).reshape(-1, clips, out.shape[1]).mean(1)
    return probs, labels[::clips]


def task_view(out: torch.Tensor, y: torch.Tensor, cfg: RecognitionConfig) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(scores, integer labels, number of classes) that accuracy is computed on for the recipe's task.

    recognition/detection: all outputs; proposal: actionness; joint: the class head on the windows
    that have a class target (label -1 = ignored: proposal positives too loose for a class).
    """
    if cfg.task == "proposal":
        return out[:, :2], y[:, 0].long(), 2
    if cfg.task == "joint":
        k = cfg.model.num_classes
        cls = y[:, 0].long()
        keep = cls >= 0
        return out[keep, :k], cls[keep], k
    return out, y, cfg.model.num_classes


def task_loss(out: torch.Tensor, y: torch.Tensor, cfg: RecognitionConfig, epoch: int = 0) -> torch.Tensor:
    """Cross-entropy of the task; proposals: CE on actionness + weight x smooth-L1 (beta 1/9) on the
    positives' deltas; joint: class CE (ignore -1) + the proposal loss, or one of them per epoch in turn
    (``detect.head_training = alternate``: even epochs proposal head, odd epochs class head)."""
    ls = cfg.train.label_smoothing
    if cfg.task in ("recognition", "detection"):
        return F.cross_entropy(out, y, label_smoothing=ls)
    d = cfg.detect
    k = cfg.model.num_classes if cfg.task == "joint" else 0
    t = y[:, 1:] if cfg.task == "joint" else y  # (actionness, δc, δl)
    act = t[:, 0].long()
    prop = F.cross_entropy(out[:, k : k + 2], act)
    pos = act == 1
    if pos.any():
        prop = prop + d.reg_weight * F.smooth_l1_loss(out[pos, k + 2 : k + 4], t[pos, 1:].to(out.dtype),
                                                      beta=d.smooth_l1_beta)
    if cfg.task == "proposal":
        return prop
    cls_t = y[:, 0].long()
    labelled = cls_t >= 0
    cls = (F.cross_entropy(out[labelled, :k], cls_t[labelled], label_smoothing=ls) if labelled.any()
           else out.sum() * 0.0)
    if d.head_training == "alternate":
        return prop if epoch % 2 == 0 else d.cls_weight * cls
    return prop + d.cls_weight * cls
