"""Predictions for a split and their scores under the official protocols."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.dataset import Features, GroundingDataset, collate
from pkg_grounding.data.didemo import MOMENTS, chunk_to_seconds
from pkg_grounding.data.records import Query
from pkg_grounding.data.vocab import Vocab
from pkg_grounding.decode import charades_candidates, didemo_ranking, rank_moment_scores, segment_scores
from pkg_grounding.metrics.charades import evaluate_charades
from pkg_grounding.metrics.didemo import evaluate_didemo
from pkg_shared.logging import progress


@torch.no_grad()
def predict(model: torch.nn.Module, queries: list[Query], feats: Features, vocab: Vocab, cfg: GroundingConfig,
            device: torch.device, batch_size: int = 64, candidates: int = 100, show_progress: bool = False) -> list[dict]:
    """One prediction record per query, in query order (moment_detr-compatible ``pred_windows``)."""
    model.eval()
    ds = GroundingDataset(queries, feats, vocab, cfg.data, training=False)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False, collate_fn=collate)
    out: list[dict] = [{} for _ in queries]
    k = cfg.data.steps_per_chunk
    it = progress(loader, desc="predict", leave=False) if show_progress else loader
    for batch in it:
        logits = model(batch["video"].to(device), batch["video_mask"].to(device), batch["words"].to(device),
                       batch["word_mask"].to(device))
        if logits.dim() == 2:  # MCN baseline: 21 moment scores
            for row, qi in enumerate(batch["qi"].tolist()):
                q = queries[qi]
                ranked = rank_moment_scores(logits[row].cpu().numpy(), q.num_segments)
                sc = dict(zip(MOMENTS, logits[row].cpu().tolist()))
                out[qi] = {"qid": q.qid, "vid": q.vid, "query": q.sentence, "duration": q.duration,
                           "pred_moments": [list(m) for m in ranked],
                           "pred_windows": [[*chunk_to_seconds(a, b), sc[(a, b)]] for a, b in ranked]}
            continue
        scores = segment_scores(logits, batch["video_mask"].to(device), cfg.decode.lambda_in, cfg.decode.lambda_out,
                                cfg.decode.max_len_steps).cpu().numpy()
        inside = torch.sigmoid(logits[..., 2]).cpu().numpy()
        for row, qi in enumerate(batch["qi"].tolist()):
            q = queries[qi]
            rec = {"qid": q.qid, "vid": q.vid, "query": q.sentence, "duration": q.duration,
                   "inside": np.round(inside[row], 5).tolist()}
            if q.times:
                ranked = didemo_ranking(scores[row], q.num_segments, k)
                rec["pred_moments"] = [list(m) for m in ranked]
                rec["pred_windows"] = [[*chunk_to_seconds(a, b), float(scores[row][a * k, (b + 1) * k - 1])
                                        if b < q.num_segments else -1e30] for a, b in ranked]
            else:
                rec["pred_windows"] = np.round(charades_candidates(scores[row], q.duration, candidates), 4).tolist()
            out[qi] = rec
    return out


def score_predictions(preds: list[dict], queries: list[Query], cfg: GroundingConfig) -> dict:
    """Metrics of every protocol for the dataset, with the convention of each spelled out."""
    if queries and queries[0].times:
        res = evaluate_didemo([p["pred_moments"] for p in preds], [q.times for q in queries])
        return {"mcn": {**res, "convention": "LocalizingMoments utils/eval.py: mean of best-3 ranks / IoUs "
                        "over annotators, inclusive chunk IoU; fractions (x100 in papers)"}}
    protos = ("ours", "2dtan", "tall", "moment_detr") if cfg.eval.protocol in ("all", "auto") else (cfg.eval.protocol,)
    protos = tuple(p for p in protos if p != "mcn") or ("ours",)
    gts = np.array([q.gt[0] for q in queries], dtype=np.float64).reshape(-1, 2)
    windows = [np.asarray(p["pred_windows"], dtype=np.float64).reshape(-1, 3) for p in preds]
    return evaluate_charades(windows, gts, protos, nms=cfg.decode.nms, compare=cfg.eval.iou_compare, miou=cfg.eval.miou)


def headline(metrics: dict) -> tuple[str, float]:
    """The number used for model selection: DiDeMo Rank@1, Charades-STA R@1,IoU=0.5 (ours)."""
    if "mcn" in metrics:
        return "Rank@1", metrics["mcn"]["Rank@1"]
    first = metrics.get("ours") or next(iter(metrics.values()))
    key = "R@1,IoU=0.5" if "R@1,IoU=0.5" in first else "R1@0.5"
    return key, first[key]
