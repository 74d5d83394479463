"""Apply LDRF / baselines / FGA to whole models (VGG, torchvision ResNet-50, any conv net for FGA)
and rebuild compressed models from their checkpoint spec (real smaller models, no masks)."""

from __future__ import annotations

import copy
import dataclasses

import torch
from torch import nn

from pkg_efficient.compress.chain import (
    ChainOptions,
    Layer,
    keep_counts,
    prune_chain,
    relu_lower_bounds,
    relu_ratio,
)
from pkg_efficient.compress.fga import (
    allocate,
    chandecomp,
    degeneracy,
    equivalent_weight,
    fga_decompose,
    spatial_decompose,
)
from pkg_efficient.compress.tensor_decomp import (
    cp_decompose,
    cp_rank_for,
    cp_structure,
    cp_weight,
    tucker2_decompose,
    tucker2_ranks_for,
    tucker2_structure,
    tucker2_weight,
)
from pkg_efficient.models.vgg import VGG
from pkg_efficient.ops.fold import fold_bn

PRUNE_METHODS = ("ldrf", "chanprune", "thinet", "l1", "random")
DECOMP_METHODS = ("fga", "chandecomp", "spatial", "tucker", "cp")


# ----------------------------------------------------------------------------------------- VGG
def _vgg_chain(model: VGG) -> tuple[list[Layer], Layer]:
    """Folded conv layers of ``features`` with their pools, and fc6 as a whole-map conv."""
    mods = list(model.features)
    layers: list[Layer] = []
    i = 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, nn.Conv2d):
            conv = m
            if i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
                conv = fold_bn(m, mods[i + 1])
                i += 1
            b = conv.bias.detach() if conv.bias is not None else torch.zeros(conv.out_channels)
            layers.append(Layer(conv.weight.detach().clone(), b.clone(), conv.stride, conv.padding, conv.dilation,
                                None, f"features.{len(layers)}"))
        elif isinstance(m, nn.MaxPool2d):
            layers[-1].pool = m if layers[-1].pool is None else nn.Sequential(layers[-1].pool, m)
        i += 1
    p = model.avgpool.output_size if isinstance(model.avgpool.output_size, int) else model.avgpool.output_size[0]
    last_pool = layers[-1].pool
    layers[-1].pool = nn.Sequential(last_pool, model.avgpool) if last_pool is not None else model.avgpool
    fc = model.classifier[0]
    c = layers[-1].weight.shape[0]
    final = Layer(fc.weight.detach().reshape(fc.out_features, c, p, p).clone(), fc.bias.detach().clone(),
                  (1, 1), (0, 0), (1, 1), None, "classifier.0")
    return layers, final


def _vgg_hw(model: VGG, input_size: int) -> list[int]:
    hw = []
    s = input_size
    for m in model.features:
        if isinstance(m, nn.Conv2d):
            hw.append(s * s)
        elif isinstance(m, nn.MaxPool2d):
            s //= 2
    return hw


def _vgg_conv_macs(widths: list[int], hw: list[int]) -> int:
    c, tot = 3, 0
    for w, a in zip(widths, hw):
        tot += c * w * 9 * a
        c = w
    return tot


