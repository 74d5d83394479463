"""grounding-infer: the top moments of a sentence in your own video, and a timeline PNG."""

from __future__ import annotations

import json
import pathlib

import numpy as np

from pkg_grounding.cli.common import load_model
from pkg_grounding.engine.extract import BACKBONES, build_backbone, sample_indices, video_features
from pkg_grounding.engine.infer import ground
from pkg_grounding.viz import plot_timeline
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import DataFormatError, PkgError
from pkg_shared.fsutil import atomic_write_json

EPILOG = """examples:
  grounding-infer --checkpoint best.pt --video kitchen.mp4 --query "person opens the door" --plot timeline.png
  grounding-infer --checkpoint best.pt --features vid.npy --duration 31.2 --query "person sits down" --topk 5
The backbone/fps default to those recorded in the checkpoint's config (data.backbone, data.extract_fps)."""


def film_strip(video: str, duration: float, count: int = 8) -> tuple[np.ndarray, list[float]]:
    from pkg_shared.io.video import VideoReader

    vr = VideoReader(video)
    idx = np.linspace(0, vr.info.num_frames - 1, count).round().astype(int).tolist()
    frames = vr.get_frames(idx).numpy()
    return frames, [i / max(vr.info.fps, 1e-6) for i in idx]


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-infer", __doc__, config=False, seed=False, out=False)
    p.epilog = EPILOG
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--query", required=True, help="the sentence to ground")
    p.add_argument("--video", help="a video file (decoded with decord/OpenCV)")
    p.add_argument("--features", help="or pre-extracted (F, D) features: .npy")
    p.add_argument("--duration", type=float, help="video length in seconds (with --features)")
    p.add_argument("--backbone", choices=BACKBONES, help="default: the checkpoint's data.backbone")
    p.add_argument("--weights", help="backbone weights (default: the checkpoint's data.backbone_weights)")
    p.add_argument("--fps", type=float, help="default: the checkpoint's data.extract_fps")
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--plot", help="write the timeline PNG here")
    p.add_argument("--out", help="also write the JSON result here")
    args = p.parse_args(argv)
    if bool(args.video) == bool(args.features):
        raise PkgError("give exactly one of --video or --features")
    if not args.query.strip():
        raise PkgError("--query is empty")
    device = resolve_device(args.device)
    model, cfg, vocab = load_model(args.checkpoint, device)
    if args.video:
        backbone = build_backbone(args.backbone or cfg.data.backbone, args.weights or cfg.data.backbone_weights or None,
                                  cfg.data.clip_len, cfg.data.clip_stride)
        feats, duration = video_features(args.video, backbone.to(device), args.fps or cfg.data.extract_fps, device)
    else:
        path = pathlib.Path(args.features)
        if not path.is_file():
            raise DataFormatError(path, "feature file not found")
        try:
            feats = np.load(path).astype(np.float32)
        except ValueError as exc:
            raise DataFormatError(path, f"not a readable .npy file ({exc})") from None
        if not args.duration or args.duration <= 0:
            raise PkgError("--features needs --duration SECONDS (> 0)")
        duration = args.duration
    if feats.ndim != 2 or feats.shape[1] != cfg.model.video_dim:
        raise DataFormatError(args.video or args.features, f"features have shape {feats.shape}, the model expects "
                              f"(F, {cfg.model.video_dim}) -- same backbone as training?")
    res = ground(model, cfg, vocab, feats, duration, args.query, args.topk, device)
    if args.plot:
        frames, times = film_strip(args.video, duration) if args.video else (None, None)
        res["plot"] = plot_timeline(args.plot, res["inside"], res["plot_duration"], res["windows"], args.query,
                                    frames=frames, frame_times=times)
    if args.out:
        atomic_write_json(args.out, res)
    res.pop("inside")
    print(json.dumps(res, indent=2))
    return 0


__all__ = ["main", "sample_indices"]
