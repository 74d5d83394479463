"""Synthetic street scenes written in the official formats (tests, demo, ``detect-data make-fake``).

Pedestrians are dark stick figures (head disc, torso ellipse, two legs) filling a 0.41-aspect box;
some overlap, some stand behind a grey "pole" (partial occlusion, visible box recorded), plus a
``people`` group and a ``person?`` box as ignore regions. Everything is < 5 MB.
"""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_detect.data import citypersons as cp
from pkg_detect.data import kitti
from pkg_detect.data.bbgt import BbObject, write_bbgt
from pkg_detect.data.caltech_seq import write_seq
from pkg_detect.data.caltech_vbb import VbbAnnotation, VbbObject, write_vbb


def background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    import cv2

    low = rng.uniform(110, 200, size=(6, 8, 3)).astype(np.float32)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    img[int(h * 0.7):] *= 0.75  # "road"
    return np.clip(img, 0, 255).astype(np.uint8)


def draw_person(img: np.ndarray, box, color) -> None:
    import cv2

    x, y, w, h = (float(v) for v in box)
    cx = x + w / 2
    col = tuple(int(c) for c in color)
    r = max(int(round(0.09 * h)), 1)
    cv2.circle(img, (int(round(cx)), int(round(y + r))), r, col, -1, cv2.LINE_AA)
    cv2.ellipse(img, (int(round(cx)), int(round(y + 0.38 * h))), (max(int(w * 0.42), 1), max(int(0.2 * h), 1)),
                0, 0, 360, col, -1, cv2.LINE_AA)
    t = max(int(round(0.07 * h)), 1)
    hip = (int(round(cx)), int(round(y + 0.55 * h)))
    for dx in (-0.35, 0.35):
        cv2.line(img, hip, (int(round(cx + dx * w)), int(round(y + h - t / 2))), col, t, cv2.LINE_AA)


def draw_pole(img: np.ndarray, x0: int, width: int) -> None:
    img[:, x0:x0 + width] = (150, 150, 155)


def _tracks(rng: np.random.Generator, w: int, h: int, n: int, heights) -> list[dict]:
    tracks = []
    for k in range(n):
        ph = float(heights[k % len(heights)])
        foot = min(h - 8.0, h * 0.55 + ph * 0.9 + rng.uniform(-10, 10))
        tracks.append({"h": ph, "x0": rng.uniform(20, w - 60), "y": foot - ph, "v": rng.choice([-2.0, 2.0]) * rng.uniform(0.6, 1.4),
                       "color": rng.integers(10, 70, size=3)})
    return tracks


def caltech_video(n_frames: int, seed: int, size=(480, 640), heights=(110, 80, 60, 45, 28, 24)):
    """RGB frames and the VbbAnnotation of one synthetic video."""
    rng = np.random.default_rng(seed)
    hh, ww = size
    bg = background(hh, ww, rng)
    tracks = _tracks(rng, ww, hh, len(heights), heights)
    pole_x, pole_w = int(rng.uniform(0.3, 0.7) * ww), 14
    labels = ["person"] * len(tracks) + ["people", "person?"]
    group = np.array([rng.uniform(20, ww - 120), hh * 0.45, 90.0, 50.0])
    unsure = np.array([rng.uniform(20, ww - 40), hh * 0.5, 8.0, 19.0])
    frames, objs = [], []
    for f in range(n_frames):
        img = bg.copy()
        fo = []
        for k, t in enumerate(tracks):
            w = 0.41 * t["h"]
            x = t["x0"] + t["v"] * f
            x = 10 + (x - 10) % (ww - 20 - w)
            box = np.array([x, t["y"], w, t["h"]])
            draw_person(img, box, t["color"])
            posv = np.zeros(4)
            occl = 0
            lo, hi = max(x, pole_x), min(x + w, pole_x + pole_w)
            if hi - lo > 0:
                occl = 1
                left, right = pole_x - x, x + w - (pole_x + pole_w)
                posv = np.array([x, t["y"], max(left, 0), t["h"]]) if left >= right else \
                    np.array([pole_x + pole_w, t["y"], max(right, 0), t["h"]])
            fo.append(VbbObject(k + 1, "person", box, occl, posv))
        for k, b in enumerate((group, unsure)):
            draw_person(img, [b[0], b[1], b[2] / 2, b[3]], (50, 50, 50))
            fo.append(VbbObject(len(tracks) + k + 1, labels[len(tracks) + k], b.copy(), 0, np.zeros(4)))
        draw_pole(img, pole_x, pole_w)
        frames.append(img)
        objs.append(fo)
    return frames, VbbAnnotation(n_frames, objs, labels)


def new_annotation_objects(objs: list[VbbObject]) -> list[BbObject]:
    """Our stand-in for the Zhang et al. re-annotation of one frame: ``person`` boxes kept (the
    smallest, under 25 px, flagged ``ign``), ``person?`` -> ``ignore`` and ``people`` kept, both ``ign``."""
    out = []
    for o in objs:
        label = "ignore" if o.label == "person?" else o.label
        ign = int(label != "person" or o.pos[3] < 25)
        out.append(BbObject(label, o.pos.copy(), int(o.occl), o.posv.copy(), ign, 0.0))
    return out


