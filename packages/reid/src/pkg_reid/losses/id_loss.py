"""Optional identity loss (ablation / BoT-like baseline): CE with label smoothing eps.

    L_ID = - sum_c q_c log p_c,   q_c = (1 - eps) [c = y] + eps / C
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def id_loss(logits: torch.Tensor, labels: torch.Tensor, smoothing: float = 0.1) -> torch.Tensor:
    return F.cross_entropy(logits.float(), labels, label_smoothing=smoothing)
