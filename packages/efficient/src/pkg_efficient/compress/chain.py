"""Layer-wise neuron pruning of a chain of convolutions: LDRF (paper B) and the baselines
(He et al. channel pruning, ThiNet, L1, random), sharing sampling, solvers and recomposition.

A chain is ``layers[0..L-1]`` (conv -> ReLU -> optional pool; their output neurons are pruned)
followed by a ``final`` linear layer whose outputs are kept (VGG: fc6 seen as a conv whose kernel
covers the whole map; ResNet bottleneck: conv3). BN is folded into the convs beforehand.

LDRF per layer l (float64):
1. decompose the next layer on its input side, M = W_{l+1} as n_l x (n_{l+1} k^2) = U S V^T;
   Q_l = U[:, :d_l], R_{l+1} = S_d V_d^T: W_{l+1} * y_l ~= R_{l+1} * (Q_l^T y_l); Q_l^T is applied
   after the pooling between the layers;
2. keep the top-k neurons by s_i = ||Q_l[i, :]|| * sqrt(E[y_i^2]);
3. (a) refit the kept rows of R_l by least squares so the kept pre-activations match the
   original ones given the pruned network's embedding inputs; (b) solve Q'_l by least squares so
   Q'_l^T y'_l matches the *original* embedding Q_l^T y_l;
4. recompose W'_l = R'_l o Q'_{l-1}^T into one plain conv (original depth, no extra 1x1s).
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from pkg_efficient.compress.solvers import compensate_select, greedy_select, lasso_select, ridge_lstsq


@dataclasses.dataclass
class Layer:
    weight: torch.Tensor  # (n, c, kh, kw)
    bias: torch.Tensor  # (n,)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pool: nn.Module | None = None  # applied after ReLU (prunable layers only)
    name: str = ""

    def conv(self, x: torch.Tensor, w: torch.Tensor | None = None, b: torch.Tensor | None = None) -> torch.Tensor:
        return F.conv2d(x, self.weight if w is None else w, self.bias if b is None else b,
                        self.stride, self.padding, self.dilation)

    def act(self, o: torch.Tensor) -> torch.Tensor:
        y = torch.relu(o)
        return self.pool(y) if self.pool is not None else y


@dataclasses.dataclass
class ChainOptions:
    method: str = "ldrf"  # ldrf | chanprune | thinet | l1 | random
    rank_rule: str = "energy"  # energy | full | accuracy (model level: compress_vgg / compress_resnet)
    energy: float = 0.995  # fraction of sum sigma^2 kept by d_l (our fallback rule)
    selection: str = "energy"  # LDRF neurons: energy | l1 | random (top-k scores) | compensate (greedy on the
    # embedding objective: the k neurons whose LS span best reconstructs Q^T y)
    refit_r: bool = True  # step (a)
    refit_final: str = "auto"  # auto | yes | no: LS refit of the final layer's decomposed weights
    alt_iters: int = 0  # LDRF: alternate (a) R' refinement on the joint objective / (b) LS Q' this many times
    alt_steps: int = 10  # gradient steps (with backtracking, monotone) per (a) of the alternation
    ranks: list[int] | None = None  # explicit d_l per layer (the calibration-accuracy rule fills this)
    rank_eps: float = 0.1  # accuracy rule: allowed calibration top-1 drop (percentage points) per layer
    rank_images: int = 1000  # accuracy rule: calibration images used for the top-1 evaluations
    embedding_scale: str = "sigma"  # LDRF split of M = U S V^T: unit (Q = U, R = S V^T, the spec's form) |
    # sigma (Q = U S, R = V^T: the Q' fit then weights each embedding direction by what the next layer
    # does with it) | sqrt (Q = U S^1/2, R = S^1/2 V^T)
    positions: int = 10  # sampled output positions per image (k x k LS fits, LASSO/ThiNet selection; 0 = all)
    q_positions: int = 0  # LDRF: sampled pixels per image for the 1x1 LS fit of Q' (0 = every pixel: a 1x1 fit is cheap)
    max_rows: int = 4000  # (position, channel) rows for LASSO/ThiNet selection
    ridge: float = 1e-6
    seed: int = 0


@dataclasses.dataclass
class LayerReport:
    name: str
    width: int
    kept: int
    rank: int | None
    relu_ratio: float
    rel_error: float  # relative error of the next layer's (or embedding) reconstruction


def _patches(x: torch.Tensor, layer: Layer, kh: int, kw: int, idx: torch.Tensor | None) -> tuple[torch.Tensor, int]:
    """Input patches at the sampled output positions ``idx`` (flat over N x H_out x W_out), laid out
    like F.unfold: (P, C*kh*kw). Only the sampled patches are gathered (no full im2col)."""
    n, c, h, w = x.shape
    (sh, sw), (ph, pw), (dh, dw) = layer.stride, layer.padding, layer.dilation
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    length = ho * wo
    if idx is None:
        idx = torch.arange(n * length)
    xp = F.pad(x, (pw, pw, ph, ph))
    img, pos = idx // length, idx % length
    i0, j0 = (pos // wo) * sh, (pos % wo) * sw
    ky = torch.arange(kh) * dh
    kx = torch.arange(kw) * dw
    rows = (i0[:, None, None] + ky[None, :, None]).expand(-1, kh, kw)  # (P, kh, kw)
    cols = (j0[:, None, None] + kx[None, None, :]).expand(-1, kh, kw)
    pat = xp[img[:, None, None, None], torch.arange(c)[None, :, None, None], rows[:, None], cols[:, None]]
    return pat.reshape(len(idx), c * kh * kw), length


def _svd_rows(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Thin SVD of a wide matrix via the eigen-decomposition of M M^T (much cheaper when rows << cols)."""
    if m.shape[0] > m.shape[1]:
        return torch.linalg.svd(m, full_matrices=False)
    ev, u = torch.linalg.eigh(m @ m.T)
    ev, u = ev.flip(0).clamp_min(0), u.flip(1)
    s = ev.sqrt()
    inv = torch.where(s > s[0] * 1e-12, 1.0 / s.clamp_min(1e-300), torch.zeros_like(s))
    vh = inv[:, None] * (u.T @ m)
    return u, s, vh


