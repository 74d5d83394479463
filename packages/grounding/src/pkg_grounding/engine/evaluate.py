"""Predictions for a split (one model, or several late-fused) and their scores under the official protocols."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.dataset import Features, GroundingDataset, collate
from pkg_grounding.data.didemo import MOMENTS, chunk_to_seconds
from pkg_grounding.data.qvhighlights import CLIP_SECONDS
from pkg_grounding.data.records import Query
from pkg_grounding.data.vocab import Vocab
from pkg_grounding.decode import (
    charades_candidates,
    didemo_moment_scores,
    nms_windows,
    rank_moment_scores,
    refine_windows,
    segment_scores,
)
from pkg_grounding.metrics.charades import evaluate_charades, highlight_metrics
from pkg_grounding.metrics.didemo import evaluate_didemo
from pkg_shared.errors import ConfigError, PkgError
from pkg_shared.logging import progress


@dataclasses.dataclass
class Scorer:
    """One trained model with the data it reads: what late fusion combines."""

    model: torch.nn.Module
    feats: Features
    vocab: Vocab
    cfg: GroundingConfig
    weight: float = 1.0


@torch.no_grad()
def iter_scores(s: Scorer, queries: list[Query], device: torch.device, batch_size: int = 64,
                show_progress: bool = False) -> Iterator[tuple[int, np.ndarray, np.ndarray | None, np.ndarray | None]]:
    """(query index, scores, inside probability, boundary distances) in query order.

    scores: DiDeMo -> the 21 moment scores; otherwise the (T, T) segment-score matrix (-inf where
    invalid). inside: per-step probability (None for the MCN baseline). distances: (T, 2) steps to
    the start / end from the asst_plus distance heads (None without them or with ``decode.refine`` off).
    """
    s.model.eval()
    ds = GroundingDataset(queries, s.feats, s.vocab, s.cfg.data, training=False)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False, collate_fn=collate)
    k, dec = s.cfg.data.steps_per_chunk, s.cfg.decode
    for batch in progress(loader, desc="predict", leave=False) if show_progress else loader:
        logits = s.model(batch["video"].to(device), batch["video_mask"].to(device), batch["words"].to(device),
                         batch["word_mask"].to(device))
        qis = batch["qi"].tolist()
        if logits.dim() == 2:  # MCN baseline: 21 moment scores
            vals = logits.float().cpu().numpy()
            for row, qi in enumerate(qis):
                nseg = queries[qi].num_segments
                yield qi, np.array([v if b < nseg else -np.inf for v, (_, b) in zip(vals[row], MOMENTS)]), None, None
            continue
        scores = segment_scores(logits, batch["video_mask"].to(device), dec.lambda_in, dec.lambda_out,
                                dec.max_len_steps).cpu().numpy()
        inside = torch.sigmoid(logits[..., 2]).float().cpu().numpy()
        dist = torch.nn.functional.softplus(logits[..., 3:5]).float().cpu().numpy() \
            if logits.shape[-1] == 5 and dec.refine else None
        for row, qi in enumerate(qis):
            q = queries[qi]
            sc = didemo_moment_scores(scores[row], q.num_segments, k) if q.times else scores[row]
            yield qi, sc, inside[row], None if dist is None else dist[row]


def _weighted_mean(arrays: Sequence[tuple[np.ndarray | None, float]]) -> np.ndarray | None:
    got = [(a, w) for a, w in arrays if a is not None]
    return sum(a * w for a, w in got) / sum(w for _, w in got) if got and sum(w for _, w in got) > 0 else None


def fuse(parts: Sequence[tuple], weights: Sequence[float]):
    """Late fusion (MCN's RGB + flow): weighted sum of the scores, weighted means of the inside curves
    and of the boundary distances (where the models have them)."""
    shapes = {p[0].shape for p in parts}
    if len(shapes) > 1:
        raise ConfigError(f"cannot fuse models whose score tables differ in shape {sorted(shapes)}: "
                          "use the same data.num_steps (or DiDeMo moments) for every model")
    with np.errstate(invalid="ignore"):
        total = sum(w * p[0] for p, w in zip(parts, weights))
    total = np.where(np.isnan(total), -np.inf, total)
    inside = _weighted_mean([(p[1], w) for p, w in zip(parts, weights)])
    dist = _weighted_mean([(p[2], w) for p, w in zip(parts, weights)])
    return total, inside, dist


def saliency_per_clip(inside: np.ndarray, duration: float) -> list[float]:
    """The inside probability of the step under each 2-s clip's centre (moment_detr ``pred_saliency_scores``)."""
    n = max(1, int(duration / CLIP_SECONDS))
    t = len(inside)
    idx = np.minimum(((np.arange(n) + 0.5) * CLIP_SECONDS / duration * t).astype(int), t - 1)
    return np.round(inside[idx], 5).tolist()


def make_record(q: Query, scores: np.ndarray, inside: np.ndarray | None, dataset: str, candidates: int = 100,
                dist: np.ndarray | None = None, submit_nms: float = 0.0) -> dict:
    """One prediction line (moment_detr-compatible ``pred_windows``; DiDeMo adds ``pred_moments``)."""
    rec: dict = {"qid": q.qid, "vid": q.vid, "query": q.sentence, "duration": q.duration}
    if inside is not None:
        rec["inside"] = np.round(inside, 5).tolist()
    if q.times or dataset == "didemo":
        ranked = rank_moment_scores(scores, q.num_segments)
        by_moment = dict(zip(MOMENTS, scores.tolist()))
        rec["pred_moments"] = [list(m) for m in ranked]
        rec["pred_windows"] = [[*chunk_to_seconds(a, b), by_moment[(a, b)] if np.isfinite(by_moment[(a, b)])
                                else -1e30] for a, b in ranked]
        return rec
    windows = charades_candidates(scores, q.duration, candidates)
    if dist is not None:
        windows = refine_windows(windows, dist, q.duration)
    rec["pred_windows"] = np.round(windows, 4).tolist()
    if dataset == "qvhighlights":  # the names moment_detr's evaluator and CodaLab expect
        rec["qid"] = int(q.qid) if q.qid.isdigit() else q.qid
        # the submission field: NMS'd (eval.moment_detr_nms) when set; pred_windows stay raw for the other protocols
        rec["pred_relevant_windows"] = np.round(nms_windows(windows, submit_nms, 10), 4).tolist() \
            if submit_nms > 0 else rec["pred_windows"]
        if inside is not None:
            rec["pred_saliency_scores"] = saliency_per_clip(inside, q.duration)
    return rec


def predict_fused(scorers: Sequence[Scorer], queries: list[Query], device: torch.device, batch_size: int = 64,
                  candidates: int = 100, show_progress: bool = False) -> list[dict]:
    """Prediction records of the late fusion of ``scorers`` (one scorer: the model itself)."""
    if not scorers:
        raise ConfigError("no model to predict with")
    out: list[dict] = [{} for _ in queries]
    streams = [iter_scores(s, queries, device, batch_size, show_progress and i == 0) for i, s in enumerate(scorers)]
    weights = [s.weight for s in scorers]
    for items in zip(*streams):
        qi = items[0][0]
        scores, inside, dist = items[0][1:] if len(items) == 1 else fuse([x[1:] for x in items], weights)
        out[qi] = make_record(queries[qi], scores, inside, scorers[0].cfg.data.dataset, candidates, dist,
                              scorers[0].cfg.eval.moment_detr_nms)
    return out


def predict(model: torch.nn.Module, queries: list[Query], feats: Features, vocab: Vocab, cfg: GroundingConfig,
            device: torch.device, batch_size: int = 64, candidates: int = 100, show_progress: bool = False) -> list[dict]:
    """One prediction record per query, in query order."""
    return predict_fused([Scorer(model, feats, vocab, cfg)], queries, device, batch_size, candidates, show_progress)


def score_predictions(preds: list[dict], queries: list[Query], cfg: GroundingConfig,
                      nms: float | str | None = None) -> dict:
    """Metrics of every protocol for the dataset, with the convention of each spelled out.

    ``nms`` overrides ``cfg.decode.nms`` for protocol 'ours' (a threshold or 'tall')."""
    if queries and queries[0].times:
        res = evaluate_didemo([p["pred_moments"] for p in preds], [q.times for q in queries])
        return {"mcn": {**res, "convention": "LocalizingMoments utils/eval.py: mean of best-3 ranks / IoUs "
                        "over annotators, inclusive chunk IoU; fractions (x100 in papers)"}}
    if any(not q.gt for q in queries):
        raise PkgError("this split has no ground-truth windows (QVHighlights test): dump the predictions and "
                       "submit them to the benchmark server instead")
    protos = ("ours", "2dtan", "tall", "moment_detr") if cfg.eval.protocol in ("all", "auto") else (cfg.eval.protocol,)
    protos = tuple(p for p in protos if p != "mcn") or ("ours",)
    gts = [np.asarray(q.gt, dtype=np.float64).reshape(-1, 2) for q in queries]
    windows = [np.asarray(p["pred_windows"], dtype=np.float64).reshape(-1, 3) for p in preds]
    out = evaluate_charades(windows, gts, protos, nms=cfg.decode.nms if nms is None else nms,
                            compare=cfg.eval.iou_compare, miou=cfg.eval.miou, moment_detr_nms=cfg.eval.moment_detr_nms)
    labelled = [i for i, q in enumerate(queries) if q.saliency]
    if "moment_detr" in out and labelled and all(("pred_saliency_scores" in preds[i]) or preds[i].get("inside")
                                                 for i in labelled):
        sal = [preds[i].get("pred_saliency_scores") or saliency_per_clip(np.asarray(preds[i]["inside"]),
                                                                         queries[i].duration) for i in labelled]
        out["moment_detr"]["highlight"] = highlight_metrics(
            sal, [queries[i].duration for i in labelled], [queries[i].clip_ids for i in labelled],
            [queries[i].saliency for i in labelled])
    return out


def headline(metrics: dict) -> tuple[str, float]:
    """The number used for model selection: DiDeMo Rank@1, Charades-STA R@1,IoU=0.5 (ours)."""
    if "mcn" in metrics:
        return "Rank@1", metrics["mcn"]["Rank@1"]
    first = metrics.get("ours") or next(iter(metrics.values()))
    key = "R@1,IoU=0.5" if "R@1,IoU=0.5" in first else "R1@0.5"
    return key, first[key]
