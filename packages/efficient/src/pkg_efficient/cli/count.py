"""efficient-count: per-layer multiply-add (M-Adds) and parameter table (shift counted 0)."""

from __future__ import annotations

import dataclasses

from pkg_efficient.cli.common import emit, get_model, model_label, probe_input
from pkg_efficient.flops import count, count_layers, format_table
from pkg_shared.cli import entrypoint, make_parser

EXAMPLE = """examples:
  efficient-count --model fenet_r_1.375            # 548.47 M-Adds at 224
  efficient-count --model resnet56 --input 32
  efficient-count --weights runs/compress/compressed.pt --input 224 --json
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-count", "Multiply-adds (1 fused multiply-add = 1; FLOPs = 2x) and parameters per layer.\n\n"
                    + EXAMPLE, config=False, device=False, seed=False)
    p.add_argument("--model")
    p.add_argument("--weights")
    p.add_argument("--input", type=int, default=224, help="input side in pixels")
    p.add_argument("--num-classes", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = p.parse_args(argv)
    model, spec = get_model(args.model, args.weights, args.num_classes)
    probe_input(model, args.input, model_label(args.model, args.weights))
    rows = count_layers(model, args.input)
    tot = count(model, args.input)
    if args.json or args.out:
        emit({"convention": "M-Adds: conv C_in/g*kh*kw*C_out*H_out*W_out + FC in*out; BN/ReLU/pool/add/shift = 0",
              "totals": tot, "layers": [dataclasses.asdict(r) for r in rows]}, args.out)
    else:
        print(format_table(rows))
        print(f"M-Adds {tot['macs'] / 1e6:.2f} M (conv {tot['conv_macs'] / 1e6:.2f} M, FLOPs = {2 * tot['macs'] / 1e6:.2f} M), "
              f"params {tot['params'] / 1e6:.3f} M (+ BN {tot['bn_params'] / 1e3:.1f} k, shift {tot['shift_params']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
