"""skeleton-eval: recognition accuracy of a checkpoint or an ensemble, or the official PKU-MMD detection metric."""

from __future__ import annotations

import argparse
import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_json

EXAMPLE = """examples:
  skeleton-eval recog --checkpoint runs/xsub/last.pt [--root /data/nturgb+d_skeletons] [--out eval.json]
  skeleton-eval recog --checkpoint runs/xsub/last.pt --test-clips 5 --test-crop 0.8   # multi-clip testing
  skeleton-eval detect --dets dets/ --labels PKU-MMD/Train_Label_PKU_final/ --theta 0.5 [--official]
  skeleton-eval ensemble --checkpoints runs/xsub/best.pt runs/plus/best.pt --weights 1 1 [--out ens.json]
"""


def _emit(result: dict, out: pathlib.Path | None) -> None:
    if out is not None:
        atomic_write_json(out, result)
        print(f"wrote {out}")
    else:
        print(json.dumps(result, indent=2))


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skeleton-eval", description=__doc__, epilog=EXAMPLE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recog", help="top-1/top-5/mean-class accuracy on the recipe's test split", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    make_parser("skeleton-eval recog", "", config=False, seed=False, parser=r)
    r.add_argument("--checkpoint", type=pathlib.Path, required=True)
    r.add_argument("--root", type=pathlib.Path, help="dataset root (default: the one in the checkpoint)")
    r.add_argument("--confusion", type=pathlib.Path, help="also write the confusion matrix as PNG")
    r.add_argument("--test-clips", type=int, help="N evenly spaced test crops per sample, softmax averaged "
                   "(default: the recipe's data.test_clips)")
    r.add_argument("--test-crop", type=float, help="crop ratio of the test clips (default: the recipe's)")
    d = sub.add_parser("detect", help="official PKU-MMD evaluation of per-video detection files", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--dets", type=pathlib.Path, required=True, help="folder of <video>.txt: label,start,end,score")
    d.add_argument("--labels", type=pathlib.Path, required=True, help="ground-truth folder (Train_Label_PKU_final)")
    d.add_argument("--theta", type=float, default=0.5, help="overlap threshold (default 0.5)")
    d.add_argument("--official", action="store_true", help="only the official script's numbers")
    d.add_argument("--out", type=pathlib.Path, help="write JSON here instead of stdout")
    e = sub.add_parser("ensemble", help="score-level fusion of recognition checkpoints on the same test split",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    make_parser("skeleton-eval ensemble", "", config=False, seed=False, parser=e)
    e.add_argument("--checkpoints", type=pathlib.Path, nargs="+", required=True)
    e.add_argument("--weights", type=float, nargs="+", help="one weight per checkpoint (default: all 1)")
    e.add_argument("--root", type=pathlib.Path, help="dataset root (default: the one in each checkpoint)")
    args = p.parse_args(argv)
    if args.cmd == "ensemble":
        from pkg_skeleton.engine.evaluate import ensemble, load_model

        device = resolve_device(args.device)
        members = [(str(c), *load_model(c, device)) for c in args.checkpoints]
        res = ensemble(members, args.weights or [1.0] * len(members), device, args.root)
        _emit(res, args.out if args.out is None or args.out.suffix == ".json" else args.out / "ensemble.json")
        return 0
    if args.cmd == "detect":
        from pkg_skeleton.engine.detect import read_folder
        from pkg_skeleton.metrics.pkummd import evaluate

        if not 0 < args.theta <= 1:
            raise DataFormatError(args.dets, f"--theta must be in (0, 1], got {args.theta}")
        dets = read_folder(args.dets)
        gts = read_folder(args.labels)
        missing = sorted(set(dets) - set(gts))
        if missing:
            raise DataFormatError(args.labels / f"{missing[0]}.txt", "ground-truth file for a detection file not found")
        _emit(evaluate(dets, gts, args.theta, official_only=args.official), args.out)
        return 0
    from pkg_skeleton.engine.evaluate import evaluate as eval_recog
    from pkg_skeleton.engine.evaluate import load_model

    device = resolve_device(args.device)
    model, cfg = load_model(args.checkpoint, device)
    over = [f"data.test_clips={args.test_clips}"] if args.test_clips is not None else []
    over += [f"data.test_crop={args.test_crop}"] if args.test_crop is not None else []
    if over:
        from pkg_shared.config import load_config

        cfg = load_config(type(cfg), None, over, base=cfg)
    res = eval_recog(model, cfg, device, args.root)
    if args.confusion:
        from pkg_skeleton.engine.viz import _plt, _save

        plt = _plt()
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.imshow(res["confusion"], cmap="Blues")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        _save(fig, args.confusion)
    if args.out is not None and args.out.suffix != ".json":
        args.out = args.out / "eval.json"
    _emit(res, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
