"""Filter group approximation (paper C) and the decomposition baselines it is compared with.

A conv W (n x c x k x k) becomes F (grouped conv c -> m, g groups, kernel k, stride/padding/
dilation of W, no bias) followed by P (1x1 conv m -> n, bias of W). For each input-channel group
t, A_t = W[:, group t] reshaped to n x (c_g k^2) is replaced by a rank-r product P_t F_t; the
squared weight error decouples over groups, so per-group truncated SVD is the exact minimiser.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn


def _conv(c_in, c_out, k, stride, padding, dilation, groups, bias, like: nn.Conv2d) -> nn.Conv2d:
    m = nn.Conv2d(c_in, c_out, k, stride, padding, dilation, groups, bias=bias)
    return m.to(device=like.weight.device, dtype=like.weight.dtype)


@torch.no_grad()
def fga_decompose(conv: nn.Conv2d, groups: int, rank: int) -> nn.Sequential:
    """Sequential(F grouped conv, P 1x1) approximating ``conv`` by per-group rank-``rank`` SVD."""
    n, c, kh, kw = conv.weight.shape
    if conv.groups != 1:
        raise ValueError("FGA expects a dense convolution")
    if c % groups:
        raise ValueError(f"{c} input channels cannot be split into {groups} groups")
    cg = c // groups
    if not 1 <= rank <= min(n, cg * kh * kw):
        raise ValueError(f"rank {rank} outside 1..{min(n, cg * kh * kw)} for groups of {cg} channels")
    m = groups * rank
    f = _conv(c, m, (kh, kw), conv.stride, conv.padding, conv.dilation, groups, False, conv)
    p = _conv(m, n, 1, 1, 0, 1, 1, conv.bias is not None, conv)
    w = conv.weight.double()
    for t in range(groups):
        a = w[:, t * cg:(t + 1) * cg].reshape(n, cg * kh * kw)
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        sq = s[:rank].sqrt()
        p.weight[:, t * rank:(t + 1) * rank, 0, 0] = (u[:, :rank] * sq).to(p.weight.dtype)
        f.weight[t * rank:(t + 1) * rank] = (sq[:, None] * vh[:rank]).reshape(rank, cg, kh, kw).to(f.weight.dtype)
    if conv.bias is not None:
        p.bias.copy_(conv.bias)
    return nn.Sequential(f, p)


@torch.no_grad()
def chandecomp(conv: nn.Conv2d, rank: int) -> nn.Sequential:
    """Zhang et al. 2016 channel decomposition (k x k c -> d, then 1x1 d -> n): FGA with g = 1."""
    return fga_decompose(conv, 1, rank)


@torch.no_grad()
def spatial_decompose(conv: nn.Conv2d, rank: int) -> nn.Sequential:
    """Jaderberg et al. 2014 (scheme 2): k x 1 conv c -> d, then 1 x k conv d -> n, by SVD of W
    arranged as (c*kh) x (n*kw); exact minimiser of the weight error at rank d."""
    n, c, kh, kw = conv.weight.shape
    sh, sw = conv.stride
    ph, pw = conv.padding
    dh, dw = conv.dilation
    m = conv.weight.double().permute(1, 2, 0, 3).reshape(c * kh, n * kw)
    u, s, vh = torch.linalg.svd(m, full_matrices=False)
    rank = min(rank, len(s))
    sq = s[:rank].sqrt()
    v = _conv(c, rank, (kh, 1), (sh, 1), (ph, 0), (dh, 1), 1, False, conv)
    h = _conv(rank, n, (1, kw), (1, sw), (0, pw), (1, dw), 1, conv.bias is not None, conv)
    v.weight.copy_((u[:, :rank] * sq).T.reshape(rank, c, kh, 1))
    h.weight.copy_((sq[:, None] * vh[:rank]).reshape(rank, n, kw).permute(1, 0, 2).reshape(n, rank, 1, kw))
    if conv.bias is not None:
        h.bias.copy_(conv.bias)
    return nn.Sequential(v, h)


def equivalent_weight(seq: nn.Sequential) -> torch.Tensor:
    """W_eq (n x c x k x k) of a F -> P decomposition (grouped F)."""
    f, p = seq[0], seq[1]
    g = f.groups
    m, cg, kh, kw = f.weight.shape
    r = m // g
    pw = p.weight.detach()[:, :, 0, 0].double()
    fw = f.weight.detach().double()
    blocks = [pw[:, t * r:(t + 1) * r] @ fw[t * r:(t + 1) * r].reshape(r, -1) for t in range(g)]
    n = pw.shape[0]
    return torch.cat([b.reshape(n, cg, kh, kw) for b in blocks], dim=1)


def degeneracy(w_eq: torch.Tensor, rel: float = 1e-3) -> dict:
    """Singular spectrum of W_eq as n x (c k^2) and the fraction of sigma < rel * sigma_max."""
    s = torch.linalg.svdvals(w_eq.double().reshape(w_eq.shape[0], -1))
    return {"degenerate_fraction": float((s < rel * s[0]).sum()) / len(s), "equivalent_rank": int((s > rel * s[0]).sum()),
            "sigma": [float(v) for v in s]}


def jacobian_spectrum(model: nn.Module, x: torch.Tensor, rel: float = 1e-3, keep: int = 64) -> dict:
    """Singular values of the input-output Jacobian d logits / d input, per sample of ``x``
    (paper C's degeneracy concept on the whole network; expensive: one (classes x pixels)
    Jacobian per image). Returns the mean spectrum (first ``keep`` values), the mean fraction of
    sigma < rel * sigma_max over min(classes, pixels) and the mean log10 condition number of the
    non-degenerate part."""
    from torch.func import jacrev

    model = model.eval()
    spectra, fracs, conds = [], [], []
    for xi in x:
        jac = jacrev(lambda inp: model(inp[None])[0])(xi.detach())  # (classes, C, H, W)
        s = torch.linalg.svdvals(jac.detach().reshape(jac.shape[0], -1).double())
        fracs.append(float((s < rel * s[0]).sum()) / len(s))
        good = s[s >= rel * s[0]]
        conds.append(float(torch.log10(good[0] / good[-1])))
        spectra.append(s)
    mean = torch.stack(spectra).mean(0)
    return {"samples": len(x), "degenerate_fraction": sum(fracs) / len(fracs),
            "log10_condition": sum(conds) / len(conds), "sigma_mean": [float(v) for v in mean[:keep]]}


def fga_macs(n: int, c: int, k: int, g: int, r: int, hw: int) -> int:
    return (g * r * (c // g) * k * k + n * g * r) * hw


@dataclasses.dataclass
class LayerChoice:
    name: str
    groups: int
    rank: int


def _group_energy(w: torch.Tensor, g: int) -> torch.Tensor:
    """Per-group singular values squared, summed over groups for each rank: energy[r-1] retained at rank r."""
    n, c, kh, kw = w.shape
    cg = c // g
    sv = [torch.linalg.svdvals(w[:, t * cg:(t + 1) * cg].double().reshape(n, -1)) ** 2 for t in range(g)]
    lens = max(len(s) for s in sv)
    tot = torch.zeros(lens, dtype=torch.float64)
    for s in sv:
        tot[:len(s)] += s
    return torch.cumsum(tot, 0)


def allocate(convs: dict[str, tuple[nn.Conv2d, int]], policy: str = "uniform", group_size: int = 16,
             target_reduction: float = 0.8, min_group_size: int = 4) -> list[LayerChoice]:
    """(g, r) per layer. ``convs`` maps name -> (conv, H_out*W_out).

    uniform: c_g = group_size, r = c_g (m = c). budget: greedy over a (g, r) grid maximising
    sum_l log(retained energy_l) s.t. total M-Adds <= (1 - target_reduction) * original.
    """
    out: list[LayerChoice] = []
    if policy == "uniform":
        for name, (conv, _) in convs.items():
            n, c, kh, kw = conv.weight.shape
            cg = min(group_size, c)
            while c % cg:
                cg -= 1
            out.append(LayerChoice(name, c // cg, min(cg, n, cg * kh * kw)))
        return out
    if policy != "budget":
        raise ValueError(f"unknown allocation policy {policy!r} (uniform, budget)")
    orig = sum(c.weight.shape[0] * c.weight[0].numel() * hw for c, hw in convs.values())
    budget = (1 - target_reduction) * orig
    # candidates per layer: list of (macs, log energy, g, r); start from the cheapest, then upgrade greedily
    cands: dict[str, list[tuple[float, float, int, int]]] = {}
    for name, (conv, hw) in convs.items():
        n, c, kh, kw = conv.weight.shape
        total = float((conv.weight.double() ** 2).sum())
        opts = []
        for g in [d for d in range(1, c + 1) if c % d == 0 and c // d >= min_group_size]:
            energy = _group_energy(conv.weight, g)
            for r in sorted({1, 2, 4, 8, 16, 32, 64, 128, 256, 512} & set(range(1, len(energy) + 1))):
                opts.append((fga_macs(n, c, kh, g, r, hw), math.log(float(energy[r - 1]) / total + 1e-12), g, r))
        pareto, best_e = [], -math.inf
        for o in sorted(opts):
            if o[1] > best_e + 1e-12:
                pareto.append(o)
                best_e = o[1]
        cands[name] = pareto
    pick = {name: 0 for name in convs}
    used = sum(cands[nm][0][0] for nm in convs)
    while True:
        best, best_gain = None, 0.0
        for name in convs:
            i = pick[name]
            if i + 1 < len(cands[name]):
                dm = cands[name][i + 1][0] - cands[name][i][0]
                de = cands[name][i + 1][1] - cands[name][i][1]
                if used + dm <= budget and de / max(dm, 1) > best_gain:
                    best, best_gain = name, de / max(dm, 1)
        if best is None:
            break
        used += cands[best][pick[best] + 1][0] - cands[best][pick[best]][0]
        pick[best] += 1
    return [LayerChoice(name, cands[name][pick[name]][2], cands[name][pick[name]][3]) for name in convs]