def aligned_lower(widths: list[int], lower: list[int], multiple: int) -> list[int]:
    """Lower bounds rounded up to the width multiple (layers narrower than it are left as they are)."""
    if multiple <= 1:
        return list(lower)
    return [min(w, -(-lo // multiple) * multiple) if w >= multiple else lo for w, lo in zip(widths, lower)]


def aligned_keep(widths: list[int], ratio: float, lower: list[int], multiple: int) -> list[int]:
    """Uniform keep ratio with every width a multiple of ``multiple`` (never below it or ``lower``).

    Why: oneDNN's CPU convolutions block channels by 8 (AVX2) or 16 (AVX-512) and pad the rest, so
    57 kept channels cost as much as 64 there while M-Adds count 57."""
    if multiple <= 1:
        return keep_counts(widths, ratio, lower)
    out = []
    for w, lo in zip(widths, aligned_lower(widths, lower, multiple)):
        if w < multiple:
            out += keep_counts([w], ratio, [lo])
        else:
            out.append(min(w, max(lo, multiple, int(round(ratio * w / multiple)) * multiple)))
    return out


def _solve_ratio(cost, widths: list[int], lower: list[int], target: float, base: int,
                 multiple: int = 1) -> tuple[list[int], bool]:
    """Largest uniform keep ratio (within the lower bounds) whose cost meets base/target.

    With ``multiple`` > 1 the widths are multiples of it; the rounding leaves slack below the
    target, which is given back ``multiple`` channels at a time to the layer that keeps the smallest
    fraction of its width, while the target still holds."""
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if base / cost(aligned_keep(widths, mid, lower, multiple)) >= target:
            lo = mid
        else:
            hi = mid
    keep = aligned_keep(widths, lo, lower, multiple)
    if multiple > 1 and base / cost(keep) >= target:
        blocked: set[int] = set()
        while True:
            open_ = [i for i, (k, w) in enumerate(zip(keep, widths))
                     if i not in blocked and w >= multiple and k + multiple <= w]
            if not open_:
                break
            i = min(open_, key=lambda j: (keep[j] / widths[j], j))
            trial = keep[:i] + [keep[i] + multiple] + keep[i + 1:]
            if base / cost(trial) >= target:
                keep = trial
            else:
                blocked.add(i)
    return keep, base / cost(keep) >= target * 0.999


def _activations_stats(layers: list[Layer], final: Layer, x: torch.Tensor, opts: ChainOptions
                       ) -> tuple[list[int], list[float], list[torch.Tensor]]:
    """d_l (explicit ranks or the energy rule), ReLU ratios a_l and, per layer, the neuron scores
    s_i^2 = ||Q_l[i, :]||^2 E[y_i^2] (embedding energy; sorted descending, normalised to sum 1)."""
    from pkg_efficient.compress.chain import _rank, _split_scales, _svd_rows

    ranks, ratios, energies = [], [], []
    y = x.to(layers[0].weight.dtype)
    chain = layers + [final]
    for li, layer in enumerate(layers):
        o = layer.conv(y)
        ratios.append(relu_ratio(o))
        m = chain[li + 1].weight.double().permute(1, 0, 2, 3).reshape(o.shape[1], -1)
        u, sv, _ = _svd_rows(m)
        d = opts.ranks[li] if opts.ranks is not None else _rank(sv, opts)
        ranks.append(d)
        y = layer.act(o)
        sq, _ = _split_scales(sv[:d], opts.embedding_scale)  # the same embedding the pruner reconstructs
        e = (u[:, :d] * sq).pow(2).sum(1) * y.double().pow(2).mean(dim=(0, 2, 3))
        energies.append((e / e.sum().clamp_min(1e-300)).sort(descending=True).values)
    return ranks, ratios, energies


def greedy_widths(widths: list[int], lower: list[int], energies: list[torch.Tensor], cost, budget: float,
                  chunks: int = 32, multiple: int = 1) -> list[int]:
    """Spec's allocation: from full widths, repeatedly drop a chunk (~n_l/32) of the lowest-energy
    neurons of the layer that loses the least log retained embedding energy per M-Add saved,
    never below ``lower``, until ``cost(widths) <= budget``. With ``multiple`` > 1 every layer at
    least that wide steps to the multiple below (see :func:`aligned_keep` for why)."""
    keep = list(widths)
    lower = aligned_lower(widths, lower, multiple)
    cum = [torch.cumsum(e, 0) for e in energies]

    def log_energy(li: int, k: int) -> float:
        return float(torch.log(cum[li][k - 1].clamp_min(1e-300)))

    cur = cost(keep)
    while cur > budget:
        best, best_score = None, None
        for li, (k, lo) in enumerate(zip(keep, lower)):
            step = min(max(1, widths[li] // chunks), k - lo)
            if step <= 0:
                continue
            nxt = k - step
            if multiple > 1 and widths[li] >= multiple:
                nxt = nxt // multiple * multiple
                if nxt < max(lo, multiple):
                    continue
            trial = keep[:li] + [nxt] + keep[li + 1:]
            saved = cur - cost(trial)
            if saved <= 0:
                continue
            score = (log_energy(li, k) - log_energy(li, nxt)) / saved
            if best_score is None or score < best_score:
                best, best_score = trial, score
        if best is None:
            break
        keep, cur = best, cost(best)
    return keep


def _accuracy_rule(model: nn.Module, targets: list[tuple[str, torch.Tensor]], calib: torch.Tensor,
                   labels: torch.Tensor | None, opts: ChainOptions) -> list[int]:
    from pkg_efficient.compress.ranks import accuracy_ranks

    if labels is None:
        raise ValueError("rank_rule=accuracy needs labelled calibration images")
    n = min(opts.rank_images, len(calib))
    return accuracy_ranks(model, targets, calib[:n], labels[:n], opts.rank_eps)


@torch.no_grad()
def compress_vgg(model: VGG, calib: torch.Tensor, opts: ChainOptions, target_speedup: float | None = None,
                 widths: list[int] | None = None, relu_bound: bool = True,
                 labels: torch.Tensor | None = None, reinsert_bn: bool = False,
                 allocation: str = "uniform", width_multiple: int = 1) -> tuple[VGG, dict]:
    """Prune the conv outputs of a VGG to ``widths`` or to a conv-only ``target_speedup``.

    ``width_multiple`` > 1 makes the solved widths (not explicit ones) multiples of it."""
    dtype = next(model.parameters()).dtype
    model = copy.deepcopy(model).eval()
    layers, final = _vgg_chain(model)
    if opts.method == "ldrf" and opts.rank_rule == "accuracy" and opts.ranks is None:
        names = [f"features.{i}" for i, m in enumerate(model.features) if isinstance(m, nn.Conv2d)] + ["classifier.0"]
        chain = layers + [final]
        targets = [(names[i + 1], chain[i + 1].weight) for i in range(len(layers))]
        opts = dataclasses.replace(opts, ranks=_accuracy_rule(model, targets, calib.to(dtype), labels, opts))
    orig_w = [int(lay.weight.shape[0]) for lay in layers]
    hw = _vgg_hw(model, calib.shape[-1])
    base = _vgg_conv_macs(orig_w, hw)
    note = ""
    widths_given = widths
    if widths is None:
        if target_speedup is None:
            raise ValueError("give a target speed-up or explicit widths")
        lower = [1] * len(orig_w)
        if opts.method == "ldrf" and (relu_bound or allocation == "greedy"):
            ranks, ratios, energies = _activations_stats(layers, final, calib, opts)
            lower = relu_lower_bounds(ranks, ratios, orig_w) if relu_bound else lower
        if allocation == "greedy" and opts.method == "ldrf":
            widths = greedy_widths(orig_w, lower, energies, lambda k: _vgg_conv_macs(k, hw), base / target_speedup,
                                   multiple=width_multiple)
            ok = base / _vgg_conv_macs(widths, hw) >= target_speedup * 0.999
            if not ok:
                widths = greedy_widths(orig_w, [1] * len(orig_w), energies, lambda k: _vgg_conv_macs(k, hw),
                                       base / target_speedup, multiple=width_multiple)
                ok, note = True, "ReLU lower bounds could not reach the target; bounds dropped"
        else:
            widths, ok = _solve_ratio(lambda k: _vgg_conv_macs(k, hw), orig_w, lower, target_speedup, base,
                                      width_multiple)
        if not ok:
            widths, _ = _solve_ratio(lambda k: _vgg_conv_macs(k, hw), orig_w, [1] * len(orig_w), target_speedup, base,
                                     width_multiple)
            note = "ReLU lower bounds could not reach the target; bounds dropped"
    if len(widths) != len(layers):
        raise ValueError(f"expected {len(layers)} widths, got {len(widths)}")
    calib = calib.to(dtype)
    new_layers, new_final, reports, _ = prune_chain(layers, final, calib, calib, list(widths), opts)
    cfg, li = [], 0
    for v in model.cfg:
        if v == "M":
            cfg.append("M")
        else:
            cfg.append(int(widths[li]))
            li += 1
    p = model.avgpool.output_size if isinstance(model.avgpool.output_size, int) else model.avgpool.output_size[0]
    hidden = [m.out_features for m in model.classifier if isinstance(m, nn.Linear)][:-1]
    num_classes = [m for m in model.classifier if isinstance(m, nn.Linear)][-1].out_features
    dropout = next((m.p for m in model.classifier if isinstance(m, nn.Dropout)), 0.0)
    arch = {"cfg": cfg, "pool_size": p, "hidden": hidden, "num_classes": num_classes, "dropout": dropout,
            "batch_norm": reinsert_bn}
    new = VGG(cfg, batch_norm=reinsert_bn, num_classes=num_classes, pool_size=p, hidden=hidden, dropout=dropout).to(dtype)
    for bn in new.modules():
        if isinstance(bn, nn.BatchNorm2d):
            _identity_bn(bn)
    convs = [m for m in new.features if isinstance(m, nn.Conv2d)]
    for conv, layer in zip(convs, new_layers):
        conv.weight.copy_(layer.weight.to(dtype))
        conv.bias.copy_(layer.bias.to(dtype))
    fc = new.classifier[0]
    fc.weight.copy_(new_final.weight.reshape(fc.out_features, -1))
    fc.bias.copy_(new_final.bias)
    old_lin = [m for m in model.classifier if isinstance(m, nn.Linear)]
    new_lin = [m for m in new.classifier if isinstance(m, nn.Linear)]
    for a, b in zip(old_lin[1:], new_lin[1:]):
        b.load_state_dict(a.state_dict())
    new = new.to(dtype).eval()
    info = {"widths": list(map(int, widths)), "original_widths": orig_w, "rank_rule": opts.rank_rule,
            "allocation": allocation if widths_given is None else "explicit", "layers": [dataclasses.asdict(r) for r in reports],
            "conv_speedup_theoretical": base / _vgg_conv_macs(list(widths), hw), "note": note,
            "width_multiple": width_multiple if widths_given is None else None,
            "spec": {"kind": "vgg", "arch": arch}}
    return new, info


# ------------------------------------------------------------------------------- ResNets (both)
def _bottlenecks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Residual blocks whose internal channels are pruned: torchvision Bottleneck (conv1, conv2
    internal; conv3 final) and basic blocks (conv1 internal; conv2 final), incl. our CIFAR ResNets."""
    return [(n, m) for n, m in model.named_modules() if type(m).__name__ in ("Bottleneck", "BasicBlock")]


def _convs_of(blk: nn.Module) -> list[tuple[str, str]]:
    """(conv, bn) attribute names in order; the last one is the block's final (kept-width) layer."""
    return [("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")] if hasattr(blk, "conv3") else [("conv1", "bn1"), ("conv2", "bn2")]


def _block_chain(blk: nn.Module) -> tuple[list[Layer], Layer]:
    def lay(conv, bn, name):
        f = fold_bn(conv, bn) if isinstance(bn, nn.BatchNorm2d) else conv
        b = f.bias.detach() if f.bias is not None else torch.zeros(f.out_channels, dtype=f.weight.dtype)
        return Layer(f.weight.detach().clone(), b.clone(), f.stride, f.padding, f.dilation, None, name)

    chain = [lay(getattr(blk, c), getattr(blk, b), c) for c, b in _convs_of(blk)]
    return chain[:-1], chain[-1]


def _identity_bn(bn: nn.BatchNorm2d) -> nn.BatchNorm2d:
    """A BN that is exactly the identity in eval mode (mean 0, var 1, gamma sqrt(1 + eps), beta 0),
    so fine-tuning can use BN again while the recomposed network's output is unchanged (--reinsert-bn)."""
    with torch.no_grad():
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0)
        bn.weight.fill_(float(torch.sqrt(torch.tensor(1.0 + bn.eps, dtype=torch.float64))))
        bn.bias.zero_()
    return bn


def _set_block(blk: nn.Module, layers: list[Layer], final: Layer, reinsert_bn: bool = False) -> None:
    for (attr, bn_attr), lay in zip(_convs_of(blk), layers + [final]):
        old = getattr(blk, attr)
        n, c = lay.weight.shape[:2]
        conv = nn.Conv2d(c, n, lay.weight.shape[-2:], lay.stride, lay.padding, lay.dilation, bias=True)
        with torch.no_grad():
            conv.weight.copy_(lay.weight)
            conv.bias.copy_(lay.bias)
        setattr(blk, attr, conv.to(old.weight.dtype))
        setattr(blk, bn_attr, _identity_bn(nn.BatchNorm2d(n).to(old.weight.dtype)) if reinsert_bn else nn.Identity())


def resnet_block_shapes(model: nn.Module, input_size: int) -> dict[str, dict]:
    """Per block: kernel sizes, input/output channels, internal widths and the map area of each conv."""
    out: dict[str, dict] = {}
    hooks = []
    for name, blk in _bottlenecks(model):
        convs = [getattr(blk, c) for c, _ in _convs_of(blk)]
        out[name] = {"w": [c.out_channels for c in convs[:-1]], "c_in": convs[0].in_channels,
                     "c_out": convs[-1].out_channels, "k": [c.kernel_size[0] * c.kernel_size[1] for c in convs], "hw": []}
        for conv in convs:
            hooks.append(conv.register_forward_hook(
                lambda mod, inp, o, name=name: out[name]["hw"].append(o.shape[2] * o.shape[3])))
    _probe(model, hooks, input_size)
    return out


def _probe(model: nn.Module, hooks: list, input_size: int) -> None:
    """One zero image through ``model`` (eval) so the shape hooks fire; the hooks are removed."""
    p = next(model.parameters())
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, input_size, input_size, dtype=p.dtype))
    finally:
        for h in hooks:
            h.remove()


def _resnet_internal_macs(shapes: dict, widths: dict[str, list[int]]) -> int:
    tot = 0
    for name, s in shapes.items():
        chans = [s["c_in"], *widths[name], s["c_out"]]
        tot += sum(chans[i] * chans[i + 1] * s["k"][i] * s["hw"][i] for i in range(len(s["k"])))
    return tot


def _resnet_stats(model: nn.Module, blocks: list[tuple[str, nn.Module]], calib: torch.Tensor, opts: ChainOptions,
                  block_ranks: dict[str, list[int]]) -> tuple[list[int], list[float], list[torch.Tensor]]:
    """d_l, ReLU ratios and embedding energies of every internal layer of every block (flat, in
    block order), on the original network's activations."""
    ranks, ratios, energies = [], [], []
    x = _stem(model)(calib)
    for name, blk in blocks:
        layers, final = _block_chain(blk)
        blk_opts = dataclasses.replace(opts, ranks=block_ranks[name]) if name in block_ranks else opts
        r, a, e = _activations_stats(layers, final, x, blk_opts)
        ranks += r
        ratios += a
        energies += e
        x = blk(x)
    return ranks, ratios, energies


def _stem(model: nn.Module) -> nn.Module:
    if hasattr(model, "maxpool"):  # torchvision
        return nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool)
    return nn.Sequential(model.conv1, model.bn1, nn.ReLU())  # our CIFAR ResNets


@torch.no_grad()
def compress_resnet(model: nn.Module, calib: torch.Tensor, opts: ChainOptions, target_speedup: float | None = None,
                    widths: dict[str, list[int]] | None = None,
                    labels: torch.Tensor | None = None, reinsert_bn: bool = False,
                    allocation: str = "uniform", relu_bound: bool = True,
                    width_multiple: int = 1) -> tuple[nn.Module, dict]:
    """Prune the internal channels of every residual block (block outputs untouched).

    ``allocation``: ``uniform`` (one keep ratio for every internal layer, bisected to the target; LDRF
    keeps each layer inside its ReLU lower bound when ``relu_bound``, as for VGG) or
    ``greedy`` (LDRF: the VGG rule, :func:`greedy_widths`, over all internal layers of all blocks,
    inside the ReLU lower bounds n'_l >= ceil(d_l / a_l) when ``relu_bound``). ``width_multiple``:
    as for :func:`compress_vgg`."""
    from pkg_efficient.flops import count

    dtype = next(model.parameters()).dtype
    model = copy.deepcopy(model).eval()
    blocks = _bottlenecks(model)
    block_ranks: dict[str, list[int]] = {}
    if opts.method == "ldrf" and opts.rank_rule == "accuracy" and opts.ranks is None:
        targets, owners = [], []
        for name, blk in blocks:
            layers, final = _block_chain(blk)
            nxt = [c for c, _ in _convs_of(blk)][1:]
            for attr, lay in zip(nxt, layers[1:] + [final]):
                targets.append((f"{name}.{attr}", lay.weight))
                owners.append(name)
        found = _accuracy_rule(model, targets, calib.to(dtype), labels, opts)
        for name, d in zip(owners, found):
            block_ranks.setdefault(name, []).append(d)
    shapes = resnet_block_shapes(model, calib.shape[-1])
    orig = {n: s["w"] for n, s in shapes.items()}
    total = count(model, calib.shape[-1])["conv_macs"]
    fixed = total - _resnet_internal_macs(shapes, orig)
    names = list(orig)
    note = ""
    lower_bounds = None
    widths_given = widths is not None
    offsets = [0]
    for n in names:
        offsets.append(offsets[-1] + len(orig[n]))
    if widths is None:
        if target_speedup is None:
            raise ValueError("give a target speed-up or explicit widths")
        flat = [w for n in names for w in orig[n]]

        def split(k):
            return {n: list(k[offsets[i]:offsets[i + 1]]) for i, n in enumerate(names)}

        def cost(k):
            return fixed + _resnet_internal_macs(shapes, split(k))

        if allocation == "greedy" and opts.method == "ldrf":
            ranks, ratios, energies = _resnet_stats(model, blocks, calib.to(dtype), opts, block_ranks)
            lower = relu_lower_bounds(ranks, ratios, flat) if relu_bound else [1] * len(flat)
            keep = greedy_widths(flat, lower, energies, cost, total / target_speedup, multiple=width_multiple)
            if total / cost(keep) < target_speedup * 0.999 and relu_bound:
                keep = greedy_widths(flat, [1] * len(flat), energies, cost, total / target_speedup,
                                     multiple=width_multiple)
                note = "ReLU lower bounds could not reach the target; bounds dropped"
            ok = total / cost(keep) >= target_speedup * 0.999
            lower_bounds = split(lower)
        else:
            lower = [1] * len(flat)
            if opts.method == "ldrf" and relu_bound:  # the VGG rule: one keep ratio inside the ReLU ranges
                ranks, ratios, _ = _resnet_stats(model, blocks, calib.to(dtype), opts, block_ranks)
                lower = relu_lower_bounds(ranks, ratios, flat)
                lower_bounds = split(lower)
            keep, ok = _solve_ratio(cost, flat, lower, target_speedup, total, width_multiple)
            if not ok and lower != [1] * len(flat):
                keep, ok = _solve_ratio(cost, flat, [1] * len(flat), target_speedup, total, width_multiple)
                note = "ReLU lower bounds could not reach the target; bounds dropped"
        if not ok:
            raise ValueError(f"a {target_speedup}x conv speed-up is not reachable by pruning block internals only")
        widths = split(keep)
    # walk the network: the stem and every block in order, compressing blocks one by one
    x_o = x_p = _stem(model)(calib.to(dtype))
    reports = []
    for name, blk in blocks:
        layers, final = _block_chain(blk)
        blk_opts = dataclasses.replace(opts, ranks=block_ranks[name]) if name in block_ranks else opts
        new_layers, new_final, rep, _ = prune_chain(layers, final, x_o, x_p, list(widths[name]), blk_opts)
        o_orig = blk(x_o)
        _set_block(blk, new_layers, new_final, reinsert_bn)
        blk.to(dtype).eval()
        x_p = blk(x_p)
        for r in rep:
            r.name = f"{name}.{r.name}"
            reports.append(dataclasses.asdict(r))
        x_o = o_orig
    model = model.to(dtype).eval()
    new_total = count(model, calib.shape[-1])["conv_macs"]
    info = {"widths": {n: list(map(int, w)) for n, w in widths.items()}, "layers": reports, "rank_rule": opts.rank_rule,
            "allocation": "explicit" if widths_given else (allocation if opts.method == "ldrf" else "uniform"),
            "lower_bounds": lower_bounds, "conv_speedup_theoretical": total / new_total, "note": note,
            "width_multiple": None if widths_given else width_multiple,
            "spec": {"kind": "resnet", "widths": {n: list(map(int, w)) for n, w in widths.items()},
                     "reinsert_bn": reinsert_bn}}
    return model, info


# ------------------------------------------------------------------------------------------ FGA
def decomposable_convs(model: nn.Module, include_1x1: bool = False) -> list[str]:
    """All dense k>1 convs except the stem (the first conv, c = 3)."""
    out = []
    for name, m in model.named_modules():
        dense = isinstance(m, nn.Conv2d) and m.groups == 1 and m.in_channels > 3
        if dense and (include_1x1 or m.kernel_size != (1, 1)):
            out.append(name)
    return out


def _set_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, attr = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attr, new)


