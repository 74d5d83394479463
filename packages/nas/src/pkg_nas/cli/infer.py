"""nas-infer: classify the user's own image files with a trained checkpoint."""

from __future__ import annotations

import pathlib

from pkg_nas.cli.common import emit_json
from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """examples:
  nas-infer --checkpoint runs/c100_2392/last.pt --image cat.png dog.jpg --topk 5
"""


def predict(model, cfg, class_names, paths, device, topk: int = 5) -> list[dict]:
    import torch
    from torchvision import transforms as T

    from pkg_nas.data.datasets import STATS, load_rgb

    mean, std = STATS[cfg.data.dataset]
    size = cfg.model.input_size
    if cfg.data.dataset == "imagenet":
        tf = T.Compose([T.Resize(round(size * 256 / 224)), T.CenterCrop(size), T.ToTensor(), T.Normalize(mean, std)])
    else:
        tf = T.Compose([T.Resize((size, size)), T.ToTensor(), T.Normalize(mean, std)])
    out = []
    with torch.no_grad():
        for path in paths:
            x = tf(load_rgb(pathlib.Path(path))).unsqueeze(0).to(device)
            prob = model(x).softmax(1)[0]
            val, idx = prob.topk(min(topk, prob.numel()))
            out.append({"image": str(path), "top": [
                {"class": int(i), "name": class_names[i] if i < len(class_names) else str(int(i)), "prob": float(v)}
                for v, i in zip(val.tolist(), idx.tolist())]})
    return out


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-infer", "Top-k classes for image files.", config=False, out=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True, type=pathlib.Path)
    p.add_argument("--image", required=True, nargs="+", type=pathlib.Path)
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--out", type=pathlib.Path, help="JSON file (default: stdout)")
    args = p.parse_args(argv)
    from pkg_nas.engine.train import load_model

    device = resolve_device(args.device)
    model, cfg, names = load_model(args.checkpoint, device)
    emit_json(predict(model, cfg, names, args.image, device, args.topk), args.out)
    return 0
