"""CityPersons annotations: per-image ``gtBboxCityPersons`` JSON, legacy ``anno_{train,val}.mat``,
and the COCO-like evaluation ground truth (``val_gt.json``) built from either of them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError

LABELS = ("pedestrian", "rider", "sitting person", "person (other)", "person group", "ignore")
#: legacy class ids (annotations/README.txt)
MAT_CLASSES = {0: "ignore", 1: "pedestrian", 2: "rider", 3: "sitting person", 4: "person (other)", 5: "person group"}


@dataclasses.dataclass
class CpObject:
    label: str
    bbox: np.ndarray  # [x, y, w, h]
    bbox_vis: np.ndarray
    instance_id: int = 0


@dataclasses.dataclass
class CpImage:
    city: str
    name: str  # e.g. aachen_000000_000019_leftImg8bit.png
    width: int
    height: int
    objects: list[CpObject]


def read_json(path: str | os.PathLike[str]) -> CpImage:
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "annotation file not found")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, f"invalid JSON ({exc.msg})", line=exc.lineno) from exc
    for key in ("imgWidth", "imgHeight", "objects"):
        if key not in d:
            raise DataFormatError(path, f"missing key '{key}'")
    objs = []
    for k, o in enumerate(d["objects"]):
        try:
            objs.append(CpObject(o["label"], np.asarray(o["bbox"], float), np.asarray(o["bboxVis"], float),
                                 int(o.get("instanceId", 0))))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(path, f"object {k}: missing or bad field ({exc})") from exc
        if objs[-1].bbox.shape != (4,) or objs[-1].bbox_vis.shape != (4,):
            raise DataFormatError(path, f"object {k}: bbox/bboxVis must have 4 numbers")
    stem = path.name.replace("_gtBboxCityPersons.json", "")
    return CpImage(path.parent.name, f"{stem}_leftImg8bit.png", int(d["imgWidth"]), int(d["imgHeight"]), objs)


def image_to_json(img: CpImage) -> dict:
    return {"imgWidth": img.width, "imgHeight": img.height, "objects": [
        {"instanceId": o.instance_id, "label": o.label, "bbox": [float(v) for v in o.bbox],
         "bboxVis": [float(v) for v in o.bbox_vis]} for o in img.objects]}


def read_split(root: str | os.PathLike[str], split: str = "val") -> list[CpImage]:
    d = pathlib.Path(root) / "gtBboxCityPersons" / split
    if not d.is_dir():
        raise DataFormatError(d, "CityPersons annotation folder not found")
    files = sorted(d.glob("*/*_gtBboxCityPersons.json"))
    if not files:
        raise DataFormatError(d, "no *_gtBboxCityPersons.json files")
    return [read_json(f) for f in files]


def read_mat(path: str | os.PathLike[str], split: str = "val") -> list[CpImage]:
    """Legacy ``anno_{split}.mat`` (key ``anno_{split}_aligned`` also accepted); bbs rows:
    class_label, x1, y1, w, h, instance_id, x1_vis, y1_vis, w_vis, h_vis."""
    import scipy.io

    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "annotation .mat file not found")
    try:
        m = scipy.io.loadmat(str(path))
    except Exception as exc:
        raise DataFormatError(path, f"not a MATLAB file ({exc})") from exc
    key = next((k for k in (f"anno_{split}_aligned", f"anno_{split}") if k in m), None)
    if key is None:
        raise DataFormatError(path, f"no variable anno_{split} or anno_{split}_aligned")
    out = []
    for k, cell in enumerate(np.asarray(m[key]).reshape(-1)):
        rec = cell[0, 0] if cell.dtype == object else cell
        rec = np.asarray(rec).reshape(-1)[0]
        city = str(np.asarray(rec["cityname"] if "cityname" in rec.dtype.names else rec["city_name"]).reshape(-1)[0])
        name = str(np.asarray(rec["im_name"]).reshape(-1)[0])
        bbs = np.asarray(rec["bbs"], dtype=np.float64).reshape(-1, 10) if np.asarray(rec["bbs"]).size else np.zeros((0, 10))
        objs = []
        for row in bbs:
            cls = int(row[0])
            if cls not in MAT_CLASSES:
                raise DataFormatError(path, f"image {k}: unknown class label {cls}")
            objs.append(CpObject(MAT_CLASSES[cls], row[1:5].copy(), row[6:10].copy(), int(row[5])))
        out.append(CpImage(city, name, 2048, 1024, objs))
    return out


def write_mat(path: str | os.PathLike[str], images: list[CpImage], split: str = "val") -> None:
    import io

    import scipy.io

    from pkg_shared.fsutil import atomic_write_bytes

    inv = {v: k for k, v in MAT_CLASSES.items()}
    cells = np.empty((1, len(images)), dtype=object)
    for k, img in enumerate(images):
        bbs = np.array([[inv[o.label], *o.bbox, o.instance_id, *o.bbox_vis] for o in img.objects],
                       dtype=np.float64).reshape(-1, 10)
        rec = np.zeros((1, 1), dtype=[("cityname", "O"), ("im_name", "O"), ("bbs", "O")])
        rec[0, 0] = (img.city, img.name, bbs)
        cells[0, k] = rec
    buf = io.BytesIO()
    scipy.io.savemat(buf, {f"anno_{split}": cells}, format="5")
    atomic_write_bytes(path, buf.getvalue())


def eval_gt(images: list[CpImage]) -> dict:
    """COCO-like evaluation GT (``val_gt.json`` form): pedestrians not ignored, all else ignore = 1."""
    out = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "pedestrian"}]}
    aid = 1
    for i, img in enumerate(images, start=1):
        out["images"].append({"id": i, "im_name": img.name, "height": img.height, "width": img.width})
        for o in img.objects:
            x, y, w, h = (float(v) for v in o.bbox)
            vis = o.bbox_vis if o.label in ("pedestrian", "rider") else o.bbox
            va = float(vis[2] * vis[3])
            out["annotations"].append({
                "id": aid, "image_id": i, "category_id": 1, "iscrowd": 0,
                "ignore": 0 if o.label == "pedestrian" else 1,
                "bbox": [x, y, w, h], "vis_bbox": [float(v) for v in vis], "height": h,
                "vis_ratio": va / (w * h) if w * h > 0 else 0.0})
            aid += 1
    return out


def compare_eval_gt(ours: dict, released: dict, where: str = "val_gt.json", limit: int = 20) -> list[str]:
    """Differences between an evaluation GT built here and a released one (e.g. ``val_gt.json``):
    images matched by ``im_name``, annotations by box (0.5 px); ignore flags and visible ratios (0.01)
    compared. Peer repositories ship differing GT files, so this says where ours departs."""
    def by_name(gt: dict) -> dict[str, list[dict]]:
        ids = {im["id"]: im["im_name"] for im in gt.get("images", [])}
        out: dict[str, list[dict]] = {n: [] for n in ids.values()}
        for a in gt.get("annotations", []):
            out.setdefault(ids.get(a["image_id"], f"id {a['image_id']}"), []).append(a)
        return out

    mine, theirs = by_name(ours), by_name(released)
    problems = [f"{where}: image {n} is not in our annotations" for n in sorted(set(theirs) - set(mine))]
    problems += [f"{where}: lacks image {n}" for n in sorted(set(mine) - set(theirs))]
    for name in sorted(set(mine) & set(theirs)):
        rest = list(theirs[name])
        for a in mine[name]:
            k = next((i for i, b in enumerate(rest) if np.allclose(a["bbox"], b["bbox"], atol=0.5)), None)
            if k is None:
                problems.append(f"{where}: {name}: no annotation with bbox {[round(v, 1) for v in a['bbox']]}")
                continue
            b = rest.pop(k)
            if int(a["ignore"]) != int(b.get("ignore", 0)):
                problems.append(f"{where}: {name}: bbox {[round(v, 1) for v in a['bbox']]} ignore {b.get('ignore')}, ours {a['ignore']}")
            elif abs(float(a["vis_ratio"]) - float(b.get("vis_ratio", a["vis_ratio"]))) > 0.01:
                problems.append(f"{where}: {name}: bbox {[round(v, 1) for v in a['bbox']]} vis_ratio "
                                f"{b.get('vis_ratio')}, ours {a['vis_ratio']:.3f}")
        problems += [f"{where}: {name}: extra annotation bbox {[round(v, 1) for v in b['bbox']]}" for b in rest]
    if len(problems) > limit:
        problems = problems[:limit] + [f"{where}: ... and {len(problems) - limit} more differences"]
    return problems
