"""Global Hard Identity Searching: find, over *all* training identities, the ones that look alike.

1. embed every training image with the current model (eval mode, deterministic preprocessing);
2. identity centres c_i = normalise(mean of normalised embeddings of identity i);
3. identity distances D_ij = |c_i - c_j| (``center``) or the minimum image-pair distance
   (``min_pair``, blocked so memory stays O(block x N));
4. neighbour list H_i = the k nearest other identities (stable order on ties).
The sampler then builds P x K batches from a seed identity and its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class GhisResult:
    ids: list[int]  # training labels, row order of ``dist``
    dist: np.ndarray  # (n_id, n_id) identity distances, diagonal = inf
    neighbors: dict[int, list[int]]

    def top_pairs(self, n: int = 10) -> list[tuple[int, int, float]]:
        iu = np.triu_indices(len(self.ids), 1)
        vals = self.dist[iu]
        order = np.argsort(vals, kind="stable")[:n]
        return [(self.ids[iu[0][k]], self.ids[iu[1][k]], float(vals[k])) for k in order]


def identity_distances(emb: torch.Tensor, labels: torch.Tensor, metric: str = "center",
                       block: int = 1024) -> tuple[list[int], np.ndarray]:
    emb = F.normalize(emb.float(), dim=1)
    ids, inv = torch.unique(labels, return_inverse=True)
    n = len(ids)
    if metric == "center":
        sums = torch.zeros(n, emb.shape[1]).index_add_(0, inv, emb)
        centres = F.normalize(sums, dim=1)
        d = torch.cdist(centres.double(), centres.double())
    elif metric == "min_pair":
        d = torch.full((n, n), float("inf"), dtype=torch.float64)
        for s in range(0, len(emb), block):
            rows = torch.cdist(emb[s: s + block].double(), emb.double())  # (b, N)
            per_id = torch.full((rows.shape[0], n), float("inf"), dtype=torch.float64)
            per_id.scatter_reduce_(1, inv.expand(rows.shape[0], -1), rows, "amin", include_self=True)
            d.scatter_reduce_(0, inv[s: s + block, None].expand(-1, n), per_id, "amin", include_self=True)
    else:
        raise ValueError(f"unknown GHIS metric {metric!r}")
    d = d.numpy().copy()
    np.fill_diagonal(d, np.inf)
    return [int(i) for i in ids], d


def neighbor_lists(ids: list[int], dist: np.ndarray, k: int) -> dict[int, list[int]]:
    k = min(k, len(ids) - 1)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return {ids[r]: [ids[c] for c in order[r]] for r in range(len(ids))}


@torch.no_grad()
def embed(model: torch.nn.Module, dataset, device: torch.device, batch_size: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """Fused embeddings and labels of every item of ``dataset`` (an ImageDataset with eval transform)."""
    was = model.training
    model.eval()
    feats, labels = [], []
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False)
    for x, y, _, _ in loader:
        feats.append(model(x.to(device))["fused"].float().cpu())
        labels.append(y)
    model.train(was)
    return torch.cat(feats), torch.cat(labels)


def search(model, dataset, device, k: int, metric: str = "center", batch_size: int = 128) -> GhisResult:
    emb, labels = embed(model, dataset, device, batch_size)
    ids, dist = identity_distances(emb, labels, metric)
    return GhisResult(ids, dist, neighbor_lists(ids, dist, k))


def batch_hardness(groups: list[list[int]], ids: list[int], dist: np.ndarray) -> float:
    """Mean identity distance between members of the same group (lower = harder batches)."""
    pos = {pid: i for i, pid in enumerate(ids)}
    vals = []
    for g in groups:
        idx = [pos[p] for p in g if p in pos]
        sub = dist[np.ix_(idx, idx)]
        vals.extend(sub[np.triu_indices(len(idx), 1)].tolist())
    finite = [v for v in vals if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")
