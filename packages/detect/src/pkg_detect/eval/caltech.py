"""Caltech evaluation as in Dollar's toolbox code3.2.1 (``dbEval.m`` + ``bbGt.m``), in Python.

Per experiment (setup): GT labels person/person?/people/ignore are loaded (others dropped); a GT box
is a positive only for label ``person`` with height in [hr1, hr2), visible fraction in [vr1, vr2]
(vf = +inf when the visible box is all zeros), the aspect-ratio test when ar != 0 and inside the
bounds x >= 5, x + w <= 635, y >= 5, y + h <= 475; every other loaded box is an ignore region.
Positive GT is resized to aspect 0.41 (height and centre kept); detections are resized the same
way (``resize_dets``, code3.2.1) and then kept when h in [hr1 / filter, hr2 * filter).
Matching = ``bbGt>evalRes``; the curve = ``bbGt>compRoc``; the score = exp(mean ln(miss rate at
FPPI 10^[-2:0.25:0])), miss rate at a point = 1 - recall of the last curve point with FPPI <= it,
or 1 when none.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_open
from pkg_shared.metrics.detection import FPPI_POINTS_EXACT, log_average_miss_rate, recall_at_fppi, roc_curve

INF = math.inf
BOUNDS = (5.0, 5.0, 635.0, 475.0)
LOADED_LABELS = ("person", "person?", "people", "ignore")


@dataclasses.dataclass(frozen=True)
class Setup:
    name: str
    hr: tuple[float, float]
    vr: tuple[float, float]
    ar: float = 0.0
    overlap: float = 0.5
    filter: float = 1.25


#: dbEval's experiment table (name, height range, visibility range, aspect test, overlap, filter).
SETUPS = {s.name: s for s in [
    Setup("Reasonable", (50, INF), (0.65, INF)),
    Setup("All", (20, INF), (0.2, INF)),
    Setup("Scale=large", (100, INF), (INF, INF)),
    Setup("Scale=near", (80, INF), (INF, INF)),
    Setup("Scale=medium", (30, 80), (INF, INF)),
    Setup("Scale=far", (20, 30), (INF, INF)),
    Setup("Occ=none", (50, INF), (INF, INF)),
    Setup("Occ=partial", (50, INF), (0.65, 1)),
    Setup("Occ=heavy", (50, INF), (0.2, 0.65)),
    Setup("Ar=all", (50, INF), (INF, INF)),
    Setup("Ar=typical", (50, INF), (INF, INF), 0.1),
    Setup("Ar=atypical", (50, INF), (INF, INF), -0.1),
    Setup("Overlap=25", (50, INF), (0.65, INF), 0, 0.25),
    Setup("Overlap=50", (50, INF), (0.65, INF), 0, 0.50),
    Setup("Overlap=75", (50, INF), (0.65, INF), 0, 0.75),
    Setup("Expand=100", (50, INF), (0.65, INF), 0, 0.5, 1.00),
    Setup("Expand=125", (50, INF), (0.65, INF), 0, 0.5, 1.25),
    Setup("Expand=150", (50, INF), (0.65, INF), 0, 0.5, 1.50),
]}


@dataclasses.dataclass
class GtObject:
    """One loaded ground-truth object of a frame."""

    label: str
    bbox: np.ndarray  # [x, y, w, h]
    bbv: np.ndarray  # visible box, zeros when unoccluded
    occ: int = 1  # occlusion flag (vbb ``occl``, bbGt ``occ``); 1 = "trust bbv", as code3.2.1 does
    ign: int = 0  # bbGt ``ign`` column (the new annotations use it); always 0 from .vbb


def resize_aspect(bb: np.ndarray, hr: float = 1.0, ar: float = 0.41) -> np.ndarray:
    """bbApply('resize', bb, hr, 0, ar): scale height by hr about the centre, then width = ar * h."""
    bb = np.array(bb, dtype=np.float64).reshape(-1, bb.shape[-1] if np.ndim(bb) > 1 else len(bb))
    if len(bb) == 0:
        return bb
    if hr != 1.0:
        d = (hr - 1) * bb[:, 3]
        bb[:, 1] -= d / 2
        bb[:, 3] += d
    d = bb[:, 3] * ar - bb[:, 2]
    bb[:, 0] -= d / 2
    bb[:, 2] += d
    return bb


def frame_gt(objs: list[GtObject], setup: Setup, bounds=BOUNDS, aspect: float = 0.41,
             protocol: str = "original") -> np.ndarray:
    """(n, 5) [x y w h ignore] of one frame for one setup (dbEval loadGt + filterGtFun).

    ``protocol="new"`` (CSP/Pedestron copies with the newer bbGt ``bbLoad``): only ``ignore`` is an
    ignore label, the file's ``ign`` column makes a box an ignore region, ranges are closed, and the
    visible fraction is 1 when ``occ`` is 0 or the visible box is all zeros, 0 when the visible box
    equals the box, else area(bbv) / area(bb). Because unoccluded means vf = 1 there, the setups'
    "unoccluded only" range [inf, inf] is read as [1, 1] (our translation; else Scale=* and
    Occ=none would have no positives at all).
    """
    rows = []
    for o in objs:
        if o.label not in LOADED_LABELS:
            continue
        bb, bbv = o.bbox, o.bbv
        h = bb[3]
        p = o.label == "person" or (protocol == "new" and o.label != "ignore")
        if protocol == "new":
            p = p and not o.ign and setup.hr[0] <= h <= setup.hr[1]
            if not o.occ or np.all(bbv == 0):
                vf = 1.0
            elif np.array_equal(bbv, bb):
                vf = 0.0
            else:
                vf = bbv[2] * bbv[3] / (bb[2] * bb[3])
        else:
            p = p and setup.hr[0] <= h < setup.hr[1]
            vf = INF if np.all(bbv == 0) else bbv[2] * bbv[3] / (bb[2] * bb[3])
        vr = tuple(1.0 if v == INF else v for v in setup.vr) if protocol == "new" and setup.vr[0] == INF else setup.vr
        p = p and vr[0] <= vf <= vr[1]
        if setup.ar != 0:
            p = p and math.copysign(1, setup.ar) * abs(bb[2] / bb[3] - aspect) < setup.ar
        p = p and bb[0] >= bounds[0] and bb[0] + bb[2] <= bounds[2]
        p = p and bb[1] >= bounds[1] and bb[1] + bb[3] <= bounds[3]
        rows.append([*bb, 0.0 if p else 1.0])
    gt = np.array(rows, dtype=np.float64).reshape(-1, 5)
    keep = gt[:, 4] != 1
    if keep.any():
        gt[keep, :4] = resize_aspect(gt[keep, :4], 1.0, aspect)
    return gt


def frame_dt(dt: np.ndarray, setup: Setup, resize: bool = True, hr_scale: float = 1.0, aspect: float = 0.41
             ) -> np.ndarray:
    """Detections of one frame after loadDt's resize and evalAlgs' expanded height filter."""
    dt = np.asarray(dt, dtype=np.float64).reshape(-1, 5)
    if resize:
        dt = np.concatenate([resize_aspect(dt[:, :4], hr_scale, aspect), dt[:, 4:5]], 1)
    lo, hi = setup.hr[0] / setup.filter, setup.hr[1] * setup.filter
    return dt[(dt[:, 3] >= lo) & (dt[:, 3] < hi)]


def overlaps(dt: np.ndarray, gt: np.ndarray, ignore: np.ndarray) -> np.ndarray:
    """bbGt compOas: IoU with normal GT, intersection / area(dt) with ignore GT."""
    if len(dt) == 0 or len(gt) == 0:
        return np.zeros((len(dt), len(gt)))
    iw = np.minimum(dt[:, None, 0] + dt[:, None, 2], gt[None, :, 0] + gt[None, :, 2]) - np.maximum(dt[:, None, 0], gt[None, :, 0])
    ih = np.minimum(dt[:, None, 1] + dt[:, None, 3], gt[None, :, 1] + gt[None, :, 3]) - np.maximum(dt[:, None, 1], gt[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    da = (dt[:, 2] * dt[:, 3])[:, None]
    union = np.where(ignore[None, :], da, da + (gt[:, 2] * gt[:, 3])[None, :] - inter)
    return np.where(inter > 0, inter / np.where(union > 0, union, 1), 0.0)


def eval_frame(gt: np.ndarray, dt: np.ndarray, thr: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """bbGt>evalRes (mul = 0) for one frame.

    Returns gt rows [x y w h m] (m: -1 ignore, 0 missed, 1 matched) in ignore-last order and dt
    rows [x y w h score m] (m: -1 ignored, 0 false positive, 1 true positive) by descending score.
    """
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 5)
    dt = np.asarray(dt, dtype=np.float64).reshape(-1, 5)
    gt = gt[np.argsort(gt[:, 4], kind="stable")]
    dt = dt[np.argsort(-dt[:, 4], kind="stable")]
    gm = -gt[:, 4].copy()  # 0 normal, -1 ignore; becomes 1 when matched
    dm = np.zeros(len(dt))
    if len(dt) and len(gt):
        ign = gm == -1
        oa = overlaps(dt[:, :4], gt[:, :4], ign)
        cand = (oa >= thr).any(axis=1)
        ig_list = ign.tolist()
        for d in np.nonzero(cand)[0]:
            row = oa[d].tolist()
            best_oa, best_g, best_m = thr, -1, 0
            for g in range(len(row)):
                m = gm[g]
                if m == 1:
                    continue
                if best_m != 0 and ig_list[g]:
                    break
                if row[g] < best_oa:
                    continue
                best_oa, best_g = row[g], g
                best_m = 1 if m == 0 else -1
            if best_m == -1:
                dm[d] = -1
            elif best_m == 1:
                gm[best_g] = 1
                dm[d] = 1
    return np.column_stack([gt[:, :4], gm]), np.column_stack([dt, dm])


def comp_roc(gts: list[np.ndarray], dts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Pooled (fppi, recall, scores, n_gt) over frames, ignored boxes removed (bbGt>compRoc)."""
    g = np.concatenate([x.reshape(-1, 5) for x in gts]) if gts else np.zeros((0, 5))
    d = np.concatenate([x.reshape(-1, 6) for x in dts]) if dts else np.zeros((0, 6))
    n_gt = int((g[:, 4] != -1).sum())
    d = d[d[:, 5] != -1]
    fppi, recall = roc_curve(d[:, 4], d[:, 5] == 1, n_gt, len(gts))
    return fppi, recall, np.sort(d[:, 4])[::-1], n_gt


