"""``detect-infer``: detect pedestrians in an image, a folder, a video file or a Caltech ``.seq``."""

from __future__ import annotations

import json
import pathlib
import sys

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import DataFormatError, PkgError
from pkg_shared.fsutil import atomic_write_json, atomic_write_text

EPILOG = """examples:
  detect-infer --run runs/tll --input street.jpg --out pred/
  detect-infer --run runs/tll --input data/caltech/set06/V000.seq --out pred/ --format caltech --mrf
  detect-infer --run runs/tfa --input clip.mp4 --out pred/ --temporal
"""
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


def _frames(path: pathlib.Path):
    """Yield (name, frame index, RGB frame)."""
    from pkg_shared.io.image import IMAGE_SUFFIXES, list_images, read_image

    if path.is_dir():
        for p in list_images(path):
            yield p.stem, 0, read_image(p)
    elif path.suffix.lower() == ".seq":
        from pkg_detect.data.caltech_seq import SeqReader

        r = SeqReader(path)
        for i in range(len(r)):
            yield f"I{i:05d}", i, r[i]
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        import cv2

        if not path.is_file():
            raise DataFormatError(path, "video file not found")
        cap = cv2.VideoCapture(str(path))
        if not cap.isOpened():
            raise DataFormatError(path, "cannot open video (corrupt or unsupported codec)")
        i = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            yield f"I{i:05d}", i, bgr[:, :, ::-1].copy()
            i += 1
        cap.release()
        if i == 0:
            raise DataFormatError(path, "video has no decodable frames")
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        yield path.stem, 0, read_image(path)
    else:
        if not path.exists():
            raise DataFormatError(path, "input not found")
        raise DataFormatError(path, "unsupported input (image, folder, video or .seq expected)")


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("detect-infer", "Run a trained TLL model on your own images or videos.", config=False, seed=False)
    p.epilog = EPILOG
    p.add_argument("--run", required=True, help="training run folder (last.pt) or checkpoint file")
    p.add_argument("--input", required=True)
    p.add_argument("--mrf", action="store_true", help="enable MRF post-processing")
    p.add_argument("--temporal", action="store_true", help="streaming Conv-LSTM inference over consecutive frames")
    p.add_argument("--format", choices=["caltech", "citypersons-json", "kitti", "coco"], default="caltech")
    p.add_argument("--draw", type=int, default=20, help="draw boxes on at most this many frames (0: none)")
    p.add_argument("--thresh", type=float, default=0.3, help="score threshold for drawing")
    args = p.parse_args(argv)
    if args.out is None:
        raise PkgError("--out DIR is required")
    from pkg_detect.engine.infer import StreamingDetector, load_run, predict
    from pkg_detect.vis import draw_boxes
    from pkg_shared.io.image import write_image
    from pkg_shared.logging import progress

    device = resolve_device(args.device)
    model, cfg = load_run(args.run, device)
    if args.temporal and cfg.model.temporal_mode == "none":
        raise PkgError(f"{args.run}: --temporal needs a temporal model (model.temporal_mode=convlstm)")
    inp = pathlib.Path(args.input)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stream = StreamingDetector(model, cfg, device, args.mrf) if (args.temporal or cfg.model.temporal_mode != "none") else None
    results = []
    for k, (name, idx, img) in enumerate(progress(_frames(inp), desc="infer")):
        boxes = stream(img) if stream else predict(model, img, cfg, device=device, mrf=args.mrf)
        results.append((name, idx, boxes))
        if k < args.draw:
            write_image(out / f"{name}_det.png", draw_boxes(img, boxes, thresh=args.thresh))
    stem = inp.stem if inp.is_file() else "detections"
    if args.format == "caltech":
        lines = [f"{i + 1},{x:.4f},{y:.4f},{w:.4f},{h:.4f},{s:.6f}" for _, i, b in results for x, y, w, h, s in b]
        if inp.is_dir():
            lines = [f"{n} {x:.2f} {y:.2f} {w:.2f} {h:.2f} {s:.6f}" for n, _, b in results for x, y, w, h, s in b]
        atomic_write_text(out / f"{stem}.txt", "\n".join(lines) + ("\n" if lines else ""))
        dest = out / f"{stem}.txt"
    elif args.format in ("citypersons-json", "coco"):
        dets = [{"image_id": k + 1, "file": n, "category_id": 1, "bbox": [float(v) for v in b[:4]], "score": float(b[4])}
                for k, (n, _, bs) in enumerate(results) for b in bs]
        dest = out / f"{stem}.json"
        atomic_write_json(dest, dets)
    else:
        for n, _, bs in results:
            rows = [f"Pedestrian -1 -1 -10 {x:.2f} {y:.2f} {x + w:.2f} {y + h:.2f} -1 -1 -1 -1000 -1000 -1000 -10 {s:.4f}"
                    for x, y, w, h, s in bs]
            atomic_write_text(out / f"{n}.txt", "\n".join(rows) + ("\n" if rows else ""))
        dest = out
    total = sum(len(b) for _, _, b in results)
    print(json.dumps({"frames": len(results), "detections": total, "output": str(dest)}))
    if not results:
        print("detect-infer: warning: no frames read", file=sys.stderr)
    return 0