def make_caltech(root, train_frames: int = 30, test_frames: int = 60, test_videos: int = 2, seed: int = 0,
                 new_annotations: bool = True) -> pathlib.Path:
    """``setSS/VVVV.seq`` + ``annotations/setSS/VVVV.vbb``: set00/V000 (train), set06/V000.. (test); with
    ``new_annotations`` also ``anno_test_1xnew/setSS_VVVV_IFFFFF.jpg.txt`` (every 30th frame) and
    ``anno_train10x_alignedby_RotatedFilters/setSS_VVVV_IFFFFF.txt`` (every 3rd), in bbGt version 3."""
    from pkg_detect.data.caltech_new import TEST_FOLDER, TRAIN_FOLDER

    root = pathlib.Path(root)
    specs = [(0, 0, train_frames)] + [(6, v, test_frames) for v in range(test_videos)]
    for s, v, n in specs:
        frames, ann = caltech_video(n, seed + 100 * s + v)
        write_seq(root / f"set{s:02d}" / f"V{v:03d}.seq", frames, quality=70)
        write_vbb(root / "annotations" / f"set{s:02d}" / f"V{v:03d}.vbb", ann)
        if new_annotations:
            folder, skip, suffix = (TEST_FOLDER, 30, ".jpg.txt") if s >= 6 else (TRAIN_FOLDER, 3, ".txt")
            for f in range(skip - 1, n, skip):
                write_bbgt(root / folder / f"set{s:02d}_V{v:03d}_I{f:05d}{suffix}", new_annotation_objects(ann.frames[f]))
    return root


def make_citypersons(root, seed: int = 0, n_images: int = 2, size=(1024, 2048)) -> pathlib.Path:
    """``leftImg8bit/val/<city>/*.png``, ``gtBboxCityPersons/val/<city>/*.json``, legacy
    ``annotations/anno_val.mat`` and ``val_gt.json``."""
    from pkg_shared.fsutil import atomic_write_json
    from pkg_shared.io.image import write_image

    root = pathlib.Path(root)
    rng = np.random.default_rng(seed)
    images = []
    for k in range(n_images):
        hh, ww = size
        sc = hh / 1024
        img = background(hh, ww, rng)
        objs = []
        for j, ph in enumerate(sc * np.array([300, 160, 90, 60, 40])):
            x = float(rng.uniform(50 * sc, ww - 300 * sc))
            y = float(hh * 0.75 - ph)
            box = np.array([x, y, 0.41 * ph, ph])
            draw_person(img, box, rng.integers(10, 70, 3))
            vis = box.copy()
            if j == 1:
                vis[2] *= 0.5
            objs.append(cp.CpObject("pedestrian", box, vis, 24000 + j))
        rider, ign = sc * np.array([100.0, 300, 60, 130]), sc * np.array([1500.0, 200, 200, 150])
        objs.append(cp.CpObject("rider", rider, rider.copy(), 25000))
        objs.append(cp.CpObject("ignore", ign, ign.copy()))
        city = "frankfurt"
        stem = f"{city}_{k:06d}_{19 + k:06d}"
        write_image(root / "leftImg8bit" / "val" / city / f"{stem}_leftImg8bit.png", img)
        im = cp.CpImage(city, f"{stem}_leftImg8bit.png", ww, hh, objs)
        atomic_write_json(root / "gtBboxCityPersons" / "val" / city / f"{stem}_gtBboxCityPersons.json", cp.image_to_json(im))
        images.append(im)
    cp.write_mat(root / "annotations" / "anno_val.mat", images, "val")
    atomic_write_json(root / "val_gt.json", cp.eval_gt(images))
    return root


def make_kitti(root, seed: int = 0, n_images: int = 2, size=(375, 1242)) -> pathlib.Path:
    from pkg_shared.io.image import write_image

    root = pathlib.Path(root)
    rng = np.random.default_rng(seed)
    for k in range(n_images):
        img = background(*size, rng)
        objs = []
        for ph in (120, 60, 30):
            x = float(rng.uniform(20, size[1] - 100))
            box = np.array([x, size[0] - 20 - ph, x + 0.41 * ph, size[0] - 20])
            draw_person(img, [box[0], box[1], box[2] - box[0], ph], rng.integers(10, 70, 3))
            objs.append(kitti.KittiObject("Pedestrian", 0.0, 0, -0.2, box, np.array([1.7, 0.6, 0.8]),
                                          np.array([1.0, 1.6, 20.0]), 0.0))
        objs.append(kitti.KittiObject("DontCare", -1, -1, -10, np.array([5.0, 5, 60, 40]), np.array([-1.0, -1, -1]),
                                      np.array([-1000.0, -1000, -1000]), -10))
        write_image(root / "training" / "image_2" / f"{k:06d}.png", img)
        kitti.write_label(root / "training" / "label_2" / f"{k:06d}.txt", objs)
    return root
