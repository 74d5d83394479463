"""efficient-data: ``check`` a dataset root, or ``make-fake`` a tiny one in the official format."""

from __future__ import annotations

import argparse
import collections
import pathlib

from pkg_efficient.data.cifar import read_cifar, write_fake_cifar
from pkg_efficient.data.fake import write_fake_imagenet
from pkg_efficient.data.imagenet import load_rgb, read_imagenet
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import ConfigError, DataFormatError

EXAMPLE = """examples:
  efficient-data make-fake --dataset imagenet --layout kaggle --out /tmp/fake_imagenet
  efficient-data make-fake --dataset cifar10 --out /tmp/fake_cifar
  efficient-data check --dataset imagenet --root /data/imagenet --decode
"""


def _check(dataset: str, root: pathlib.Path, decode: bool) -> int:
    """Statistics of every split, then every format problem found (the readers record and skip)."""
    problems: list[DataFormatError] = []
    for split in ("train", "val"):
        before = len(problems)
        try:
            if dataset == "imagenet":
                s = read_imagenet(root, split, problems=problems)
                counts = collections.Counter(y for _, y in s.samples)
                print(f"{split}: {len(s.samples)} images, {len(counts)}/{len(s.classes)} classes present, layout {s.layout}, "
                      f"min/max per class {min(counts.values(), default=0)}/{max(counts.values(), default=0)}")
                if decode:
                    for path, _ in s.samples:
                        try:
                            load_rgb(path)
                        except DataFormatError as exc:
                            problems.append(exc)
            else:
                s = read_cifar(root, dataset, "train" if split == "train" else "test", problems=problems)
                counts = collections.Counter(s.labels.tolist())
                print(f"{split}: {len(s.labels)} images {s.images.shape[1:]}, {len(counts)}/{len(s.classes)} classes present")
        except DataFormatError as exc:  # nothing of the split could be read (missing folder, meta file ...)
            print(f"{split}: unreadable")
            problems.append(exc)
        for exc in problems[before:]:
            print(f"problem: {exc}")
    print(f"{len(problems)} problem(s) found")
    return 0 if not problems else 2


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-data", "Dataset tools (official layouts of ImageNet ILSVRC-2012 and CIFAR).\n\n" + EXAMPLE,
                    config=False, out=False, device=False, seed=False)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="per-split statistics and every format problem found",
                       description="Per-split statistics and every format problem found (exit 2 if any).\n\n"
                                   "example:\n  efficient-data check --dataset cifar10 --root /data/cifar",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--dataset", choices=["imagenet", "cifar10", "cifar100"], default="imagenet")
    c.add_argument("--root", type=pathlib.Path, required=True)
    c.add_argument("--decode", action="store_true", help="also decode every image (slow)")
    f = sub.add_parser("make-fake", help="write a tiny dataset in exactly the official format",
                       description="Write a tiny dataset in exactly the official format.\n\n"
                                   "example:\n  efficient-data make-fake --dataset imagenet --layout raw --out /tmp/in",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("--dataset", choices=["imagenet", "cifar10", "cifar100"], default="cifar10")
    f.add_argument("--layout", choices=["raw", "folder", "kaggle"], default="raw")
    f.add_argument("--out", type=pathlib.Path, required=True)
    f.add_argument("--n-train", type=int, default=20, help="CIFAR only (the ImageNet fixture has 3 images per class)")
    f.add_argument("--n-test", type=int, default=20, help="CIFAR only")
    f.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.cmd == "check":
        if not args.root.exists():
            raise DataFormatError(args.root, "dataset root not found")
        return _check(args.dataset, args.root, args.decode)
    if args.n_train < 1 or args.n_test < 1:
        raise ConfigError(f"--n-train and --n-test must be at least 1, got {args.n_train} and {args.n_test}")
    if args.dataset == "imagenet":
        root = write_fake_imagenet(args.out, args.layout, seed=args.seed)
    else:
        root = write_fake_cifar(args.out, args.dataset, args.n_train, args.n_test, args.seed)
    print(f"wrote {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
