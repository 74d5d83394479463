"""Training step time: raw-waveform model (raw_mla) vs the log-mel variant (logmel_mla).

    python packages/audio/benchmarks/bench_train_step.py --batch 4 --seconds 10 --out bench_step.json

Paper-size models; one Adam step (forward, BCE, backward, update) on random audio. On a GPU use
``--device cuda --batch 32``.
"""

from __future__ import annotations

import argparse

import torch

from pkg_audio.config import ModelConfig
from pkg_audio.losses import tagging_loss
from pkg_audio.models import build_model
from pkg_shared.engine.bench import compare, report


def step_fn(variant: str, batch: int, seconds: float, device: str):
    torch.manual_seed(0)
    model = build_model(ModelConfig(variant=variant)).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)
    x = torch.randn(batch, int(16000 * seconds), device=device) * 0.1
    y = (torch.rand(batch, 527, device=device) < 0.01).float()

    def run():
        loss = tagging_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out")
    args = p.parse_args()
    raw = step_fn("raw_mla", args.batch, args.seconds, args.device)
    mel = step_fn("logmel_mla", args.batch, args.seconds, args.device)
    res = compare(f"train step raw_mla vs logmel_mla (batch {args.batch}, {args.seconds:g} s, {args.device})", raw, mel,
                  warmup=1, repeat=args.repeat, extra={"batch": args.batch, "seconds": args.seconds, "device": args.device})
    print(report([res], args.out))
    print("  speedup < 1 means the raw-waveform step is slower than the log-mel step")


if __name__ == "__main__":
    main()
