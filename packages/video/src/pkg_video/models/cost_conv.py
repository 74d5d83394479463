"""The CoST operation: one 3x3 kernel convolved over the H-W, T-W and T-H views of a clip.

Weight layout is ``(C_out, C_in/groups, 1, 3, 3)`` like the 1x3x3 conv of a C2D ResNet, so that
ImageNet 2-D weights and checkpoints of the authors' code load without reshaping. The three
views are the same tensor unsqueezed at dim 2, 3 or 4 (index order kept, no transpose).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

VIEWS = ("hw", "tw", "th")
Variant = Literal["a", "b", "avg", "concat"]


def view_kernels(w2d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(O, I, 3, 3) -> the 1x3x3, 3x1x3 and 3x3x1 kernels of the three views."""
    return w2d.unsqueeze(2), w2d.unsqueeze(3), w2d.unsqueeze(4)


def place_in_cube(w2d: torch.Tensor, view: str) -> torch.Tensor:
    """Put a (O, I, 3, 3) kernel into the central plane of a (O, I, 3, 3, 3) cube for ``view``."""
    o, i, kh, kw = w2d.shape
    cube = w2d.new_zeros(o, i, 3, 3, 3)
    if view == "hw":
        cube[:, :, 1, :, :] = w2d
    elif view == "tw":
        cube[:, :, :, 1, :] = w2d
    elif view == "th":
        cube[:, :, :, :, 1] = w2d
    else:
        raise ValueError(f"unknown view {view!r}")
    return cube


