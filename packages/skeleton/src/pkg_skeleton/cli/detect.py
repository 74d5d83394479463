"""skeleton-detect: sliding-window detection on PKU-MMD videos, PKU-MMD result format out."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """example:
  skeleton-detect --checkpoint runs/det/last.pt --root /data/PKU-MMD --split test --out dets/ --timeline t.png
  skeleton-eval detect --dets dets/ --labels /data/PKU-MMD/Train_Label_PKU_final
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-detect", "Detect actions in untrimmed PKU-MMD skeleton videos.", config=False,
                    seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", type=pathlib.Path, required=True)
    p.add_argument("--root", type=pathlib.Path, help="PKU-MMD root (default: the checkpoint's)")
    p.add_argument("--split", choices=("train", "test"), default="test")
    p.add_argument("--timeline", type=pathlib.Path, help="timeline PNG of detections against ground truth")
    args = p.parse_args(argv)
    from pkg_skeleton.engine.detect import detect_split, read_folder
    from pkg_skeleton.engine.evaluate import load_model

    device = resolve_device(args.device)
    model, cfg = load_model(args.checkpoint, device)
    if args.root is not None:
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, root=args.root))
    out = args.out or pathlib.Path("dets")
    vids = detect_split(model, cfg, args.split, out, device)
    print(f"wrote {len(vids)} detection files to {out}")
    if args.timeline:
        from pkg_skeleton.data.pkummd import LABEL_DIR
        from pkg_skeleton.engine.viz import timeline

        timeline(read_folder(pathlib.Path(cfg.data.root) / LABEL_DIR, vids), read_folder(out, vids), args.timeline)
        print(f"wrote {args.timeline}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
