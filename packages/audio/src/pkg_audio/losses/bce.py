"""Clip-level binary cross-entropy.

L = -(1/(B*K)) sum_b sum_k [ y_bk log s(z_bk) + (1 - y_bk) log(1 - s(z_bk)) ]

computed with BCE-with-logits on the fused logit z when the head has one (numerically stable);
heads that output probabilities directly (single level) use BCE on p clamped to [1e-7, 1 - 1e-7].
Optional auxiliary terms: ``aux_weight`` x mean BCE of every level prediction p_l.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_EPS = 1e-7


def _bce_prob(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy(p.float().clamp(_EPS, 1 - _EPS), y.float())


def tagging_loss(out: dict, target: torch.Tensor, aux_weight: float = 0.0) -> torch.Tensor:
    logit = out.get("logit")
    if logit is not None:  # fp32 even under autocast (bf16/fp16 logits lose the small probabilities)
        loss = F.binary_cross_entropy_with_logits(logit.float(), target.float())
    else:
        loss = _bce_prob(out["clipwise"], target)
    if aux_weight > 0 and out.get("levels"):
        aux = torch.stack([_bce_prob(p, target) for p in out["levels"]]).mean()
        loss = loss + aux_weight * aux
    return loss
