"""audio-eval: mAP / mAUC / d' of a checkpoint on the AudioSet evaluation set (JSON)."""

from __future__ import annotations

import dataclasses
import json
import pathlib

from pkg_shared.cli import entrypoint, make_parser, resolve_device

EXAMPLE = """example:
  audio-eval --checkpoint runs/raw_mla/best.pt --data-root /data/audioset --out runs/raw_mla/eval
  audio-eval --checkpoint best.pt --manifest eval.json --strict-sklearn
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("audio-eval", "Evaluate a tagger with the AudioSet reference metrics.\n\n" + EXAMPLE,
                    config=False, seed=False)
    p.add_argument("--checkpoint", type=pathlib.Path, required=True)
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

    device = resolve_device(args.device)
    model, cfg, names, mids = load_tagger(args.checkpoint, device)
    data = cfg.data
    repl = {k: v for k, v in {"root": args.data_root, "audio_dir": args.audio_dir, "eval_manifest": args.manifest,
                               "eval_hdf5": args.hdf5, "eval_ids": args.ids}.items() if v is not None}
    data = dataclasses.replace(data, **repl)
    classes = ClassIndex(tuple(mids), tuple(names))
    clips = build_split(data, classes, "eval")
    res = evaluate(model, clips, classes, batch_size=args.batch_size, device=device,
                   strict_sklearn=args.strict_sklearn, out_dir=args.out, threads=data.load_threads, show=True)
    res.pop("ap_per_class")
    res["checkpoint"] = str(args.checkpoint)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
