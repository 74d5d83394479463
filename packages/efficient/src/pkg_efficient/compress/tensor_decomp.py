"""Tucker-2 and CP decompositions of a conv (paper C's tensor baselines), in torch.

Tucker-2 (Kim et al. 2016): W (n x c x kh x kw) ~= G x_0 U_out x_1 U_in, i.e. 1x1 c -> r_in
(U_in^T), kh x kw core r_in -> r_out (stride/padding/dilation of W), 1x1 r_out -> n (U_out, bias).
Fitted by HOSVD + HOOI (alternating truncated SVDs of the partially projected unfoldings).

CP (Lebedev et al. 2015): W ~= sum_r a_r (x) b_r (x) h_r (x) w_r, i.e. 1x1 c -> R, depthwise
kh x 1, depthwise 1 x kw, 1x1 R -> n; fitted by ridge-regularised ALS from an SVD initialisation.

Our own implementation so that the baselines need no extra dependency; with the optional
``tensorly`` extra, ``backend="tensorly"`` runs tensorly's ``partial_tucker`` / ``parafac`` on the
same tensor (tests compare both where tensorly is installed).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from pkg_shared.errors import ConfigError


def _unfold(t: torch.Tensor, mode: int) -> torch.Tensor:
    return t.movedim(mode, 0).reshape(t.shape[mode], -1)


def _top_left(m: torch.Tensor, r: int) -> torch.Tensor:
    """Top-r left singular vectors (via the smaller Gram matrix)."""
    ev, u = torch.linalg.eigh(m @ m.T)
    return u[:, ev.argsort(descending=True)[:r]]


def tucker2_factors(w: torch.Tensor, r_out: int, r_in: int, iters: int = 20, tol: float = 1e-10
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(core (r_out, r_in, kh, kw), U_out (n, r_out), U_in (c, r_in)) minimising ||W - G x U||_F (HOOI)."""
    w = w.detach().double()
    u_out = _top_left(_unfold(w, 0), r_out)
    u_in = _top_left(_unfold(w, 1), r_in)
    prev = None
    for _ in range(iters):
        u_in = _top_left(_unfold(torch.einsum("ncij,nr->rcij", w, u_out), 1), r_in)
        u_out = _top_left(_unfold(torch.einsum("ncij,cs->nsij", w, u_in), 0), r_out)
        core = torch.einsum("ncij,nr,cs->rsij", w, u_out, u_in)
        err = float((w ** 2).sum() - (core ** 2).sum())  # orthonormal factors: ||W||^2 - ||G||^2
        if prev is not None and abs(prev - err) <= tol * float((w ** 2).sum()):
            break
        prev = err
    core = torch.einsum("ncij,nr,cs->rsij", w, u_out, u_in)
    return core, u_out, u_in


def cp_factors(w: torch.Tensor, rank: int, iters: int = 100, ridge: float = 1e-9, tol: float = 1e-8,
               seed: int = 0) -> list[torch.Tensor]:
    """CP factors [A (n,R), B (c,R), H (kh,R), V (kw,R)] by ALS; the weights are absorbed into A."""
    w = w.detach().double()
    gen = torch.Generator().manual_seed(seed)
    factors = []
    for mode in range(4):
        u = _top_left(_unfold(w, mode), min(rank, w.shape[mode]))
        if u.shape[1] < rank:  # more components than the mode's size: pad with random directions
            u = torch.cat([u, torch.randn(w.shape[mode], rank - u.shape[1], generator=gen, dtype=w.dtype)], 1)
        factors.append(u)
    norm = float((w ** 2).sum())
    eye = torch.eye(rank, dtype=w.dtype)
    prev = None
    for _ in range(iters):
        for mode in (1, 2, 3, 0):  # A last: it absorbs the scale of the normalised B, H, V exactly
            others = [m for m in range(4) if m != mode]
            mttkrp = _mttkrp(w, factors, mode)
            gram = torch.ones(rank, rank, dtype=w.dtype)
            for m in others:
                gram = gram * (factors[m].T @ factors[m])
            reg = ridge * float(torch.trace(gram)) / rank + 1e-300
            f = torch.linalg.solve(gram + reg * eye, mttkrp.T).T
            factors[mode] = f if mode == 0 else f / f.norm(dim=0).clamp_min(1e-300)
        a = factors[0]  # ||W - X||^2 = ||W||^2 - 2 <A, MTTKRP_A> + sum(gram * A^T A)
        err = norm - 2 * float((a * mttkrp).sum()) + float((gram * (a.T @ a)).sum())
        if prev is not None and abs(prev - err) <= tol * norm:
            break
        prev = err
    return factors