class CoSTConv(nn.Module):
    """CoST(a) / CoST(b) and the paper's ablations, as a drop-in for a 3x3 conv in a 3-D ResNet.

    variant ``a``: alpha (3 x C_out, or 3 x 1 with ``coef_scope="layer"``) learned, softmax over views.
    variant ``b``: alpha predicted per sample: max-pool each view -> FC1 (C->C, shared) -> FC2 (3->3
    across views) -> softmax. ``avg``: fixed 1/3. ``concat``: views concatenated, 1x1x1 conv back.
    ``share=False`` gives the "w/o sharing" ablation (three independent kernels).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        *,
        variant: Variant = "a",
        share: bool = True,
        coef_scope: Literal["channel", "layer"] = "channel",
        groups: int = 1,
        dilation: int = 1,
        bias: bool = False,
        impl: Literal["three", "fused"] = "three",
    ) -> None:
        super().__init__()
        if variant not in ("a", "b", "avg", "concat"):
            raise ValueError(f"unknown CoST variant {variant!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride = (1, stride, stride)
        self.dilation = dilation
        self.groups = groups
        self.variant, self.share, self.impl = variant, share, impl
        shape = (out_channels, in_channels // groups, 1, 3, 3)
        self.weight = nn.Parameter(torch.empty(shape))
        if not share:  # ablation: independent kernels for the two temporal views
            self.weight_tw = nn.Parameter(torch.empty(shape))
            self.weight_th = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        if variant == "a":
            self.alpha = nn.Parameter(torch.empty(3, out_channels if coef_scope == "channel" else 1))
        elif variant == "b":
            self.fc1 = nn.Linear(out_channels, out_channels, bias=False)
            self.fc2 = nn.Linear(3, 3, bias=False)
        elif variant == "concat":
            self.fuse = nn.Conv3d(3 * out_channels, out_channels, 1, bias=False)
        # Test hook: fixed view weights (3,) that replace the learned ones (softmax cannot reach 0/1).
        self.coef_override: torch.Tensor | None = None
        self.last_alpha: torch.Tensor | None = None  # (N, 3, C) or (3, C), kept when record_alpha
        self.record_alpha = False
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for w in self._kernels():
            nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
        if self.variant == "a":
            with torch.no_grad():
                self.alpha[0].fill_(0.7)
                self.alpha[1:].fill_(-0.7)
        elif self.variant == "b":
            nn.init.normal_(self.fc1.weight, std=0.01)
            nn.init.normal_(self.fc2.weight, std=0.01)

    def _kernels(self) -> list[nn.Parameter]:
        return [self.weight] if self.share else [self.weight, self.weight_tw, self.weight_th]

    def kernels2d(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The (O, I, 3, 3) kernel used by each view (the same tensor three times when shared)."""
        w = self.weight.squeeze(2)
        if self.share:
            return w, w, w
        return w, self.weight_tw.squeeze(2), self.weight_th.squeeze(2)

    # ------------------------------------------------------------------ views
    def view_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The three unweighted view responses (reference: three conv3d calls)."""
        d = self.dilation
        w_hw, w_tw, w_th = self.kernels2d()
        dil = (1, d, d)
        hw = F.conv3d(x, w_hw.unsqueeze(2), None, self.stride, (0, d, d), dil, self.groups)
        tw = F.conv3d(x, w_tw.unsqueeze(3), None, self.stride, (1, 0, d), dil, self.groups)
        th = F.conv3d(x, w_th.unsqueeze(4), None, self.stride, (1, d, 0), dil, self.groups)
        return hw, tw, th

    def view_outputs_fused(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Same responses from one 3x3x3 conv with the three placed kernels stacked (3*C_out outputs)."""
        if self.dilation != 1 or self.groups != 1:
            return self.view_outputs(x)
        cubes = [place_in_cube(w, v) for w, v in zip(self.kernels2d(), VIEWS)]
        y = F.conv3d(x, torch.cat(cubes, 0), None, self.stride, 1)
        return tuple(y.split(self.out_channels, dim=1))  # type: ignore[return-value]

    # ------------------------------------------------------------------ coefficients
    def coefficients(self, views: tuple[torch.Tensor, ...] | None = None) -> torch.Tensor:
        """View weights after normalisation: (3, C) for a/avg, (N, 3, C) for b."""
        c = self.out_channels
        if self.coef_override is not None:
            return self.coef_override.to(self.weight).view(3, 1).expand(3, c)
        if self.variant == "a":
            return torch.softmax(self.alpha, dim=0).expand(3, c)
        if self.variant == "avg":
            return self.weight.new_full((3, c), 1.0 / 3.0)
        if self.variant == "b":
            assert views is not None
            pooled = torch.stack([v.amax(dim=(2, 3, 4)) for v in views], dim=1)  # (N, 3, C)
            z = self.fc1(pooled)  # FC1 shared by the three views
            z = self.fc2(z.transpose(1, 2)).transpose(1, 2)  # FC2 mixes the views, per channel
            return torch.softmax(z, dim=1)
        raise ValueError("the concat ablation has no view coefficients")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        views = self.view_outputs_fused(x) if self.impl == "fused" else self.view_outputs(x)
        if self.variant == "concat":
            out = self.fuse(torch.cat(views, dim=1))
        else:
            alpha = self.coefficients(views)
            if self.record_alpha:
                self.last_alpha = alpha.detach()
            if alpha.dim() == 2:
                a = alpha.view(3, 1, -1, 1, 1, 1)
            else:
                a = alpha.transpose(0, 1).reshape(3, alpha.shape[0], -1, 1, 1, 1)
            out = views[0] * a[0] + views[1] * a[1] + views[2] * a[2]
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1, 1)
        return out

    # ------------------------------------------------------------------ folding
    def folded_weight(self) -> torch.Tensor:
        """CoST(a)/avg as one (O, I, 3, 3, 3) kernel: sum over views of alpha_v[c] * placed kernel."""
        if self.variant not in ("a", "avg") and self.coef_override is None:
            raise ValueError(f"CoST variant {self.variant!r} depends on the input and cannot be folded")
        alpha = self.coefficients()  # (3, C)
        cube = 0
        for k, (w, v) in enumerate(zip(self.kernels2d(), VIEWS)):
            cube = cube + alpha[k].view(-1, 1, 1, 1, 1) * place_in_cube(w, v)
        return cube

    def to_conv3d(self) -> nn.Conv3d:
        """A plain Conv3d equal to this CoST(a) layer (inference / ONNX / TorchScript)."""
        if self.dilation != 1:
            raise ValueError("folding supports dilation 1 only")
        conv = nn.Conv3d(self.in_channels, self.out_channels, 3, self.stride, 1, groups=self.groups,
                         bias=self.bias is not None, device=self.weight.device, dtype=self.weight.dtype)
        with torch.no_grad():
            conv.weight.copy_(self.folded_weight())
            if self.bias is not None:
                conv.bias.copy_(self.bias)
        return conv

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, stride={self.stride}, variant={self.variant}, "
                f"share={self.share}, impl={self.impl}")


def fold_cost(model: nn.Module) -> int:
    """Replace every foldable CoST layer of ``model`` by its single Conv3d; returns how many."""
    n = 0
    for name, child in list(model.named_children()):
        if isinstance(child, CoSTConv) and (child.variant in ("a", "avg")) and child.dilation == 1:
            setattr(model, name, child.to_conv3d())
            n += 1
        else:
            n += fold_cost(child)
    return n
