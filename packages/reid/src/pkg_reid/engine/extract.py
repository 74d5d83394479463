"""Feature extraction: fused test-time embeddings of a list of samples (optional flip averaging)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from pkg_reid.config import DataConfig
from pkg_reid.data.common import Sample
from pkg_reid.data.dataset import ImageDataset
from pkg_reid.data.transforms import EvalTransform
from pkg_shared.logging import progress


@torch.no_grad()
def extract(model: torch.nn.Module, samples: list[Sample], data_cfg: DataConfig, device: torch.device,
            batch_size: int = 128, flip: bool = False, desc: str = "extract", l2: bool = True) -> np.ndarray:
    was = model.training
    model.eval()
    ds = ImageDataset(samples, EvalTransform(data_cfg))
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=False, num_workers=data_cfg.num_workers)
    out = []
    for x, _, _, _ in progress(loader, desc=desc, leave=False):
        x = x.to(device)
        f = model(x)["fused"].float()
        if flip:
            f = f + model(x.flip(3))["fused"].float()
            if l2:
                f = F.normalize(f, dim=1)
            else:
                f = f / 2
        out.append(f.cpu())
    model.train(was)
    if not out:
        return np.zeros((0, getattr(model, "embed_dim", 0)), np.float32)
    return torch.cat(out).numpy()


def save_features(path, qf, gf, query: list[Sample], gallery: list[Sample], meta: dict | None = None) -> None:
    """Write the ``.npz`` layout that ``reid-eval --features`` reads (atomic)."""
    import io
    import json

    from pkg_shared.fsutil import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(
        buf, qf=qf.astype(np.float32), gf=gf.astype(np.float32),
        q_pids=np.array([s.pid for s in query], np.int64), q_camids=np.array([s.camid for s in query], np.int64),
        g_pids=np.array([s.pid for s in gallery], np.int64), g_camids=np.array([s.camid for s in gallery], np.int64),
        q_paths=np.array([s.path for s in query]), g_paths=np.array([s.path for s in gallery]),
        meta=np.array(json.dumps(meta or {})),
    )
    atomic_write_bytes(path, buf.getvalue())
