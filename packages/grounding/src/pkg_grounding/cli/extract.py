"""grounding-extract: features from your own videos (torchvision backbone, local weights) into the HDF5 layout."""

from __future__ import annotations

import json

from pkg_grounding.engine.extract import BACKBONES, build_backbone, extract_folder, list_videos
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import PkgError

EPILOG = """examples:
  grounding-extract --videos Charades_v1_480 --backbone vgg16_fc7 --weights vgg16-397923af.pth --fps 6 --out feats.hdf5
  grounding-extract --videos my_videos --backbone tiny_motion --fps 4 --out feats.hdf5
  grounding-extract --videos Charades_v1_480 --backbone r3d_18 --weights r3d_18-b3b3357e.pth --fps 24 \
      --clip-len 16 --clip-stride 8 --out r3d_feats.hdf5     # C3D-style: 16-frame clips every 8 frames (3/s)
  grounding-extract --videos Charades_v1_480 --backbone s3d --weights s3d-d76dad2f.pth --fps 25 --clip-len 16 \
      --clip-stride 16 --out s3d_feats.hdf5                  # I3D-like 1024-d, one per 16 frames
An interrupted run resumes: videos already in OUT.partial are skipped."""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("grounding-extract", __doc__, config=False, seed=False, out=False)
    p.epilog = EPILOG
    p.add_argument("--videos", required=True, help="folder of video files (the file stem is the video id)")
    p.add_argument("--backbone", choices=BACKBONES, default="vgg16_fc7")
    p.add_argument("--weights", help="torchvision state_dict (.pth) of the backbone; required except tiny_motion")
    p.add_argument("--fps", type=float, default=6.0, help="sampled frames per second (Charades VGG: 6)")
    p.add_argument("--clip-len", type=int, default=16, help="clip backbones: sampled frames per clip")
    p.add_argument("--clip-stride", type=int, default=16, help="clip backbones: frames between clip starts")
    p.add_argument("--out", required=True, help="output HDF5 file")
    p.add_argument("--on-error", choices=["skip", "error"], default="skip", help="undecodable videos")
    args = p.parse_args(argv)
    if args.fps <= 0:
        raise PkgError("--fps must be positive")
    backbone = build_backbone(args.backbone, args.weights, args.clip_len, args.clip_stride)
    res = extract_folder(list_videos(args.videos), args.out, backbone, args.fps, resolve_device(args.device),
                         on_error=args.on_error)
    print(json.dumps(res, indent=2))
    return 0