def _mttkrp(w: torch.Tensor, factors: list[torch.Tensor], mode: int) -> torch.Tensor:
    """W_(mode) times the Khatri-Rao product of the other factors, without forming that product:
    contract the largest other mode by a matmul first, then the small ones one by one."""
    others = [m for m in range(w.ndim) if m != mode]
    big = max(others, key=lambda m: w.shape[m])
    t = torch.tensordot(w, factors[big], dims=([big], [0]))  # remaining modes (in order) + rank
    remaining = [m for m in range(w.ndim) if m != big]
    for m in others:
        if m == big:
            continue
        axis = remaining.index(m)
        shape = [1] * len(remaining) + [factors[m].shape[1]]
        shape[axis] = w.shape[m]
        t = (t * factors[m].reshape(shape)).sum(axis)
        remaining.remove(m)
    return t


def cp_tensor(factors: list[torch.Tensor]) -> torch.Tensor:
    return torch.einsum("ar,br,cr,dr->abcd", *factors)


def _tensorly_tucker2(w: torch.Tensor, r_out: int, r_in: int):
    tl, dec = _tensorly()
    res = dec.partial_tucker(w.double().numpy(), rank=[r_out, r_in], modes=[0, 1], init="svd", n_iter_max=100)
    core, factors = res[0] if isinstance(res[0], tuple) else res  # tensorly >= 0.8 returns ((core, factors), errors)
    return torch.from_numpy(tl.to_numpy(core)), torch.from_numpy(tl.to_numpy(factors[0])), torch.from_numpy(tl.to_numpy(factors[1]))


def _tensorly_cp(w: torch.Tensor, rank: int) -> list[torch.Tensor]:
    tl, dec = _tensorly()
    cp = dec.parafac(w.double().numpy(), rank=rank, init="svd", n_iter_max=200, tol=1e-10)
    weights, factors = cp
    f = [torch.from_numpy(tl.to_numpy(x)) for x in factors]
    f[0] = f[0] * torch.from_numpy(tl.to_numpy(weights))[None]
    return f


def _tensorly():
    try:
        import tensorly as tl
        from tensorly import decomposition as dec
    except ImportError as exc:
        raise ConfigError("backend tensorly needs the optional extra: pip install tensorly, or from the checkout pip install './packages/efficient[tensorly]'") from exc
    tl.set_backend("numpy")
    warnings.filterwarnings("ignore", message="Trying to compute SVD", module="tensorly")
    return tl, dec


def _conv(c_in, c_out, k, stride, padding, dilation, groups, bias, like: nn.Conv2d) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, stride, padding, dilation, groups, bias=bias).to(like.weight.device, like.weight.dtype)


def tucker2_structure(conv: nn.Conv2d, r_out: int, r_in: int) -> nn.Sequential:
    """The three convs of a Tucker-2 replacement (weights uninitialised; used by rebuild)."""
    n, c, kh, kw = conv.weight.shape
    return nn.Sequential(_conv(c, r_in, 1, 1, 0, 1, 1, False, conv),
                         _conv(r_in, r_out, (kh, kw), conv.stride, conv.padding, conv.dilation, 1, False, conv),
                         _conv(r_out, n, 1, 1, 0, 1, 1, conv.bias is not None, conv))


def cp_structure(conv: nn.Conv2d, rank: int) -> nn.Sequential:
    """The four convs of a CP replacement (weights uninitialised; used by rebuild)."""
    n, c, kh, kw = conv.weight.shape
    (sh, sw), (ph, pw), (dh, dw) = conv.stride, conv.padding, conv.dilation
    return nn.Sequential(_conv(c, rank, 1, 1, 0, 1, 1, False, conv),
                         _conv(rank, rank, (kh, 1), (sh, 1), (ph, 0), (dh, 1), rank, False, conv),
                         _conv(rank, rank, (1, kw), (1, sw), (0, pw), (1, dw), rank, False, conv),
                         _conv(rank, n, 1, 1, 0, 1, 1, conv.bias is not None, conv))


