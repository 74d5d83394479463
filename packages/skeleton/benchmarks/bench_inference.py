"""CPU inference throughput (clips/s) of HCN against an ST-GCN-sized graph-convolution baseline.

Both get the same input (N, 3, 32, 25, 2). The baseline is written here with plain torch: 10
spatial-temporal blocks (64, 64, 64, 64, 128, 128, 128, 256, 256, 256 channels, temporal kernel 9,
stride 2 at blocks 5 and 8, 3-partition NTU adjacency), as in ST-GCN.

    python packages/skeleton/benchmarks/bench_inference.py --out bench_inference.json
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from pkg_shared.engine import count_macs, count_params
from pkg_shared.engine.bench import compare, report
from pkg_skeleton.config import ModelConfig
from pkg_skeleton.models import build_model
from pkg_skeleton.models.hcn import NTU_BONES


def ntu_adjacency() -> torch.Tensor:
    """(3, V, V): self links, inward (child->parent) and outward links, column-normalised."""
    v = 25
    a = torch.zeros(3, v, v)
    a[0] = torch.eye(v)
    for c, p in NTU_BONES:
        a[1, p - 1, c - 1] = 1
        a[2, c - 1, p - 1] = 1
    deg = a.sum(0).sum(0).clamp(min=1)
    return a / deg


class STBlock(nn.Module):
    def __init__(self, cin: int, cout: int, a: torch.Tensor, stride: int = 1, residual: bool = True) -> None:
        super().__init__()
        self.register_buffer("a", a)
        self.gcn = nn.Conv2d(cin, cout * a.shape[0], 1)
        self.tcn = nn.Sequential(nn.BatchNorm2d(cout), nn.ReLU(), nn.Conv2d(cout, cout, (9, 1), (stride, 1), (4, 0)),
                                 nn.BatchNorm2d(cout))
        if not residual:
            self.res = None
        elif cin == cout and stride == 1:
            self.res = nn.Identity()
        else:
            self.res = nn.Sequential(nn.Conv2d(cin, cout, 1, (stride, 1)), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        k = self.a.shape[0]
        y = self.gcn(x).view(n, k, -1, t, v)
        y = torch.einsum("nkctv,kvw->nctw", y, self.a)
        y = self.tcn(y)
        return self.relu(y + (self.res(x) if self.res is not None else 0))


class STGCNBaseline(nn.Module):
    def __init__(self, num_classes: int = 60) -> None:
        super().__init__()
        a = ntu_adjacency()
        self.data_bn = nn.BatchNorm1d(3 * 25 * 2)
        chans = [(3, 64, 1, False), (64, 64, 1, True), (64, 64, 1, True), (64, 64, 1, True), (64, 128, 2, True),
                 (128, 128, 1, True), (128, 128, 1, True), (128, 256, 2, True), (256, 256, 1, True),
                 (256, 256, 1, True)]
        self.blocks = nn.ModuleList([STBlock(i, o, a, s, r) for i, o, s, r in chans])
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, T, V, M)
        n, c, t, v, m = x.shape
        x = self.data_bn(x.permute(0, 4, 3, 1, 2).reshape(n, m * v * c, t))
        x = x.view(n, m, v, c, t).permute(0, 1, 3, 4, 2).reshape(n * m, c, t, v)
        for b in self.blocks:
            x = b(x)
        x = x.mean((2, 3)).view(n, m, -1).mean(1)
        return self.fc(x)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", help="JSON file for the results")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    hcn = build_model(ModelConfig()).eval()
    gcn = STGCNBaseline().eval()
    x1 = torch.randn(1, 3, 32, 25, 2)
    info = {"hcn_params": count_params(hcn), "stgcn_params": count_params(gcn),
            "hcn_macs_per_clip": count_macs(hcn, x1), "stgcn_macs_per_clip": count_macs(gcn, x1)}
    results = []
    for batch in (1, 64):
        x = torch.randn(batch, 3, 32, 25, 2)
        with torch.inference_mode():
            r = compare(f"inference batch {batch} (T=32): HCN vs ST-GCN-sized GCN",
                        lambda x=x: hcn(x), lambda x=x: gcn(x), repeat=args.repeat, extra=dict(info, batch=batch))
        r["hcn_clips_per_s"] = batch / r["candidate"]["median_s"]
        r["stgcn_clips_per_s"] = batch / r["baseline"]["median_s"]
        results.append(r)
    print(report(results, args.out))
    for r in results:
        print(f"batch {r['batch']}: HCN {r['hcn_clips_per_s']:.1f} clips/s, ST-GCN-sized {r['stgcn_clips_per_s']:.1f} "
              f"clips/s")
    print(info)


if __name__ == "__main__":
    main()
