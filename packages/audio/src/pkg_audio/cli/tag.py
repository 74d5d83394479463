"""audio-tag: tag any audio file (any length, rate, channels) with class names; heat-map PNG."""

from __future__ import annotations

import dataclasses
import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError

EXAMPLE = """example:
  audio-tag --checkpoint runs/raw_mla/best.pt recording.flac --topk 5
  audio-tag --checkpoint best.pt long.wav --hop 5 --heatmap long.png --json
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-tag", "Tag audio files with the top classes.\n\n" + EXAMPLE, config=False, seed=False)
    p.add_argument("files", nargs="+", type=pathlib.Path, help="audio files (wav, flac, ogg, mp3, ...)")
    p.add_argument("--checkpoint", type=pathlib.Path, required=True)
    p.add_argument("--topk", type=int, default=None, help="number of classes to print (default: config, 10)")
    p.add_argument("--hop", type=float, default=None, help="sliding-window hop in seconds (default 5)")
    p.add_argument("--agg", choices=["max", "mean"], default=None, help="window aggregation (default max)")
    p.add_argument("--threshold", type=float, default=None,
                   help="also list every class scoring at least this (default 0.5; not part of the metric)")
    p.add_argument("--heatmap", type=pathlib.Path, help="PNG path (with several files: FILE-stem is appended)")
    p.add_argument("--frames-csv", type=pathlib.Path,
                   help="write the frame-level attention x classifier map (time_s + one column per class) as CSV")
    p.add_argument("--windows-csv", type=pathlib.Path,
                   help="write the per-window table (start_s, end_s + one probability column per class) as CSV")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off",
                   help="autocast the forward pass (bf16: CPU or CUDA; fp16: CUDA only)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = p.parse_args(argv)
    if args.hop is not None and args.hop <= 0:
        raise ConfigError("--hop must be > 0")

    from pkg_audio.engine.checkpoints import load_tagger
    from pkg_audio.engine.infer import tag_file, top_classes

    device = resolve_device(args.device)
    from pkg_audio.engine.runtime import check_amp

    check_amp(args.amp, device)
    model, cfg, names, mids = load_tagger(args.checkpoint, device)
    icfg = cfg.infer
    for key, val in (("topk", args.topk), ("hop_seconds", args.hop), ("agg", args.agg), ("threshold", args.threshold)):
        if val is not None:
            icfg = dataclasses.replace(icfg, **{key: val})
    results = []
    for f in args.files:
        r = tag_file(model, f, cfg, icfg, device, amp=args.amp)
        top = top_classes(r.clip_scores, names, mids, icfg.topk)
        above = [names[i] for i in (r.clip_scores >= icfg.threshold).nonzero()[0]]
        item = {"file": str(f), "duration_s": round(r.duration_s, 3), "windows": len(r.window_starts), "top": top,
                "threshold": icfg.threshold, "above_threshold": above}
        if args.heatmap:
            from pkg_audio.engine.vis import plot_tagging

            hp = args.heatmap if len(args.files) == 1 else args.heatmap.with_name(f"{args.heatmap.stem}-{f.stem}.png")
            plot_tagging(r, names, hp, title=f"{f.name}: clip probability per window")
            item["heatmap"] = str(hp)
        if args.frames_csv:
            if r.frame_map is None:
                raise ConfigError(f"--frames-csv: the {cfg.model.variant} head has no attention map")
            from pkg_audio.engine.infer import write_frames_csv

            fp = args.frames_csv if len(args.files) == 1 else args.frames_csv.with_name(f"{args.frames_csv.stem}-{f.stem}.csv")
            write_frames_csv(fp, r, names)
            item["frames_csv"] = str(fp)
        if args.windows_csv:
            from pkg_audio.engine.infer import write_windows_csv

            wp = args.windows_csv if len(args.files) == 1 else args.windows_csv.with_name(f"{args.windows_csv.stem}-{f.stem}.csv")
            write_windows_csv(wp, r, names, cfg.data.clip_seconds)
            item["windows_csv"] = str(wp)
        results.append(item)
        if not args.json:
            print(f"{f} ({r.duration_s:.1f} s, {len(r.window_starts)} window(s))")
            for t in top:
                print(f"  {t['score']:.3f}  {t['name']}  [{t['mid']}]")
            print(f"  classes >= {icfg.threshold:g}: {', '.join(above) if above else 'none'}")
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
