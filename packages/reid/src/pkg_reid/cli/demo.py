"""reid-demo: the whole LITM pipeline on a generated Market-1501-format dataset, on the CPU.

Writes a fake Market-1501 tree (official names, -1 junk and 0000 distractors), trains a tiny CNN
with two margin stages and GHIS sampling, evaluates with the official protocol (both AP
conventions), embeds one query image as inference, and draws a ranked-list montage.
Example:
  reid-demo --out runs/demo
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("reid-demo", __doc__)
    args = p.parse_args(argv)
    if args.out is None:
        raise ConfigError("--out DIR is required")
    import logging

    import numpy as np
    import torch

    from pkg_reid.cli._common import init_logging
    from pkg_reid.config import Config, resolve_recipe
    from pkg_reid.data.dataset import load_splits
    from pkg_reid.data.fake import make_market
    from pkg_reid.engine.evaluate import load_features
    from pkg_reid.engine.extract import extract
    from pkg_reid.engine.train import _evaluate, load_trained, train
    from pkg_reid.eval.rank import distance
    from pkg_reid.models import build_model
    from pkg_reid.vis.ranking import ranked_list_montage
    from pkg_shared.config import load_config

    t0 = time.time()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    init_logging(out)
    logging.getLogger("pkg_reid.train").setLevel(logging.WARNING)
    torch.set_num_threads(1)  # tiny model: one thread is as fast and immune to CPU contention
    seed = 0 if args.seed is None else args.seed
    print(f"[1/5] writing a fake Market-1501 dataset to {out / 'data'}", flush=True)
    make_market(out / "data", ids=12, cams=3, per_cam=2, seed=seed)
    overrides = [f"data.root={out / 'data'}", f"train.seed={seed}", *args.overrides]
    cfg = load_config(Config, args.config or resolve_recipe("demo_tiny"), overrides)
    device = resolve_device(args.device)
    splits = load_splits(cfg.data)
    torch.manual_seed(seed)
    before = _evaluate(build_model(cfg.model).to(device), splits, cfg, device)["plain"]
    print(f"[2/5] untrained model: rank-1 {before['rank1']:.3f}, mAP(official) {before['mAP_official']:.3f}", flush=True)
    run = out / "run"
    if (run / "last.pt").exists():  # a previous demo in the same folder: start afresh
        for f in run.glob("*.pt"):
            f.unlink()
    st = cfg.litm.resolved_stage_epochs()
    print(f"[3/5] training: {len(st)} LITM stages (margins {list(cfg.litm.resolved_margins())}, epochs {list(st)}), "
          f"GHIS {'on' if cfg.ghis.enabled else 'off'}", flush=True)
    summary = train(cfg, run, device)
    ev = summary["eval"]["plain"]
    print(f"[4/5] evaluation (official protocol): rank-1 {ev['rank1']:.3f}, mAP official {ev['mAP_official']:.3f}, "
          f"mAP non-interpolated {ev['mAP_non_interpolated']:.3f}, mINP {ev['mINP']:.3f}", flush=True)
    net, _ = load_trained(run, device)
    q = splits.query[0]
    emb = extract(net, [q], cfg.data, device, 1, False, "infer", cfg.model.embed_norm == "l2")
    f = load_features(run / "features.npz")
    d = distance(emb, f["gf"])[0]
    top = int(np.argsort(d, kind="stable")[0])
    print(f"[5/5] inference on {pathlib.Path(q.path).name}: {emb.shape[1]}-d embedding, nearest gallery image "
          f"{pathlib.Path(str(f['g_paths'][top])).name} (d={d[top]:.3f})", flush=True)
    dist = distance(f["qf"], f["gf"])
    pic = ranked_list_montage(dist, f["q_paths"], f["g_paths"], f["q_pids"], f["q_camids"], f["g_pids"], f["g_camids"],
                              out / "ranked_lists.png", [0, 3, 6, 9], topk=8)
    secs = time.time() - t0
    summ = {
        "ran": (f"fake Market-1501 ({len(splits.train)} train / {len(splits.query)} query / {len(splits.gallery)} gallery "
                f"images), tiny CNN, LITM {len(st)} stages with GHIS, {summary['epochs']} epochs; official-protocol "
                f"evaluation; one-image inference; ranked-list montage"),
        "metric": f"mAP={ev['mAP_official']:.3f}",
        "picture": str(pic.relative_to(out)),
        "metrics": {"rank1": ev["rank1"], "mAP_official": ev["mAP_official"],
                    "mAP_non_interpolated": ev["mAP_non_interpolated"], "mINP": ev["mINP"],
                    "untrained_rank1": before["rank1"], "untrained_mAP_official": before["mAP_official"]},
        "seconds": round(secs, 1),
    }
    atomic_write_json(out / "summary.json", summ)
    print(json.dumps({k: summ[k] for k in ("metric", "picture", "seconds")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
