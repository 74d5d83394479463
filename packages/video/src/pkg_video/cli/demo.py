"""video-demo: generated Kinetics-format motion videos -> short CoST(a) vs C2D training -> multi-view
evaluation (top-1/top-5) -> inference on one video -> coefficient plot; writes OUT/summary.json."""

from __future__ import annotations

import json
import pathlib
import time

import torch

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.config import load_config
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json
from pkg_video.cli._common import check_min, check_outputs

EXAMPLE = """example:
  video-demo --out demo_out          # about a minute on 2 CPU cores
"""


def _say(t0: float, msg: str) -> None:
    print(f"[{time.time() - t0:5.1f}s] {msg}", flush=True)


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-demo", "End-to-end CoST demo on generated data.", config=False, device=False)
    p.epilog = EXAMPLE
    p.add_argument("--epochs", type=int, default=None, help="training epochs per model (default: the tiny recipe's)")
    p.add_argument("--classes", type=int, default=4, help="motion classes (2..8)")
    args = p.parse_args(argv)
    check_min(args, epochs=1)
    if not 2 <= args.classes <= 8:
        raise PkgError(f"--classes must be between 2 and 8, got {args.classes}")
    out = args.out or pathlib.Path("video_demo")
    check_outputs(dirs=[out])
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    torch.set_num_threads(1)  # tiny tensors: one thread is as fast and never oversubscribes

    from pkg_shared.logging import setup
    from pkg_video.analysis import coefficients as co
    from pkg_video.config import Config, EvalConfig, recipe_path
    from pkg_video.data.dataset import build_samples
    from pkg_video.data.fake import make_fake_kinetics
    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.engine.evaluate import evaluate
    from pkg_video.engine.infer import predict, save_picture
    from pkg_video.engine.train import train

    setup()
    seed = 0 if args.seed is None else args.seed
    data = out / "k400_fake"
    _say(t0, f"writing a tiny Kinetics-400-format set ({args.classes} motion classes) to {data}")
    make_fake_kinetics(data, num_classes=args.classes, per_class={"train": 16, "val": 4}, seed=seed)
    overrides = [f"data.root={data}", f"model.num_classes={args.classes}", f"train.seed={seed}"]
    if args.epochs is not None:
        overrides.append(f"train.epochs={args.epochs}")
    results = {}
    for arch in ("costa_r50", "c2d_r50"):
        cfg = load_config(Config, recipe_path("tiny_motion"), overrides + [f"model.arch={arch}"])
        _say(t0, f"training tiny {arch} for {cfg.train.epochs} epochs")
        train(cfg, out / arch, device=torch.device("cpu"), num_workers=0)
        model, cfg, classes = load_trained(str(out / arch / "last.pt"))
        samples, _, _ = build_samples(cfg.data, "val")
        ev = evaluate(model, samples, cfg.data, EvalConfig(views="30"), len(classes), torch.device("cpu"),
                      desc=f"eval {arch}")["result"]
        results[arch] = ev
        _say(t0, f"{arch}: {ev['protocol']['views']}-view val top-1 {ev['top1']:.3f}, top-5 {ev['top5']:.3f}")
        atomic_write_json(out / arch / "eval.json", ev)

    model, cfg, classes = load_trained(str(out / "costa_r50" / "last.pt"))
    samples, _, _ = build_samples(cfg.data, "val")
    sample = samples[0]
    pred = predict(model, sample.path, cfg.data, classes, views="30", topk=min(5, len(classes)))
    _say(t0, f"inference on {pathlib.Path(sample.path).name} (true: {classes[sample.label]}): "
         f"{pred['top'][0]['class']} {pred['top'][0]['score']:.2f}")
    save_picture(sample.path, cfg.data, pred, out / "inference.png")
    rows = co.layer_table(co.static_coefficients(model))
    co.plot(rows, out / "coefficients.png", title="CoST(a) view coefficients after the demo training",
            channels=co.static_coefficients(model))
    _compose(out, results, rows, pred, classes[sample.label])
    a, c = results["costa_r50"], results["c2d_r50"]
    summary = {
        "ran": (f"generated {args.classes}-class Kinetics-format motion videos, trained tiny CoST(a) and C2D "
                f"ResNets, evaluated {a['protocol']['views']}-view top-1/top-5, inference on one video, "
                "plotted learned view coefficients"),
        "metric": f"top1_costa={a['top1']:.3f} top1_c2d={c['top1']:.3f}",
        "picture": "demo.png",
        "results": {k: {m: v[m] for m in ("top1", "top5", "mean_class_accuracy")} for k, v in results.items()},
        "inference": pred,
        "seconds": round(time.time() - t0, 1),
    }
    atomic_write_json(out / "summary.json", summary)
    _say(t0, f"done: {summary['metric']}; picture {out / 'demo.png'}")
    print(json.dumps({k: summary[k] for k in ("ran", "metric", "picture")}, indent=2))
    return 0


def _compose(out: pathlib.Path, results: dict, rows: list[dict], pred: dict, truth: str) -> None:
    """One picture: accuracy of CoST vs C2D, learned coefficients, the inference clip."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 6.5))
    ax1 = fig.add_subplot(2, 2, 1)
    names = list(results)
    x = range(len(names))
    ax1.bar([i - 0.2 for i in x], [results[n]["top1"] for n in names], 0.4, label="top-1")
    ax1.bar([i + 0.2 for i in x], [results[n]["top5"] for n in names], 0.4, label="top-5")
    ax1.set_xticks(list(x), [n.replace("_r50", "").replace("costa", "CoST(a)").upper() if n.startswith("c2d")
                             else "CoST(a)" for n in names])
    ax1.set_ylim(0, 1)
    ax1.set_title("multi-view val accuracy (motion-only classes)", fontsize=10)
    ax1.legend(fontsize=8)
    ax2 = fig.add_subplot(2, 2, 2)
    bottom = [0.0] * len(rows)
    for key, lab in (("hw", "H-W"), ("tw", "T-W"), ("th", "T-H")):
        v = [r[key] for r in rows]
        ax2.bar([r["layer"] for r in rows], v, bottom=bottom, label=lab)
        bottom = [b + w for b, w in zip(bottom, v)]
    ax2.set_ylim(0, 1)
    ax2.set_title("CoST(a) learned view coefficients per layer", fontsize=10)
    ax2.legend(fontsize=8)
    ax3 = fig.add_subplot(2, 1, 2)
    ax3.imshow(mpimg.imread(out / "inference.png"))
    ax3.axis("off")
    ax3.set_title(f"inference (true class: {truth})", fontsize=10)
    fig.tight_layout()
    from pkg_video.engine.infer import save_figure

    save_figure(fig, out / "demo.png", dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
