"""grounding-demo: generated videos in Charades-STA format -> feature extraction -> short ASST training ->
official-protocol evaluation -> inference on one test video with a timeline PNG. CPU, about a minute."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import pathlib
import time

import torch

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.dataset import read_split
from pkg_grounding.data.fake import write_shape_charades
from pkg_grounding.engine.evaluate import predict, score_predictions
from pkg_grounding.engine.extract import build_backbone, extract_folder, list_videos, video_features
from pkg_grounding.engine.infer import ground
from pkg_grounding.engine.train import train
from pkg_grounding.predictions import write_predictions
from pkg_grounding.recipes import resolve_recipe
from pkg_grounding.viz import plot_timeline
from pkg_shared.cli import entrypoint
from pkg_shared.config import load_config
from pkg_shared.engine import seed_everything
from pkg_shared.fsutil import atomic_write_json

EPILOG = """example:
  grounding-demo --out demo_out      # writes demo_out/summary.json and demo_out/timeline.png"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="grounding-demo", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=pathlib.Path, default=pathlib.Path("grounding_demo"), help="output folder")
    p.add_argument("--videos", type=int, default=40, help="number of generated videos")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: the demo recipe's)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)  # tiny RNN steps: one thread is faster, and immune to oversubscription
    t0 = time.time()
    out = args.out
    data = out / "data"

    def say(msg: str) -> None:
        print(f"[{time.time() - t0:5.1f}s] {msg}", flush=True)

    seed_everything(args.seed)
    say(f"1/5 generating {args.videos} videos + Charades-STA annotations in {data}")
    stats = write_shape_charades(data, videos=args.videos, seed=args.seed, log=say)
    cfg = load_config(GroundingConfig, resolve_recipe("demo"), [f"data.root={data}", f"out={out / 'run'}"])
    if args.epochs:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, epochs=args.epochs))
    say(f"2/5 extracting '{cfg.data.backbone}' features at {cfg.data.extract_fps} fps (decord)")
    backbone = build_backbone(cfg.data.backbone)
    ext = extract_folder(list_videos(data / "Charades_v1_480"), data / cfg.data.features, backbone,
                         cfg.data.extract_fps, torch.device("cpu"), show_progress=False)
    say(f"   {ext['extracted']} videos -> {data / cfg.data.features}")
    say(f"3/5 training ASST for {cfg.train.epochs} epochs on {stats['train_queries']} queries")
    res = train(cfg, out / "run", torch.device("cpu"))
    say(f"   final train loss {res['history'][-1]['loss']:.3f} (first epoch {res['history'][0]['loss']:.3f})")
    model, cfg, vocab, feats = res["model"], res["config"], res["vocab"], res["features"]
    say("4/5 evaluating on the test split under each official protocol")
    test_q, _ = read_split(cfg.data, "test")
    preds = predict(model, test_q, feats, vocab, cfg, torch.device("cpu"))
    write_predictions(out / "predictions_test.jsonl", preds)
    metrics = score_predictions(preds, test_q, cfg)
    atomic_write_json(out / "metrics.json", metrics)
    ours = metrics["ours"]
    say("   " + ", ".join(f"{k}={v:.3f}" for k, v in ours.items() if k != "convention"))
    say(f"   2D-TAN convention R@1,IoU=0.5={metrics['2dtan']['R@1,IoU=0.5']:.3f}; "
        f"TALL R@5,IoU=0.5={metrics['tall']['R@5,IoU=0.5']:.3f}; moment_detr mAP={metrics['moment_detr']['mAP']:.3f}")
    q = test_q[0]
    video = data / "Charades_v1_480" / f"{q.vid}.mp4"
    say(f"5/5 inference on {video.name}: \"{q.sentence}\"")
    f, duration = video_features(video, backbone, cfg.data.extract_fps, torch.device("cpu"))
    g = ground(model, cfg, vocab, f, q.duration, q.sentence, 5)
    from pkg_grounding.cli.infer import film_strip

    frames, times = film_strip(str(video), duration)
    picture = plot_timeline(out / "timeline.png", g["inside"], q.duration, g["windows"], q.sentence, gt=q.gt[0],
                            frames=frames, frame_times=times)
    top = g["windows"][0]
    say(f"   top-1 {top[0]:.1f}-{top[1]:.1f}s (ground truth {q.gt[0][0]:.1f}-{q.gt[0][1]:.1f}s); picture {picture}")
    r1 = ours["R@1,IoU=0.5"]
    summary = {
        "ran": (f"generated {stats['videos']} shape videos in Charades-STA format, extracted tiny_motion features, "
                f"trained ASST {cfg.train.epochs} epochs, evaluated {len(test_q)} test queries under 4 protocols, "
                "grounded one query"),
        "metric": f"R@1,IoU=0.5={r1:.3f}",
        "picture": str(pathlib.Path(picture).relative_to(out)),
        "metrics": metrics,
        "inference": {"video": video.name, "query": q.sentence, "top_windows": g["windows"], "ground_truth": q.gt[0]},
        "seconds": round(time.time() - t0, 1),
    }
    atomic_write_json(out / "summary.json", summary)
    say(f"done in {summary['seconds']}s: {summary['metric']} -> {out / 'summary.json'}")
    print(json.dumps({k: summary[k] for k in ("ran", "metric", "picture")}))
    return 0
