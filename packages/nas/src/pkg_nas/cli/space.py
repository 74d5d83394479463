"""nas-space: size, members, children and parents of the layer-assignment space."""

from __future__ import annotations

import json

from pkg_nas.space import LayerAssignment, children, count, enumerate_depth, parents
from pkg_shared.cli import entrypoint, make_parser

EXAMPLE = """examples:
  nas-space count --stages 4 --depth 8          # 35
  nas-space list --stages 4 --depth 6
  nas-space children --assignment 2-2-2-2 --max-per-stage 4
"""


def _caps(text):
    return None if not text else LayerAssignment.parse(text)


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-space", "Count and list layer assignments (per-stage block counts).", config=False,
                    out=False, device=False, seed=False)
    p.epilog = EXAMPLE
    p.add_argument("action", choices=["count", "list", "children", "parents"])
    p.add_argument("--stages", type=int, default=4)
    p.add_argument("--depth", type=int, help="total depth L (count, list)")
    p.add_argument("--assignment", help="e.g. 2-2-2-2 (children, parents)")
    p.add_argument("--max-per-stage", help="caps per stage, e.g. 6-6-6-6")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    args = p.parse_args(argv)
    caps = _caps(args.max_per_stage)
    if args.action in ("count", "list"):
        if args.depth is None:
            p.error("--depth is required for count and list")
        if args.action == "count":
            n = count(args.depth, args.stages, caps)
            print(json.dumps({"stages": args.stages, "depth": args.depth, "count": n}) if args.json else n)
        else:
            items = [str(a) for a in enumerate_depth(args.depth, args.stages, caps)]
            print(json.dumps(items) if args.json else "\n".join(items))
        return 0
    if not args.assignment:
        p.error("--assignment is required for children and parents")
    a = LayerAssignment.parse(args.assignment)
    items = [str(c) for c in (children(a, caps) if args.action == "children" else parents(a))]
    print(json.dumps(items) if args.json else "\n".join(items))
    return 0
