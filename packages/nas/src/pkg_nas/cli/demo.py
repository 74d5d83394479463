"""nas-demo: the whole job on generated CIFAR-100 files in the official pickle format.

1. fake CIFAR-100 (10 populated classes), 2. a tiny architecture dataset (every assignment of
depth 4..6 trained briefly), 3. supernet training + inherited search to depth 6 and the uniform
one-shot baseline, 4. search quality against the dataset + a PNG, 5. the pick trained, evaluated
(top-1 on the test split) and run on one image.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import time

from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.fsutil import atomic_write_json

EXAMPLE = """example:
  nas-demo --out runs/demo_nas
"""


def demo_config(root: pathlib.Path):
    from pkg_nas.config import PRESETS, BenchConfig, DataConfig, RunConfig, SearchConfig, TrainConfig

    return RunConfig(
        model=PRESETS["tiny"],
        data=DataConfig(dataset="cifar100", root=str(root), batch_size=32, eval_batch_size=128, val_per_class=6,
                        train_on="train_minus_val"),
        train=TrainConfig(epochs=3, lr=0.1, checkpoint_every=0),
        search=SearchConfig(target_depth=6, e0=3, e_step=2, recal_batches=3, recal_batch_size=32),
        bench=BenchConfig(depth_min=4, depth_max=6, seeds=1),
    )


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("nas-demo", "End-to-end demo on generated official-format CIFAR-100 (about a minute on CPU).",
                    config=False, device=False, seed=False)
    p.epilog = EXAMPLE
    args = p.parse_args(argv)
    out = args.out or pathlib.Path("runs/demo_nas")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()

    def say(msg: str) -> None:
        print(f"[{time.time() - t0:5.1f}s] {msg}", flush=True)

    import os

    import torch

    # tiny tensors: one intra-op thread is as fast on an idle machine and far faster on a busy one
    torch.set_num_threads(int(os.environ.get("NAS_DEMO_THREADS", "1")))
    from pkg_nas.bench.analysis import by_depth, search_quality
    from pkg_nas.bench.records import aggregate, build, read_records
    from pkg_nas.cli.infer import predict
    from pkg_nas.data.datasets import build_splits
    from pkg_nas.data.fake import write_cifar100
    from pkg_nas.engine.search_run import run_search
    from pkg_nas.engine.train import load_model, train
    from pkg_nas.vis import plot_search_vs_bench

    say("1/5 writing fake CIFAR-100 (official python pickle format)")
    data_root = out / "data"
    write_cifar100(data_root, per_class=20, test_per_class=5, classes=10, seed=0)
    cfg = demo_config(data_root)
    splits = build_splits(cfg.data, cfg.model.input_size)

    say("2/5 building the tiny architecture dataset (15 assignments of depth 4..6)")
    bench = out / "bench.jsonl"
    if bench.exists():
        bench.unlink()
    build(cfg, bench, train_fn=lambda c: train(c, None, splits=splits, log=lambda s: None), log=lambda s: None)
    entries = aggregate(read_records(bench))
    top = by_depth(entries)[6][0]
    say(f"   dataset optimum at depth 6: {top.assignment} ({top.mean:.1f}% test top-1)")

    say("3/5 supernet + inherited-sampling search 4 -> 6, and the uniform one-shot baseline")
    results = {}
    for method in ("inherited", "uniform"):
        shutil.rmtree(out / f"search_{method}", ignore_errors=True)  # a rerun starts fresh, not resumed
        r = run_search(cfg, method, out / f"search_{method}", splits=splits, log=lambda s: None)
        results[method] = r
        say(f"   {method}: pick {r['best']} after {r['evaluations']} evaluations, {r['supernet_epochs']} supernet epochs")

    say("4/5 search quality against the dataset + picture")
    quality = {m: search_quality(r, entries) for m, r in results.items()}
    atomic_write_json(out / "quality.json", quality)
    picture = plot_search_vs_bench(results, entries, out / "search_vs_bench.png")

    say("5/5 training the pick, evaluating on the test split, inferring one image")
    pick = results["inherited"]["best"]
    run = out / "train_pick"
    final_cfg = dataclasses.replace(cfg, assignment=pick, data=dataclasses.replace(cfg.data, train_on="train"),
                                    train=dataclasses.replace(cfg.train, epochs=4, checkpoint_every=1))
    res = train(final_cfg, run, splits=build_splits(final_cfg.data, 32), log=lambda s: None)
    from pkg_shared.io.image import write_image

    sample = splits.test.images[0].permute(1, 2, 0).numpy()
    write_image(out / "sample.png", sample)
    model, rcfg, names = load_model(run / "last.pt")
    pred = predict(model, rcfg, names, [out / "sample.png"], torch.device("cpu"), topk=3)[0]
    true = names[int(splits.test.labels[0])]
    say(f"   {pick}: test top-1 {res['top1_test']:.1f}%, sample.png ({true}) -> {pred['top'][0]['name']}")
    q = quality["inherited"]
    summary = {
        "ran": (f"fake CIFAR-100 -> 15-net architecture dataset -> inherited search picked {pick} with "
                f"{results['inherited']['evaluations']} evaluations (uniform: {results['uniform']['best']}, "
                f"{results['uniform']['evaluations']}) -> retrained pick, inferred sample.png"),
        "metric": f"top1={res['top1_test']:.2f}",
        "picture": str(picture.relative_to(out)),
        "search_hit1_consistency": q["consistency"],
        "search_regret_at_6": q["per_depth"][-1]["regret"] if q["per_depth"] else None,
        "inference": {"true": true, "predicted": pred["top"][0]["name"]},
        "seconds": round(time.time() - t0, 1),
    }
    atomic_write_json(out / "summary.json", summary)
    say(f"done: {json.dumps({k: summary[k] for k in ('metric', 'picture')})} -> {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
