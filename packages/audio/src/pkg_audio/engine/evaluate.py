"""Batched prediction over a clip set and the AudioSet evaluation with its reproducibility files."""

from __future__ import annotations

import hashlib
import pathlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

from pkg_audio.data.audioset import ClassIndex
from pkg_audio.data.clips import ClipSet
from pkg_audio.data.manifest import write_id_list
from pkg_audio.metrics import evaluate_scores, write_per_class_csv
from pkg_shared.fsutil import atomic_write_json
from pkg_shared.logging import progress


@torch.no_grad()
def predict(model: nn.Module, clips: ClipSet, batch_size: int = 16, device: torch.device | str = "cpu",
            threads: int = 4, limit: int | None = None, show: bool = False) -> np.ndarray:
    """(N, K) clip probabilities, clips decoded in a thread pool (soundfile releases the GIL)."""
    was = model.training
    model.eval()
    n = len(clips) if limit is None else min(limit, len(clips))
    out = []
    bar = progress(total=n, desc="eval", unit="clip", disable=None if show else True)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        for s in range(0, n, batch_size):
            idx = range(s, min(n, s + batch_size))
            waves = np.stack(list(pool.map(clips.load, idx)))
            p = model(torch.from_numpy(waves).to(device))["clipwise"]
            out.append(p.float().cpu().numpy())
            bar.update(len(idx))
    bar.close()
    model.train(was)
    return np.concatenate(out) if out else np.zeros((0, clips.targets.shape[1]), dtype=np.float32)


def evaluate(model: nn.Module | list[nn.Module], clips: ClipSet, classes: ClassIndex, *, batch_size: int = 16,
             device: torch.device | str = "cpu", strict_sklearn: bool = False,
             out_dir: str | pathlib.Path | None = None, prefix: str = "eval", threads: int = 4,
             limit: int | None = None, show: bool = False) -> dict:
    """Metrics dict; with ``out_dir`` also writes ``<prefix>_metrics.json``, ``<prefix>_per_class.csv``
    and ``<prefix>_ids.txt`` (the exact evaluated clips, so that numbers can be reproduced).

    ``eval_ids_sha1`` is the SHA-1 of ``<prefix>_ids.txt``'s bytes; ``<prefix>_missing_ids.txt``
    lists the clips of the CSV that were not found on disk.

    A list of models averages their clip probabilities (Yu et al. averaged predictions over
    checkpoints); the result says so in ``averaged_models`` and is not a single-model number."""
    models = model if isinstance(model, list) else [model]
    scores = np.mean([predict(m, clips, batch_size, device, threads, limit, show) for m in models], axis=0)
    n = scores.shape[0]
    targets = clips.targets[:n]
    res = evaluate_scores(targets, scores, strict_sklearn)
    res["clips_listed"] = int(clips.listed or len(clips))
    res["clips_found"] = int(len(clips))
    res["clips_evaluated"] = int(n)
    res["clips_missing"] = len(clips.missing_ids)
    # a fingerprint of the exact evaluated subset: equal hashes = comparable numbers
    res["eval_ids_sha1"] = hashlib.sha1("".join(f"{i}\n" for i in clips.ids[:n]).encode()).hexdigest()
    res["source"] = clips.source
    res["averaged_models"] = len(models)
    ap, auc = res.pop("ap_per_class"), res.pop("auc_per_class")
    if out_dir is not None:
        out_dir = pathlib.Path(out_dir)
        write_per_class_csv(out_dir / f"{prefix}_per_class.csv", classes.mids, classes.names, targets, ap, auc)
        write_id_list(out_dir / f"{prefix}_ids.txt", clips.ids[:n])
        if clips.missing_ids:
            write_id_list(out_dir / f"{prefix}_missing_ids.txt", clips.missing_ids)
        atomic_write_json(out_dir / f"{prefix}_metrics.json", res)
    res["ap_per_class"] = ap
    return res
