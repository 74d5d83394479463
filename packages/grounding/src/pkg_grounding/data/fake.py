"""Tiny datasets in exactly the official on-disk formats (tests, demo, ``grounding-data make-fake``).

The content is learnable: each query names a concept (a word) and the features of its window carry
that concept's direction plus noise (spec section 11 item 7), so a working model must fit it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib

import numpy as np

from pkg_grounding.data.didemo import NUM_CHUNKS
from pkg_shared.fsutil import atomic_open, atomic_path, atomic_write_text

CONCEPTS = ["opens the door", "turns the light on", "drinks from a cup", "sits on the chair",
            "holds a phone", "closes the laptop", "takes a towel", "eats a sandwich"]
CHARADES_HEADER = ["id", "subject", "scene", "quality", "relevance", "verified", "script", "objects",
                   "descriptions", "actions", "length"]


def _vid(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 5))


def concept_features(rng, n: int, dim: int, windows: list[tuple[int, int, int]], noise: float = 0.3) -> np.ndarray:
    """(n, dim) background noise; rows a..b-1 of each (concept, a, b) get that concept's one-hot."""
    f = rng.normal(0.0, noise, size=(n, dim)).astype(np.float32) + 0.1
    for c, a, b in windows:
        f[a:b, c % dim] += 2.0
    return np.abs(f)


def write_h5(path: pathlib.Path, arrays: dict[str, np.ndarray]) -> None:
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h:
        for k, v in arrays.items():
            h.create_dataset(k, data=v)


def charades_csv_text(lengths: dict[str, float]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CHARADES_HEADER)
    for vid, length in lengths.items():
        w.writerow([vid, "HR43", "Kitchen", "6", "7", "Yes", "A person opens a door, then sits.",
                    "door;chair", "A person opens the door, sits down.", "c006 0.00 5.40;c059 3.10 9.00",
                    f"{length:.2f}"])
    return buf.getvalue()


def write_fake_charades(out: str | os.PathLike[str], videos: int = 24, queries_per_video: int = 2,
                        dim: int = 32, rate: float = 6.0, seed: int = 0, test_fraction: float = 0.25,
                        write_features: bool = True) -> dict:
    """charades_sta_{train,test}.txt + Charades_v1_{train,test}.csv + vgg_rgb_features.hdf5 (F x dim)."""
    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    n_test = max(1, int(round(videos * test_fraction)))
    feats, lines, lengths = {}, {"train": [], "test": []}, {"train": {}, "test": {}}
    for v in range(videos):
        split = "test" if v < n_test else "train"
        vid = _vid(rng)
        duration = float(np.round(rng.uniform(16.0, 32.0), 2))
        n = int(round(duration * rate))
        windows = []
        for _ in range(queries_per_video):
            c = int(rng.integers(len(CONCEPTS)))
            s = float(np.round(rng.uniform(0, duration * 0.6), 1))
            e = float(np.round(min(duration, s + rng.uniform(3.0, duration * 0.4)), 1))
            windows.append((c, int(s * rate), int(np.ceil(e * rate))))
            lines[split].append(f"{vid} {s:.1f} {e:.1f}##person {CONCEPTS[c]}.")
        lengths[split][vid] = duration
        feats[vid] = concept_features(rng, n, dim, windows)
    for split in ("train", "test"):
        atomic_write_text(out / f"charades_sta_{split}.txt", "\n".join(lines[split]) + "\n")
        atomic_write_text(out / f"Charades_v1_{split}.csv", charades_csv_text(lengths[split]))
    if write_features:
        write_h5(out / "vgg_rgb_features.hdf5", feats)
    return {"videos": videos, "train_queries": len(lines["train"]), "test_queries": len(lines["test"])}