def evaluate(gt_frames: list[list[GtObject]], dt_frames: list[np.ndarray], setup: Setup | str = "Reasonable",
             resize_dets: bool = True, protocol: str = "original", dt_height_scale: float = 1.0,
             bounds=BOUNDS) -> dict:
    """MR^-2 of one setup over aligned lists of frames; returns the score and the ROC curve."""
    s = SETUPS[setup] if isinstance(setup, str) else setup
    if len(gt_frames) != len(dt_frames):
        raise ValueError("gt and detections must list the same frames")
    gr, dr = [], []
    for objs, dt in zip(gt_frames, dt_frames):
        g = frame_gt(objs, s, bounds, protocol=protocol)
        d = frame_dt(dt, s, resize_dets and protocol == "original", dt_height_scale)
        g2, d2 = eval_frame(g, d, s.overlap)
        gr.append(g2)
        dr.append(d2)
    fppi, recall, scores, n_gt = comp_roc(gr, dr)
    pts = recall_at_fppi(fppi, recall, FPPI_POINTS_EXACT, "zero")
    mr = log_average_miss_rate(pts) if n_gt > 0 else float("nan")
    return {"setup": s.name, "mr": mr, "mr_percent": 100 * mr, "n_gt": n_gt, "n_frames": len(gt_frames),
            "recall_at_fppi": pts.tolist(), "fppi": fppi.tolist(), "miss_rate": (1 - recall).tolist()}


