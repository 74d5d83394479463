"""skeleton-detect: detection on PKU-MMD videos (milestone 1 or 2), PKU-MMD result format out."""

from __future__ import annotations

import dataclasses
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """example:
  skeleton-detect --checkpoint runs/det/last.pt --root /data/PKU-MMD --split test --out dets/ --timeline t.png
  skeleton-detect --checkpoint runs/det/last.pt --proposal-checkpoint runs/prop/last.pt --out dets2/
  skeleton-detect --checkpoint runs/joint/last.pt --out dets3/     # shared-trunk detector (task joint)
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
    from pkg_shared.errors import ConfigError

    if cfg.task not in ("detection", "joint"):
        raise ConfigError(f"{args.checkpoint}: a {cfg.task} checkpoint cannot detect (needs task detection or "
                          "joint; a proposal checkpoint goes to --proposal-checkpoint)")
    proposal = None
    if args.proposal_checkpoint is not None:
        proposal = load_model(args.proposal_checkpoint, device)
        if proposal[1].task != "proposal":
            raise ConfigError(f"{args.proposal_checkpoint}: not a proposal checkpoint (task {proposal[1].task})")
        if cfg.task == "joint":
            raise ConfigError(f"{args.checkpoint}: a joint checkpoint has its own proposal head; "
                              "drop --proposal-checkpoint")
    vids = detect_split(model, cfg, args.split, out, device, proposal)
    print(f"wrote {len(vids)} detection files to {out}")
    if args.timeline:
        from pkg_skeleton.data.pkummd import LABEL_DIR
        from pkg_skeleton.engine.viz import timeline

        timeline(read_folder(pathlib.Path(cfg.data.root) / LABEL_DIR, vids), read_folder(out, vids), args.timeline)
        print(f"wrote {args.timeline}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