def _conv_hw(model: nn.Module, names: list[str], input_size: int) -> dict[str, int]:
    hw: dict[str, int] = {}
    hooks = [model.get_submodule(n).register_forward_hook(
        lambda m, i, o, n=n: hw.__setitem__(n, o.shape[2] * o.shape[3])) for n in names]
    _probe(model, hooks, input_size)
    return hw


@torch.no_grad()
def decompose_model(model: nn.Module, method: str = "fga", input_size: int = 224, policy: str = "uniform",
                    group_size: int = 16, target_reduction: float = 0.8, include_1x1: bool = False,
                    layers: dict[str, list[int]] | None = None, calib: torch.Tensor | None = None,
                    refit: bool = False, backend: str = "torch") -> tuple[nn.Module, dict]:
    """Replace convs by F -> P pairs (FGA), k x k -> 1x1 (chandecomp), k x 1 -> 1 x k (spatial),
    1x1 -> k x k core -> 1x1 (tucker, Tucker-2) or 1x1 -> kx1 dw -> 1xk dw -> 1x1 (cp).

    Baselines get the same per-layer M-Adds as the FGA choice (equal-cost comparison)."""
    model = copy.deepcopy(model).eval()
    names = decomposable_convs(model, include_1x1)
    hw = _conv_hw(model, names, input_size)
    if layers is None:
        choice = allocate({n: (model.get_submodule(n), hw[n]) for n in names}, policy, group_size, target_reduction)
        layers = {}
        for c in choice:
            conv = model.get_submodule(c.name)
            n, cin, kh, kw = conv.weight.shape
            macs = c.groups * c.rank * (cin // c.groups) * kh * kw + n * c.groups * c.rank  # per pixel
            if method == "fga":
                layers[c.name] = [c.groups, c.rank]
            elif method == "chandecomp":
                layers[c.name] = [max(1, min(n, cin * kh * kw, macs // (cin * kh * kw + n)))]
            elif method == "spatial":
                layers[c.name] = [max(1, min(cin * kh, n * kw, macs // (cin * kh + n * kw)))]
            elif method == "tucker":
                layers[c.name] = list(tucker2_ranks_for(macs, n, cin, kh, kw, conv.stride))
            elif method == "cp":
                layers[c.name] = [cp_rank_for(macs, n, cin, kh, kw, conv.stride)]
            else:
                raise ValueError(f"unknown decomposition {method!r}")
    report = []
    ref_out = {}
    if refit and calib is not None:
        hooks = [model.get_submodule(n).register_forward_hook(lambda m, i, o, n=n: ref_out.__setitem__(n, o))
                 for n in layers]
        model(calib)
        for h in hooks:
            h.remove()
    for name, args in layers.items():
        conv = model.get_submodule(name)
        new = _decompose_one(conv, method, args, backend)
        w = conv.weight.double()
        w_eq = {"spatial": None, "tucker": tucker2_weight, "cp": cp_weight}.get(method, equivalent_weight)
        w_eq = w_eq(new) if w_eq is not None else None
        err = float(((w_eq - w) ** 2).sum() / (w ** 2).sum()) if w_eq is not None else float("nan")
        if method == "spatial":
            x = torch.randn(2, conv.in_channels, 16, 16, dtype=conv.weight.dtype)
            err = float(((new(x) - conv(x)) ** 2).sum() / (conv(x) ** 2).sum())
        deg = degeneracy(w_eq) if w_eq is not None else {"degenerate_fraction": float("nan"), "equivalent_rank": None}
        report.append({"name": name, "args": list(map(int, args)), "rel_weight_error": err,
                       "degenerate_fraction": deg["degenerate_fraction"], "equivalent_rank": deg["equivalent_rank"],
                       "full_rank": min(conv.out_channels, conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1])})
        _set_module(model, name, new)
        if refit and calib is not None:
            _refit_p(model, name, new, calib, ref_out[name])
    return model, {"layers": report, "spec": {"kind": method, "layers": {k: list(map(int, v)) for k, v in layers.items()}}}


def _decompose_one(conv: nn.Conv2d, method: str, args: list[int], backend: str = "torch") -> nn.Sequential:
    if method == "fga":
        return fga_decompose(conv, int(args[0]), int(args[1]))
    if method == "chandecomp":
        return chandecomp(conv, int(args[0]))
    if method == "spatial":
        return spatial_decompose(conv, int(args[0]))
    if method == "tucker":
        return tucker2_decompose(conv, int(args[0]), int(args[1]), backend)
    if method == "cp":
        return cp_decompose(conv, int(args[0]), backend)
    raise ValueError(f"unknown decomposition {method!r}")


def _refit_p(model: nn.Module, name: str, seq: nn.Sequential, calib: torch.Tensor, target: torch.Tensor) -> None:
    """LS refit of the last 1x1 (and bias) so the layer's output on the compressed net's inputs
    matches the original output (asymmetric reconstruction)."""
    from pkg_efficient.compress.solvers import ridge_lstsq

    p = seq[-1]
    if p.kernel_size != (1, 1):
        raise ValueError(f"{name}: the LS refit needs a final 1x1 conv (not available for 'spatial')")
    feats = {}
    h = seq[-2].register_forward_hook(lambda m, i, o: feats.__setitem__("f", o))
    model(calib)
    h.remove()
    f = feats["f"]
    a = f.permute(0, 2, 3, 1).reshape(-1, f.shape[1])
    a = torch.cat([a, torch.ones(len(a), 1, dtype=a.dtype)], 1)
    b = target.permute(0, 2, 3, 1).reshape(-1, target.shape[1])
    sol = ridge_lstsq(a, b)
    p.weight.copy_(sol[:-1].T.reshape(p.weight.shape).to(p.weight.dtype))
    if p.bias is None:
        p.bias = nn.Parameter(torch.zeros(p.out_channels, dtype=p.weight.dtype))
    p.bias.copy_(sol[-1].to(p.weight.dtype))


# -------------------------------------------------------------------------------------- rebuild
def rebuild(spec: dict) -> nn.Module:
    """Empty model of the structure a compression spec describes (weights loaded by the caller)."""
    from pkg_efficient.config import ModelConfig
    from pkg_efficient.engine.modelio import build_from_config
    from pkg_shared.config import from_dict

    comp = spec["compression"]
    kind = comp["kind"]
    if kind == "vgg":
        a = comp["arch"]
        return VGG(a["cfg"], batch_norm=a.get("batch_norm", False), num_classes=a["num_classes"], pool_size=a["pool_size"],
                   hidden=a["hidden"], dropout=a["dropout"])
    base = build_from_config(from_dict(ModelConfig, {**spec["base"], "init": None}))
    if kind == "resnet":
        mods = dict(base.named_modules())
        for name, widths in comp["widths"].items():
            blk = mods[name]
            convs = [getattr(blk, c) for c, _ in _convs_of(blk)]
            chans = [convs[0].in_channels, *widths, convs[-1].out_channels]
            lays = [Layer(torch.zeros(chans[i + 1], chans[i], *c.kernel_size), torch.zeros(chans[i + 1]), c.stride,
                          c.padding, c.dilation) for i, c in enumerate(convs)]
            _set_block(blk, lays[:-1], lays[-1], comp.get("reinsert_bn", False))
        return base
    for name, args in comp["layers"].items():
        conv = base.get_submodule(name)
        if kind == "tucker":
            new = tucker2_structure(conv, int(args[0]), int(args[1]))
        elif kind == "cp":
            new = cp_structure(conv, int(args[0]))
        else:
            new = _decompose_one(conv, kind, args)
        if comp.get("refit") and new[-1].bias is None:
            new[-1].bias = nn.Parameter(torch.zeros(new[-1].out_channels))
        _set_module(base, name, new)
    return base
