"""Evaluation entry points used by training, ``reid-eval`` and the demo."""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_reid.config import EvalConfig
from pkg_reid.eval.rank import average_query_expansion, cuhk03_classic_cmc, distance, evaluate
from pkg_reid.eval.rerank import re_ranking
from pkg_shared.errors import DataFormatError

FEATURE_KEYS = ("qf", "gf", "q_pids", "q_camids", "g_pids", "g_camids")


def evaluate_arrays(qf, gf, q_pids, q_cams, g_pids, g_cams, cfg: EvalConfig, protocol: str = "market",
                    masks=None) -> dict:
    """Metrics for one feature set: ``plain``, plus ``reranked`` (``cfg.rerank``) and
    ``query_expansion`` (``cfg.aqe_k > 0``) side by side. ``masks``: (good, junk) overriding the
    Market rules (Market's ``gt_query`` files)."""
    qf, gf = np.asarray(qf, np.float32), np.asarray(gf, np.float32)
    dist = distance(qf, gf, cfg.dist)
    res: dict = {"dist": cfg.dist, "num_query": len(qf), "num_gallery": len(gf), "protocol": protocol}
    if protocol == "cuhk03_classic":
        res["plain"] = cuhk03_classic_cmc(dist, q_pids, q_cams, g_pids, g_cams, repeats=cfg.classic_repeats)
    else:
        res["plain"] = evaluate(dist, q_pids, q_cams, g_pids, g_cams, invalid_query=cfg.invalid_query,
                                max_rank=cfg.max_rank, method=cfg.method, masks=masks)
    if cfg.rerank:
        rr = re_ranking(dist, distance(qf, qf, cfg.dist), distance(gf, gf, cfg.dist), cfg.k1, cfg.k2, cfg.lambda_value)
        res["reranked"] = evaluate(rr, q_pids, q_cams, g_pids, g_cams, invalid_query=cfg.invalid_query,
                                   max_rank=cfg.max_rank, method=cfg.method, masks=masks)
        res["rerank_params"] = {"k1": cfg.k1, "k2": cfg.k2, "lambda": cfg.lambda_value}
    if cfg.aqe_k > 0 and protocol != "cuhk03_classic":
        qe = distance(average_query_expansion(qf, gf, dist, cfg.aqe_k), gf, cfg.dist)
        res["query_expansion"] = evaluate(qe, q_pids, q_cams, g_pids, g_cams, invalid_query=cfg.invalid_query,
                                          max_rank=cfg.max_rank, method=cfg.method, masks=masks)
        res["query_expansion_params"] = {"method": "average", "k": cfg.aqe_k}
    return res


def load_features(path: str | pathlib.Path) -> dict[str, np.ndarray]:
    """Our ``.npz`` or a layumi-style ``pytorch_result.mat`` (query_f, gallery_f, *_label, *_cam)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "feature file not found")
    if path.suffix == ".mat":
        from scipy.io import loadmat

        try:
            m = loadmat(str(path))
        except Exception as exc:
            raise DataFormatError(path, f"not a readable MATLAB file ({exc})") from exc
        keys = {"qf": "query_f", "gf": "gallery_f", "q_pids": "query_label", "q_camids": "query_cam",
                "g_pids": "gallery_label", "g_camids": "gallery_cam"}
        missing = [v for v in keys.values() if v not in m]
        if missing:
            raise DataFormatError(path, f"missing variable(s) {missing} (layumi pytorch_result.mat layout)")
        out = {k: np.asarray(m[v]) for k, v in keys.items()}
        for k in ("q_pids", "q_camids", "g_pids", "g_camids"):
            out[k] = out[k].reshape(-1).astype(np.int64)
    else:
        try:
            with np.load(path, allow_pickle=False) as z:
                out = {k: z[k] for k in z.files}
        except Exception as exc:
            raise DataFormatError(path, f"not a readable .npz feature file ({exc})") from exc
        missing = [k for k in FEATURE_KEYS if k not in out]
        if missing:
            raise DataFormatError(path, f"missing array(s) {missing}; expected {list(FEATURE_KEYS)}")
    qf, gf = out["qf"], out["gf"]
    if qf.ndim != 2 or gf.ndim != 2 or qf.shape[1] != gf.shape[1]:
        raise DataFormatError(path, f"query/gallery features must be (N, D) with equal D, got {qf.shape} and {gf.shape}")
    if len(out["q_pids"]) != len(qf) or len(out["g_pids"]) != len(gf) or len(out["q_camids"]) != len(qf) \
            or len(out["g_camids"]) != len(gf):
        raise DataFormatError(path, "ids/cameras do not match the number of feature rows")
    return out


def strip_per_query(res: dict) -> dict:
    """Drop the per-query arrays (kept for the CSV) so the dict is small JSON."""
    out = {}
    for k, v in res.items():
        if isinstance(v, dict):
            out[k] = strip_per_query(v)
        elif k != "per_query":
            out[k] = v
    return {k: v for k, v in out.items() if k != "per_query"}
