"""Detection on untrimmed streams: milestone 1 (spec §5.1, sliding windows + an HCN with K+1 outputs)
and milestone 2 (§5.2: proposal sub-network + classification sub-network, separate or one shared trunk).

Class 0 is background; class c (1..K) is PKU-MMD label c. Frame numbers of the label files are
used as 0-based indices, intervals inclusive ``[start, end]``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib

import numpy as np
import torch

from pkg_shared.errors import ConfigError, DataFormatError
from pkg_shared.fsutil import atomic_write_text
from pkg_shared.logging import progress
from pkg_shared.metrics.temporal import temporal_iou, temporal_nms
from pkg_skeleton.config import DetectConfig, RecognitionConfig
from pkg_skeleton.data import pkummd, transforms
from pkg_skeleton.data.dataset import pkummd_videos, prepare

log = logging.getLogger(__name__)


def windows(length: int, cfg: DetectConfig) -> np.ndarray:
    """(N, 2) inclusive [start, end] of every window length <= the video, stride = ratio x length."""
    out = []
    for w in cfg.win_lengths:
        if w > length:
            continue
        step = max(1, int(round(w * cfg.stride_ratio)))
        starts = list(range(0, length - w + 1, step))
        if starts[-1] != length - w:
            starts.append(length - w)
        out += [(s, s + w - 1) for s in starts]
    if not out:  # shorter than the smallest window: the whole video
        out = [(0, length - 1)]
    return np.asarray(out, dtype=np.int64)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of inclusive frame intervals."""
    a = np.asarray(a, np.float64).reshape(-1, 2) + [0, 1]
    b = np.asarray(b, np.float64).reshape(-1, 2) + [0, 1]
    return temporal_iou(a, b)


def _load_video(cfg: RecognitionConfig, vid: str) -> tuple[np.ndarray, list]:
    root = pathlib.Path(cfg.data.root)
    skel, lab = pkummd.video_paths(root, vid)
    if not skel.is_file():
        raise DataFormatError(skel, "skeleton file of a split video not found")
    seq = transforms.centre(pkummd.read_skeleton(skel), cfg.data.centring)
    labels = pkummd.read_labels(lab) if lab.is_file() else []
    return seq, labels


def _split_videos(cfg: RecognitionConfig, split: str):
    """(video id, centred sequence (M, F, V, C), labels, ground-truth intervals (G, 2) clipped to the video)."""
    for vid in pkummd_videos(cfg.data, split):
        seq, labels = _load_video(cfg, vid)
        f = seq.shape[1]
        gts = np.array([[s, min(e, f - 1)] for _, s, e, _ in labels], dtype=np.int64).reshape(-1, 2)
        yield vid, seq, labels, gts


def window_samples(cfg: RecognitionConfig, split: str, seed: int = 0):
    """Training windows: instances (+ jittered copies with IoU >= pos_iou) and as many backgrounds."""
    rng = np.random.default_rng(seed)
    d = cfg.detect
    out = []
    for vid, seq, labels, gts in _split_videos(cfg, split):
        f = seq.shape[1]
        pos = []
        for k, (c, s, e, _) in enumerate(labels):
            e = min(e, f - 1)
            pos.append((f"{vid}#{k}", c, seq[:, s : e + 1]))
            for j, (js, je) in enumerate(_jitter(rng, s, e, f, d.pos_iou, d.jitter_copies)):
                pos.append((f"{vid}#{k}j{j}", c, seq[:, js : je + 1]))
        win = windows(f, d)
        best = _iou(win, gts).max(1) if len(gts) else np.zeros(len(win))
        bg = np.flatnonzero(best < d.neg_iou)
        pick = rng.choice(bg, size=min(len(bg), len(pos)), replace=False) if len(bg) else []
        out += pos + [(f"{vid}@{win[i, 0]}", 0, seq[:, win[i, 0] : win[i, 1] + 1]) for i in sorted(pick)]
    if not out:
        raise DataFormatError(cfg.data.root or "?", f"no {split} windows (empty split?)")
    return out


@torch.no_grad()
def detect_sequence(model, seq: np.ndarray, cfg: RecognitionConfig, device) -> list[tuple[int, int, int, float]]:
    """Score every window, keep class scores >= thresh, per-class NMS, top ``max_dets``."""
    d = cfg.detect
    win = windows(seq.shape[1], d)
    p = torch.softmax(_forward_windows(model, seq, win, cfg, device), 1).numpy()
    return _class_nms(win, p, d)


def _class_nms(segs: np.ndarray, scores: np.ndarray, d: DetectConfig) -> list[tuple[int, int, int, float]]:
    """Per class c >= 1 (0 = background): scores >= ``score_thresh``, temporal NMS at ``nms_iou``; the best
    ``max_dets`` of all classes, highest score first."""
    dets = []
    for c in range(1, scores.shape[1]):
        keep = np.flatnonzero(scores[:, c] >= d.score_thresh)
        if not keep.size:
            continue
        for j in temporal_nms(segs[keep].astype(np.float64) + [0, 1], scores[keep, c], d.nms_iou):
            k = keep[j]
            dets.append((c, int(segs[k, 0]), int(segs[k, 1]), float(scores[k, c])))
    dets.sort(key=lambda t: -t[3])
    return dets[: d.max_dets]


