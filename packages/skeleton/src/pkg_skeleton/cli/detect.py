"""skeleton-detect: sliding-window detection on PKU-MMD videos, PKU-MMD result format out."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """example:
  skeleton-detect --checkpoint runs/det/last.pt --root /data/PKU-MMD --split test --out dets/ --timeline t.png
  skeleton-detect --checkpoint runs/det/last.pt --proposal-checkpoint runs/prop/last.pt --out dets2/
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
    p.add_argument("--proposal-checkpoint", type=pathlib.Path,
                   help="milestone 2: proposal sub-network (task: proposal) in front of the window classifier")
    args = p.parse_args(argv)
    from pkg_skeleton.engine.detect import detect_split, read_folder
    from pkg_skeleton.engine.evaluate import load_model

    device = resolve_device(args.device)
    model, cfg = load_model(args.checkpoint, device)
    if args.root is not None:
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, root=args.root))
    out = args.out or pathlib.Path("dets")
    if args.proposal_checkpoint is None:
        vids = detect_split(model, cfg, args.split, out, device)
    else:
        from pkg_shared.errors import ConfigError
        from pkg_shared.logging import progress
        from pkg_skeleton.data.dataset import pkummd_videos
        from pkg_skeleton.engine.detect import _load_video, detect_two_stage, write_detections

        pmodel, pcfg = load_model(args.proposal_checkpoint, device)
        if pcfg.task != "proposal":
            raise ConfigError(f"{args.proposal_checkpoint}: not a proposal checkpoint (task {pcfg.task})")
        vids = pkummd_videos(cfg.data, args.split)
        for vid in progress(vids, desc="detect (two-stage)", unit="video"):
            seq, _ = _load_video(cfg, vid)
            write_detections(out / f"{vid}.txt", detect_two_stage(pmodel, pcfg, model, cfg, seq, device))
    print(f"wrote {len(vids)} detection files to {out}")
    if args.timeline:
        from pkg_skeleton.data.pkummd import LABEL_DIR
        from pkg_skeleton.engine.viz import timeline

        timeline(read_folder(pathlib.Path(cfg.data.root) / LABEL_DIR, vids), read_folder(out, vids), args.timeline)
        print(f"wrote {args.timeline}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
