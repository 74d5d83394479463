"""Global Hard Identity Searching: find, over *all* training identities, the ones that look alike.

1. embed every training image with the current model (eval mode, deterministic preprocessing);
2. identity centres c_i = normalise(mean of normalised embeddings of identity i);
3. identity distance |c_i - c_j| (``center``) or the minimum image-pair distance (``min_pair``);
4. neighbour list H_i = the k nearest other identities.

Only the k nearest identities of each identity are kept, never the N_id x N_id matrix, so the search
scales to any number of identities: the torch path works on blocks of rows (memory O(block x N)),
and for ``center`` with more than ``faiss_min_ids`` identities an exact faiss ``IndexFlatL2`` is used
when faiss-cpu is installed (``pip install './packages/reid[faiss]'`` from the checkout). Both paths give the same lists
(tested); ties at equal distance are ordered by identity index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from pkg_shared.errors import ConfigError, MissingDependencyError
from pkg_shared.logging import progress


@dataclass
class GhisResult:
    ids: list[int]  # training labels; row order of nn_idx / nn_dist / centres
    nn_idx: np.ndarray  # (n_id, k) row indices of the nearest other identities, nearest first
    nn_dist: np.ndarray  # (n_id, k) their distances
    centres: np.ndarray  # (n_id, d) normalised identity centres (for the hardness diagnostics)
    backend: str = "torch"

    @property
    def neighbors(self) -> dict[int, list[int]]:
        return {self.ids[r]: [self.ids[c] for c in row] for r, row in enumerate(self.nn_idx.tolist())}

    def top_pairs(self, n: int = 10) -> list[tuple[int, int, float]]:
        """The n closest identity pairs (exact for n <= k: each is in its members' neighbour lists)."""
        rows = np.repeat(np.arange(len(self.ids)), self.nn_idx.shape[1])
        cols, vals = self.nn_idx.reshape(-1), self.nn_dist.reshape(-1)
        a, b = np.minimum(rows, cols), np.maximum(rows, cols)
        order = np.lexsort((b, a, vals))
        seen: set[tuple[int, int]] = set()
        out = []
        for k in order:
            key = (int(a[k]), int(b[k]))
            if key in seen:
                continue
            seen.add(key)
            out.append((self.ids[key[0]], self.ids[key[1]], float(vals[k])))
            if len(out) == n:
                break
        return out

    def state(self) -> dict[str, torch.Tensor]:
        """Checkpoint entries (plain tensors, ``weights_only``-loadable)."""
        return {"ghis_ids": torch.tensor(self.ids), "ghis_neighbors": torch.tensor(self.nn_idx_labels()),
                "ghis_nn_dist": torch.from_numpy(self.nn_dist.copy()),
                "ghis_centres": torch.from_numpy(self.centres.copy())}

    def nn_idx_labels(self) -> list[list[int]]:
        return [[self.ids[c] for c in row] for row in self.nn_idx.tolist()]

    @classmethod
    def from_state(cls, ck: dict) -> GhisResult | None:
        if ck.get("ghis_ids") is None or ck.get("ghis_centres") is None:
            return None
        ids = [int(v) for v in ck["ghis_ids"].tolist()]
        pos = {pid: i for i, pid in enumerate(ids)}
        nn = np.array([[pos[int(v)] for v in row] for row in ck["ghis_neighbors"].tolist()], dtype=np.int64)
        return cls(ids, nn.reshape(len(ids), -1), ck["ghis_nn_dist"].numpy(), ck["ghis_centres"].numpy())


def identity_centres(emb: torch.Tensor, labels: torch.Tensor) -> tuple[list[int], torch.Tensor, torch.Tensor]:
    """(sorted ids, (n_id, d) float64 normalised centres, per-image identity row)."""
    emb = F.normalize(emb.float(), dim=1).double()
    ids, inv = torch.unique(labels, return_inverse=True)
    sums = torch.zeros(len(ids), emb.shape[1], dtype=torch.float64).index_add_(0, inv, emb)
    return [int(i) for i in ids], F.normalize(sums, dim=1), inv


def _topk_rows(d: torch.Tensor, row0: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k smallest entries of each row of a (b, n) block, self excluded, ties by column index."""
    d = d.clone()
    r = torch.arange(d.shape[0])
    d[r, r + row0] = float("inf")
    vals, idx = torch.topk(d, min(k + 1, d.shape[1]), dim=1, largest=False, sorted=True)
    vals, idx = vals.numpy(), idx.numpy()
    out_i = np.empty((d.shape[0], k), np.int64)
    out_v = np.empty((d.shape[0], k), np.float64)
    for i in range(d.shape[0]):
        order = np.lexsort((idx[i], vals[i]))[:k]
        out_i[i], out_v[i] = idx[i][order], vals[i][order]
    return out_i, out_v


def _torch_center(centres: torch.Tensor, k: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    parts = [_topk_rows(torch.cdist(centres[s: s + block], centres), s, k) for s in range(0, len(centres), block)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _torch_min_pair(emb: torch.Tensor, inv: torch.Tensor, n: int, k: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity distance = min image-pair distance, for blocks of identities (memory O(images_in_block x N))."""
    emb = F.normalize(emb.float(), dim=1).double()
    order = torch.argsort(inv, stable=True)
    emb, inv = emb[order], inv[order]
    starts = torch.searchsorted(inv, torch.arange(n + 1))
    nn_i, nn_v = [], []
    a = 0
    while a < n:
        b = a + 1  # grow the identity block until it holds about ``block`` images
        while b < n and starts[b + 1] - starts[a] <= block:
            b += 1
        rows = torch.cdist(emb[starts[a]: starts[b]], emb)  # (m, N)
        per_img = torch.full((rows.shape[0], n), float("inf"), dtype=torch.float64)
        per_img.scatter_reduce_(1, inv.expand(rows.shape[0], -1), rows, "amin", include_self=True)
        per_id = torch.full((b - a, n), float("inf"), dtype=torch.float64)
        local = (inv[starts[a]: starts[b]] - a)[:, None].expand(-1, n)
        per_id.scatter_reduce_(0, local, per_img, "amin", include_self=True)
        i, v = _topk_rows(per_id, a, k)
        nn_i.append(i)
        nn_v.append(v)
        a = b
    return np.concatenate(nn_i), np.concatenate(nn_v)


def _faiss_center(centres: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependencyError("faiss", "faiss", "pkg-reid") from exc
    x = np.ascontiguousarray(centres.numpy().astype(np.float32))
    index = faiss.IndexFlatL2(x.shape[1])  # exact search; only (n, k) results are held
    index.add(x)
    d2, idx = index.search(x, min(k + 1, len(x)))
    n = len(x)
    out_i = np.empty((n, k), np.int64)
    out_v = np.empty((n, k), np.float64)
    for r in range(n):
        keep = idx[r] != r
        cand_i, cand_v = idx[r][keep], np.sqrt(np.maximum(d2[r][keep].astype(np.float64), 0.0))
        order = np.lexsort((cand_i, cand_v))[:k]
        out_i[r], out_v[r] = cand_i[order], cand_v[order]
    return out_i, out_v


def nearest_identities(emb: torch.Tensor, labels: torch.Tensor, k: int, metric: str = "center",
                       backend: str = "auto", block: int = 1024, faiss_min_ids: int = 20_000) -> GhisResult:
    """The k nearest identities of every identity (see the module docstring for the two backends)."""
    ids, centres, inv = identity_centres(emb, labels)
    n = len(ids)
    if n < 2:
        raise ConfigError("GHIS needs at least two training identities")
    k = max(1, min(k, n - 1))
    if backend not in ("auto", "torch", "faiss"):
        raise ConfigError(f"unknown ghis.backend {backend!r} (auto, torch or faiss)")
    if metric not in ("center", "min_pair"):
        raise ConfigError(f"unknown ghis.metric {metric!r} (center or min_pair)")
    if backend == "faiss" and metric != "center":
        raise ConfigError("ghis.backend=faiss supports ghis.metric=center only (min_pair uses the torch path)")
    use_faiss = backend == "faiss"
    if backend == "auto" and metric == "center" and n > faiss_min_ids:
        try:
            import faiss  # noqa: F401

            use_faiss = True
        except ImportError:
            use_faiss = False  # blocked torch fallback, same result
    if use_faiss:
        nn_i, nn_v = _faiss_center(centres, k)
    elif metric == "center":
        nn_i, nn_v = _torch_center(centres, k, block)
    else:
        nn_i, nn_v = _torch_min_pair(emb, inv, n, k, block)
    return GhisResult(ids, nn_i, nn_v, centres.float().numpy(), "faiss" if use_faiss else "torch")


@torch.no_grad()
def embed(model: torch.nn.Module, dataset, device: torch.device, batch_size: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """Fused embeddings and labels of every item of ``dataset`` (an ImageDataset with eval transform)."""
    was = model.training
    model.eval()
    feats, labels = [], []
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False)
    for x, y, _, _ in progress(loader, desc="GHIS embed", leave=False):
        feats.append(model(x.to(device))["fused"].float().cpu())
        labels.append(y)
    model.train(was)
    return torch.cat(feats), torch.cat(labels)


def search(model, dataset, device, k: int, metric: str = "center", batch_size: int = 128, backend: str = "auto",
           faiss_min_ids: int = 20_000) -> GhisResult:
    emb, labels = embed(model, dataset, device, batch_size)
    return nearest_identities(emb, labels, k, metric, backend, faiss_min_ids=faiss_min_ids)


def batch_hardness(groups: list[list[int]], res: GhisResult) -> float:
    """Mean centre distance between identities of the same group (lower = harder batches)."""
    pos = {pid: i for i, pid in enumerate(res.ids)}
    vals = []
    for g in groups:
        c = res.centres[[pos[p] for p in g if p in pos]].astype(np.float64)
        if len(c) < 2:
            continue
        d = np.sqrt(np.maximum(((c[:, None] - c[None]) ** 2).sum(-1), 0.0))
        vals.extend(d[np.triu_indices(len(c), 1)].tolist())
    return float(np.mean(vals)) if vals else float("nan")
