"""Tiny datasets in the exact official on-disk formats, made of procedural motion videos.

Eight classes where a single frame looks the same in every class and only the motion differs
(translation left/right/up/down with wrap-around, rotation cw/ccw, growing/shrinking as a
sawtooth), so a C2D network cannot separate them by appearance and temporal modelling matters.
"""

from __future__ import annotations

import csv
import io
import pathlib

import numpy as np

from pkg_shared.fsutil import atomic_write_text
from pkg_shared.testing import write_video

MOTIONS = ("left", "right", "up", "down", "cw", "ccw", "grow", "shrink")
# Kinetics-like names with the quirks of the real CSVs: parentheses, an apostrophe, a comma.
KINETICS_NAMES = ("moving left (square)", "moving right (square)", "rising", "falling", "rotating clockwise",
                  "rotating anti-clockwise", "square's growing", "shrinking, slowly")
# Moments-like names with "+" and a non-alphabetical index order.
MIT_NAMES = ("sliding+left", "sliding+right", "rising", "falling", "turning+clockwise", "turning+anticlockwise",
             "growing", "shrinking")
MIT_INDEX_ORDER = (5, 2, 7, 0, 3, 6, 1, 4)  # categories file line i names motion MIT_INDEX_ORDER[i]
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def motion_frames(motion: int, num_frames: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB clip of one motion class."""
    import cv2

    bg = rng.integers(30, 110, size=3)
    fg = rng.integers(150, 255, size=3)
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    cy, cx = rng.integers(0, height), rng.integers(0, width)
    angle0, size0 = rng.uniform(0, 90), rng.integers(0, 16)
    name = MOTIONS[motion]
    for t in range(num_frames):
        canvas = np.empty((height, width, 3), np.uint8)
        canvas[:] = bg
        if name in ("left", "right", "up", "down"):
            s = 14
            canvas[:s, :s] = fg
            dy = {"up": -3 * t, "down": 3 * t}.get(name, 0)
            dx = {"left": -3 * t, "right": 3 * t}.get(name, 0)
            canvas = np.roll(canvas, (cy + dy, cx + dx), axis=(0, 1))
        else:
            if name in ("cw", "ccw"):
                half, ang = 10.0, np.deg2rad(angle0 + (12 if name == "cw" else -12) * t)
            else:
                step = (size0 + t) % 16 if name == "grow" else (size0 - t) % 16
                half, ang = 4.0 + step, np.deg2rad(angle0)
            oy, ox = height / 2 + (cy % 9) - 4, width / 2 + (cx % 9) - 4
            corners = [(ox + half * np.cos(ang + k * np.pi / 2) * 1.41, oy + half * np.sin(ang + k * np.pi / 2) * 1.41)
                       for k in range(4)]
            cv2.fillConvexPoly(canvas, np.round(np.array(corners)).astype(np.int32), [int(v) for v in fg])
        frames[t] = canvas
    return frames


def _youtube_id(rng: np.random.Generator, dash: bool = False) -> str:
    chars = [_ID_CHARS[i] for i in rng.integers(0, len(_ID_CHARS), size=11)]
    if dash:
        chars[0] = "-"
    elif chars[0] == "-":
        chars[0] = "x"
    return "".join(chars)


def _csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def make_fake_kinetics(out: str | pathlib.Path, *, num_classes: int = 8, per_class: dict | None = None,
                       frames: tuple[int, int] = (30, 80), size: tuple[int, int] = (64, 80), seed: int = 0,
                       defects: bool = False) -> pathlib.Path:
    """cvdfoundation layout: ``annotations/{train,val,test}.csv`` + ``{train,val,test}/*.mp4``.

    ``defects`` adds what real copies contain: a CSV row without a file, a zero-byte mp4 in val,
    an ``is_cc`` column, and a replacement video that must win over the original.
    """
    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    per_class = per_class or {"train": 4, "val": 2, "test": 1}
    names = KINETICS_NAMES[:num_classes]
    for split, n in per_class.items():
        rows = []
        for c in range(num_classes):
            for k in range(n):
                yid = _youtube_id(rng, dash=(k == 0 and c == 0))
                start = int(rng.integers(0, 300))
                row = [names[c], yid, start, start + 10, split]
                fname = f"{yid}_{start:06d}_{start + 10:06d}.mp4"
                clip = motion_frames(c, int(rng.integers(frames[0], frames[1] + 1)), size[0], size[1], rng)
                write_video(out / split / fname, clip, fps=25.0)
                rows.append(row)
        if defects:
            yid = _youtube_id(rng)
            rows.append([names[0], yid, 5, 15, split])  # listed but never downloaded
            if split == "val":
                bad = f"{_youtube_id(rng)}_000001_000011.mp4"
                (out / split / bad).write_bytes(b"")
                rows.append([names[1], bad[:11], 1, 11, split])
            if split == "train":
                r0 = rows[0]
                fname = f"{r0[1]}_{r0[2]:06d}_{r0[3]:06d}.mp4"
                repl = out / "replacement" / "replacement_for_corrupted_k400" / fname
                write_video(repl, motion_frames(0, 40, size[0], size[1], rng), fps=25.0)
        if split == "test":
            text = _csv_text(["youtube_id", "time_start", "time_end", "split"], [r[1:] for r in rows])
        elif defects and split == "train":
            text = _csv_text(["label", "youtube_id", "time_start", "time_end", "split", "is_cc"],
                             [r + [0] for r in rows])
        else:
            text = _csv_text(["label", "youtube_id", "time_start", "time_end", "split"], rows)
        atomic_write_text(out / "annotations" / f"{split}.csv", text)
    return out


def make_fake_mit(out: str | pathlib.Path, *, per_class: dict | None = None, frames: tuple[int, int] = (30, 80),
                  size: tuple[int, int] = (64, 80), seed: int = 0, num_classes: int = 8) -> pathlib.Path:
    """``moments_categories.txt`` + headerless ``trainingSet.csv``/``validationSet.csv`` + class folders."""
    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    per_class = per_class or {"train": 4, "val": 2}
    order = MIT_INDEX_ORDER[:num_classes]
    cats = [f"{MIT_NAMES[m]},{i}" for i, m in enumerate(order)]
    atomic_write_text(out / "moments_categories.txt", "\n".join(cats) + "\n")
    for split, n in per_class.items():
        csv_name, folder = ("trainingSet.csv", "training") if split == "train" else ("validationSet.csv", "validation")
        lines = []
        for m in order:
            name = MIT_NAMES[m]
            for k in range(n):
                fname = f"{name}/yt-{_youtube_id(rng)}_{k}.mp4"
                clip = motion_frames(m, int(rng.integers(frames[0], frames[1] + 1)), size[0], size[1], rng)
                write_video(out / folder / fname, clip, fps=30.0)
                lines.append(f"{fname},{name},3,0")
        atomic_write_text(out / csv_name, "\n".join(lines) + "\n")
    return out
