"""efficient-eval: top-1/top-5, M-Adds, parameters and shift sparsity as JSON."""

from __future__ import annotations

from torch.utils.data import DataLoader

from pkg_efficient.cli.common import emit, get_model, model_label, probe_input
from pkg_efficient.data.loaders import build_dataset
from pkg_efficient.engine.evaluate import evaluate
from pkg_efficient.flops import count
from pkg_efficient.ops.fold import shift_stats
from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError, DataFormatError

EXAMPLE = """examples:
  efficient-eval --model vgg16 --weights vgg16.pth --dataset imagenet --data /data/imagenet
  efficient-eval --weights runs/ssl/model.pt --dataset cifar10 --data /data/cifar --out eval.json
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-eval", "Evaluate a model (single center crop; CIFAR: official test batch).\n\n" + EXAMPLE,
                    config=False, seed=False)
    p.add_argument("--model", help="model name (needed for bare torchvision state dicts)")
    p.add_argument("--weights", help="checkpoint path")
    p.add_argument("--dataset", default="imagenet", choices=["imagenet", "cifar10", "cifar100"])
    p.add_argument("--data", required=True, help="dataset root in its official layout")
    p.add_argument("--input-size", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-samples", type=int, default=None)
    args = p.parse_args(argv)
    size = args.input_size or (32 if args.dataset.startswith("cifar") else 224)
    model, spec = get_model(args.model, args.weights)
    dev = resolve_device(args.device)
    if args.batch_size < 1 or (args.max_samples is not None and args.max_samples < 1):
        raise ConfigError("--batch-size and --max-samples must be at least 1")
    ds = build_dataset(args.dataset, args.data, "val", augment=False, input_size=size, max_samples=args.max_samples)
    if len(ds) == 0:
        raise DataFormatError(args.data, f"the {args.dataset} evaluation split has no images")
    probe_input(model, int(ds[0][0].shape[-1]), model_label(args.model, args.weights), num_classes=len(ds.classes))
    res = evaluate(model.to(dev), DataLoader(ds, batch_size=args.batch_size), dev)
    c = count(model.cpu(), size)
    res.update({"metric_convention": "top-k: label among the k largest logits (torch.topk), percent",
                "madds_M": c["macs"] / 1e6, "conv_madds_M": c["conv_macs"] / 1e6, "flops_2x_madds_M": 2 * c["macs"] / 1e6,
                "params_M": c["params"] / 1e6, "dataset": args.dataset, "input_size": size, "model": spec})
    st = shift_stats(model)
    if st["shift_channels"]:
        res["shift"] = st
    emit(res, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
