"""Supernet training step vs a plain network of the same (largest) depth.

The supernet runs the first n_s blocks of each stage; at the full assignment it does exactly the
plain network's work, so the ratio measures the overhead of the elastic-depth forward.

    python packages/nas/benchmarks/bench_supernet_step.py --preset cifar100 --batch 64 --out step.json
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from pkg_nas.config import PRESETS
from pkg_nas.models import Supernet, build_network, default_supernet_blocks
from pkg_nas.space import LayerAssignment
from pkg_shared.engine.bench import compare, report


def step_fn(model, x, y, active=None):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def fn():
        out = model(x) if active is None else model(x, active)
        loss = F.cross_entropy(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return fn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="cifar100_small", choices=sorted(PRESETS))
    ap.add_argument("--target-depth", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    cfg = PRESETS[args.preset]
    dev = torch.device(args.device)
    blocks = default_supernet_blocks(cfg.stages, args.target_depth)
    full = LayerAssignment((args.target_depth - cfg.stages + 1, 1, 1, 1))  # a depth-L_T assignment
    sampled = LayerAssignment((2, 2, 2, 2)) if args.target_depth == 8 else full
    sn = Supernet(cfg, blocks).to(dev)
    x = torch.randn(args.batch, 3, cfg.input_size, cfg.input_size, device=dev)
    y = torch.randint(0, cfg.num_classes, (args.batch,), device=dev)
    results = []
    for a in sorted({full, sampled}):
        plain = build_network(cfg, a).to(dev)
        results.append(compare(f"{args.preset} depth {a.depth} step, assignment {a}: supernet vs plain",
                               step_fn(sn, x, y, a), step_fn(plain, x, y), repeat=args.repeat,
                               extra={"device": str(dev), "batch": args.batch, "supernet_blocks": str(blocks)}))
    print(report(results, args.out))


if __name__ == "__main__":
    main()
