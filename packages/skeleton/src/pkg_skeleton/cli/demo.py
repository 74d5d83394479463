"""skeleton-demo: the whole job on generated official-format data, in about a minute on 2 CPU cores.

1. fake NTU RGB+D raw ``.skeleton`` files (8 procedural actions) and a fake PKU-MMD (untrimmed videos,
   label and split files); 2. short HCN recognition training (X-Sub split) and evaluation (top-1);
3. inference on one raw file; 4. detection: the recognition trunk fine-tuned as a window
   classifier, sliding-window detection on the test videos, the official PKU-MMD metric;
5. a timeline PNG of detections against ground truth.
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


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-demo", __doc__.splitlines()[0], config=False)
    p.epilog = EXAMPLE
    p.add_argument("--epochs", type=int, default=8, help="recognition epochs (detection uses 3/8 of them)")
    args = p.parse_args(argv)
    out = args.out or pathlib.Path("skeleton_demo")
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(args.device if args.device != "auto" else "cpu")
    seed = 0 if args.seed is None else args.seed
    torch.manual_seed(seed)
    logging.getLogger("pkg_skeleton").setLevel(logging.WARNING)
    t0 = time.time()
    from pkg_skeleton.data import fake
    from pkg_skeleton.engine.detect import detect_split, read_folder
    from pkg_skeleton.engine.evaluate import load_model
    from pkg_skeleton.engine.infer import infer_file
    from pkg_skeleton.engine.train import build_samples, train
    from pkg_skeleton.engine.viz import timeline
    from pkg_skeleton.metrics.pkummd import evaluate as eval_det

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
    dcfg = load_config(RecognitionConfig, resolve_recipe(pathlib.Path("hcn_det_pkummd_xsub")),
                       [f"data.root={pku_root}", "detect.win_lengths=[32,48,64,96]", "detect.jitter_copies=1",
                        f"train.init_from={out / 'recog' / 'last.pt'}",
                        *[c.replace(f"epochs={args.epochs}", f"epochs={det_epochs}") for c in common]])
    dsum = train(dcfg, out / "det", device, quiet=True)
    _say(t0, f"detection: window classifier trained {det_epochs} epochs (train_acc={dsum['train_acc']:.3f})")
    dmodel, _ = load_model(out / "det" / "last.pt", device)
    vids = detect_split(dmodel, dcfg, "test", out / "dets", device)
    dets = read_folder(out / "dets", vids)
    gts = read_folder(pku_root / "Train_Label_PKU_final", vids)
    res = eval_det(dets, gts, 0.5)
    atomic_write_json(out / "det_eval.json", res)
    _say(t0, f"detection on {len(vids)} test videos: official mAP_action@0.5={res['official']['mAP_action']:.3f} "
             f"(/52 classes), mAP over classes with GT={res['peer']['mAP_action']:.3f}")
    timeline(gts, dets, out / "timeline.png", min_score=0.5)
    _say(t0, f"wrote {out / 'timeline.png'}")
    summary = {
        "ran": (f"fake NTU raw files -> HCN recognition ({args.epochs} epochs, X-Sub) -> top-1; inference on "
                f"{sample_file.name}; fake PKU-MMD -> window detector ({det_epochs} epochs) -> official PKU-MMD "
                f"metric -> timeline plot"),
        "metric": (f"top1={rsum['test_top1']:.3f} mAP_action@0.5(official,/52)={res['official']['mAP_action']:.3f} "
                   f"mAP@0.5(classes with GT)={res['peer']['mAP_action']:.3f}"),
        "picture": "timeline.png",
        "recognition": {k: v for k, v in rsum.items() if k != "note"},
        "inference": inf,
        "detection": {"official": res["official"], "peer": {k: v for k, v in res["peer"].items()
                                                            if k != "per_class_AP"}},
        "seconds": round(time.time() - t0, 1),
    }
    atomic_write_json(out / "summary.json", summary)
    _say(t0, f"summary: {summary['metric']} -> {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
