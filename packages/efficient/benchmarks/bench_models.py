"""FE-Net (inference path) vs torchvision MobileNetV2 at equal M-Adds, and a compressed VGG-16
(L1 widths at 5x, random weights: latency does not depend on the values) vs the original, once per
``--width-multiples`` entry (1: the plain uniform ratio; 16: widths in multiples of 16, the channel
block of oneDNN on AVX-512, the ``width_multiple`` option of ``efficient-compress``).
Batch 1 single thread and batch 32 (``--large-batch``) all threads, both models of a pair in the
same memory layout: channels_last (NHWC, what oneDNN's CPU convolutions use) and NCHW. For the
VGG pair a per-layer latency table (forward hooks) shows where the measured speed-up falls short
of the M-Adds one."""

import argparse

import torch

from pkg_efficient.bench import bench_models
from pkg_efficient.compress.apply import compress_vgg
from pkg_efficient.compress.chain import ChainOptions
from pkg_efficient.layer_cost import format_per_layer, format_scopes, per_layer_table, speedup_by_scope
from pkg_efficient.models import build_model
from pkg_efficient.ops.fold import to_inference
from pkg_shared.engine.bench import report

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="JSON file")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--input", type=int, default=224)
    ap.add_argument("--large-batch", type=int, default=32, help="batch of the all-threads run (smaller: quicker)")
    ap.add_argument("--layouts", default="channels_last,nchw", help="comma list of channels_last, nchw")
    ap.add_argument("--width-multiples", default="1,16", help="comma list: one pruned VGG-16 per width multiple")
    ap.add_argument("--pairs", default="fenet,vgg", help="comma list of fenet, vgg")
    args = ap.parse_args()
    pairs = [x.strip() for x in args.pairs.split(",") if x.strip()]
    if not pairs or any(x not in ("fenet", "vgg") for x in pairs):
        ap.error(f"--pairs {args.pairs!r}: give fenet, vgg or both (comma-separated)")
    try:
        multiples = [int(x) for x in args.width_multiples.split(",") if x.strip()]
    except ValueError:
        ap.error(f"--width-multiples {args.width_multiples!r}: give positive integers, comma-separated")
    if not multiples or min(multiples) < 1:
        ap.error(f"--width-multiples {args.width_multiples!r}: give positive integers, comma-separated")
    layouts = [x.strip() for x in args.layouts.split(",") if x.strip()]
    if not layouts or any(x not in ("channels_last", "nchw") for x in layouts):
        ap.error(f"--layouts {args.layouts!r}: give channels_last, nchw or both (comma-separated)")
    torch.manual_seed(0)
    fenet = to_inference(build_model("fenet_r_1.0"), inplace_ok=True)
    mbv2 = build_model("mobilenet_v2")
    vgg = build_model("vgg16").eval()
    calib = torch.randn(2, 3, args.input, args.input)
    pruned = {m: compress_vgg(vgg, calib, ChainOptions(method="l1", positions=2), target_speedup=5.0, width_multiple=m)
              for m in (multiples if "vgg" in pairs else [])}
    for m, (_, info) in pruned.items():
        print(f"width multiple {m}: widths {info['widths']} (conv M-Adds x{info['conv_speedup_theoretical']:.3f})")
    all_threads = torch.get_num_threads()
    results = []
    for layout in layouts:
        cl = layout == "channels_last"
        for threads, batch in ((1, 1), (all_threads, args.large_batch)):
            torch.set_num_threads(threads)
            tag = f"b={batch} t={threads} {layout}"
            if "fenet" in pairs:
                results.append(bench_models(fenet, mbv2, f"fenet_r_1.0 vs mobilenet_v2 {tag}", args.input, batch,
                                            args.repeat, channels_last=cl))
            for m, (small, info) in pruned.items():
                name = f"vgg16 5x (L1 widths, multiple {m}) vs vgg16 {tag}"
                r = bench_models(small, vgg, name, args.input, batch, args.repeat, channels_last=cl)
                r["theoretical_conv_speedup"] = info["conv_speedup_theoretical"]
                r["widths"] = info["widths"]
                r["per_layer"] = per_layer_table(vgg, small, args.input, batch, repeat=3, channels_last=cl)
                print(f"per-layer latency, vgg16 vs 5x pruned (multiple {m}), {tag}:")
                print(format_per_layer(r["per_layer"]))
                r["speedup_by_scope"] = speedup_by_scope(r["per_layer"])
                print(f"per-layer sums, multiple {m}, {tag}: " + format_scopes(r["speedup_by_scope"]))
                results.append(r)
    print(report(results, args.out))
