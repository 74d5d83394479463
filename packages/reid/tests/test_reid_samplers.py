"""P x K samplers (epoch definitions, determinism) and GHIS neighbour search."""

import numpy as np
import pytest
import torch

from pkg_reid.data.samplers import PKSampler
from pkg_reid.ghis.search import batch_hardness, nearest_identities


def _labels(n_ids=10, per_id=5):
    return [i for i in range(n_ids) for _ in range(per_id)]


def _check_pk(batches, labels, P, K):
    labels = np.asarray(labels)
    for b in batches:
        assert len(b) == P * K
        ids = labels[b]
        blocks = ids.reshape(P, K)
        assert (blocks == blocks[:, :1]).all()  # identity-major K-blocks
        assert len(set(blocks[:, 0])) == P


def test_identity_once_epoch_and_determinism():
    labels = _labels(10, 5)
    s = PKSampler(labels, 4, 3, seed=1)
    b = s.batches(0)
    assert len(b) == 3  # ceil(10 / 4)
    _check_pk(b, labels, 4, 3)
    groups = s.id_groups(0)
    first_use = [pid for g in groups[:2] for pid in g] + groups[2][:2]
    assert sorted(first_use) == list(range(10))  # each identity once (last group topped up)
    assert b == PKSampler(labels, 4, 3, seed=1).batches(0)
    assert b != s.batches(1)


def test_all_images_epoch_and_replacement():
    labels = [0] * 8 + [1] * 2 + [2] * 4 + [3] * 4
    s = PKSampler(labels, 2, 4, seed=0, epoch_images="all_images")
    groups = s.id_groups(0)
    uses = {pid: sum(pid in g for g in groups) for pid in range(4)}
    assert uses[0] >= 2 and uses[1] >= 1
    batches = s.batches(0)
    _check_pk(batches, labels, 2, 4)
    idx0 = [i for b in batches for i in b if labels[i] == 0]
    assert len(set(idx0[:8])) == 8  # identity 0's 8 images cycled without replacement
    idx1 = [i for b in batches for i in b if labels[i] == 1]
    assert set(idx1) <= {8, 9}  # 2 images < K: sampled with replacement


