"""efficient-infer: top-5 classes of the user's own image."""

from __future__ import annotations

import pathlib

import torch

from pkg_efficient.cli.common import emit, get_model, model_label, probe_input
from pkg_efficient.data.imagenet import load_rgb
from pkg_efficient.data.loaders import IMAGENET_MEAN, IMAGENET_STD
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import DataFormatError

EXAMPLE = """examples:
  efficient-infer --model vgg16 --weights vgg16.pth photo.jpg
  efficient-infer --weights runs/ssl/model.pt --input-size 32 --mean 0.49,0.48,0.45 --std 0.25,0.24,0.26 img.png
"""


def _triple(text: str) -> tuple[float, float, float]:
    v = [float(t) for t in text.split(",")]
    if len(v) != 3:
        raise ValueError("expected three comma-separated numbers")
    return tuple(v)  # type: ignore[return-value]


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-infer", "Classify one image (resize, center crop, normalise).\n\n" + EXAMPLE,
                    config=False, seed=False)
    p.add_argument("image", type=pathlib.Path)
    p.add_argument("--model")
    p.add_argument("--weights")
    p.add_argument("--input-size", type=int, default=None, help="default: the checkpoint's training size, else 224")
    p.add_argument("--mean", type=_triple, default=None, help="default: the checkpoint's training normalisation, else ImageNet's")
    p.add_argument("--std", type=_triple, default=None)
    p.add_argument("--classes", type=pathlib.Path,
                   help="text file, one class name per line (index order); default: the checkpoint's class names")
    args = p.parse_args(argv)
    if not args.image.is_file():
        raise DataFormatError(args.image, "image file not found")
    model, _ = get_model(args.model, args.weights)
    pre = {}
    if args.weights:  # efficient-train saves what its data loader did (size, mean/std, class names)
        from pkg_shared.engine import load_checkpoint

        state = load_checkpoint(args.weights)
        pre = state.get("preprocess") or {} if isinstance(state, dict) else {}
    if args.input_size is None:
        args.input_size = int(pre.get("input_size", 224))
    args.mean = args.mean or tuple(pre.get("mean", IMAGENET_MEAN))
    args.std = args.std or tuple(pre.get("std", IMAGENET_STD))
    probe_input(model, args.input_size, model_label(args.model, args.weights))
    if args.classes is not None and not args.classes.is_file():
        raise DataFormatError(args.classes, "class-name file not found")
    from torchvision import transforms as T

    size = args.input_size
    tf = T.Compose([T.Resize(int(round(size * 256 / 224)) if size >= 64 else size), T.CenterCrop(size), T.ToTensor(),
                    T.Normalize(args.mean, args.std)])
    x = tf(load_rgb(args.image))[None]
    with torch.no_grad():
        prob = model(x).softmax(1)[0]
    names = args.classes.read_text().splitlines() if args.classes else pre.get("classes")
    top = prob.topk(min(5, len(prob)))
    emit({"image": str(args.image), "input_size": size, "mean": list(args.mean), "std": list(args.std), "top5": [
        {"index": int(i), "name": names[int(i)] if names and int(i) < len(names) else None, "prob": float(v)}
        for v, i in zip(top.values, top.indices)]}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