def write_fake_didemo(out: str | os.PathLike[str], videos: int = 24, queries_per_video: int = 2, dim: int = 32,
                      flow_dim: int = 16, seed: int = 0) -> dict:
    """{train,val,test}_data.json + average_fc7.h5 and average_global_flow.h5 ((6, D) chunk means)."""
    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    records = {"train": [], "val": [], "test": []}
    rgb, flow = {}, {}
    aid = 0
    for v in range(videos):
        split = ("val", "test", "train", "train")[v % 4]
        vid = f"{rng.integers(10**7, 10**8)}@N0{v % 9}_{rng.integers(10**9, 10**10)}_{_vid(rng).lower()}.mov"
        nseg = 5 if v % 5 == 0 else 6
        windows = []
        for _ in range(queries_per_video):
            c = int(rng.integers(len(CONCEPTS)))
            a = int(rng.integers(nseg))
            b = int(min(nseg - 1, a + rng.integers(0, 3)))
            times = [[a, b]] * 3 + [[max(0, a - 1), b]] if rng.random() < 0.5 else [[a, b]] * 2 + [[a, a], [a, b]]
            if rng.random() < 0.1:  # a few queries have 7 annotators, as in the official val/test files
                times = times + [[a, b], [a, a], [b, b]]
            records[split].append({"annotation_id": aid, "description": f"the person {CONCEPTS[c]}", "video": vid,
                                   "times": times, "num_segments": nseg,
                                   "dl_link": f"https://www.flickr.com/video_download.gne?id={rng.integers(10**9)}"})
            windows.append((c, a, b + 1))
            aid += 1
        r = concept_features(rng, NUM_CHUNKS, dim, windows)
        f = concept_features(rng, NUM_CHUNKS, flow_dim, windows)
        r[nseg:] = 0.0  # MCN writes a zero row for a missing 6th chunk
        f[nseg:] = 0.0
        rgb[vid], flow[vid] = r, f
    for split, recs in records.items():
        with atomic_open(out / f"{split}_data.json", "w", encoding="utf-8") as fh:
            json.dump(recs, fh)
    write_h5(out / "average_fc7.h5", rgb)
    write_h5(out / "average_global_flow.h5", flow)
    return {split: len(r) for split, r in records.items()}


SHAPES = {"red square": (220, 40, 40), "green circle": (40, 200, 60), "blue triangle": (50, 70, 230)}
TEMPLATES = ["the {} moves.", "a {} is moving", "person watches the {} move"]