def test_ghis_groups_put_true_neighbours_together():
    # 12 identities in 3 well separated clusters of 4; centres known
    rng = np.random.default_rng(0)
    centres = np.repeat(np.eye(3) * 10, 4, axis=0) + rng.normal(0, 0.1, size=(12, 3))
    emb = torch.tensor(np.repeat(centres, 3, axis=0) + rng.normal(0, 0.01, size=(36, 3)), dtype=torch.float32)
    labels = torch.arange(12).repeat_interleave(3)
    res = nearest_identities(emb, labels, 3, "center")
    nb = res.neighbors
    for i in range(12):
        assert set(nb[i]) == {j for j in range(12) if j // 4 == i // 4 and j != i}
    s = PKSampler(labels.tolist(), 4, 2, seed=3)
    for e in range(3):
        groups = s.id_groups(e, nb)
        assert len(groups) == 3
        for g in groups:
            assert len({pid // 4 for pid in g}) == 1
        _check_pk(s.batches(e, nb), labels.tolist(), 4, 2)
        assert batch_hardness(groups, res) < batch_hardness(s.id_groups(e), res)


def test_ghis_hard_fraction_and_pairs_mode():
    labels = [i for i in range(8) for _ in range(2)]
    nb = {i: [i ^ 1] + [j for j in range(8) if j not in (i, i ^ 1)] for i in range(8)}
    s = PKSampler(labels, 4, 2, seed=0)
    for g in s.id_groups(0, nb, mode="pairs"):
        assert sorted(g) in ([a, a ^ 1, b, b ^ 1] for a in range(0, 8, 2) for b in range(0, 8, 2)) or \
            {x ^ 1 for x in g} == set(g)
    half = s.id_groups(0, nb, hard_fraction=0.5)
    assert all(g[1] == g[0] ^ 1 for g in half)


def _brute_lists(d: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    d = d.copy()
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(d, order, axis=1)


def test_min_pair_neighbours_match_brute_force():
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(15, 4, generator=g)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 0])
    e = torch.nn.functional.normalize(emb, dim=1)
    ref = np.array([[torch.cdist(e[labels == a], e[labels == b]).min().item() for b in range(5)] for a in range(5)])
    want_i, want_v = _brute_lists(ref, 3)
    for block in (2, 4, 100):  # identity blocks of ~2 images, ~4 images, everything at once
        res = nearest_identities(emb, labels, 3, "min_pair", "torch", block=block)
        assert np.array_equal(res.nn_idx, want_i)
        assert np.allclose(res.nn_dist, want_v, atol=1e-6)


def _random_ids(n_ids=300, per=3, dim=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_ids, dim, generator=g)
    emb = centres.repeat_interleave(per, 0) + 0.3 * torch.randn(n_ids * per, dim, generator=g)
    return emb, torch.arange(n_ids).repeat_interleave(per)


def test_center_blocked_torch_matches_dense_numpy():
    emb, labels = _random_ids()
    e = emb.double().numpy()
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    c = np.stack([e[labels.numpy() == i].mean(0) for i in range(300)])
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    dense = np.sqrt(np.maximum(((c[:, None] - c[None]) ** 2).sum(-1), 0))
    want_i, want_v = _brute_lists(dense, 7)
    res = nearest_identities(emb, labels, 7, "center", "torch", block=64)
    assert res.backend == "torch" and np.array_equal(res.nn_idx, want_i)
    assert np.allclose(res.nn_dist, want_v, atol=1e-6)
    iu = np.triu_indices(300, 1)
    best = np.argsort(dense[iu], kind="stable")[:5]
    assert [(a, b) for a, b, _ in res.top_pairs(5)] == [(int(iu[0][k]), int(iu[1][k])) for k in best]


def test_faiss_and_torch_paths_agree():
    pytest.importorskip("faiss")
    emb, labels = _random_ids(n_ids=400, seed=1)
    t = nearest_identities(emb, labels, 15, "center", "torch", block=100)
    f = nearest_identities(emb, labels, 15, "center", "faiss")
    assert f.backend == "faiss"
    assert np.array_equal(t.nn_idx, f.nn_idx)
    assert np.allclose(t.nn_dist, f.nn_dist, atol=1e-4)
    auto = nearest_identities(emb, labels, 15, "center", "auto", faiss_min_ids=100)  # 400 ids > 100
    assert auto.backend == "faiss" and np.array_equal(auto.nn_idx, t.nn_idx)
    assert nearest_identities(emb, labels, 15, "center", "auto").backend == "torch"  # below 20k ids


def test_faiss_missing_falls_back_or_names_the_extra(monkeypatch):
    import builtins

    from pkg_shared.errors import ConfigError, MissingDependencyError

    real_import = builtins.__import__

    def no_faiss(name, *a, **kw):
        if name == "faiss":
            raise ImportError("no faiss")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    emb, labels = _random_ids(n_ids=50)
    auto = nearest_identities(emb, labels, 5, "center", "auto", faiss_min_ids=10)
    assert auto.backend == "torch"
    with pytest.raises(MissingDependencyError, match=r"packages/reid\[faiss\]"):
        nearest_identities(emb, labels, 5, "center", "faiss")
    with pytest.raises(ConfigError, match="center only"):
        nearest_identities(emb, labels, 5, "min_pair", "faiss")


def test_ghis_state_round_trip():
    emb, labels = _random_ids(n_ids=20)
    res = nearest_identities(emb + 0, labels * 3 + 1, 4)  # non-contiguous labels
    back = type(res).from_state(res.state())
    assert back.ids == res.ids and back.neighbors == res.neighbors
    assert np.array_equal(back.nn_dist, res.nn_dist) and np.array_equal(back.centres, res.centres)
