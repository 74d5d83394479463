"""video-coef: the paper's interpretability analysis (view coefficients per layer, per channel, per class)."""

from __future__ import annotations

import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json, atomic_write_text
from pkg_video.cli._common import check_min, check_outputs, config

EXAMPLE = """examples:
  video-coef --checkpoint runs/costa/best.pt --out coef_costa          # CoST(a): from the parameters
  video-coef --checkpoint runs/costb/best.pt --out coef_costb --max-videos 2000   # CoST(b): over val clips
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("video-coef", "Export and plot the learned CoST view coefficients.", seed=False)
    p.epilog = EXAMPLE
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--split", help="CoST(b): split to average over (default data.val_split)")
    p.add_argument("--max-videos", type=int, default=None, help="CoST(b): use at most this many videos")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    check_min(args, max_videos=1)
    check_outputs(dirs=[args.out])
    from pkg_video.analysis import coefficients as co
    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.models import cost_layers

    device = resolve_device(args.device)
    model, ck_cfg, classes = load_trained(args.checkpoint, device)
    layers = [(n, m) for n, m in cost_layers(model) if m.variant != "concat"]
    if not layers:
        raise PkgError(f"{args.checkpoint}: the model ({ck_cfg.model.arch}) has no CoST layers with view "
                       "coefficients (C2D/C3D, or the concat ablation)")
    out = args.out or pathlib.Path("coef")
    static = co.static_coefficients(model)
    rows = co.layer_table(static) if static else []
    if static:  # CoST(a): the view weights of every output channel as well
        atomic_write_text(out / "coef_per_channel.csv", co.table_csv(co.channel_table(static)))
    summary: dict = {"checkpoint": str(args.checkpoint), "arch": ck_cfg.model.arch}
    if any(m.variant == "b" for _, m in layers):
        cfg = config(args, base=ck_cfg)
        from torch.utils.data import DataLoader

        from pkg_video.data.dataset import ClipDataset, build_samples, check_classes

        samples, ds_classes, report = build_samples(cfg.data, args.split or cfg.data.val_split, classes)
        check_classes(samples, ds_classes, classes, report.get("csv") or report.get("list") or cfg.data.root)
        samples = [s for s in samples if s.label >= 0][: args.max_videos]
        ds = ClipDataset(samples, cfg.data, "val")
        loader = DataLoader(ds, batch_size=4, num_workers=0)
        clips = ((b["video"][b["ok"]], b["label"][b["ok"]]) for b in loader)
        mean, per_class = co.dynamic_coefficients(model, clips, device)
        rows = co.layer_table(mean)
        pc_rows = []
        for c, d in sorted(per_class.items()):
            for r in co.layer_table(d):
                pc_rows.append({"class": classes[c], **r})
        atomic_write_text(out / "coef_per_class.csv", co.table_csv(pc_rows))
        ranking = sorted(((sum(r["temporal_share"] for r in pc_rows if r["class"] == classes[c]) / len(d), classes[c])
                          for c, d in per_class.items()), reverse=True)
        summary["classes_by_temporal_share"] = [{"class": n, "temporal_share": s} for s, n in ranking]
        summary["videos"] = len(samples)
    atomic_write_text(out / "coef.csv", co.table_csv(rows))
    summary["layers"] = rows
    if not args.no_plot:
        co.plot(rows, out / "coef.png", title=f"{ck_cfg.model.arch}: view coefficients per layer",
                channels=static or None)
        summary["plot"] = str(out / "coef.png")
    atomic_write_json(out / "coef.json", summary)
    for r in rows:
        print(f"{r['layer']:>10}  hw {r['hw']:.3f}  tw {r['tw']:.3f}  th {r['th']:.3f}  temporal {r['temporal_share']:.3f}")
    print(f"wrote {out}/coef.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
