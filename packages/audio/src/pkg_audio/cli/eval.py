"""audio-eval: mAP / mAUC / d' of a checkpoint on the AudioSet evaluation set (JSON)."""

from __future__ import annotations

import dataclasses
import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device
from pkg_shared.errors import ConfigError

EXAMPLE = """example:
  audio-eval --checkpoint runs/raw_mla/best.pt --data-root /data/audioset --out runs/raw_mla/eval
  audio-eval --checkpoint best.pt --manifest eval.json --strict-sklearn
  audio-eval --checkpoint runs/x/ckpt_*.pt --data-root /data/audioset    # averaged predictions
  audio-eval --run runs/raw_mla --last 5 --average weights --save-averaged runs/raw_mla/avg5.pt
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-eval", "Evaluate a tagger with the AudioSet reference metrics.\n\n" + EXAMPLE,
                    config=False, seed=False)
    p.add_argument("--checkpoint", type=pathlib.Path, nargs="+",
                   help="one checkpoint, or several whose predictions are averaged (reported as such)")
    p.add_argument("--run", type=pathlib.Path,
                   help="a training run directory: average its newest --last per-evaluation checkpoints (ckpt_step*.pt)")
    p.add_argument("--last", type=int, default=5, help="with --run: how many of the newest checkpoints (default 5)")
    p.add_argument("--average", choices=["predictions", "weights"], default="predictions",
                   help="with several checkpoints: mean of their clip probabilities (default, Yu et al.) "
                        "or one model with averaged weights")
    p.add_argument("--save-averaged", type=pathlib.Path,
                   help="with --average weights: also write the averaged checkpoint (usable by audio-tag/export)")
    p.add_argument("--data-root", type=pathlib.Path, help="folder with the official CSVs (default: the checkpoint's)")
    p.add_argument("--audio-dir", type=pathlib.Path, help="folder with the audio (default: data root)")
    p.add_argument("--manifest", type=pathlib.Path, help="AST JSON or TSV manifest of the eval clips")
    p.add_argument("--hdf5", type=pathlib.Path, help="PANNs packed eval HDF5")
    p.add_argument("--ids", type=pathlib.Path, help="evaluate exactly these clip ids (one per line)")
    p.add_argument("--strict-sklearn", action="store_true", help="count AP=0 for classes without positives (sklearn)")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args(argv)
    if (args.checkpoint is None) == (args.run is None):
        raise ConfigError("give either --checkpoint FILE [FILE ...] or --run DIR")
    if args.save_averaged is not None and args.average != "weights":
        raise ConfigError("--save-averaged needs --average weights")

    from pkg_audio.data.audioset import ClassIndex
    from pkg_audio.data.clips import build_split
    from pkg_audio.engine.averaging import load_averaged, run_checkpoints
    from pkg_audio.engine.checkpoints import load_tagger
    from pkg_audio.engine.evaluate import evaluate
    from pkg_shared.errors import DataFormatError

    device = resolve_device(args.device)
    ckpts = list(args.checkpoint) if args.checkpoint is not None else run_checkpoints(args.run, args.last)
    if len(ckpts) > 1 and args.average == "weights":
        model, cfg, names, mids = load_averaged(ckpts, device, args.save_averaged)
        models = [model]
    else:
        model, cfg, names, mids = load_tagger(ckpts[0], device)
        models = [model]
        for extra in ckpts[1:]:
            m, _, _, m_mids = load_tagger(extra, device)
            if m_mids != mids:
                raise DataFormatError(extra, "its class list differs from the first checkpoint's")
            models.append(m)
    data = cfg.data
    repl = {k: v for k, v in {"root": args.data_root, "audio_dir": args.audio_dir, "eval_manifest": args.manifest,
                               "eval_hdf5": args.hdf5, "eval_ids": args.ids}.items() if v is not None}
    data = dataclasses.replace(data, **repl)
    classes = ClassIndex(tuple(mids), tuple(names))
    clips = build_split(data, classes, "eval")
    res = evaluate(models if len(models) > 1 else model, clips, classes, batch_size=args.batch_size, device=device,
                   strict_sklearn=args.strict_sklearn, out_dir=args.out, threads=data.load_threads, show=True)
    res.pop("ap_per_class")
    res["checkpoint"] = [str(c) for c in ckpts] if len(ckpts) > 1 else str(ckpts[0])
    res["averaged_models"] = len(ckpts)
    res["averaging"] = ("none (single model)" if len(ckpts) == 1 else
                        f"{args.average} of {len(ckpts)} checkpoints (an ensemble number, not a single-model one)")
    if args.save_averaged is not None and len(ckpts) > 1:
        res["averaged_checkpoint"] = str(args.save_averaged)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
