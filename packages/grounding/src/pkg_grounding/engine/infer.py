"""Ground one sentence in one video (features already extracted, or a raw video file)."""

from __future__ import annotations

import math

import numpy as np
import torch

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.didemo import CHUNK_SECONDS, MOMENT_INDEX, NUM_CHUNKS, chunk_to_seconds
from pkg_grounding.data.features import average_to_fixed_length, crop_to_duration, didemo_steps, normalize
from pkg_grounding.data.vocab import Vocab, tokenize
from pkg_grounding.decode import (
    charades_candidates,
    didemo_moment_scores,
    nms_windows,
    rank_moment_scores,
    refine_windows,
    segment_scores,
)


def _steps(cfg: GroundingConfig, feats: np.ndarray, duration: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(T, D) model input, (T,) mask and the DiDeMo chunk count (0 for the free-form datasets)."""
    feats = feats.astype(np.float32)
    if cfg.data.dataset == "didemo":
        # DiDeMo models see the first 30 s as 6 five-second chunks of k steps; features spread over the video
        nseg = max(1, min(NUM_CHUNKS, math.ceil(duration / CHUNK_SECONDS - 1e-9)))
        rate = feats.shape[0] / duration
        if feats.shape[0] == NUM_CHUNKS:  # would read as chunk averages: make it per-frame explicitly
            feats, rate = np.repeat(feats, 2, 0), 2 * rate
        steps, mask = didemo_steps(feats, nseg, cfg.data.steps_per_chunk, rate)
        return normalize(steps, cfg.data.normalize) * mask[:, None], mask, nseg
    if cfg.data.feature_rate > 0:
        feats = crop_to_duration(feats, cfg.data.feature_rate, duration)
    t = cfg.data.num_steps
    return normalize(average_to_fixed_length(feats, t), cfg.data.normalize), np.ones(t, dtype=np.float32), 0


@torch.no_grad()
def ground(model: torch.nn.Module, cfg: GroundingConfig, vocab: Vocab, feats: np.ndarray, duration: float,
           query: str, top_k: int = 5, device: torch.device = torch.device("cpu")) -> dict:
    """Top moments [start_s, end_s, score] (after NMS; DiDeMo: the best-ranked of the 21 moments, also as
    ``moments`` chunk pairs) and the per-step inside probability spread over ``plot_duration`` seconds."""
    steps, mask, nseg = _steps(cfg, feats, duration)
    words = vocab.encode(query, cfg.data.max_words)
    video = torch.from_numpy(steps)[None].to(device)
    vmask = torch.from_numpy(mask)[None].to(device)
    w = torch.tensor([words], device=device)
    logits = model(video, vmask, w, torch.ones_like(w, dtype=torch.float32))
    unknown = [x for x in tokenize(query) if x not in vocab.stoi]
    res = {"query": query, "duration": duration, "unknown_words": unknown}
    if nseg:
        if logits.dim() == 2:  # MCN baseline: 21 moment scores
            vals, inside = logits[0].cpu().numpy(), [0.0]
        else:
            sc = segment_scores(logits, vmask, cfg.decode.lambda_in, cfg.decode.lambda_out)[0].cpu().numpy()
            vals = didemo_moment_scores(sc, nseg, cfg.data.steps_per_chunk)
            inside = torch.sigmoid(logits[0, : nseg * cfg.data.steps_per_chunk, 2]).cpu().numpy().round(5).tolist()
        ranked = [m for m in rank_moment_scores(vals, nseg) if m[1] < nseg][:top_k]
        res["windows"] = [[*np.minimum(chunk_to_seconds(a, b), duration).round(4).tolist(),
                           round(float(vals[MOMENT_INDEX[(a, b)]]), 4)] for a, b in ranked]
        res["moments"] = [list(m) for m in ranked]
        res["inside"], res["plot_duration"] = inside, CHUNK_SECONDS * nseg
        return res
    scores = segment_scores(logits, vmask, cfg.decode.lambda_in, cfg.decode.lambda_out, cfg.decode.max_len_steps)
    cands = charades_candidates(scores[0].cpu().numpy(), duration, 200)
    if logits.shape[-1] == 5 and cfg.decode.refine:  # asst_plus boundary-distance heads
        cands = refine_windows(cands, torch.nn.functional.softplus(logits[0, :, 3:5]).cpu().numpy(), duration)
    top = nms_windows(cands, cfg.decode.nms, top_k)
    res["windows"] = np.round(top, 4).tolist()
    res["inside"] = torch.sigmoid(logits[0, :, 2]).cpu().numpy().round(5).tolist()
    res["plot_duration"] = duration
    return res