def _sample(n_img: int, length: int, per_img: int, gen: torch.Generator) -> torch.Tensor:
    """``per_img`` random output positions of each image (flat indices); ``per_img <= 0``: all of them."""
    if per_img <= 0 or per_img >= length:
        return torch.arange(n_img * length)
    pos = torch.stack([torch.randperm(length, generator=gen)[:per_img] for _ in range(n_img)])
    return (pos + torch.arange(n_img)[:, None] * length).reshape(-1)


def _targets(o: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    n, c = o.shape[:2]
    return o.reshape(n, c, -1).permute(0, 2, 1).reshape(-1, c)[idx]


def _pixels(y: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
    flat = y.permute(0, 2, 3, 1).reshape(-1, y.shape[1])
    return flat if idx is None else flat[idx]


def _fit_conv(x: torch.Tensor, target: torch.Tensor, layer: Layer, kh: int, kw: int, opts: ChainOptions,
              gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """LS weights (n, C, kh, kw) and bias so that conv(x) matches ``target`` (N, n, H, W) at samples."""
    length = target.shape[2] * target.shape[3]
    idx = _sample(x.shape[0], length, opts.positions, gen)
    a, _ = _patches(x, layer, kh, kw, idx)
    a = torch.cat([a, torch.ones(len(a), 1, dtype=a.dtype)], dim=1)
    sol = ridge_lstsq(a, _targets(target, idx), opts.ridge)
    n = target.shape[1]
    return sol[:-1].T.reshape(n, x.shape[1], kh, kw).contiguous(), sol[-1].contiguous()


def _split_scales(s: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Column scales of Q and row scales of R for M ~= (U diag(sq)) (diag(sr) V^T), sq * sr = s."""
    if mode == "unit":
        return torch.ones_like(s), s
    if mode == "sigma":
        return s, torch.ones_like(s)
    if mode == "sqrt":
        return s.sqrt(), s.sqrt()
    raise ValueError(f"unknown embedding_scale {mode!r} (unit, sigma or sqrt)")


def _rank(s: torch.Tensor, opts: ChainOptions) -> int:
    if opts.rank_rule == "full":
        return int((s > s[0] * 1e-12).sum())
    e = torch.cumsum(s ** 2, 0) / (s ** 2).sum()
    return int((e < opts.energy).sum()) + 1


def relu_ratio(y_pre: torch.Tensor) -> float:
    """Mean fraction of positive neurons per spatial position (a_l of the spec)."""
    return float((y_pre > 0).double().mean())


@torch.no_grad()
def prune_chain(layers: list[Layer], final: Layer, x_orig: torch.Tensor, x_pruned: torch.Tensor,
                keep: list[int], opts: ChainOptions) -> tuple[list[Layer], Layer, list[LayerReport], torch.Tensor]:
    """Prune ``layers`` to ``keep[l]`` output neurons. Returns the new plain layers, the new final
    layer, per-layer reports and the new final pre-activation on ``x_pruned``."""
    gen = torch.Generator().manual_seed(opts.seed)
    dt = x_orig.dtype  # activations in the model's dtype (float32 is fast); solvers work in float64
    reports: list[LayerReport] = []
    new_layers: list[Layer] = []
    orig_in = x_orig.to(dt)
    cur_in = x_pruned.to(dt)
    cur_w, cur_b = layers[0].weight.to(dt), layers[0].bias.to(dt)  # current layer in the working net
    q_prev: torch.Tensor | None = None  # Q'_{l-1}: (n'_{l-1}, d_{l-1}) (LDRF)
    chain = layers + [final]
    for li, layer in enumerate(layers):
        nxt = chain[li + 1]
        o = layer.conv(orig_in, layer.weight.to(dt), layer.bias.to(dt))
        y = layer.act(o)
        n_l = o.shape[1]
        k = keep[li]
        kh, kw = layer.weight.shape[-2:]
        nkh, nkw = nxt.weight.shape[-2:]
        o_next = nxt.conv(y, nxt.weight.to(dt), nxt.bias.to(dt))
        ratio = relu_ratio(o)
        if opts.method == "ldrf":
            m = nxt.weight.double().permute(1, 0, 2, 3).reshape(n_l, -1)
            u, s, vh = _svd_rows(m)
            d = opts.ranks[li] if opts.ranks is not None else _rank(s, opts)
            sq, sr = _split_scales(s[:d], opts.embedding_scale)
            q = (u[:, :d] * sq).to(dt)
            r_next = (sr[:, None] * vh[:d]).reshape(d, nxt.weight.shape[0], nkh, nkw).permute(1, 0, 2, 3).contiguous().to(dt)
            z = torch.einsum("nchw,cd->ndhw", y, q)
            energy = y.pow(2).mean(dim=(0, 2, 3))
            length = y.shape[2] * y.shape[3]
            idx = _sample(y.shape[0], length, opts.q_positions, gen)
            fitted = None
            if opts.selection == "compensate":  # choose S on the LDRF objective itself (see compensate_select)
                fitted = _fit_conv(cur_in, o, layer, kh, kw, opts, gen) if opts.refit_r else (cur_w, cur_b)
                y_all = layer.act(layer.conv(cur_in, *fitted))
                score = None
                sel = compensate_select(_pixels(y_all, idx), _pixels(z, idx), k, opts.ridge)
            elif opts.selection == "energy":
                score = q.norm(dim=1) * energy.sqrt()
            elif opts.selection == "l1":
                score = layer.weight.to(dt).abs().sum(dim=(1, 2, 3))
            else:
                score = torch.rand(n_l, generator=gen, dtype=dt)
            if score is not None:
                sel = torch.sort(torch.topk(score, k).indices).values
            if fitted is not None:  # LS is separable over output rows: the kept rows of the full refit
                w_s, b_s = fitted[0][sel].contiguous(), fitted[1][sel].contiguous()
            elif opts.refit_r:
                w_s, b_s = _fit_conv(cur_in, o[:, sel], layer, kh, kw, opts, gen)
            else:
                w_s, b_s = cur_w[sel], cur_b[sel]
            y_p = layer.act(layer.conv(cur_in, w_s, b_s))
            q_new = ridge_lstsq(_pixels(y_p, idx), _pixels(z, idx), opts.ridge)  # (k, d)
            for _ in range(opts.alt_iters):
                w_s, b_s = _refine_r(layer, cur_in, w_s, b_s, q_new, _pixels(z, idx), idx, opts.alt_steps)
                y_p = layer.act(layer.conv(cur_in, w_s, b_s))
                q_new = ridge_lstsq(_pixels(y_p, idx), _pixels(z, idx), opts.ridge)
            z_p = torch.einsum("nchw,cd->ndhw", y_p, q_new)
            err = float((z_p - z).norm() / z.norm().clamp_min(1e-30))
            w_plain = w_s if q_prev is None else torch.einsum("odhw,id->oihw", w_s, q_prev)
            new_layers.append(dataclasses.replace(layer, weight=w_plain, bias=b_s))
            reports.append(LayerReport(layer.name, n_l, k, d, ratio, err))
            cur_in, cur_w, cur_b, q_prev = z_p, r_next, nxt.bias.to(dt), q_new
        else:
            y_full = layer.act(layer.conv(cur_in, cur_w, cur_b))  # pruned net, all n_l neurons
            sel = _select(opts.method, y_full, o_next, nxt, cur_w, k, opts, gen)
            w_s, b_s = cur_w[sel], cur_b[sel]
            new_layers.append(dataclasses.replace(layer, weight=w_s, bias=b_s))
            y_p = y_full[:, sel]
            w_next, b_next = _fit_conv(y_p, o_next, nxt, nkh, nkw, opts, gen)
            err = float((nxt.conv(y_p, w_next, b_next) - o_next).norm() / o_next.norm().clamp_min(1e-30))
            reports.append(LayerReport(layer.name, n_l, k, None, ratio, err))
            cur_in, cur_w, cur_b = y_p, w_next, b_next
        orig_in = y
    # final layer
    o_final = final.conv(orig_in, final.weight.to(dt), final.bias.to(dt))
    if opts.method == "ldrf":
        fkh, fkw = final.weight.shape[-2:]
        feats = cur_in.shape[1] * fkh * fkw + 1
        samples = cur_in.shape[0] * o_final.shape[2] * o_final.shape[3]
        do_refit = opts.refit_final == "yes" or (opts.refit_final == "auto" and samples >= 2 * feats)
        if do_refit:
            cur_w, cur_b = _fit_conv(cur_in, o_final, final, fkh, fkw, opts, gen)
        w_final = torch.einsum("odhw,id->oihw", cur_w, q_prev)
    else:
        w_final = cur_w
    new_final = dataclasses.replace(final, weight=w_final, bias=cur_b)
    return new_layers, new_final, reports, o_final


def _embedding_loss(layer: Layer, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, q: torch.Tensor,
                    z_pix: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Squared embedding error at the sampled pixels ``idx`` (the same samples step (b) fits)."""
    y = layer.act(layer.conv(x, w, b))
    return (_pixels(y, idx) @ q - z_pix).pow(2).sum()


def _refine_r(layer: Layer, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, q: torch.Tensor, z_pix: torch.Tensor,
              idx: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Step (a) of the alternation: with Q' fixed, lower ||Q^T y - Q'^T act(R' * z')||^2 over R'
    (through ReLU and pooling) by gradient steps with backtracking; a step is taken only if the
    objective falls, so the alternation never increases the embedding error."""
    w, b = w.clone(), b.clone()
    lr = None
    with torch.enable_grad():
        for _ in range(steps):
            wv, bv = w.detach().requires_grad_(True), b.detach().requires_grad_(True)
            loss = _embedding_loss(layer, x, wv, bv, q, z_pix, idx)
            gw, gb = torch.autograd.grad(loss, (wv, bv))
            gnorm2 = float((gw ** 2).sum() + (gb ** 2).sum())
            if gnorm2 == 0:
                break
            f0 = float(loss.detach())
            lr = lr if lr is not None else f0 / gnorm2  # first trial: a "Newton-like" scale
            for _ in range(20):
                w_try, b_try = w - lr * gw, b - lr * gb
                with torch.no_grad():
                    f1 = float(_embedding_loss(layer, x, w_try, b_try, q, z_pix, idx))
                if f1 <= f0 - 1e-4 * lr * gnorm2:  # Armijo condition
                    w, b = w_try.detach(), b_try.detach()
                    lr *= 2.0
                    break
                lr *= 0.5
            else:
                break
    return w, b


def _select(method: str, y_full: torch.Tensor, o_next: torch.Tensor, nxt: Layer, w_cur: torch.Tensor, k: int,
            opts: ChainOptions, gen: torch.Generator) -> torch.Tensor:
    n_l = y_full.shape[1]
    dt = y_full.dtype
    if method == "l1":
        return torch.sort(torch.topk(w_cur.abs().sum(dim=(1, 2, 3)), k).indices).values
    if method == "random":
        return torch.sort(torch.randperm(n_l, generator=gen)[:k]).values
    # per-channel contributions to sampled (position, output channel) entries of the next layer
    kh, kw = nxt.weight.shape[-2:]
    length = o_next.shape[2] * o_next.shape[3]
    idx = _sample(y_full.shape[0], length, opts.positions, gen)
    pat, _ = _patches(y_full, nxt, kh, kw, idx)  # (P, n_l*kh*kw)
    p = pat.reshape(len(idx), n_l, kh * kw)
    w = nxt.weight.to(dt).reshape(nxt.weight.shape[0], n_l, kh * kw)
    n_out = w.shape[0]
    rows = min(opts.max_rows, len(idx) * n_out)
    pick = torch.randperm(len(idx) * n_out, generator=gen)[:rows]
    pi, oi = pick // n_out, pick % n_out
    z = torch.einsum("rck,rck->rc", p[pi], w[oi])  # (rows, n_l)
    target = _targets(o_next, idx)[pi, oi] - nxt.bias.to(dt)[oi]
    if method == "chanprune":
        return lasso_select(z, target, k)
    if method == "thinet":
        return greedy_select(z, k)
    raise ValueError(f"unknown pruning method {method!r}")


def keep_counts(widths: list[int], ratio: float, lower: list[int] | None = None) -> list[int]:
    lower = lower or [1] * len(widths)
    return [max(1, min(w, max(lo, int(round(ratio * w))))) for w, lo in zip(widths, lower)]


def relu_lower_bounds(ranks: list[int], ratios: list[float], widths: list[int]) -> list[int]:
    """n'_l >= min(n_l, ceil(d_l / a_l)): a d_l-dim embedding needs ~d_l active survivors."""
    return [min(w, math.ceil(d / max(a, 1e-6))) for d, a, w in zip(ranks, ratios, widths)]
