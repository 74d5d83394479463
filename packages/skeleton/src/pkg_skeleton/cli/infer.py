"""skeleton-infer: top-k actions (with names) for one raw skeleton file."""

from __future__ import annotations

import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """example:
  skeleton-infer --checkpoint runs/xsub/best.pt nturgb+d_skeletons/S001C001P001R001A001.skeleton --topk 5
  skeleton-infer --checkpoint runs/sbu/last.pt SBU/s01s02/03/001/skeleton_pos.txt --picture kick.png
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("skeleton-infer", "Classify one skeleton file (.skeleton, PKU-MMD/SBU .txt, .npy (M,F,V,C)).",
                    config=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("input", type=pathlib.Path)
    p.add_argument("--checkpoint", type=pathlib.Path, required=True)
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--picture", type=pathlib.Path, help="also write a frame grid of the input (PNG)")
    args = p.parse_args(argv)
    from pkg_skeleton.engine.evaluate import load_model
    from pkg_skeleton.engine.infer import infer_file, read_any

    device = resolve_device(args.device)
    model, cfg = load_model(args.checkpoint, device)
    res = infer_file(model, cfg, args.input, device, args.topk)
    if args.picture:
        from pkg_skeleton.engine.viz import frame_grid

        frame_grid(read_any(args.input, cfg), args.picture, title=f"{args.input.name}: {res['top'][0]['name']}")
    if args.out:
        from pkg_shared.fsutil import atomic_write_json

        atomic_write_json(args.out / "infer.json" if args.out.suffix != ".json" else args.out, res)
    for k, t in enumerate(res["top"], 1):
        print(f"{k}. {t['name']} (label {t['label']}): {t['prob']:.3f}")
    if not args.out:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