# --- toolbox result files --------------------------------------------------------------------

def write_results(path: str | os.PathLike[str], frames: list[int], dets: list[np.ndarray]) -> None:
    """``setXX/VYYY.txt``: rows ``frame+1,x,y,w,h,score`` (1-based frames), atomic."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        for f, d in zip(frames, dets):
            for x, y, w, h, s in np.asarray(d).reshape(-1, 5):
                fh.write(f"{f + 1},{x:.4f},{y:.4f},{w:.4f},{h:.4f},{s:.6f}\n")


def read_results(path: str | os.PathLike[str]) -> dict[int, np.ndarray]:
    """0-based frame -> (n, 5) detections from a per-video result file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "result file not found")
    out: dict[int, list] = {}
    for k, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.replace(",", " ").split()
        if len(parts) != 6:
            raise DataFormatError(path, f"expected 6 values 'frame,x,y,w,h,score', got {len(parts)}", line=k)
        try:
            v = [float(p) for p in parts]
        except ValueError as exc:
            raise DataFormatError(path, f"non-numeric value ({exc})", line=k) from exc
        if v[0] < 1 or v[0] != int(v[0]):
            raise DataFormatError(path, f"frame number must be a 1-based integer, got {parts[0]}", line=k)
        out.setdefault(int(v[0]) - 1, []).append(v[1:])
    return {f: np.array(r, dtype=np.float64) for f, r in out.items()}


def read_frame_results(folder: str | os.PathLike[str], frames: list[int]) -> dict[int, np.ndarray]:
    """Per-frame form ``VYYY/IFFFFF.txt`` with rows ``x y w h score`` (0-based FFFFF)."""
    folder = pathlib.Path(folder)
    out = {}
    for f in frames:
        p = folder / f"I{f:05d}.txt"
        if not p.is_file():
            raise DataFormatError(p, "per-frame result file not found")
        rows = []
        for k, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
            if raw.strip():
                parts = raw.replace(",", " ").split()
                if len(parts) != 5:
                    raise DataFormatError(p, f"expected 5 values 'x y w h score', got {len(parts)}", line=k)
                rows.append([float(x) for x in parts])
        out[f] = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return out