def _shape_mask(kind: str, cy: int, cx: int, h: int, w: int, r: int = 7) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == "square":
        return (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
    if kind == "circle":
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return (yy - cy <= r) & (yy - cy >= -r) & (np.abs(xx - cx) <= (yy - cy + r) / 2)


def shape_video(rng: np.random.Generator, duration: float, fps: float, events: list[tuple[str, float, float]],
                h: int = 48, w: int = 64) -> np.ndarray:
    """Frames (T, H, W, 3) uint8: three shapes on grey; each event (shape, s, e) shakes that shape in [s, e)."""
    n = int(round(duration * fps))
    frames = np.full((n, h, w, 3), 120, dtype=np.uint8)
    base = {name: (12 + 12 * i, 14 + 18 * i) for i, name in enumerate(SHAPES)}
    for t in range(n):
        sec = t / fps
        for name, color in SHAPES.items():
            cy, cx = base[name]
            for ev, s, e in events:
                if ev == name and s <= sec < e:
                    cx = cx + int(round(8 * np.sin(2 * np.pi * 1.5 * sec)))
                    cy = cy + int(round(3 * np.cos(2 * np.pi * 1.5 * sec)))
            frames[t][_shape_mask(name.split()[1], cy, cx, h, w)] = color
    return frames


def write_shape_charades(out: str | os.PathLike[str], videos: int = 40, test_fraction: float = 0.25,
                         fps: float = 8.0, seed: int = 0, log=None) -> dict:
    """A Charades-STA-format set with real videos (``Charades_v1_480/ID.mp4``): sentences say which shape moves when."""
    from pkg_shared.testing import write_video

    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    n_test = max(1, int(round(videos * test_fraction)))
    lines, lengths = {"train": [], "test": []}, {"train": {}, "test": {}}
    names = list(SHAPES)
    for v in range(videos):
        split = "test" if v < n_test else "train"
        vid = _vid(rng)
        duration = float(rng.integers(10, 17))
        events = []
        for name in rng.choice(names, size=2, replace=False):
            length = float(rng.integers(2, 6))
            s = float(rng.integers(0, int(duration - length) + 1))
            events.append((str(name), s, s + length))
        frames = shape_video(rng, duration, fps, events)
        write_video(out / "Charades_v1_480" / f"{vid}.mp4", frames, fps=fps)
        for name, s, e in events:
            lines[split].append(f"{vid} {s:.1f} {e:.1f}##{TEMPLATES[int(rng.integers(len(TEMPLATES)))].format(name)}")
        lengths[split][vid] = duration
        if log is not None and (v + 1) % 10 == 0:
            log(f"  wrote {v + 1}/{videos} videos")
    for split in ("train", "test"):
        atomic_write_text(out / f"charades_sta_{split}.txt", "\n".join(lines[split]) + "\n")
        atomic_write_text(out / f"Charades_v1_{split}.csv", charades_csv_text(lengths[split]))
    return {"videos": videos, "train_queries": len(lines["train"]), "test_queries": len(lines["test"])}


def _write_npz(path: pathlib.Path, arr: np.ndarray) -> None:
    with atomic_open(path, "wb") as fh:
        np.savez(fh, features=arr)


def write_fake_qvhighlights(out: str | os.PathLike[str], videos: int = 24, queries_per_video: int = 2, dim: int = 32,
                            clip_dim: int = 16, seed: int = 0) -> dict:
    """highlight_{train,val,test}_release.jsonl + features/{slowfast,clip}_features/<vid>.npz (one row per 2-s clip).

    As the official release: windows on the 2-s grid, sometimes two per query, 3 annotators' saliency
    scores (0..4) for the relevant clips, and a test split without labels.
    """
    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    lines: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    qid = 1000
    for v in range(videos):
        split = ("val", "test", "train", "train")[v % 4]
        start = float(rng.integers(0, 50) * 30)
        vid = f"{_vid(rng)}{_vid(rng)}x_{start:.1f}_{start + 150:.1f}"
        clips = int(rng.integers(12, 24))
        duration = 2 * clips
        windows = []
        for _ in range(queries_per_video):
            c = int(rng.integers(len(CONCEPTS)))
            spans = []
            for _ in range(1 if rng.random() < 0.7 else 2):
                a = int(rng.integers(0, clips - 2))
                b = int(min(clips, a + rng.integers(2, 7)))
                if not any(a < e and s < b for s, e in spans):
                    spans.append((a, b))
            spans.sort()
            windows += [(c, a, b) for a, b in spans]
            ids = [i for a, b in spans for i in range(a, b)]
            rec = {"qid": qid, "query": f"a person {CONCEPTS[c]}", "duration": duration, "vid": vid}
            if split != "test":
                rec["relevant_windows"] = [[2 * a, 2 * b] for a, b in spans]
                rec["relevant_clip_ids"] = ids
                rec["saliency_scores"] = [[int(x) for x in rng.integers(1, 5, size=3)] for _ in ids]
            lines[split].append(json.dumps(rec))
            qid += 1
        _write_npz(out / "features" / "slowfast_features" / f"{vid}.npz", concept_features(rng, clips, dim, windows))
        _write_npz(out / "features" / "clip_features" / f"{vid}.npz", concept_features(rng, clips, clip_dim, windows))
    for split, ls in lines.items():
        atomic_write_text(out / f"highlight_{split}_release.jsonl", "\n".join(ls) + "\n")
    return {split: len(ls) for split, ls in lines.items()}
