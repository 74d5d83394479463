"""video-train: train a recipe (shipped name or YAML path); ``torchrun`` for several GPUs."""

from __future__ import annotations

import pathlib
import shutil

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import PkgError
from pkg_shared.logging import setup
from pkg_video.cli._common import check_min, check_outputs, config
from pkg_video.config import list_recipes

EXAMPLE = """examples:
  video-train --config costb_r50_k400 --set data.root=/data/k400 --set model.pretrained=resnet50.pth --out runs/costb
  video-train --config runs/costb/config.yaml --resume runs/costb/last.pt --out runs/costb
  video-train --config costb_r50_k400 --set train.max_steps=20000 --set train.checkpoint_every_steps=1000 --out runs/costb
      (stops after 20000 steps with a checkpoint; --resume auto with a larger train.max_steps, or
      train.max_steps=null, continues exactly, also inside an epoch)
  torchrun --nproc-per-node 8 -m pkg_video.cli.train --config costb_r50_k400 --out runs/costb

shipped recipes: """


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-train", "Train C2D / C3D / CoST(a) / CoST(b) on Kinetics-400, Moments in Time or a file list.")
    p.epilog = EXAMPLE + ", ".join(list_recipes())
    p.add_argument("--resume", help="checkpoint to continue from (e.g. OUT/last.pt), or 'auto' for OUT/last.pt if present")
    p.add_argument("--workers", type=int, default=None, help="data loader processes (default: data.num_workers)")
    args = p.parse_args(argv)
    check_min(args, workers=0)
    if args.seed is not None:
        args.overrides.append(f"train.seed={args.seed}")
    cfg = config(args)
    out = args.out or pathlib.Path("runs") / cfg.model.arch
    check_outputs(dirs=[out])
    resume = args.resume
    if resume == "auto":
        resume = str(out / "last.pt") if (out / "last.pt").is_file() else None
    device = resolve_device(args.device)
    # under torchrun only rank 0 writes OUT/run.log (every rank appended to it, interleaved)
    from pkg_shared.engine.dist import launch_rank

    rank = launch_rank()
    created = rank == 0 and not out.exists()
    setup(out if rank == 0 else None, rank=rank)
    from pkg_video.engine.train import train

    try:
        result = train(cfg, out, device=device, resume=resume, num_workers=args.workers)
    except PkgError:
        # bad input found before anything was trained (data, classes, weights): leave no run folder
        # behind that holds only an empty log
        if created and out.is_dir() and {p.name for p in out.iterdir()} <= {"run.log"}:
            setup()  # closes run.log
            shutil.rmtree(out, ignore_errors=True)
        raise
    best = result["best_val_top1"]
    if best >= 0:
        val = f"best 1-clip val top-1 {best:.4f}"
    elif result.get("val_videos"):
        val = "not validated yet (stopped before the first validation epoch), so no best.pt"
    else:
        val = "no validation videos, so no best.pt"
    print(f"done: {val}; checkpoints in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