def detect_video(model, cfg: RecognitionConfig, seq: np.ndarray, device, proposal=None
                 ) -> list[tuple[int, int, int, float]]:
    """Detections of one video by the checkpoint's kind: window classifier (milestone 1), window classifier
    behind a separate proposal model ``proposal = (model, cfg)``, or the shared-trunk detector (task joint)."""
    if cfg.task == "joint":
        from pkg_skeleton.models import HeadView

        k = cfg.model.num_classes
        return detect_two_stage(HeadView(model, k), cfg, HeadView(model, 0, k), cfg, seq, device)
    if proposal is not None:
        return detect_two_stage(proposal[0], proposal[1], model, cfg, seq, device)
    return detect_sequence(model, seq, cfg, device)


def write_detections(path: str | os.PathLike[str], dets) -> None:
    atomic_write_text(path, "".join(f"{c},{s},{e},{score:.6f}\n" for c, s, e, score in dets))


def detect_split(model, cfg: RecognitionConfig, split: str, out_dir: str | os.PathLike[str], device,
                 proposal=None) -> list[str]:
    """Run the detector on every video of the split; one ``<video>.txt`` per video in ``out_dir``."""
    if cfg.task not in ("detection", "joint"):
        raise ConfigError(f"a {cfg.task} checkpoint cannot detect; use one of task detection or joint")
    out_dir = pathlib.Path(out_dir)
    vids = pkummd_videos(cfg.data, split)
    for vid in progress(vids, desc="detect", unit="video"):
        seq, _ = _load_video(cfg, vid)
        write_detections(out_dir / f"{vid}.txt", detect_video(model, cfg, seq, device, proposal))
    return vids


def read_folder(folder: str | os.PathLike[str], names: list[str] | None = None, num_classes: int = 51):
    """``{video: [(label, start, end, score)]}`` from a folder of per-video text files."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "folder not found")
    files = sorted(folder.glob("*.txt")) if names is None else [folder / f"{n}.txt" for n in names]
    out = {}
    for f in files:
        if not f.is_file():
            raise DataFormatError(f, "file not found")
        out[f.stem] = pkummd.read_labels(f, num_classes)
    return out


# ---- milestone 2 (spec §5.2): proposal sub-network + classification sub-network ----

def encode_deltas(anchor: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``δc = (c* − c_a) / l_a``, ``δl = log(l* / l_a)`` for inclusive intervals (N, 2)."""
    la = anchor[:, 1] - anchor[:, 0] + 1.0
    lg = gt[:, 1] - gt[:, 0] + 1.0
    ca = (anchor[:, 0] + anchor[:, 1]) / 2.0
    cg = (gt[:, 0] + gt[:, 1]) / 2.0
    return np.stack([(cg - ca) / la, np.log(lg / la)], axis=1)


def decode_deltas(anchor: np.ndarray, deltas: np.ndarray, length: int) -> np.ndarray:
    """Inverse of :func:`encode_deltas`, rounded to frames and clipped to ``[0, length - 1]``."""
    la = anchor[:, 1] - anchor[:, 0] + 1.0
    ca = (anchor[:, 0] + anchor[:, 1]) / 2.0
    c = ca + deltas[:, 0] * la
    ln = la * np.exp(np.clip(deltas[:, 1], -4, 4))
    s = np.clip(np.round(c - (ln - 1) / 2), 0, length - 1)
    e = np.clip(np.round(c + (ln - 1) / 2), 0, length - 1)
    return np.stack([s, np.maximum(e, s)], axis=1).astype(np.int64)


def proposal_samples(cfg: RecognitionConfig, split: str, seed: int = 0):
    """Anchors with targets (actionness, δc, δl): positive IoU >= prop_pos_iou, negative < prop_neg_iou, 1:1."""
    rng = np.random.default_rng(seed)
    d = cfg.detect
    out = []
    for vid, seq, _, gts in _split_videos(cfg, split):
        win = windows(seq.shape[1], d)
        if not len(gts):
            continue
        iou = _iou(win, gts)
        best, arg = iou.max(1), iou.argmax(1)
        pos = np.flatnonzero(best >= d.prop_pos_iou)
        neg = np.flatnonzero(best < d.prop_neg_iou)
        neg = rng.choice(neg, size=min(len(neg), max(len(pos), 1)), replace=False) if len(neg) else neg
        deltas = encode_deltas(win[pos].astype(np.float64), gts[arg[pos]].astype(np.float64))
        for i, dl in zip(pos, deltas):
            out.append((f"{vid}@{win[i, 0]}", np.array([1.0, *dl], np.float32), seq[:, win[i, 0] : win[i, 1] + 1]))
        for i in sorted(neg):
            out.append((f"{vid}@{win[i, 0]}", np.zeros(3, np.float32), seq[:, win[i, 0] : win[i, 1] + 1]))
    if not out:
        raise DataFormatError(cfg.data.root or "?", f"no {split} anchors (empty split?)")
    return out


