"""Inference on one user video: multi-view scores -> top-k class names, and a picture of the clip."""

from __future__ import annotations

import pathlib

import numpy as np
import torch

from pkg_shared.io.clip import read_clip
from pkg_video.config import DataConfig
from pkg_video.data.dataset import ClipDataset
from pkg_video.data.filelist import Sample
from pkg_video.data.sampling import clip_frames, val_start
from pkg_video.engine.evaluate import video_scores


@torch.no_grad()
def predict(model: torch.nn.Module, path: str, data_cfg: DataConfig, classes: list[str], *, views: str = "30",
            average: str = "prob", topk: int = 5, device: torch.device | str = "cpu") -> dict:
    """Top-k (name, score) over the multi-view protocol of ``data_cfg``; decoding errors propagate."""
    ds = ClipDataset([Sample(str(path), -1)], data_cfg, "test", views=views)
    clip = ds._load_test(0)  # raises DataFormatError naming the file
    scores = video_scores(model.eval(), clip.to(device), average).cpu()
    k = min(topk, len(classes))
    order = np.argsort(-scores.numpy(), kind="stable")[:k]
    return {"video": str(path), "views": int(clip.shape[0]), "average": average,
            "top": [{"class": classes[i], "index": int(i), "score": float(scores[i])} for i in order]}


def save_picture(path: str, data_cfg: DataConfig, prediction: dict, out_png: str | pathlib.Path) -> None:
    """The centre clip's frames in a row with the top predictions as the title (matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = data_cfg
    frames, n = read_clip(path, lambda n: clip_frames(val_start(n, c.clip_len, c.frame_interval, c.test_sampling), n,
                                                      c.clip_len, c.frame_interval, c.out_of_bound), c.backend, c.decode_threads)
    k = min(8, frames.shape[0])
    fig, axes = plt.subplots(1, k, figsize=(1.8 * k, 2.2))
    for ax, f in zip(np.atleast_1d(axes), frames[:k]):
        ax.imshow(f.numpy())
        ax.axis("off")
    top = prediction["top"][:3]
    fig.suptitle(" | ".join(f"{t['class']} {t['score']:.2f}" for t in top), fontsize=9)
    fig.tight_layout()
    save_figure(fig, out_png, dpi=80)
    plt.close(fig)


def picture_format(path: str | pathlib.Path) -> str:
    """The image format of ``path`` from its suffix (none: PNG); a PkgError if matplotlib cannot write it."""
    from matplotlib.figure import Figure

    from pkg_shared.errors import PkgError

    fmt = pathlib.Path(path).suffix[1:].lower() or "png"
    supported = Figure().canvas.get_supported_filetypes()
    if fmt not in supported:
        raise PkgError(f"{path}: cannot write a .{fmt} picture (use one of {', '.join(sorted(supported))})")
    return fmt


def save_figure(fig, path: str | pathlib.Path, **kwargs) -> None:
    """``fig.savefig`` written atomically (no half-written picture), format from the suffix (none: PNG)."""
    from pkg_shared.fsutil import atomic_path

    fmt = picture_format(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **kwargs)
