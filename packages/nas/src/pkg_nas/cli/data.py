"""nas-data: check a dataset in its official layout, or write a tiny fake one in that layout."""

from __future__ import annotations

import json
import pathlib

from pkg_nas.data import CHECKS, fake
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import DataFormatError

EXAMPLE = """examples:
  nas-data make-fake --dataset cifar100 --out /tmp/fake_cifar --per-class 5
  nas-data check --dataset cifar100 --root /tmp/fake_cifar
  nas-data check --dataset imagenet --root /data/ILSVRC2012      # train/ + val/ (+ devkit)
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-data", "Check or fake CIFAR-100 / Tiny-ImageNet / ImageNet in their official formats.",
                    config=False, out=False, device=False, seed=False)
    p.epilog = EXAMPLE
    sub = p.add_subparsers(dest="action", required=True)
    c = sub.add_parser("check", help="per-split statistics and every format problem found")
    c.add_argument("--dataset", required=True, choices=sorted(CHECKS))
    c.add_argument("--root", required=True, type=pathlib.Path)
    c.add_argument("--json", action="store_true")
    f = sub.add_parser("make-fake", help="write a tiny dataset in the exact official format")
    f.add_argument("--dataset", required=True, choices=sorted(CHECKS))
    f.add_argument("--out", required=True, type=pathlib.Path)
    f.add_argument("--per-class", type=int, default=5, help="train images per class")
    f.add_argument("--test-per-class", type=int, default=2, help="test/val images per class")
    f.add_argument("--classes", type=int, default=None, help="classes to populate (default: 100 / 5 / 4)")
    f.add_argument("--val-layout", choices=["flat", "folders"], default="flat", help="ImageNet val layout")
    f.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.action == "make-fake":
        if args.dataset == "cifar100":
            where = fake.write_cifar100(args.out, args.per_class, args.test_per_class, args.classes or 100, args.seed)
        elif args.dataset == "tiny-imagenet":
            where = fake.write_tiny_imagenet(args.out, args.classes or 5, args.per_class, args.test_per_class, seed=args.seed)
        else:
            where = fake.write_imagenet(args.out, args.classes or 4, args.per_class, args.test_per_class,
                                        args.val_layout, seed=args.seed)
        print(f"wrote fake {args.dataset} to {where}")
        return 0
    if not args.root.exists():
        raise DataFormatError(args.root, "dataset root not found")
    report = CHECKS[args.dataset](args.root)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.dataset} at {args.root}: {report.get('classes', '?')} classes"
              + (f", val layout {report['val_layout']}" if "val_layout" in report else ""))
        for split, st in report["splits"].items():
            print(f"  {split}: " + ", ".join(f"{k} {v}" for k, v in st.items()))
        for prob in report["problems"]:
            print(f"  problem: {prob}")
        print("OK" if not report["problems"] else f"{len(report['problems'])} problem(s)")
    return 0 if not report["problems"] else 1
