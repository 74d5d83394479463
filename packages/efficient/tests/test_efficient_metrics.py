"""Top-1/top-5 (label among the k largest logits, percent) on hand-computed golden cases."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from pkg_efficient.engine.evaluate import evaluate


class _Fixed(nn.Module):
    """Returns the logits row selected by the (integer) input: a model with known outputs."""

    def __init__(self, logits):
        super().__init__()
        self.register_buffer("logits", logits)

    def forward(self, idx):
        return self.logits[idx.long()]


def test_topk_golden_case():
    logits = torch.tensor([[9., 1, 2, 3, 4, 5],   # label 0 ranked 1st -> top-1 and top-5
                           [1., 9, 8, 7, 2, 3],   # label 3 ranked 3rd -> top-5 only
                           [6., 5, 4, 3, 2, 1],   # label 5 ranked 6th -> neither
                           [0., 0, 0, 1, 0, 0]])  # label 3 ranked 1st
    labels = torch.tensor([0, 3, 5, 3])
    res = evaluate(_Fixed(logits), DataLoader(TensorDataset(torch.arange(4), labels), batch_size=3), torch.device("cpu"))
    assert res["top1"] == pytest.approx(50.0) and res["top5"] == pytest.approx(75.0) and res["n"] == 4
    ce = torch.nn.functional.cross_entropy(logits, labels).item()
    assert res["loss"] == pytest.approx(ce)


def test_topk_with_fewer_than_five_classes_is_topc():
    logits = torch.tensor([[1., 2, 3], [3., 2, 1]])
    res = evaluate(_Fixed(logits), DataLoader(TensorDataset(torch.arange(2), torch.tensor([0, 0]))), torch.device("cpu"))
    assert res["top1"] == pytest.approx(50.0) and res["top5"] == pytest.approx(100.0)
