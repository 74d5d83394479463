"""Training step time: raw-waveform model (raw_mla) vs the log-mel variant (logmel_mla).

    python packages/audio/benchmarks/bench_train_step.py --batch 4 --seconds 10 --out bench_step.json

Paper-size models; one Adam step (forward, BCE, backward, update) on random audio. On a GPU use
``--device cuda --batch 32``. Peak memory of one step per variant is measured in a fresh child
process (on CPU: peak RSS minus the RSS after import and model build; on CUDA:
``torch.cuda.max_memory_allocated``) so the two do not mix.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp

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


def _peak_child(variant: str, batch: int, seconds: float, device: str, q) -> None:
    run = step_fn(variant, batch, seconds, device)
    if device.startswith("cuda"):
        run()
        q.put(torch.cuda.max_memory_allocated() / 2**20)
        return
    before = _status_mib("VmRSS")  # resident after import + model build
    run()
    # peak RSS of this process minus what was resident before the step: the step's own working memory.
    # VmHWM, not getrusage's ru_maxrss: the latter survives exec and so includes the parent's peak.
    q.put(_status_mib("VmHWM") - before)


def _status_mib(key: str) -> float:
    """A ``/proc/self/status`` memory field in MiB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not in /proc/self/status (Linux only)")


def peak_mib(variant: str, batch: int, seconds: float, device: str) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_peak_child, args=(variant, batch, seconds, device, q))
    proc.start()
    val = q.get()
    proc.join()
    return float(val)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory children")
    p.add_argument("--out")
    args = p.parse_args()
    raw = step_fn("raw_mla", args.batch, args.seconds, args.device)
    mel = step_fn("logmel_mla", args.batch, args.seconds, args.device)
    res = compare(f"train step raw_mla vs logmel_mla (batch {args.batch}, {args.seconds:g} s, {args.device})", raw, mel,
                  warmup=1, repeat=args.repeat, extra={"batch": args.batch, "seconds": args.seconds, "device": args.device})
    if not args.no_memory:
        res["peak_mib_raw_mla"] = peak_mib("raw_mla", args.batch, args.seconds, args.device)
        res["peak_mib_logmel_mla"] = peak_mib("logmel_mla", args.batch, args.seconds, args.device)
        res["peak_memory_ratio"] = res["peak_mib_raw_mla"] / res["peak_mib_logmel_mla"]
    print(report([res], args.out))
    if not args.no_memory:
        print(f"  peak memory of one step: raw_mla {res['peak_mib_raw_mla']:.0f} MiB, logmel_mla "
              f"{res['peak_mib_logmel_mla']:.0f} MiB (x{res['peak_memory_ratio']:.2f})")
    print("  speedup < 1 means the raw-waveform step is slower than the log-mel step")


if __name__ == "__main__":
    main()
