"""audio-train: the paper's training recipe (mix-training then fine-tuning) on AudioSet."""

from __future__ import annotations

from pkg_audio.cli.common import load_cfg, recipe_help
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError

EXAMPLE = """example:
  audio-train --config raw_mla_16k --set data.root=/data/audioset --out runs/raw_mla
  audio-train --config runs/raw_mla/config.yaml --out runs/raw_mla --resume
  torchrun --nproc-per-node 4 -m pkg_audio.cli.train --config raw_mla_16k --set data.root=... --out runs/x
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-train", "Train an AudioSet tagger.\n\n" + EXAMPLE)
    p.set_defaults(config=None)
    p.add_argument("--data-root", help="shortcut for --set data.root=DIR")
    p.add_argument("--resume", action="store_true", help="continue exactly from OUT/last.pt")
    p.add_argument("--stop-after", type=int, default=None, help="stop after N more iterations (the run stays resumable)")
    p.epilog = recipe_help()
    args = p.parse_args(argv)
    extra = [f"data.root={args.data_root}"] if args.data_root else []
    if args.seed is not None:
        extra.append(f"train.seed={args.seed}")
    cfg = load_cfg(args, extra)
    if args.out is None:
        raise ConfigError("--out DIR is required (the run directory)")
    from pkg_audio.engine.train import train

    res = train(cfg, args.out, device=resolve_device(args.device), resume=args.resume, stop_after=args.stop_after)
    print(f"done: step {res['step']}, best fine-tune eval mAP {res['best_map']:.4f}; checkpoints in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
