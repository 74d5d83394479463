"""From per-step outputs (B, T, 3) to moments (spec section 2.3).

score(i, j) = log p_s(i) + log p_e(j) + lambda_in * mean_{t in [i, j]} log q_t
              + lambda_out * mean_{t valid, not in [i, j]} log(1 - q_t),
with p_s, p_e softmaxes over valid steps and q = sigmoid(inside logit).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from pkg_grounding.data.didemo import MOMENTS
from pkg_shared.metrics.temporal import temporal_nms

NEG_INF = float("-inf")


def segment_scores(logits: torch.Tensor, mask: torch.Tensor, lambda_in: float = 1.0, lambda_out: float = 1.0,
                   max_len: int = 0) -> torch.Tensor:
    """(B, T, 3) logits + (B, T) mask -> (B, T, T) scores; -inf where i > j, a bound is padded or too long."""
    logits = logits.float()
    m = mask.float()
    valid = m > 0
    lps = F.log_softmax(logits[..., 0].masked_fill(~valid, NEG_INF), -1)
    lpe = F.log_softmax(logits[..., 1].masked_fill(~valid, NEG_INF), -1)
    log_q = F.logsigmoid(logits[..., 2]) * m
    log_nq = F.logsigmoid(-logits[..., 2]) * m
    # cumulative sums with a leading zero: sum over [i, j] = c[j + 1] - c[i]
    zero = torch.zeros_like(m[:, :1])
    cq, cnq, cm = (torch.cat([zero, x.cumsum(-1)], -1) for x in (log_q, log_nq, m))
    in_q = cq[:, None, 1:] - cq[:, :-1, None]
    in_nq = cnq[:, None, 1:] - cnq[:, :-1, None]
    in_n = cm[:, None, 1:] - cm[:, :-1, None]
    out_n = m.sum(-1)[:, None, None] - in_n
    out_nq = log_nq.sum(-1)[:, None, None] - in_nq
    score = lps[:, :, None] + lpe[:, None, :]
    score = score + lambda_in * in_q / in_n.clamp_min(1.0)
    score = score + lambda_out * torch.where(out_n > 0, out_nq / out_n.clamp_min(1.0), torch.zeros_like(out_nq))
    t = logits.shape[1]
    i = torch.arange(t, device=logits.device)
    ok = (i[:, None] <= i[None, :]) & valid[:, :, None] & valid[:, None, :]
    if max_len > 0:
        ok = ok & ((i[None, :] - i[:, None] + 1) <= max_len)
    return score.masked_fill(~ok, NEG_INF)


def didemo_moment_scores(scores: np.ndarray, num_segments: int, k: int) -> np.ndarray:
    """(T, T) segment scores -> the 21 moment scores in MCN order (-inf beyond ``num_segments`` or NaN)."""
    vals = np.array([scores[a * k, (b + 1) * k - 1] if b < num_segments else -np.inf for a, b in MOMENTS])
    return np.where(np.isnan(vals), -np.inf, vals)


def didemo_ranking(scores: np.ndarray, num_segments: int, k: int) -> list[tuple[int, int]]:
    """All 21 moments ranked by score (stable: ties keep the MCN candidate order).

    Moments reaching beyond ``num_segments`` get -inf but stay in the list (the official evaluator
    needs every moment).
    """
    return rank_moment_scores(didemo_moment_scores(scores, num_segments, k), num_segments)


def rank_moment_scores(scores21: np.ndarray, num_segments: int) -> list[tuple[int, int]]:
    """Rank 21 per-moment scores (MCN baseline output), same rules as :func:`didemo_ranking`."""
    vals = np.array([v if b < num_segments else -np.inf for v, (_, b) in zip(scores21, MOMENTS)])
    return [MOMENTS[i] for i in np.argsort(-vals, kind="stable")]


def charades_candidates(scores: np.ndarray, duration: float, top: int = 100) -> np.ndarray:
    """The ``top`` best segments (before NMS) as rows [start_s, end_s, score], best first."""
    t = scores.shape[0]
    flat = scores.reshape(-1)
    finite = np.flatnonzero(np.isfinite(flat))
    order = finite[np.argsort(-flat[finite], kind="stable")][:top]
    i, j = np.divmod(order, t)
    return np.stack([i * duration / t, (j + 1) * duration / t, flat[order]], 1)


def nms_windows(windows: np.ndarray, threshold: float, top_k: int) -> np.ndarray:
    """Greedy temporal NMS of [start, end, score] rows (pkg_shared.metrics.temporal_nms)."""
    if len(windows) == 0:
        return windows
    keep = temporal_nms(windows[:, :2], windows[:, 2], threshold, top_k)
    return windows[keep]


def refine_windows(windows: np.ndarray, dist: np.ndarray, duration: float) -> np.ndarray:
    """asst_plus boundary-distance heads: move each [start_s, end_s, score] window's bounds to the mean of
    (step centre - distance to start) and (step centre + distance to end) over the steps it covers.

    ``dist``: (T, 2) non-negative distances in steps. Scores and order are kept; a window whose
    refined bounds would be empty keeps its own.
    """
    if len(windows) == 0:
        return windows
    t = dist.shape[0]
    per = duration / t
    centre = np.arange(t) + 0.5
    starts = np.concatenate([[0.0], np.cumsum(centre - dist[:, 0])])
    ends = np.concatenate([[0.0], np.cumsum(centre + dist[:, 1])])
    out = windows.copy()
    i = np.clip(np.round(windows[:, 0] / per).astype(int), 0, t - 1)
    j = np.clip(np.round(windows[:, 1] / per).astype(int), i + 1, t)  # exclusive step end
    n = j - i
    s = np.clip((starts[j] - starts[i]) / n * per, 0.0, duration)
    e = np.clip((ends[j] - ends[i]) / n * per, 0.0, duration)
    ok = e > s
    out[ok, 0], out[ok, 1] = s[ok], e[ok]
    return out