@torch.no_grad()
def tucker2_decompose(conv: nn.Conv2d, r_out: int, r_in: int, backend: str = "torch") -> nn.Sequential:
    """Sequential(1x1 c -> r_in, k x k r_in -> r_out, 1x1 r_out -> n) approximating ``conv``."""
    n, c, kh, kw = conv.weight.shape
    if conv.groups != 1:
        raise ValueError("Tucker-2 expects a dense convolution")
    if not (1 <= r_out <= n and 1 <= r_in <= c):
        raise ValueError(f"Tucker ranks ({r_out}, {r_in}) outside 1..{n} x 1..{c}")
    if backend == "tensorly":
        core, u_out, u_in = _tensorly_tucker2(conv.weight, r_out, r_in)
    else:
        core, u_out, u_in = tucker2_factors(conv.weight, r_out, r_in)
    first, mid, last = tucker2_structure(conv, r_out, r_in)
    dt = conv.weight.dtype
    first.weight.copy_(u_in.T.reshape(r_in, c, 1, 1).to(dt))
    mid.weight.copy_(core.to(dt))
    last.weight.copy_(u_out.reshape(n, r_out, 1, 1).to(dt))
    if conv.bias is not None:
        last.bias.copy_(conv.bias)
    return nn.Sequential(first, mid, last)


@torch.no_grad()
def cp_decompose(conv: nn.Conv2d, rank: int, backend: str = "torch") -> nn.Sequential:
    """Sequential(1x1 c -> R, depthwise kh x 1, depthwise 1 x kw, 1x1 R -> n) approximating ``conv``."""
    n, c, kh, kw = conv.weight.shape
    if conv.groups != 1:
        raise ValueError("CP expects a dense convolution")
    if rank < 1:
        raise ValueError("CP rank must be >= 1")
    a, b, h, v = _tensorly_cp(conv.weight, rank) if backend == "tensorly" else cp_factors(conv.weight, rank)
    first, vert, horiz, last = cp_structure(conv, rank)
    dt = conv.weight.dtype
    first.weight.copy_(b.T.reshape(rank, c, 1, 1).to(dt))
    vert.weight.copy_(h.T.reshape(rank, 1, kh, 1).to(dt))
    horiz.weight.copy_(v.T.reshape(rank, 1, 1, kw).to(dt))
    last.weight.copy_(a.reshape(n, rank, 1, 1).to(dt))
    if conv.bias is not None:
        last.bias.copy_(conv.bias)
    return nn.Sequential(first, vert, horiz, last)


def tucker2_weight(seq: nn.Sequential) -> torch.Tensor:
    """Equivalent dense weight of a Tucker-2 Sequential."""
    u_in = seq[0].weight.detach()[:, :, 0, 0].double()
    u_out = seq[2].weight.detach()[:, :, 0, 0].double()
    return torch.einsum("rsij,nr,sc->ncij", seq[1].weight.detach().double(), u_out, u_in)


def cp_weight(seq: nn.Sequential) -> torch.Tensor:
    """Equivalent dense weight of a CP Sequential."""
    b = seq[0].weight.detach()[:, :, 0, 0].double().T
    h = seq[1].weight.detach()[:, 0, :, 0].double().T
    v = seq[2].weight.detach()[:, 0, 0, :].double().T
    a = seq[3].weight.detach()[:, :, 0, 0].double()
    return cp_tensor([a, b, h, v])


def tucker2_macs(n: int, c: int, kh: int, kw: int, r_out: int, r_in: int, hw_in: int, hw_out: int) -> int:
    return c * r_in * hw_in + r_in * r_out * kh * kw * hw_out + r_out * n * hw_out


def cp_macs(n: int, c: int, kh: int, kw: int, rank: int, hw_in: int, hw_mid: int, hw_out: int) -> int:
    return c * rank * hw_in + rank * kh * hw_mid + rank * kw * hw_out + rank * n * hw_out


def tucker2_ranks_for(budget: float, n: int, c: int, kh: int, kw: int, stride: tuple[int, int]) -> tuple[int, int]:
    """Largest (r_out, r_in) proportional to (n, c) whose per-output-pixel M-Adds fit ``budget``."""
    s2 = stride[0] * stride[1]

    def ranks(rho: float) -> tuple[int, int]:
        return max(1, min(n, round(rho * n))), max(1, min(c, round(rho * c)))

    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        r_out, r_in = ranks(mid)
        if tucker2_macs(n, c, kh, kw, r_out, r_in, s2, 1) <= budget:
            lo = mid
        else:
            hi = mid
    return ranks(lo)


def cp_rank_for(budget: float, n: int, c: int, kh: int, kw: int, stride: tuple[int, int]) -> int:
    """Largest CP rank whose per-output-pixel M-Adds fit ``budget`` (at least 1)."""
    per = cp_macs(n, c, kh, kw, 1, stride[0] * stride[1], stride[1], 1)
    return max(1, int(budget // per))
