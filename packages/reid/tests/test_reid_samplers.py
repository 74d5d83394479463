"""P x K samplers (epoch definitions, determinism) and GHIS neighbour search."""

import numpy as np
import pytest
import torch

from pkg_reid.data.samplers import PKSampler
from pkg_reid.ghis.search import batch_hardness, identity_distances, neighbor_lists


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
    ids, dist = identity_distances(emb, labels, "center")
    nb = neighbor_lists(ids, dist, 3)
    for i in range(12):
        assert set(nb[i]) == {j for j in range(12) if j // 4 == i // 4 and j != i}
    s = PKSampler(labels.tolist(), 4, 2, seed=3)
    for e in range(3):
        groups = s.id_groups(e, nb)
        assert len(groups) == 3
        for g in groups:
            assert len({pid // 4 for pid in g}) == 1
        _check_pk(s.batches(e, nb), labels.tolist(), 4, 2)
        assert batch_hardness(groups, ids, dist) < batch_hardness(s.id_groups(e), ids, dist)


def test_ghis_hard_fraction_and_pairs_mode():
    labels = [i for i in range(8) for _ in range(2)]
    nb = {i: [i ^ 1] + [j for j in range(8) if j not in (i, i ^ 1)] for i in range(8)}
    s = PKSampler(labels, 4, 2, seed=0)
    for g in s.id_groups(0, nb, mode="pairs"):
        assert sorted(g) in ([a, a ^ 1, b, b ^ 1] for a in range(0, 8, 2) for b in range(0, 8, 2)) or \
            {x ^ 1 for x in g} == set(g)
    half = s.id_groups(0, nb, hard_fraction=0.5)
    assert all(g[1] == g[0] ^ 1 for g in half)


def test_min_pair_distance_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(15, 4, generator=g)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 0])
    ids, d = identity_distances(emb, labels, "min_pair", block=4)
    e = torch.nn.functional.normalize(emb, dim=1)
    for a in range(5):
        for b in range(5):
            if a == b:
                assert np.isinf(d[a, b])
                continue
            ref = torch.cdist(e[labels == a], e[labels == b]).min().item()
            assert d[a, b] == pytest.approx(ref, abs=1e-6)
