"""audio-data: check an AudioSet folder, write a fake one, build manifests, pack HDF5."""

from __future__ import annotations

import json
import pathlib
import sys

from pkg_shared.cli import entrypoint
from pkg_shared.errors import ConfigError

EXAMPLE = """examples:
  audio-data check --root /data/audioset
  audio-data make-fake --out /tmp/fake_audioset
  audio-data index --root /data/audioset --csv eval_segments.csv --audio-dir /data/audioset/audios \\
      --template "eval_segments/Y{ytid}.wav" --out eval.json
  audio-data pack-hdf5 --manifest eval.json --labels class_labels_indices.csv --out eval.h5
  audio-data hdf5-index --out indexes/full_train.h5 waveforms/balanced_train.h5 waveforms/unbalanced_part*.h5
"""


def _parser():
    import argparse

    p = argparse.ArgumentParser(prog="audio-data", description="AudioSet data tools.\n\n" + EXAMPLE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="per-split statistics and every format problem found")
    c.add_argument("--root", type=pathlib.Path, required=True)
    c.add_argument("--audio-dir", type=pathlib.Path)
    c.add_argument("--template", default="{split}/{ytid}_{start:.3f}.wav")
    c.add_argument("--no-headers", action="store_true", help="do not open the audio files")
    c.add_argument("--json", action="store_true")
    f = sub.add_parser("make-fake", help="a tiny AudioSet in the official formats")
    f.add_argument("--out", type=pathlib.Path, required=True)
    f.add_argument("--classes", type=int, default=12)
    f.add_argument("--clips", type=int, nargs=3, default=[48, 24, 24], metavar=("BAL", "UNBAL", "EVAL"))
    f.add_argument("--seconds", type=float, nargs=2, default=[1.0, 2.0], metavar=("MIN", "MAX"))
    f.add_argument("--sample-rate", type=int, default=16000)
    f.add_argument("--hdf5", action="store_true", help="also write PANNs-style packed HDF5 files")
    f.add_argument("--seed", type=int, default=0)
    i = sub.add_parser("index", help="match a segment CSV to audio files; write a manifest + missing report")
    i.add_argument("--root", type=pathlib.Path, required=True, help="folder with the CSVs")
    i.add_argument("--csv", required=True)
    i.add_argument("--audio-dir", type=pathlib.Path)
    i.add_argument("--template", default="{split}/{ytid}_{start:.3f}.wav",
                   help="fields {ytid} {start} {end} {split}; '**' searches sub-folders (PANNs: audios/{split}/**/Y{ytid}.wav)")
    i.add_argument("--out", type=pathlib.Path, required=True, help="manifest .json (AST) or .tsv")
    h = sub.add_parser("pack-hdf5", help="pack a manifest into PANNs' HDF5 layout (int16, 32 kHz)")
    h.add_argument("--manifest", type=pathlib.Path, required=True)
    h.add_argument("--labels", type=pathlib.Path, required=True, help="class_labels_indices.csv")
    h.add_argument("--out", type=pathlib.Path, required=True)
    h.add_argument("--seconds", type=float, default=10.0)
    h.add_argument("--sample-rate", type=int, default=32000)
    x = sub.add_parser("hdf5-index", help="a PANNs index file (audio_name, target, hdf5_path, index_in_hdf5) over waveform files")
    x.add_argument("--out", type=pathlib.Path, required=True)
    x.add_argument("files", nargs="+", type=pathlib.Path, help="PANNs waveform HDF5 files")
    return p


@entrypoint
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "check":
        from pkg_audio.data.check import check_root

        if not args.root.is_dir():
            raise ConfigError(f"{args.root}: not a directory")
        rep = check_root(args.root, args.template, args.audio_dir, headers=not args.no_headers)
        if args.json:
            print(json.dumps(rep, indent=2))
        else:
            print(f"root {rep['root']}: {rep.get('classes', '?')} classes, ontology nodes {rep.get('ontology_nodes', 'absent')}")
            for split, st in rep["splits"].items():
                print(f"  {split}: {st if isinstance(st, str) else ', '.join(f'{k}={v}' for k, v in st.items())}")
            print(f"{len(rep['problems'])} problem(s)")
            for prob in rep["problems"]:
                print(f"  {prob}")
        return 1 if rep["problems"] else 0
    if args.cmd == "make-fake":
        from pkg_audio.data.fake import make_fake

        if args.seconds[0] <= 0 or args.seconds[1] < args.seconds[0]:
            raise ConfigError("--seconds MIN MAX needs 0 < MIN <= MAX")
        s = make_fake(args.out, args.classes, tuple(args.clips), tuple(args.seconds), args.sample_rate, args.seed, args.hdf5)
        print(json.dumps(s))
        return 0
    if args.cmd == "index":
        from pkg_audio.data.audioset import read_segments
        from pkg_audio.data.manifest import match_segments, write_manifest, write_missing_report

        segs = read_segments(args.root / args.csv)
        split = pathlib.PurePath(args.csv).stem
        found, missing = match_segments(segs, args.audio_dir or args.root, args.template, split)
        write_manifest(args.out, found)
        rep = write_missing_report(args.out.with_name(args.out.stem + "_missing.json"), split, len(segs), missing)
        print(f"{split}: {rep['found']} found, {rep['missing']} missing of {rep['listed']}; manifest {args.out}")
        return 0
    if args.cmd == "pack-hdf5":
        import numpy as np

        from pkg_audio.data.audio_io import load_clip
        from pkg_audio.data.audioset import read_class_index
        from pkg_audio.data.hdf5 import pack_hdf5
        from pkg_audio.data.manifest import read_manifest
        from pkg_shared.errors import DataFormatError
        from pkg_shared.logging import progress

        if args.seconds <= 0 or args.sample_rate < 1000:
            raise ConfigError("--seconds must be > 0 and --sample-rate >= 1000")
        classes = read_class_index(args.labels)
        entries = read_manifest(args.manifest)
        idx = classes.index
        for e in entries:  # check every label before the (long) packing starts
            bad = [m for m in e.mids if m not in idx]
            if bad:
                raise DataFormatError(args.manifest, f"clip {e.clip_id}: label {bad[0]} is not in {args.labels}")
        targets = np.stack([classes.multi_hot(e.mids) for e in entries])
        length = int(round(args.seconds * args.sample_rate))
        bar = progress(total=len(entries), desc="pack", unit="clip")
        pack_hdf5(args.out, [f"Y{e.clip_id[:11]}.wav" for e in entries], targets, length,
                  lambda i: load_clip(entries[i].path, args.sample_rate, args.seconds), lambda n: bar.update(1))
        bar.close()
        print(f"packed {len(entries)} clips into {args.out}", file=sys.stderr)
        return 0
    if args.cmd == "hdf5-index":
        from pkg_audio.data.hdf5 import read_hdf5_index, write_hdf5_index
        from pkg_shared.errors import DataFormatError

        for f in args.files:
            _, _, reader = read_hdf5_index(f)  # each must be a readable waveform file (clear error otherwise)
            if reader.files != [f]:
                raise DataFormatError(f, "is an index file, not a PANNs waveform file")
        n = write_hdf5_index(args.out, args.files)
        print(f"indexed {n} clips of {len(args.files)} file(s) into {args.out}", file=sys.stderr)
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
