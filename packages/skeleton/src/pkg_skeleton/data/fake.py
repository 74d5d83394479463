"""Tiny datasets written in exactly the official on-disk formats (tests, demo, ``make-fake``).

Every class is a distinct procedural motion: one limb swings about its root joint at a
class-specific frequency and plane, on top of a fixed rest pose, so a small network can tell the
classes apart after a short training.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np

from pkg_shared.fsutil import atomic_write_text
from pkg_skeleton.data.sbu import FOLDS

# NTU-25 rest pose (metres; x right, y up, z depth), 0-based joint order of the Kinect v2 list.
REST = np.array([
    [0.0, 0.0, 0.0], [0.0, 0.3, 0.0], [0.0, 0.6, 0.0], [0.0, 0.75, 0.0],
    [-0.2, 0.5, 0.0], [-0.25, 0.25, 0.0], [-0.28, 0.02, 0.0], [-0.29, -0.05, 0.0],
    [0.2, 0.5, 0.0], [0.25, 0.25, 0.0], [0.28, 0.02, 0.0], [0.29, -0.05, 0.0],
    [-0.1, -0.05, 0.0], [-0.1, -0.45, 0.0], [-0.1, -0.85, 0.0], [-0.1, -0.9, -0.1],
    [0.1, -0.05, 0.0], [0.1, -0.45, 0.0], [0.1, -0.85, 0.0], [0.1, -0.9, -0.1],
    [0.0, 0.5, 0.0], [-0.3, -0.12, 0.0], [-0.26, -0.08, 0.0], [0.3, -0.12, 0.0], [0.26, -0.08, 0.0],
], dtype=np.float64)
LIMBS = (  # (root joint, moving joints), 0-based
    (4, [5, 6, 7, 21, 22]), (8, [9, 10, 11, 23, 24]), (12, [13, 14, 15]), (16, [17, 18, 19]),
)
SBU_FROM_NTU = (3, 2, 1, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19)  # 15 SBU joints, 0-based NTU index


def class_motion(label: int, frames: int, rng: np.random.Generator, phase: float | None = None) -> np.ndarray:
    """(frames, 25, 3) coordinates of class ``label``: limb ``label % 4`` swings at a class frequency."""
    root, moving = LIMBS[label % 4]
    freq = 1.0 + (label // 4) % 2  # swings per second
    plane = (label // 8) % 2  # 0: x-y plane, 1: y-z plane
    phase = rng.uniform(0, 2 * math.pi) if phase is None else phase
    t = np.arange(frames) / 30.0
    ang = 1.0 * np.sin(2 * math.pi * freq * t + phase)
    out = np.repeat(REST[None], frames, axis=0).copy()
    rel = REST[moving] - REST[root]
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    a, b = (0, 1) if plane == 0 else (2, 1)
    out[:, moving, a] = REST[root, a] + c * rel[None, :, a] - s * rel[None, :, b]
    out[:, moving, b] = REST[root, b] + s * rel[None, :, a] + c * rel[None, :, b]
    return out + rng.normal(0, 0.004, out.shape)


def idle(frames: int, rng: np.random.Generator) -> np.ndarray:
    return np.repeat(REST[None], frames, axis=0) + rng.normal(0, 0.004, (frames, 25, 3))


_JOINT_FMT = " ".join(["%.7g"] * 7) + " 0.7 0.1 0.7 0.1 2"


def write_ntu_skeleton(path: pathlib.Path, bodies: list[tuple[int, np.ndarray]], frames: int) -> None:
    """``bodies``: [(bodyID, (frames, 25, 3) with NaN rows where the body is absent)]."""
    lines = [str(frames)]
    for t in range(frames):
        present = [(bid, arr[t]) for bid, arr in bodies if not np.isnan(arr[t]).any()]
        lines.append(str(len(present)))
        for bid, joints in present:
            lines.append(f"{bid} 0 1 1 1 1 0 0.1 -0.2 2")
            lines.append("25")
            x, y, z = joints[:, 0], joints[:, 1], joints[:, 2]
            cols = np.stack([x, y, z, 256 + 300 * x / z, 212 - 300 * y / z, 960 + 1000 * x / z,
                             540 - 1000 * y / z], axis=1)
            lines.extend(_JOINT_FMT % tuple(row) for row in cols.tolist())
    atomic_write_text(path, "\n".join(lines) + "\n")


def make_fake_ntu(out: str | pathlib.Path, num_classes: int = 8, performers=(1, 2, 3), cameras=(1, 2, 3),
                  replications=(1,), seed: int = 0, frames=(40, 72)) -> pathlib.Path:
    """``out/nturgb+d_skeletons/*.skeleton``; performers 1, 2 are X-Sub training, 3 is test.

    Every 3rd sample has a second person, every 5th a short noisy third body; the folder also holds
    ``S001C002P005R002A008`` (first name of the official missing list) with zero bodies in every frame.
    """
    rng = np.random.default_rng(seed)
    root = pathlib.Path(out) / "nturgb+d_skeletons"
    root.mkdir(parents=True, exist_ok=True)
    k = 0
    for p in performers:
        for c in cameras:
            for r in replications:
                for a in range(1, num_classes + 1):
                    f = int(rng.integers(frames[0], frames[1] + 1))
                    main = class_motion(a - 1, f, rng) + np.array([0.0, 0.0, 3.0])
                    yaw = math.radians(30 * (c - 2))
                    rot = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
                    main = (main - [0, 0, 3]) @ rot.T + [0, 0, 3]
                    bodies = [(72057594037927936 + 1000 * k + 1, main)]
                    if k % 3 == 0:
                        bodies.append((72057594037927936 + 1000 * k + 2, idle(f, rng) + [0.9, 0.0, 3.3]))
                    if k % 5 == 0:
                        noise = np.full((f, 25, 3), np.nan)
                        noise[:5] = rng.normal(0, 0.3, (5, 25, 3)) + [0, 0, 4]
                        bodies.append((72057594037927936 + 1000 * k + 3, noise))
                    write_ntu_skeleton(root / f"S001C{c:03d}P{p:03d}R{r:03d}A{a:03d}.skeleton", bodies, f)
                    k += 1
    write_ntu_skeleton(root / "S001C002P005R002A008.skeleton", [], 30)
    return root


def make_fake_sbu(out: str | pathlib.Path, takes: int = 1, seed: int = 0, frames=(20, 40)) -> pathlib.Path:
    """``out/<set>/<action>/<take>/skeleton_pos.txt`` for every set of the five folds."""
    rng = np.random.default_rng(seed)
    root = pathlib.Path(out)
    for fold_sets in FOLDS.values():
        for set_name in fold_sets:
            for a in range(1, 9):
                for tk in range(1, takes + 1):
                    f = int(rng.integers(frames[0], frames[1] + 1))
                    p1 = class_motion(a - 1, f, rng)[:, SBU_FROM_NTU]
                    p2 = class_motion((a + 3) % 8, f, rng)[:, SBU_FROM_NTU] * [-1, 1, 1] + [0.8, 0, 0]
                    rows = []
                    for t in range(f):
                        vals = []
                        for p in (p1, p2):
                            x = (p[t, :, 0] + 1.0) / 2.0
                            y = (1.0 - p[t, :, 1]) / 2.0
                            z = (p[t, :, 2] + 3.0) * 1.2
                            vals += [v for j in range(15) for v in (x[j], y[j], z[j])]
                        rows.append(",".join([str(t + 1)] + [f"{v:.6f}" for v in vals]))
                    atomic_write_text(root / set_name / f"{a:02d}" / f"{tk:03d}" / "skeleton_pos.txt",
                                      "\n".join(rows) + "\n")
    return root


def make_fake_pkummd(out: str | pathlib.Path, subjects=(2, 3, 4), num_classes: int = 8, actions_per_video: int = 4,
                     seed: int = 0, cycle_classes: bool = False) -> pathlib.Path:
    """Untrimmed videos ``XXXX-{L,M,R}`` concatenating actions with idle gaps, labels and split files.

    The last subject forms the cross-subject validation set; view L is the cross-view validation set.
    Actions are drawn at random, or with ``cycle_classes`` in turn (1, 2, ..., K, 1, ...) so that every
    class occurs about equally often.
    """
    rng = np.random.default_rng(seed)
    root = pathlib.Path(out)
    vids = []
    for s in subjects:
        for view in "LMR":
            vid = f"{s:04d}-{view}"
            vids.append(vid)
            parts, labels, t = [], [], 0
            gap = int(rng.integers(15, 30))
            parts.append(idle(gap, rng))
            t += gap
            for _ in range(actions_per_video):
                a = int(rng.integers(0, num_classes))
                if cycle_classes:
                    a = (len(vids) - 1) * actions_per_video + len(labels)
                    a %= num_classes
                f = int(rng.integers(45, 75))
                parts.append(class_motion(a, f, rng))
                labels.append(f"{a + 1},{t},{t + f - 1},{int(rng.integers(1, 3))}")
                t += f
                gap = int(rng.integers(15, 30))
                parts.append(idle(gap, rng))
                t += gap
            seq = np.concatenate(parts) + [0, 0, 3.0]
            rows = [" ".join(f"{v:.6f}" for v in np.concatenate([fr.ravel(), np.zeros(75)])) for fr in seq]
            atomic_write_text(root / "PKU_Skeleton_Renew" / f"{vid}.txt", "\n".join(rows) + "\n")
            atomic_write_text(root / "Train_Label_PKU_final" / f"{vid}.txt", "\n".join(labels) + "\n")
    test_s = f"{subjects[-1]:04d}-"
    xsub_tr = [v for v in vids if not v.startswith(test_s)]
    xsub_te = [v for v in vids if v.startswith(test_s)]
    xv_tr = [v for v in vids if not v.endswith("L")]
    xv_te = [v for v in vids if v.endswith("L")]
    for name, (tr, te) in {"cross-subject.txt": (xsub_tr, xsub_te), "cross-view.txt": (xv_tr, xv_te)}.items():
        atomic_write_text(root / "Split" / name,
                          f"Training videos: \n{', '.join(tr)},\nValidataion videos: \n{', '.join(te)}\n")
    return root
