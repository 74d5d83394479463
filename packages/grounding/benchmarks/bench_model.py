"""Training step and inference time per query of ASST vs the mean-pool sliding-window baseline.

Spec sequence lengths: Charades-STA T = 64 steps of 4096-d VGG features, N = 20 words, batch 64.
Both models run in the same process; ``speedup`` = baseline time / ASST time (below 1: ASST slower).

    python packages/grounding/benchmarks/bench_model.py --out bench_model.json [--device cuda] [--small]
    python packages/grounding/benchmarks/bench_model.py --preset asst_plus --small   # Transformer + distance heads
"""

from __future__ import annotations

import argparse

import torch

from pkg_grounding.config import ModelConfig
from pkg_grounding.decode import segment_scores
from pkg_grounding.losses import asst_loss
from pkg_grounding.models import build_model
from pkg_shared.engine.bench import compare, report


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="JSON results file")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--small", action="store_true", help="batch 8, hidden 64 (quick CPU check)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = torch default)")
    p.add_argument("--preset", choices=["asst", "asst_plus"], default="asst",
                   help="asst_plus: Transformer translator + boundary-distance heads as the candidate")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    b, t, n, dv = (8, 64, 20, 4096) if args.small else (64, 64, 20, 4096)
    hidden = 64 if args.small else 256
    torch.manual_seed(0)
    plus = {"translator": "transformer", "heads": "sei_dist"} if args.preset == "asst_plus" else {}
    models = {name: build_model(ModelConfig(name=name, video_dim=dv, vocab_size=1300, hidden=hidden,
                                            **(plus if name == "asst" else {}))).to(dev)
              for name in ("asst", "mean_pool")}
    video, vmask = torch.rand(b, t, dv, device=dev), torch.ones(b, t, device=dev)
    words, wmask = torch.randint(2, 1300, (b, n), device=dev), torch.ones(b, n, device=dev)
    target = torch.stack([torch.randint(0, 20, (b,)), torch.randint(20, 64, (b,))], 1).to(dev)
    opts = {k: torch.optim.Adam([p for p in m.parameters() if p.requires_grad], 1e-3) for k, m in models.items()}

    def train_step(name):
        def run():
            m = models[name].train()
            loss = asst_loss(m(video, vmask, words, wmask), vmask, target)["loss"]
            opts[name].zero_grad()
            loss.backward()
            opts[name].step()
        return run

    def infer(name):
        @torch.no_grad()
        def run():
            m = models[name].eval()
            segment_scores(m(video[:1], vmask[:1], words[:1], wmask[:1]), vmask[:1])
        return run

    extra = {"batch": b, "T": t, "N": n, "D_v": dv, "hidden": hidden, "device": str(dev), "preset": args.preset}
    results = [
        compare("train_step_batch", train_step("asst"), train_step("mean_pool"), repeat=args.repeat, extra=extra),
        compare("inference_per_query", infer("asst"), infer("mean_pool"), repeat=args.repeat * 4, extra=extra),
    ]
    print(report(results, args.out))


if __name__ == "__main__":
    main()
