"""audio-export: TorchScript and/or ONNX of a checkpoint, each checked against eager PyTorch."""

from __future__ import annotations

import pathlib

import torch

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import ConfigError

EXAMPLE = """example:
  audio-export --checkpoint runs/raw_mla/best.pt --format onnx --out exported/
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-export", "Export a tagger (input: waveform batch x samples).\n\n" + EXAMPLE,
                    config=False, device=False, seed=False)
    p.add_argument("--checkpoint", type=pathlib.Path, required=True)
    p.add_argument("--format", choices=["torchscript", "onnx", "both"], default="both")
    p.add_argument("--seconds", type=float, default=None, help="example input length (default: clip_seconds)")
    args = p.parse_args(argv)
    if args.out is None:
        raise ConfigError("--out DIR is required")
    from pkg_audio.engine.checkpoints import load_tagger
    from pkg_audio.engine.export import export_onnx, export_torchscript

    if args.seconds is not None and args.seconds <= 0:
        raise ConfigError("--seconds must be > 0")
    model, cfg, _, _ = load_tagger(args.checkpoint)
    n = int(round((args.seconds or cfg.data.clip_seconds) * cfg.data.sample_rate))
    if n < 4 * cfg.model.frame_stride:
        raise ConfigError(f"--seconds {args.seconds}: too short for the model (at least {4 * cfg.model.frame_stride} samples)")
    example = torch.randn(2, n, generator=torch.Generator().manual_seed(0)) * 0.1
    stem = args.checkpoint.stem
    if args.format in ("torchscript", "both"):
        d = export_torchscript(model, example, args.out / f"{stem}.torchscript.pt")
        print(f"torchscript: {args.out / f'{stem}.torchscript.pt'} (max |diff| vs eager {d:.2e})")
    if args.format in ("onnx", "both"):
        d = export_onnx(model, example, args.out / f"{stem}.onnx")
        print(f"onnx: {args.out / f'{stem}.onnx'} (max |diff| vs eager {d:.2e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
