"""efficient-demo: the package end to end on a generated CIFAR-format set, in about a minute on 2 CPU cores.

1. writes a learnable fake CIFAR-10 (official pickles); 2. trains a tiny Shift-ResNet with SSL and
its penalty (sparsity printed); 3. trains a tiny VGG-16-CIFAR, evaluates top-1; 4. compresses it
with LDRF, FGA and the baselines (same framework), reporting reconstruction error, M-Adds and the
measured CPU speed-up; 5. classifies one test image; 6. plots logit error vs M-Adds and the learned
shifts (PNGs).
"""

from __future__ import annotations

import logging
import pathlib
import time

import torch

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.fsutil import atomic_write_json

EXAMPLE = """example:
  efficient-demo --out runs/demo
"""


def _say(t0: float, msg: str) -> None:
    print(f"[demo {time.time() - t0:5.1f}s] {msg}", flush=True)


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-demo", "End-to-end demo on generated official-format data.\n\n" + EXAMPLE,
                    config=False, device=False)
    p.add_argument("--epochs", type=int, default=8)
    args = p.parse_args(argv)
    if args.epochs < 1:
        from pkg_shared.errors import ConfigError

        raise ConfigError(f"--epochs must be at least 1, got {args.epochs}")
    out = args.out or pathlib.Path("runs/demo/efficient")
    out.mkdir(parents=True, exist_ok=True)
    seed = 0 if args.seed is None else args.seed
    t0 = time.time()
    logging.getLogger("pkg_efficient").setLevel(logging.WARNING)
    from torch.utils.data import DataLoader

    from pkg_efficient.compress.apply import compress_vgg, decompose_model
    from pkg_efficient.compress.chain import ChainOptions
    from pkg_efficient.config import DataConfig, ModelConfig, RunConfig, ShiftConfig, TrainConfig
    from pkg_efficient.data.cifar import write_fake_cifar
    from pkg_efficient.data.loaders import CifarDataset
    from pkg_efficient.engine.evaluate import evaluate
    from pkg_efficient.engine.modelio import build_from_config
    from pkg_efficient.engine.train import train
    from pkg_efficient.flops import count
    from pkg_efficient.ops.fold import shift_stats
    from pkg_shared.engine.bench import compare

    torch.manual_seed(seed)
    data = out / "data"
    write_fake_cifar(data, "cifar10", n_train=240, n_test=120, seed=seed)
    _say(t0, f"wrote fake CIFAR-10 (official pickles) under {data}")
    dcfg = DataConfig(dataset="cifar10", root=str(data), input_size=32, batch_size=24, workers=0)
    tcfg = TrainConfig(epochs=args.epochs, lr=0.1, nesterov=False, weight_decay=5e-4, warmup_epochs=0,
                       label_smoothing=0.0, shift_penalty=2e-3, log_every=5)
    # 2. SSL network with its penalty
    # checkpoints say what they hold, so every CLI can load them (efficient-eval/-vis/-export --weights ...)
    ssl_cfg = ModelConfig(name="shift_resnet8", num_classes=10, expansion=1, width=0.5, shift=ShiftConfig(mode="ssl"))
    ssl = build_from_config(ssl_cfg)
    r_ssl = train(RunConfig(ssl_cfg, dcfg, tcfg, seed), out / "ssl", torch.device("cpu"), model=ssl)
    st = shift_stats(ssl)
    _say(t0, f"SSL Shift-ResNet-8: top-1 {r_ssl['top1']:.1f}%, shift sparsity {st['shift_sparsity']:.2f} "
             f"({st['moved_channels']}/{st['shift_channels']} channels moved)")
    # 3. base VGG
    vgg_cfg = ModelConfig(name="vgg16_cifar", num_classes=10, width=0.125)
    vgg = build_from_config(vgg_cfg)
    tv = TrainConfig(**{**tcfg.__dict__, "shift_penalty": 0.0})
    r_vgg = train(RunConfig(vgg_cfg, dcfg, tv, seed), out / "vgg", torch.device("cpu"), model=vgg)
    vgg.eval()
    _say(t0, f"VGG-16-CIFAR (1/8 width): top-1 {r_vgg['top1']:.1f}% on the official-format test batch")
    train_set = CifarDataset(data, "cifar10", "train", augment=False)
    test_set = CifarDataset(data, "cifar10", "test", augment=False, stats=train_set.stats)
    calib = train_set.x[:64]
    held = test_set.x[:100]  # errors on held-out images, not on the calibration set the LS fits saw
    with torch.no_grad():
        ref = vgg(held)
    scale = (ref - ref.mean(0)).norm()  # error relative to the logits' variation (not their constant part)
    base = count(vgg, 32)

    def measured(new) -> float:  # baseline and candidate timed back to back (less drift on a busy machine)
        x1 = torch.randn(1, 3, 32, 32)
        with torch.no_grad():
            return compare("demo", lambda: new(x1), lambda: vgg(x1), warmup=2, repeat=7)["speedup"]

    points = []
    loader = DataLoader(test_set, batch_size=60)
    for method in ("ldrf", "chanprune", "thinet", "l1"):
        new, info = compress_vgg(vgg, calib, ChainOptions(method=method, positions=0), target_speedup=2.0)
        with torch.no_grad():
            err = float((new(held) - ref).norm() / scale)
        c = count(new, 32)
        acc = evaluate(new, loader, torch.device("cpu"))["top1"]
        points.append({"method": method, "madds_M": c["macs"] / 1e6, "error": err, "top1_before_finetune": acc,
                       "speedup_theory": base["conv_macs"] / c["conv_macs"], "speedup_measured": measured(new)})
        _say(t0, f"{method:>9}: logit error {err:.3f}, top-1 {acc:.1f}%, conv x{points[-1]['speedup_theory']:.2f} theory, "
                 f"x{points[-1]['speedup_measured']:.2f} measured")
    for method in ("fga", "chandecomp"):
        new, info = decompose_model(vgg, method, 32, "uniform", 4)
        with torch.no_grad():
            err = float((new(held) - ref).norm() / scale)
        c = count(new, 32)
        acc = evaluate(new, loader, torch.device("cpu"))["top1"]
        deg = sum(r["degenerate_fraction"] for r in info["layers"]) / len(info["layers"])
        points.append({"method": method, "madds_M": c["macs"] / 1e6, "error": err, "top1_before_finetune": acc,
                       "degenerate_fraction": deg, "speedup_theory": base["conv_macs"] / c["conv_macs"],
                       "speedup_measured": measured(new)})
        _say(t0, f"{method:>9}: logit error {err:.3f}, top-1 {acc:.1f}%, mean degenerate fraction {deg:.2f}, "
                 f"conv x{points[-1]['speedup_theory']:.2f} theory")
    # 5. inference on one sample
    x, y = test_set[0]
    with torch.no_grad():
        pred = int(vgg(x[None]).argmax())
    _say(t0, f"inference on test image 0: predicted class {pred} ({test_set.classes[pred]}), label {int(y)}")
    from pkg_efficient import vis

    vis.plot_tradeoff([{**p, "value": p["error"], "label": f"{p['method']} x{p['speedup_theory']:.1f}"} for p in points],
                      out / "error_vs_madds.png", "logit error / logit spread, before fine-tuning",
                      "tiny VGG-16 on fake CIFAR: ours (*) vs baselines (o)")
    vis.plot_shifts(ssl, out / "shifts.png", "SSL Shift-ResNet-8:")
    ldrf = points[0]
    summary = {
        "ran": "fake CIFAR-10 (official pickles) -> SSL Shift-ResNet-8 with penalty -> VGG-16-CIFAR/8 training -> "
               "LDRF/chanprune/ThiNet/L1 pruning and FGA/chandecomp at ~2x -> evaluation, one inference, plot",
        "metric": f"top1={r_vgg['top1']:.1f}",
        "picture": "error_vs_madds.png",
        "pictures": ["error_vs_madds.png", "shifts.png"],
        "ssl": {"top1": r_ssl["top1"], "shift_sparsity": st["shift_sparsity"]},
        "vgg_top1": r_vgg["top1"],
        "base_madds_M": base["macs"] / 1e6,
        "compression": points,
        "ldrf_logit_error": ldrf["error"],
        "seconds": time.time() - t0,
    }
    atomic_write_json(out / "summary.json", summary)
    _say(t0, f"done: {out / 'summary.json'}, pictures {out / 'error_vs_madds.png'} and {out / 'shifts.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
