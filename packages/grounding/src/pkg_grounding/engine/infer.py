"""Ground one sentence in one video (features already extracted, or a raw video file)."""

from __future__ import annotations

import numpy as np
import torch

from pkg_grounding.config import GroundingConfig
from pkg_grounding.data.features import average_to_fixed_length, crop_to_duration, normalize
from pkg_grounding.data.vocab import Vocab, tokenize
from pkg_grounding.decode import charades_candidates, nms_windows, refine_windows, segment_scores


@torch.no_grad()
def ground(model: torch.nn.Module, cfg: GroundingConfig, vocab: Vocab, feats: np.ndarray, duration: float,
           query: str, top_k: int = 5, device: torch.device = torch.device("cpu")) -> dict:
    """Top moments [start_s, end_s, score] after NMS, and the per-step inside probability."""
    t = cfg.data.num_steps
    if cfg.data.feature_rate > 0:
        feats = crop_to_duration(feats, cfg.data.feature_rate, duration)
    steps = normalize(average_to_fixed_length(feats.astype(np.float32), t), cfg.data.normalize)
    words = vocab.encode(query, cfg.data.max_words)
    video = torch.from_numpy(steps)[None].to(device)
    vmask = torch.ones(1, t, device=device)
    w = torch.tensor([words], device=device)
    logits = model(video, vmask, w, torch.ones_like(w, dtype=torch.float32))
    scores = segment_scores(logits, vmask, cfg.decode.lambda_in, cfg.decode.lambda_out, cfg.decode.max_len_steps)
    cands = charades_candidates(scores[0].cpu().numpy(), duration, 200)
    if logits.shape[-1] == 5 and cfg.decode.refine:  # asst_plus boundary-distance heads
        cands = refine_windows(cands, torch.nn.functional.softplus(logits[0, :, 3:5]).cpu().numpy(), duration)
    top = nms_windows(cands, cfg.decode.nms, top_k)
    unknown = [x for x in tokenize(query) if x not in vocab.stoi]
    return {"query": query, "duration": duration, "windows": np.round(top, 4).tolist(),
            "inside": torch.sigmoid(logits[0, :, 2]).cpu().numpy().round(5).tolist(),
            "unknown_words": unknown}
