"""``detect-eval``: Caltech (code3.2.1), CityPersons (official Python) and KITTI pedestrian evaluation."""

from __future__ import annotations

import argparse
import json
import pathlib

from pkg_shared.cli import entrypoint
from pkg_shared.errors import PkgError
from pkg_shared.fsutil import atomic_write_json

EPILOG = """examples:
  detect-eval caltech --dets res/TLL --root data/caltech --setups Reasonable,Scale=far
  detect-eval caltech --dets res/TLL --protocol new --new-annotations Caltech_new_annotations/anno_test_1xnew
  detect-eval citypersons --gt val_gt.json --dets val_dt.json --setups tll
  detect-eval kitti --labels kitti/training/label_2 --dets my_dets/ --ap both
"""


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="detect-eval", description="Pedestrian detection evaluators.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="bench", required=True)
    c = sub.add_parser("caltech")
    c.add_argument("--dets", required=True, help="res/<Alg> folder with setXX/VYYY.txt files")
    c.add_argument("--root", help="Caltech root (annotations/setXX/*.vbb; setXX/*.seq optional); "
                   "optional with --protocol new")
    c.add_argument("--protocol", choices=["original", "new"], default="original")
    c.add_argument("--new-annotations", help="anno_test_1xnew folder of Zhang et al. (protocol new; default ROOT/anno_test_1xnew)")
    c.add_argument("--setups", default="Reasonable,All,Scale=near,Scale=medium,Scale=far,Occ=none,Occ=partial,Occ=heavy")
    c.add_argument("--resize-dets", dest="resize", action="store_true", default=True)
    c.add_argument("--no-resize-dets", dest="resize", action="store_false")
    c.add_argument("--sets", default="6-10")
    c.add_argument("--skip", type=int, default=30)
    c.add_argument("--roc", action="store_true", help="include FPPI / miss-rate arrays")
    c.add_argument("--out", help="JSON output file (default: stdout)")
    cp = sub.add_parser("citypersons")
    cp.add_argument("--gt", required=True)
    cp.add_argument("--dets", required=True)
    cp.add_argument("--setups", default="official", help="official | tll | all | comma list")
    cp.add_argument("--fppi-points", choices=["rounded", "exact"], default="rounded")
    cp.add_argument("--empty-prefix", choices=["last", "zero"], default="last")
    cp.add_argument("--out")
    k = sub.add_parser("kitti")
    k.add_argument("--labels", required=True)
    k.add_argument("--dets", required=True)
    k.add_argument("--ap", choices=["11", "40", "both"], default="both")
    k.add_argument("--out")
    args = p.parse_args(argv)

    if args.bench == "caltech":
        from pkg_detect.cli.data import _sets
        from pkg_detect.data.caltech import find_videos  # noqa: F401  (error early on a bad root)
        from pkg_detect.engine.evaluate import evaluate_caltech

        if args.root is None and (args.protocol == "original" or args.new_annotations is None):
            raise PkgError("--root is required (for --protocol new, --new-annotations alone also works)")
        if args.root is not None and not pathlib.Path(args.root).is_dir():
            raise PkgError(f"{args.root}: Caltech root folder not found")
        res = evaluate_caltech(args.root, args.dets, [s for s in args.setups.split(",") if s], args.protocol,
                               args.resize, _sets(args.sets), args.skip, args.new_annotations)
        if not args.roc:
            res.pop("roc")
        table = {k: round(v["mr_percent"], 2) for k, v in res["results"].items()}
    elif args.bench == "citypersons":
        from pkg_detect.eval import citypersons as ce

        gt = ce.load_json(args.gt)
        dets = ce.load_json(args.dets)
        if not isinstance(dets, list):
            raise PkgError(f"{args.dets}: detections must be a JSON list of {{image_id, bbox, score}}")
        names = ce.GROUPS.get(args.setups, args.setups.split(","))
        for n in names:
            if n not in ce.SETUPS:
                raise PkgError(f"unknown CityPersons setup {n!r} (known: {', '.join(ce.SETUPS)})")
        results = {n: ce.evaluate(gt, dets, n, args.fppi_points, args.empty_prefix) for n in names}
        res = {"protocol": {"name": "citypersons", "code": "eval_MR_multisetup.py", "fppi_points": args.fppi_points,
                            "empty_prefix": args.empty_prefix,
                            "heavy": "Reasonable_occ=heavy = official [0.2, 0.65]; Heavy = dagger [0, 0.65]"},
               "results": results}
        table = {k: round(v["mr"] * 100, 2) for k, v in results.items()}
    else:
        from pkg_detect.data import kitti
        from pkg_detect.eval.kitti import DIFFICULTIES, evaluate

        frames = sorted(pathlib.Path(args.labels).glob("*.txt"))
        if not frames:
            raise PkgError(f"{args.labels}: no label files")
        gts = [kitti.read_label(f) for f in frames]
        dts, missing = [], 0
        for f in frames:
            d = pathlib.Path(args.dets) / f.name
            if not d.is_file():
                missing += 1
                dts.append([])
                continue
            objs = kitti.read_label(d)
            k = next((i for i, o in enumerate(objs, start=1) if o.score is None), None)
            if k is not None:
                raise PkgError(f"{d}:{k}: a detection line needs 16 fields (the last one is the score)")
            dts.append(objs)
        pts = [11, 40] if args.ap == "both" else [int(args.ap)]
        per = {dname: evaluate(gts, dts, dname) for dname in DIFFICULTIES}
        results = {f"AP{n}": {dname: per[dname][f"ap{n}"] for dname in DIFFICULTIES} for n in pts}
        res = {"protocol": {"name": "kitti-object-2d", "class": "Pedestrian", "code": "devkit evaluate_object.cpp (image boxes)",
                            "min_overlap": 0.5, "ap11": "mean precision at slots 0,4,...,40 (before Oct 2019)",
                            "ap40": "mean precision at slots 1..40 (after Oct 2019)", "units": "fraction (devkit prints x100)",
                            "split": str(args.labels), "frames": len(frames), "missing_result_files": missing},
               "results": results, "n_gt": {d: per[d]["n_gt"] for d in DIFFICULTIES}}
        table = {k: {d: round(100 * v, 2) for d, v in r.items()} for k, r in results.items()}
    text = json.dumps(res, indent=2)
    if args.out:
        atomic_write_json(args.out, res)
        print(json.dumps(table, indent=2))
    else:
        print(text)
    return 0
