"""efficient-bench: measured CPU latency next to M-Adds (never claim speed from M-Adds alone)."""

from __future__ import annotations

import torch

from pkg_efficient.bench import bench_models, bench_shift
from pkg_efficient.cli.common import get_model, model_label, probe_input
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.engine.bench import report
from pkg_shared.errors import ConfigError

EXAMPLE = """examples:
  efficient-bench --what shift --threads 1 --batch 1,32
  efficient-bench --what model --model fenet_r_1.0 --baseline mobilenet_v2 --input 224
  efficient-bench --what model --weights runs/ldrf/compressed.pt --baseline vgg16 --out bench.json
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-bench", "Latency comparisons; writes the ratios as JSON with --out.\n\n" + EXAMPLE,
                    config=False, device=False, seed=False)
    p.add_argument("--what", choices=["shift", "model"], default="shift")
    p.add_argument("--model")
    p.add_argument("--weights")
    p.add_argument("--baseline", default="mobilenet_v2", help="baseline model name (what=model)")
    p.add_argument("--input", type=int, default=224)
    p.add_argument("--threads", type=int, default=0, help="0 = all")
    p.add_argument("--batch", default="1", help="comma-separated batch sizes")
    p.add_argument("--repeat", type=int, default=50, help="timed runs per model (median; spec: >= 50)")
    args = p.parse_args(argv)
    try:
        batches = [int(v) for v in args.batch.split(",")]
    except ValueError:
        batches = []
    if not batches or min(batches) < 1:
        raise ConfigError(f"--batch must be comma-separated positive integers, got {args.batch!r}")
    if args.repeat < 1 or args.threads < 0:
        raise ConfigError("--repeat must be at least 1 and --threads at least 0 (0 = all)")
    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    if args.what == "model":
        cand, _ = get_model(args.model, args.weights)
        base, _ = get_model(args.baseline, None)
        probe_input(cand, args.input, model_label(args.model, args.weights))
        probe_input(base, args.input, f"model {args.baseline}")
    for b in batches:
        if args.what == "shift":
            results += bench_shift(batch=b, repeat=args.repeat)
        else:
            results.append(bench_models(cand, base, f"{args.model or args.weights} vs {args.baseline}", args.input, b, args.repeat))
    print(report(results, str(args.out) if args.out else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
