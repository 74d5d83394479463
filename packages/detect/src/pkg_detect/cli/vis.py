"""``detect-vis``: heat maps (top, bottom, link) and decoded lines/boxes of one image."""

from __future__ import annotations

import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import PkgError

EPILOG = """examples:
  detect-vis --run runs/tll --image street.jpg --out vis.png          # boxes and body lines
  detect-vis --run runs/tll --image street.jpg --out vis.png --maps   # + top, bottom and link maps
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("detect-vis", "Visualise TLL maps and decoded detections.", config=False, seed=False, out=False)
    p.epilog = EPILOG
    p.add_argument("--run", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True, help="PNG file")
    p.add_argument("--mrf", action="store_true")
    p.add_argument("--thresh", type=float, default=0.2)
    p.add_argument("--maps", action="store_true", help="add the top-vertex, bottom-vertex and link-field heat maps")
    args = p.parse_args(argv)
    if not args.out.endswith(".png"):
        raise PkgError("--out must be a .png file")
    from pkg_detect.engine.infer import load_run, predict
    from pkg_detect.vis import draw_lines, map_sheet
    from pkg_shared.io.image import read_image

    model, cfg = load_run(args.run, resolve_device(args.device))
    if cfg.model.temporal_mode != "none":
        pass  # a single image is a clip of length 1 (zero initial state)
    img = read_image(args.image)
    boxes, maps = predict(model, img, cfg, device=next(model.parameters()).device, mrf=args.mrf, return_maps=True)
    if args.maps:
        map_sheet(args.out, img, maps, boxes, thresh=args.thresh, title=pathlib.Path(args.image).name)
    else:
        from pkg_shared.io.image import write_image

        write_image(args.out, draw_lines(img, boxes, args.thresh))
    print(f"wrote {args.out} ({len(boxes)} detections)")
    return 0
