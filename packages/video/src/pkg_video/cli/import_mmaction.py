"""video-import-mmaction: turn a hikvision-research/cost (MMAction2) checkpoint into ours.

The authors' module names (``backbone.layerX.Y.conv2.conv.weight``/``alpha``/``fc1.weight``,
``cls_head.fc_cls.*``) are ours by design, so the table below only renames what differs.
"""

from __future__ import annotations

import pathlib

import torch

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.config import to_dict
from pkg_shared.engine import save_checkpoint
from pkg_shared.errors import DataFormatError
from pkg_video.cli._common import check_outputs, config

RENAME: dict[str, str] = {}  # MMAction2 name -> ours (identical today; kept as the one place to extend)
IGNORE_SUFFIXES = ("num_batches_tracked",)

EXAMPLE = """example:
  video-import-mmaction --checkpoint costb_r50_k400.pth --config costb_r50_k400 --out costb_imported.pt
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-import-mmaction", "Convert an MMAction2 / official CoST checkpoint.", out=False,
                    device=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True, type=pathlib.Path)
    p.add_argument("--classes", type=pathlib.Path,
                   help="class names, one per line, in index order (e.g. MMAction2's label_map_k400.txt; default: indices)")
    p.add_argument("--out", type=pathlib.Path, help="our checkpoint file to write (default: CHECKPOINT.pkgvideo.pt)")
    args = p.parse_args(argv)
    check_outputs(files=[args.out])
    from pkg_video.models import build_model

    cfg = config(args)
    try:
        raw = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise DataFormatError(args.checkpoint, f"cannot read as a weights-only checkpoint ({type(exc).__name__})") from exc
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict):
        raise DataFormatError(args.checkpoint, "no state_dict found")
    model = build_model(cfg.model.__class__(**{**cfg.model.__dict__, "pretrained": None}))
    own = model.state_dict()
    mapped = {}
    for k, v in state.items():
        k2 = RENAME.get(k, k)
        if k2 not in own:
            raise DataFormatError(args.checkpoint, f"tensor {k!r} has no counterpart in {cfg.model.arch}")
        if not isinstance(v, torch.Tensor) or tuple(v.shape) != tuple(own[k2].shape):
            shape = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise DataFormatError(args.checkpoint, f"tensor {k!r} has shape {shape}, {cfg.model.arch} needs "
                                  f"{tuple(own[k2].shape)} (check model.num_classes and the recipe)")
        mapped[k2] = v
    missing = [k for k in own if k not in mapped and not k.endswith(IGNORE_SUFFIXES)]
    if missing:
        raise DataFormatError(args.checkpoint, f"{len(missing)} tensors of {cfg.model.arch} are missing, e.g. {missing[0]!r}")
    model.load_state_dict(mapped, strict=False)
    classes = [str(i) for i in range(cfg.model.num_classes)]
    if args.classes:
        if not args.classes.is_file():
            raise DataFormatError(args.classes, "class list not found")
        try:
            classes = [c.strip() for c in args.classes.read_text(encoding="utf-8").splitlines() if c.strip()]
        except UnicodeDecodeError as exc:
            raise DataFormatError(args.classes, f"not UTF-8 text ({exc.reason})") from None
        if len(classes) != cfg.model.num_classes:
            raise DataFormatError(args.classes, f"{len(classes)} class names, but the model has "
                                  f"{cfg.model.num_classes} classes (model.num_classes)")
    out = args.out or args.checkpoint.with_suffix(".pkgvideo.pt")
    save_checkpoint({"model": model.state_dict(), "config": to_dict(cfg), "classes": classes, "epoch": 0}, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