def _jitter(rng: np.random.Generator, s: int, e: int, f: int, min_iou: float, copies: int) -> list[tuple[int, int]]:
    """Up to ``copies`` boundary-jittered versions of ``[s, e]`` with IoU >= ``min_iou`` (inside the video)."""
    length, out, tries = e - s + 1, [], 0
    while len(out) < copies and tries < 50:
        tries += 1
        js = max(s + int(rng.integers(-length // 6, length // 6 + 1)), 0)
        je = min(e + int(rng.integers(-length // 6, length // 6 + 1)), f - 1)
        if je > js and _iou([js, je], [s, e])[0, 0] >= min_iou:
            out.append((js, je))
    return out


def joint_samples(cfg: RecognitionConfig, split: str, seed: int = 0):
    """Windows for the shared-trunk detector, target ``(class, actionness, δc, δl)`` per window.

    * anchors with IoU >= ``prop_pos_iou``: actionness 1, deltas to the best ground truth, class of that
      ground truth if IoU >= ``pos_iou`` else -1 (ignored by the class head);
    * anchors with IoU < ``prop_neg_iou`` (as many as positives): actionness 0, class 0 (background);
    * every ground-truth instance and ``jitter_copies`` jittered copies: actionness 1, class c, deltas
      to the instance, so the class head also sees the well-aligned windows that refined proposals give.
    """
    rng = np.random.default_rng(seed)
    d = cfg.detect
    out = []
    for vid, seq, labels, gts in _split_videos(cfg, split):
        f = seq.shape[1]
        if not len(gts):
            continue
        cls = np.array([c for c, *_ in labels])
        segs: list[tuple[int, int]] = []
        targets: list[tuple[float, float, float, float]] = []
        win = windows(f, d)
        iou = _iou(win, gts)
        best, arg = iou.max(1), iou.argmax(1)
        pos = np.flatnonzero(best >= d.prop_pos_iou)
        neg = np.flatnonzero(best < d.prop_neg_iou)
        for k, (s, e) in enumerate(gts):
            for js, je in [(int(s), int(e)), *_jitter(rng, int(s), int(e), f, d.pos_iou, d.jitter_copies)]:
                segs.append((js, je))
                dl = encode_deltas(np.array([[js, je]], np.float64), gts[k : k + 1].astype(np.float64))[0]
                targets.append((float(cls[k]), 1.0, *dl))
        deltas = encode_deltas(win[pos].astype(np.float64), gts[arg[pos]].astype(np.float64))
        for i, dl in zip(pos, deltas):
            segs.append((int(win[i, 0]), int(win[i, 1])))
            targets.append((float(cls[arg[i]]) if best[i] >= d.pos_iou else -1.0, 1.0, *dl))
        n_neg = min(len(neg), len(segs))
        for i in sorted(rng.choice(neg, size=n_neg, replace=False)) if n_neg else []:
            segs.append((int(win[i, 0]), int(win[i, 1])))
            targets.append((0.0, 0.0, 0.0, 0.0))
        out += [(f"{vid}@{s}-{e}", np.array(t, np.float32), seq[:, s : e + 1]) for (s, e), t in zip(segs, targets)]
    if not out:
        raise DataFormatError(cfg.data.root or "?", f"no {split} windows (empty split?)")
    return out


def _forward_windows(model, seq, segs, cfg: RecognitionConfig, device) -> torch.Tensor:
    data_cfg = dataclasses.replace(cfg.data, test_crop=1.0)
    outs = []
    model.eval()
    for i in range(0, len(segs), cfg.detect.batch_size):
        xs = [prepare(seq[:, s : e + 1], data_cfg, cfg.model.frames, cfg.model.num_persons, False, None)
              for s, e in segs[i : i + cfg.detect.batch_size]]
        x = torch.stack([a for a, _ in xs]).to(device)
        motion = torch.stack([m for _, m in xs]).to(device) if xs[0][1].numel() else None
        outs.append(model(x, motion).float().cpu())
    return torch.cat(outs)


@torch.no_grad()
def detect_two_stage(prop_model, prop_cfg: RecognitionConfig, cls_model, cls_cfg: RecognitionConfig,
                     seq: np.ndarray, device) -> list[tuple[int, int, int, float]]:
    """Anchors -> actionness + refined boundaries -> NMS 0.7, top 200 -> K+1 classifier -> per-class NMS."""
    d = cls_cfg.detect
    f = seq.shape[1]
    win = windows(f, prop_cfg.detect)
    out = _forward_windows(prop_model, seq, win, prop_cfg, device)
    act = torch.softmax(out[:, :2], 1)[:, 1].numpy()
    props = decode_deltas(win.astype(np.float64), out[:, 2:].numpy().astype(np.float64), f)
    keep = temporal_nms(props.astype(np.float64) + [0, 1], act, prop_cfg.detect.prop_nms_iou,
                        top_k=prop_cfg.detect.prop_top)
    props, act = props[keep], act[keep]
    probs = torch.softmax(_forward_windows(cls_model, seq, props, cls_cfg, device), 1).numpy()
    if d.score_times_actionness:
        probs = probs * act[:, None]
    return _class_nms(props, probs, d)
