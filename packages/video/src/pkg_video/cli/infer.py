"""video-infer: top-k classes of the user's own video over the multi-view protocol, plus a picture."""

from __future__ import annotations

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_video.cli._common import check_min, check_outputs, config, emit_json

EXAMPLE = """examples:
  video-infer --checkpoint runs/costb/best.pt my_video.mp4
  video-infer --checkpoint runs/costb/best.pt my_video.mp4 --views 1 --topk 3 --picture pred.png --out pred.json
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-infer", "Classify one video file with a trained checkpoint.", out=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("video", help="video file (any container decord/OpenCV can read)")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--views", choices=["1", "30"], default="30")
    p.add_argument("--picture", help="PNG with sampled frames and the prediction")
    p.add_argument("--out", help="JSON file (default: stdout)")
    args = p.parse_args(argv)
    check_min(args, topk=1)
    check_outputs(files=[args.out, args.picture])
    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.engine.infer import picture_format, predict, save_picture

    if args.picture:
        picture_format(args.picture)  # before the model runs

    device = resolve_device(args.device)
    model, ck_cfg, classes = load_trained(args.checkpoint, device)
    cfg = config(args, base=ck_cfg)
    pred = predict(model, args.video, cfg.data, classes, views=args.views, average=cfg.eval.average,
                   topk=args.topk, device=device)
    for rank, t in enumerate(pred["top"], 1):
        print(f"{rank}. {t['class']}  {t['score']:.4f}", flush=True)
    if args.picture:
        save_picture(args.video, cfg.data, pred, args.picture)
        pred["picture"] = args.picture
    if args.out:
        emit_json(pred, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
