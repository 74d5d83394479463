"""efficient-compress: LDRF / baselines / FGA on a VGG or ResNet checkpoint -> smaller checkpoint + report."""

from __future__ import annotations

import pathlib

from pkg_efficient.cli.common import resolve_recipe
from pkg_efficient.config import CompressConfig, check_compress_config
from pkg_shared.cli import config_from_args, entrypoint, make_parser, resolve_device
from pkg_shared.config import load_yaml_file
from pkg_shared.errors import ConfigError

EXAMPLE = """examples:
  efficient-compress ldrf --arch vgg16 --weights vgg16-397923af.pth --data /data/imagenet --target-speedup 5 \\
      --width-multiple 16 --out runs/ldrf5x
  efficient-compress chanprune --arch vgg16_cifar --weights runs/vgg/model.pt --dataset cifar10 --data /data/cifar \\
      --input-size 32 --num-classes 10 --target-speedup 2 --finetune-epochs 40 --out runs/cp
  efficient-compress fga --arch resnet50 --weights resnet50.pth --data /data/imagenet --set policy=budget --out runs/fga
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-compress", "Compress a VGG/ResNet checkpoint into a real smaller model.\n\n" + EXAMPLE)
    p.add_argument("method", nargs="?", choices=["ldrf", "chanprune", "thinet", "l1", "random", "fga", "chandecomp", "spatial",
                                                  "tucker", "cp"])
    p.add_argument("--arch", choices=["vgg16", "vgg16_cifar", "resnet50", "resnet20", "resnet56", "resnet110"])
    p.add_argument("--weights", help="local checkpoint (torchvision state dict or ours)")
    p.add_argument("--data", help="dataset root (official layout) for calibration/evaluation")
    p.add_argument("--dataset", choices=["imagenet", "cifar10", "cifar100"])
    p.add_argument("--input-size", type=int)
    p.add_argument("--num-classes", type=int)
    p.add_argument("--target-speedup", type=float)
    p.add_argument("--widths", type=pathlib.Path, help="YAML list of kept widths (VGG), overrides the target")
    p.add_argument("--width-multiple", type=int, help="pruning: solved widths are multiples of N (16 suits AVX-512 "
                   "CPUs, 8 AVX2; default 1 = exact M-Adds ratio)")
    p.add_argument("--calib-images", type=int)
    p.add_argument("--finetune-epochs", type=int)
    p.add_argument("--alt-iters", type=int, help="LDRF: alternate R' refinement / LS Q' this many times (default 0)")
    p.add_argument("--rank-rule", choices=["energy", "full", "accuracy"], help="LDRF d_l rule (default energy)")
    p.add_argument("--no-refit-R", dest="no_refit_r", action="store_true", help="LDRF: keep R'_l = rows of R_l")
    p.add_argument("--reinsert-bn", action="store_true", help="pruning: identity BN after each recomposed conv")
    p.add_argument("--include-1x1", action="store_true", help="FGA / decompositions: also decompose 1x1 convs")
    p.add_argument("--eval-samples", type=int, default=None, help="evaluate on the first N validation images only")
    args = p.parse_args(argv)
    resolve_recipe(args)
    sets = {"method": args.method, "arch": args.arch, "weights": args.weights, "data_root": args.data,
            "dataset": args.dataset, "input_size": args.input_size, "num_classes": args.num_classes,
            "target_speedup": args.target_speedup, "width_multiple": args.width_multiple, "calib_images": args.calib_images,
            "finetune_epochs": args.finetune_epochs, "seed": args.seed, "alt_iters": args.alt_iters,
            "rank_rule": args.rank_rule, "refit_r": False if args.no_refit_r else None,
            "reinsert_bn": True if args.reinsert_bn else None, "include_1x1": True if args.include_1x1 else None}
    if args.widths is not None:
        widths = load_yaml_file(args.widths, "widths file")
        if not isinstance(widths, list) or not all(isinstance(w, int) and w > 0 for w in widths):
            raise ConfigError(f"{args.widths}: expected a YAML list of positive integers")
        sets["widths"] = "[" + ",".join(map(str, widths)) + "]"
    args.overrides = [f"{k}={v}" for k, v in sets.items() if v is not None] + args.overrides
    cfg = config_from_args(CompressConfig, args)
    check_compress_config(cfg)
    if cfg.method in ("ldrf", "chanprune", "thinet", "l1", "random") and not cfg.data_root:
        raise ConfigError(f"{cfg.method} needs calibration images: give --data ROOT")
    if cfg.method in ("ldrf", "chanprune", "thinet", "l1", "random") and cfg.arch.startswith("resnet") and cfg.target_speedup is None:
        raise ConfigError("give --target-speedup")
    if args.eval_samples is not None and args.eval_samples < 1:  # 0 used to mean "all" silently
        raise ConfigError(f"--eval-samples must be at least 1, got {args.eval_samples}")
    if cfg.finetune_epochs > 0 and not cfg.data_root:  # was skipped silently
        raise ConfigError(f"finetune_epochs={cfg.finetune_epochs} needs training data: give --data ROOT")
    if cfg.refit and not cfg.data_root:
        raise ConfigError("refit=true needs --data ROOT")
    if cfg.refit and cfg.method == "spatial":
        raise ConfigError("refit=true needs a final 1x1 conv: not available for spatial")
    out = args.out or pathlib.Path("runs") / f"{cfg.method}_{cfg.arch}"
    from pkg_efficient.engine.compress_run import run

    rep = run(cfg, out, args.eval_samples, resolve_device(args.device))
    print(f"{cfg.method} {cfg.arch}: conv speed-up x{rep['speedup_theoretical']['conv_only']:.2f} (theory), "
          f"x{rep['speedup_measured']:.2f} measured CPU channels_last, x{rep['speedup_measured_nchw']:.2f} NCHW (conv layers alone "
          f"x{rep['speedup_by_scope']['conv_only']['measured']:.2f}), logit rel. error {rep['logit_rel_error_calib']:.4f}; "
          f"wrote {rep['checkpoint']} and {out / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
