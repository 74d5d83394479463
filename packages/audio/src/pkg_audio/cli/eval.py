"""audio-eval: mAP / mAUC / d' of a checkpoint on the AudioSet evaluation set (JSON)."""

from __future__ import annotations

import dataclasses
import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """example:
  audio-eval --checkpoint runs/raw_mla/best.pt --data-root /data/audioset --out runs/raw_mla/eval
  audio-eval --checkpoint best.pt --manifest eval.json --strict-sklearn
  audio-eval --checkpoint runs/x/ckpt_*.pt --data-root /data/audioset    # averaged predictions
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-eval", "Evaluate a tagger with the AudioSet reference metrics.\n\n" + EXAMPLE,
                    config=False, seed=False)
    p.add_argument("--checkpoint", type=pathlib.Path, required=True, nargs="+",
                   help="one checkpoint, or several whose predictions are averaged (reported as such)")
    p.add_argument("--data-root", type=pathlib.Path, help="folder with the official CSVs (default: the checkpoint's)")
    p.add_argument("--audio-dir", type=pathlib.Path, help="folder with the audio (default: data root)")
    p.add_argument("--manifest", type=pathlib.Path, help="AST JSON or TSV manifest of the eval clips")
    p.add_argument("--hdf5", type=pathlib.Path, help="PANNs packed eval HDF5")
    p.add_argument("--ids", type=pathlib.Path, help="evaluate exactly these clip ids (one per line)")
    p.add_argument("--strict-sklearn", action="store_true", help="count AP=0 for classes without positives (sklearn)")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args(argv)

    from pkg_audio.data.audioset import ClassIndex
    from pkg_audio.data.clips import build_split
    from pkg_audio.engine.checkpoints import load_tagger
    from pkg_audio.engine.evaluate import evaluate
    from pkg_shared.errors import DataFormatError

    device = resolve_device(args.device)
    model, cfg, names, mids = load_tagger(args.checkpoint[0], device)
    models = [model]
    for extra in args.checkpoint[1:]:
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
    res["checkpoint"] = [str(c) for c in args.checkpoint] if len(args.checkpoint) > 1 else str(args.checkpoint[0])
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
