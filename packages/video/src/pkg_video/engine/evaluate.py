"""Video-level evaluation: 1-clip (centre crop) or multi-view (clips x crops, softmax-averaged)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from pkg_shared.errors import DataFormatError
from pkg_shared.logging import progress
from pkg_video import metrics
from pkg_video.config import DataConfig, EvalConfig
from pkg_video.data.dataset import ClipDataset
from pkg_video.data.filelist import Sample


@torch.no_grad()
def video_scores(model: nn.Module, views: torch.Tensor, average: str = "prob", chunk: int = 8) -> torch.Tensor:
    """(V, 3, T, H, W) -> (K,) averaged over the V views (softmax probabilities or raw logits)."""
    outs = [model(views[i:i + chunk]) for i in range(0, views.shape[0], chunk)]
    logits = torch.cat(outs).float()
    return (logits.softmax(-1) if average == "prob" else logits).mean(0)


def submission_text(samples: list[Sample], scores: np.ndarray, data_cfg: DataConfig, k: int = 5) -> str:
    """Moments in Time challenge file: ``<filename> <class(1)> ... <class(5)>`` per video, classes by
    decreasing score (ties: lower index), as category indices of ``moments_categories.txt``.

    The file name is the path relative to the split folder for Moments in Time (``class/file.mp4``,
    as in its CSVs), else relative to ``data.root`` (a list's own path) or the bare name.
    """
    import pathlib

    root = pathlib.Path(data_cfg.root)
    order = metrics.ranked(scores)[:, :k]
    lines = []
    for s, top in zip(samples, order):
        p = pathlib.Path(s.path)
        try:
            rel = p.relative_to(root)
            if data_cfg.dataset == "mit" and len(rel.parts) > 1:
                rel = pathlib.Path(*rel.parts[1:])  # drop training/ or validation/
            name = rel.as_posix()
        except ValueError:
            name = p.name
        lines.append(" ".join([name, *map(str, top.tolist())]))
    return "\n".join(lines) + ("\n" if lines else "")


@torch.no_grad()
def evaluate(model: nn.Module, samples: list[Sample], data_cfg: DataConfig, eval_cfg: EvalConfig,
             num_classes: int, device: torch.device, *, num_workers: int = 0, desc: str = "eval") -> dict:
    """Metrics plus the per-video score matrix; undecodable videos get uniform scores (or raise)."""
    was = model.training
    model.eval()
    ds = ClipDataset(samples, data_cfg, "test", views=eval_cfg.views)
    loader = DataLoader(ds, batch_size=1, num_workers=num_workers, collate_fn=lambda b: b[0])
    scores = np.zeros((len(ds), num_classes), np.float64)
    failed = []
    for item in progress(loader, desc=desc, total=len(ds)):
        i = item["index"]
        if not item["ok"]:
            if eval_cfg.on_error == "fail":
                raise DataFormatError(samples[i].path, item.get("error") or "video cannot be decoded")
            failed.append(samples[i].path)
            scores[i] = 1.0 / num_classes
            continue
        scores[i] = video_scores(model, item["video"].to(device), eval_cfg.average).cpu().double().numpy()
    model.train(was)
    labels = np.array([s.label for s in samples])
    labeled = labels >= 0
    result = {
        "protocol": {
            "views": int(eval_cfg.views) if eval_cfg.views == "1" else data_cfg.test_clips * data_cfg.test_crops,
            "clips": 1 if eval_cfg.views == "1" else data_cfg.test_clips,
            "crops": 1 if eval_cfg.views == "1" else data_cfg.test_crops,
            "crop": data_cfg.crop_size if eval_cfg.views == "1" else data_cfg.test_short_side,
            "test_sampling": data_cfg.test_sampling,
            "clip": f"{data_cfg.clip_len}x{data_cfg.frame_interval}",
            "average": eval_cfg.average,
            "tie_break": "lower class index",
        },
        "videos": len(samples),
        "labeled": int(labeled.sum()),
        "failed": failed,
    }
    if labeled.any():
        m = metrics.summary(scores[labeled], labels[labeled])
        result.update(m)
        result["mean_class_accuracy_convention"] = (
            "mean_class_accuracy: classes with >=1 true video; mean_class_accuracy_mmaction: union of "
            "predicted and true classes, predicted-only classes count 0 (MMAction2)")
        result["reported_mean_class_accuracy"] = (
            m["mean_class_accuracy_mmaction"] if eval_cfg.mmaction_compat else m["mean_class_accuracy"])
    return {"result": result, "scores": scores, "labels": labels}
