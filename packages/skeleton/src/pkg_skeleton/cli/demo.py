"""skeleton-demo: the whole job on generated official-format data, in one to two minutes on 2 CPU cores.

1. fake NTU RGB+D raw ``.skeleton`` files (8 procedural actions) and a fake PKU-MMD (untrimmed videos,
   label and split files); 2. short HCN recognition training (X-Sub split) and evaluation (top-1);
3. inference on one raw file; 4. detection, both milestones: the recognition trunk fine-tuned as a
   window classifier (sliding windows) and as the shared-trunk detector (proposal + classification
   heads trained jointly), each run on the test videos and scored with the official PKU-MMD metric;
5. a timeline PNG of the shared-trunk detector's detections against ground truth.
"""

from __future__ import annotations

import logging
import pathlib
import time

import torch

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.config import load_config
from pkg_shared.fsutil import atomic_write_json
from pkg_skeleton.cli.common import resolve_recipe
from pkg_skeleton.config import RecognitionConfig

EXAMPLE = """example:
  skeleton-demo --out demo_out      # writes demo_out/summary.json and demo_out/timeline.png
"""


def _say(t0: float, msg: str) -> None:
    print(f"[{time.time() - t0:5.1f}s] {msg}", flush=True)


def _detector(recipe: str, out: pathlib.Path, pku_root: pathlib.Path, epochs: int, common: list[str],
              rec_epochs: int, init_from: pathlib.Path, device) -> dict:
    """Fine-tune the recognition trunk as a detector recipe, detect on the test videos, score them."""
    from pkg_skeleton.engine.detect import detect_split, read_folder
    from pkg_skeleton.engine.evaluate import load_model
    from pkg_skeleton.engine.train import train
    from pkg_skeleton.metrics.pkummd import evaluate as eval_det

    cfg = load_config(RecognitionConfig, resolve_recipe(pathlib.Path(recipe)),
                      [f"data.root={pku_root}", "detect.win_lengths=[32,48,64,96]", "detect.jitter_copies=1",
                       f"train.init_from={init_from}",
                       *[c.replace(f"epochs={rec_epochs}", f"epochs={epochs}") for c in common]])
    summary = train(cfg, out, device, quiet=True)
    model, cfg = load_model(out / "last.pt", device)
    vids = detect_split(model, cfg, "test", out / "dets", device)
    dets = read_folder(out / "dets", vids)
    gts = read_folder(pku_root / "Train_Label_PKU_final", vids)
    res = eval_det(dets, gts, 0.5)
    atomic_write_json(out / "det_eval.json", res)
    what = "shared-trunk detector, joint heads" if cfg.task == "joint" else "window classifier"
    return {"metric": res, "dets": dets, "gts": gts, "videos": vids, "train_acc": summary["train_acc"], "what": what}


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-demo", __doc__.splitlines()[0], config=False)
    p.epilog = EXAMPLE
    p.add_argument("--epochs", type=int, default=20, help="recognition epochs (each detector uses 3/8 of them)")
    p.add_argument("--threads", type=int, default=1,
                   help="intra-op CPU threads (default 1: the tiny batches gain little from more, and shared "
                        "machines lose a lot)")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    out = args.out or pathlib.Path("skeleton_demo")
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(args.device if args.device != "auto" else "cpu")
    seed = 0 if args.seed is None else args.seed
    torch.manual_seed(seed)
    logging.getLogger("pkg_skeleton").setLevel(logging.WARNING)
    t0 = time.time()
    from pkg_skeleton.data import fake
    from pkg_skeleton.engine.evaluate import load_model
    from pkg_skeleton.engine.infer import infer_file
    from pkg_skeleton.engine.train import build_samples, train
    from pkg_skeleton.engine.viz import timeline

    data = out / "data"
    ntu_root = fake.make_fake_ntu(data, num_classes=8, performers=(1, 2, 3), cameras=(1, 2), seed=seed)
    pku_root = fake.make_fake_pkummd(data / "PKU-MMD", num_classes=8, seed=seed)
    _say(t0, f"wrote fake NTU raw files to {ntu_root} and a fake PKU-MMD to {pku_root}")

    # short-run settings (the paper recipe keeps dropout 0.5 and random crops 0.5-1 for 400 epochs)
    common = [f"train.epochs={args.epochs}", "train.batch_size=8", "train.lr=0.001", "model.dropout=0.0",
              "train.tensorboard=false", f"train.seed={seed}", f"train.eval_every={args.epochs}"]
    rcfg = load_config(RecognitionConfig, resolve_recipe(pathlib.Path("hcn_ntu60_xsub")),
                       ["model.num_classes=8", f"data.root={ntu_root}", "data.train_crop_min=0.9", *common])
    samples = build_samples(rcfg)
    _say(t0, f"recognition: {len(samples[0])} train / {len(samples[1])} test samples (NTU X-Sub rule); "
             f"training HCN for {args.epochs} epochs")
    rsum = train(rcfg, out / "recog", device, samples=samples, quiet=True)
    _say(t0, f"recognition: final train_acc={rsum['train_acc']:.3f}, test top-1={rsum['test_top1']:.3f}")

    model, _ = load_model(out / "recog" / "last.pt", device)
    sample_file = sorted(ntu_root.glob("S001C001P003*.skeleton"))[0]
    inf = infer_file(model, rcfg, sample_file, device, 5)
    _say(t0, f"inference on {sample_file.name}: top-1 label {inf['top'][0]['label']} "
             f"(p={inf['top'][0]['prob']:.2f}; true label {int(sample_file.stem[-3:]) - 1})")

    det_epochs = max(1, (3 * args.epochs) // 8)
    runs = {}
    # the shared-trunk detector trains on every anchor; a coarser anchor stride keeps the demo short
    for kind, recipe, extra in (("window", "hcn_det_pkummd_xsub", []),
                                ("joint", "hcn_joint_pkummd_xsub", ["detect.stride_ratio=0.5"])):
        runs[kind] = _detector(recipe, out / f"det_{kind}", pku_root, det_epochs, common + extra, args.epochs,
                               out / "recog" / "last.pt", device)
        res = runs[kind]["metric"]
        _say(t0, f"detection ({runs[kind]['what']}, {det_epochs} epochs, train_acc={runs[kind]['train_acc']:.3f}) "
                 f"on {len(runs[kind]['videos'])} test videos: official mAP_action@0.5="
                 f"{res['official']['mAP_action']:.3f} (/52 classes), mAP over classes with GT="
                 f"{res['peer']['mAP_action']:.3f}")
    joint = runs["joint"]
    timeline(joint["gts"], joint["dets"], out / "timeline.png", min_score=0.5)
    _say(t0, f"wrote {out / 'timeline.png'} (shared-trunk detector against ground truth)")
    metric = " ".join(f"{k}: mAP_action@0.5(official,/52)={r['metric']['official']['mAP_action']:.3f} "
                      f"mAP@0.5(classes with GT)={r['metric']['peer']['mAP_action']:.3f};" for k, r in runs.items())
    summary = {
        "ran": (f"fake NTU raw files -> HCN recognition ({args.epochs} epochs, X-Sub) -> top-1; inference on "
                f"{sample_file.name}; fake PKU-MMD -> window classifier (milestone 1) and shared-trunk detector "
                f"(milestone 2, joint heads), {det_epochs} epochs each -> official PKU-MMD metric -> timeline plot"),
        "metric": f"top1={rsum['test_top1']:.3f}; detection {metric}".rstrip(";"),
        "picture": "timeline.png",
        "recognition": {k: v for k, v in rsum.items() if k != "note"},
        "inference": inf,
        "detection": {k: {"official": r["metric"]["official"],
                          "peer": {m: v for m, v in r["metric"]["peer"].items() if m != "per_class_AP"}}
                      for k, r in runs.items()},
        "seconds": round(time.time() - t0, 1),
    }
    atomic_write_json(out / "summary.json", summary)
    _say(t0, f"summary: {summary['metric']} -> {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
