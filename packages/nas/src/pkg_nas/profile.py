"""Parameter and multiply-accumulate counts of an assignment from a per-block lookup table.

Convention (spec §7.3): MACs = Conv2d ``H_out*W_out*C_out*(C_in/groups)*k_h*k_w`` + Linear
``in*out``; BN, ReLU, pooling and additions count zero. Params = every trainable parameter,
BN affine and FC bias included. Each block's cost depends only on (config, stage, block index),
so profiling an assignment is O(S) after the table is filled; ``exact_counts`` runs the real
network under ``FlopCounterMode`` and is what the tests compare the table against.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from pkg_nas.config import ModelConfig
from pkg_nas.space import LayerAssignment


def _conv_out(h: int, k: int, s: int, p: int) -> int:
    return (h + 2 * p - k) // s + 1


def stem_output_size(cfg: ModelConfig) -> int:
    h = cfg.input_size
    if cfg.stem == "cifar":
        return h
    h = _conv_out(h, 7, 2, 3)
    return _conv_out(h, 3, 2, 1) if cfg.stem == "imagenet" else h


@functools.cache
def _stage_input(cfg: ModelConfig, s: int) -> tuple[int, int]:
    """(channels, spatial size) entering stage ``s``."""
    from pkg_nas.models.blocks import BLOCKS

    exp = BLOCKS[cfg.family].expansion
    c = cfg.stem_width or cfg.widths[0]
    h = stem_output_size(cfg)
    for t in range(s):
        if t > 0:
            h = h // 2 if (cfg.family == "plain" and cfg.plain_down == "pool") else _conv_out(h, 3, 2, 1)
        c = cfg.widths[t] * exp
    return c, h


@functools.cache
def block_cost(cfg: ModelConfig, s: int, i: int) -> tuple[int, int]:
    """(params, MACs) of block ``i`` of stage ``s``."""
    c_in, h_in = _stage_input(cfg, s)
    w = cfg.widths[s]
    first = i == 0
    stride = 2 if (s > 0 and first) else 1
    h_out = _h_after(cfg, s)  # every block of a stage outputs the stage's map size
    if cfg.family == "plain":
        cin = c_in if first else w
        return 9 * cin * w + 2 * w, h_out * h_out * 9 * cin * w
    if cfg.family == "basic":
        cin = c_in if first else w
        params = 9 * cin * w + 9 * w * w + 4 * w
        macs = h_out * h_out * (9 * cin * w + 9 * w * w)
        if first and (stride != 1 or cin != w):
            params += cin * w + 2 * w
            macs += h_out * h_out * cin * w
        return params, macs
    # bottleneck
    cout = 4 * w
    cin = c_in if first else cout
    h1 = h_in if first else h_out  # the 1x1 before the strided 3x3 runs at the input size
    params = cin * w + 9 * w * w + w * cout + 2 * w + 2 * w + 2 * cout
    macs = h1 * h1 * cin * w + h_out * h_out * (9 * w * w + w * cout)
    if first and (stride != 1 or cin != cout):
        params += cin * cout + 2 * cout
        macs += h_out * h_out * cin * cout
    return params, macs


def _h_after(cfg: ModelConfig, s: int) -> int:
    """Spatial size inside stage ``s`` (after its first block)."""
    c, h = _stage_input(cfg, s)
    if s == 0:
        return h
    if cfg.family == "plain" and cfg.plain_down == "pool":
        return h // 2
    return _conv_out(h, 3, 2, 1)


@dataclasses.dataclass(frozen=True)
class Profile:
    assignment: LayerAssignment
    params: int
    macs: int
    stage_params: tuple[int, ...]
    stage_macs: tuple[int, ...]
    stem_head_params: int
    stem_head_macs: int

    def as_dict(self) -> dict:
        return {
            "assignment": str(self.assignment),
            "depth": self.assignment.depth,
            "params": self.params,
            "macs": self.macs,
            "params_M": round(self.params / 1e6, 3),
            "macs_M": round(self.macs / 1e6, 2),
            "stage_params": list(self.stage_params),
            "stage_macs": list(self.stage_macs),
            "stem_head_params": self.stem_head_params,
            "stem_head_macs": self.stem_head_macs,
        }


def stem_head_cost(cfg: ModelConfig) -> tuple[int, int]:
    from pkg_nas.models.blocks import BLOCKS

    sw = cfg.stem_width or cfg.widths[0]
    k = 3 if cfg.stem == "cifar" else 7
    h = _conv_out(cfg.input_size, k, 1 if cfg.stem == "cifar" else 2, k // 2)
    feat = cfg.widths[-1] * BLOCKS[cfg.family].expansion
    params = 3 * k * k * sw + 2 * sw + feat * cfg.num_classes + cfg.num_classes
    macs = h * h * 3 * k * k * sw + feat * cfg.num_classes
    return params, macs


def profile(cfg: ModelConfig, assignment: Sequence[int] | str) -> Profile:
    """Params and MACs (one 1-image forward pass) of ``assignment`` in the family ``cfg``."""
    a = LayerAssignment.parse(assignment)
    if len(a) != cfg.stages:
        from pkg_shared.errors import ConfigError

        raise ConfigError(f"assignment {a} has {len(a)} stages, the model config has {cfg.stages}")
    sp, sm = [], []
    for s, n in enumerate(a):
        costs = [block_cost(cfg, s, i) for i in range(n)]
        sp.append(sum(c[0] for c in costs))
        sm.append(sum(c[1] for c in costs))
    hp, hm = stem_head_cost(cfg)
    return Profile(a, hp + sum(sp), hm + sum(sm), tuple(sp), tuple(sm), hp, hm)


def exact_counts(cfg: ModelConfig, assignment: Sequence[int] | str, device: str = "cpu") -> tuple[int, int]:
    """(params, MACs) measured on the built network with ``FlopCounterMode`` (slow; verification)."""
    import torch

    from pkg_nas.models import build_network
    from pkg_shared.engine import count_macs, count_params

    net = build_network(cfg, assignment).to(device)
    x = torch.zeros(1, 3, cfg.input_size, cfg.input_size, device=device)
    return count_params(net), count_macs(net, x)
