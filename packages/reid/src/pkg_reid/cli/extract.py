"""reid-extract: embeddings of a dataset's query/gallery (for reid-eval) or of your own crops.

Examples:
  reid-extract --run runs/litm --root /data/Market-1501-v15.09.15 --out feats.npz [--flip]
  reid-extract --run runs/litm --images my_crops/ --out my_feats.npz
"""

from __future__ import annotations

import io
import pathlib
import sys

import numpy as np

from pkg_reid.cli._common import init_logging
from pkg_reid.data.common import Sample
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_bytes


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("reid-extract", __doc__, config=False, out=False, seed=False)
    p.add_argument("--run", required=True, help="run folder (model.pt / last.pt) or a checkpoint file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--root", help="dataset root in the official layout (dataset type from the run's config)")
    src.add_argument("--images", help="folder of person crops (any names, searched recursively)")
    p.add_argument("--out", type=pathlib.Path, required=True, help="output .npz")
    p.add_argument("--flip", action="store_true", help="average with the horizontally flipped image")
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args(argv)
    init_logging()
    from pkg_reid.engine.extract import extract, save_features
    from pkg_reid.engine.train import load_trained

    device = resolve_device(args.device)
    net, cfg = load_trained(args.run, device)
    l2 = cfg.model.embed_norm == "l2"
    if args.root:
        from pkg_reid.data.dataset import load_splits

        splits = load_splits(cfg.data, args.root)
        qf = extract(net, splits.query, cfg.data, device, args.batch_size, args.flip, "query", l2)
        gf = extract(net, splits.gallery, cfg.data, device, args.batch_size, args.flip, "gallery", l2)
        save_features(args.out, qf, gf, splits.query, splits.gallery, {"dataset": splits.name})
        print(f"wrote {len(qf)} query and {len(gf)} gallery features ({qf.shape[1]}-d) to {args.out}")
        return 0
    from pkg_shared.io.image import list_images

    files = list_images(args.images)
    if not files:
        raise ConfigError(f"{args.images}: no images")
    samples = [Sample(str(f), -1, 0) for f in files]
    feats = extract(net, samples, cfg.data, device, args.batch_size, args.flip, "images", l2)
    buf = io.BytesIO()
    np.savez(buf, features=feats.astype(np.float32), paths=np.array([str(f) for f in files]))
    atomic_write_bytes(args.out, buf.getvalue())
    print(f"wrote {len(feats)} features ({feats.shape[1]}-d) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
