"""Official metric definitions on hand-computed cases and against independent re-statements."""

import itertools
import random

import numpy as np
import pytest
import torch

from pkg_grounding.data.didemo import MOMENTS
from pkg_grounding.decode import charades_candidates, didemo_ranking, segment_scores
from pkg_grounding.metrics.charades import detection_ap, evaluate_charades, moment_detr_metrics, recall_at_iou
from pkg_grounding.metrics.didemo import chunk_iou, evaluate_didemo, frequency_prior
from pkg_shared.errors import PkgError

# ---------------------------------------------------------------- DiDeMo (MCN utils/eval.py)


def _official_didemo(segments, data):
    """Independent restatement of LocalizingMoments utils/eval.py (Python 3)."""
    def iou(pred, gt):
        inter = max(0, min(pred[1], gt[1]) + 1 - max(pred[0], gt[0]))
        union = max(pred[1], gt[1]) + 1 - min(pred[0], gt[0])
        return float(inter) / union

    ranks_all, ious_all = [], []
    for s, times in zip(segments, data):
        ious = sorted(iou(s[0], t) for t in times)
        ious_all.append(sum(ious[-3:]) / len(ious[-3:]))
        ranks = sorted(s.index(tuple(t)) + 1 for t in times)
        ranks_all.append(sum(ranks[:3]) / len(ranks[:3]))
    n = len(ranks_all)
    return sum(r <= 1 for r in ranks_all) / n, sum(r <= 5 for r in ranks_all) / n, sum(ious_all) / n


def test_didemo_hand_cases():
    assert chunk_iou((1, 1), (1, 2)) == 0.5  # inclusive ends
    assert chunk_iou((0, 0), (2, 3)) == 0.0
    ranked = [(1, 2)] + [m for m in MOMENTS if m != (1, 2)]
    three_of_four = [(1, 2), (1, 2), (1, 2), (0, 0)]
    two_of_four = [(1, 2), (1, 2), (0, 0), (3, 3)]
    res = evaluate_didemo([ranked, ranked], [three_of_four, two_of_four])
    # query 1: ranks 1,1,1 -> 1 (hit); query 2: ranks 1,1,rank(0,0)=2 -> 4/3 (miss at 1, hit at 5)
    assert res["Rank@1"] == 0.5 and res["Rank@5"] == 1.0
    # IoU terms: q1 mean(1,1,1)=1; q2 best three of (1,1,0,0) = (0,1,1) -> 2/3
    assert res["mIoU"] == pytest.approx((1 + 2 / 3) / 2)


def test_didemo_matches_official_on_random_rankings():
    rng = random.Random(0)
    segments, data = [], []
    for _ in range(300):
        ranked = list(MOMENTS)
        rng.shuffle(ranked)
        n = rng.choice([4, 4, 5, 7])
        base = rng.choice(MOMENTS)
        times = [base if rng.random() < 0.5 else rng.choice(MOMENTS) for _ in range(n)]
        segments.append(ranked)
        data.append(times)
    ours = evaluate_didemo(segments, data)
    r1, r5, miou = _official_didemo(segments, data)
    assert abs(ours["Rank@1"] - r1) < 1e-12 and abs(ours["Rank@5"] - r5) < 1e-12 and abs(ours["mIoU"] - miou) < 1e-12


def test_didemo_requires_every_gt_moment():
    with pytest.raises(PkgError, match="lacks"):
        evaluate_didemo([[(0, 0)]], [[(1, 1), (1, 1), (1, 1)]])


def test_frequency_prior_order():
    prior = frequency_prior([[(2, 2), (2, 2)], [(0, 1)], [(2, 2)]])
    assert prior[0] == (2, 2) and prior[1] == (0, 1) and prior[2] == (0, 0) and len(prior) == 21


# ---------------------------------------------------------------- Charades-STA conventions


def test_strict_vs_inclusive_threshold():
    gt = np.array([[0.0, 10.0]])
    pred = [np.array([[0.0, 5.0, 1.0]])]  # IoU exactly 0.5
    assert recall_at_iou(pred, gt, compare="ge")["R@1,IoU=0.5"] == 1.0
    assert recall_at_iou(pred, gt, compare="gt")["R@1,IoU=0.5"] == 0.0


def test_nms_keeps_higher_score_and_changes_r5():
    gt = np.array([[20.0, 30.0]])
    pred = [np.array([[0.0, 10.0, 0.9], [0.5, 10.0, 0.8], [1.0, 10.0, 0.7], [1.5, 10.0, 0.6],
                      [2.0, 10.0, 0.5], [20.0, 30.0, 0.4]])]
    with_nms = recall_at_iou(pred, gt, nms=0.5)
    without = recall_at_iou(pred, gt, nms=None)
    assert with_nms["R@5,IoU=0.7"] == 1.0 and without["R@5,IoU=0.7"] == 0.0  # the 5 near-duplicates collapse
    assert with_nms["R@1,IoU=0.3"] == without["R@1,IoU=0.3"] == 0.0


def test_tall_nms_threshold_follows_iou_level():
    gt = np.array([[0.0, 10.0]])
    # A=[10,20] and B=[14,24] overlap with IoU 6/14 = 0.43; C=[0,10] is the ground truth.
    pred = [np.array([[10.0, 20.0, 0.9], [14.0, 24.0, 0.8], [0.0, 10.0, 0.7]])]
    tall = recall_at_iou(pred, gt, nms="tall", ns=(2,), ms=(0.3, 0.5))
    # m=0.3: NMS at 0.25 drops B -> top-2 = A, C -> hit; m=0.5: NMS at 0.45 keeps B -> top-2 = A, B -> miss
    assert tall["R@2,IoU=0.3"] == 1.0 and tall["R@2,IoU=0.5"] == 0.0
    fixed = recall_at_iou(pred, gt, nms=0.5, ns=(2,), ms=(0.3,))
    assert fixed["R@2,IoU=0.3"] == 0.0


def test_miou_top1_vs_top3of5():
    gt = np.array([[0.0, 10.0]])
    pred = [np.array([[0.0, 5.0, 0.9], [20.0, 30.0, 0.8], [0.0, 10.0, 0.7], [40.0, 50.0, 0.6], [0.0, 8.0, 0.5]])]
    assert recall_at_iou(pred, gt, nms=None, miou="top1")["mIoU"] == pytest.approx(0.5)
    assert recall_at_iou(pred, gt, nms=None, miou="top3of5")["mIoU"] == pytest.approx((0.5 + 1.0 + 0.8) / 3)


def test_tall_unclamped_iou_only_moves_miou():
    gt = np.array([[0.0, 10.0]])
    pred = [np.array([[20.0, 30.0, 0.9]])]  # disjoint: TALL IoU = (10 - 20) / 30 = -1/3
    res = evaluate_charades(pred, gt, ("ours", "tall"))
    assert res["ours"]["mIoU"] == 0.0 and res["tall"]["mIoU"] == pytest.approx(-1 / 3)
    assert res["tall"]["R@1,IoU=0.3"] == 0.0 and "convention" in res["tall"]


def test_detection_ap_hand_case():
    gts = np.array([[0.0, 10.0], [20.0, 30.0]])
    preds = np.array([[0.0, 10.0, 0.9], [40.0, 50.0, 0.8], [20.0, 30.0, 0.7]])
    # ranks: TP, FP, TP -> precision 1, 1/2, 2/3; recall 1/2, 1/2, 1 -> envelope AP = 0.5*1 + 0.5*2/3
    assert detection_ap(preds, gts, [0.5])[0] == pytest.approx(0.5 + 1 / 3)
    res = moment_detr_metrics([preds], [gts])
    assert res["R1@0.5"] == 1.0
    one = np.array([[20.0, 30.0]])  # single GT: TP at rank 3 -> AP = 1/3 at every threshold
    assert detection_ap(preds, one, [0.5, 0.95]).tolist() == pytest.approx([1 / 3, 1 / 3])
    two_identical = np.array([[20.0, 30.0], [100.0, 101.0]])  # general path, second GT never matched
    assert detection_ap(preds, two_identical, [0.5])[0] == pytest.approx(0.5 * (1 / 3))


# ---------------------------------------------------------------- decoding (spec 2.3)


def _brute_scores(logits, lam_in=1.0, lam_out=1.0):
    s, e, m = logits[:, 0], logits[:, 1], logits[:, 2]
    lps, lpe = torch.log_softmax(s, 0), torch.log_softmax(e, 0)
    lq, lnq = torch.nn.functional.logsigmoid(m), torch.nn.functional.logsigmoid(-m)
    t = len(s)
    out = torch.full((t, t), float("-inf"))
    for i, j in itertools.product(range(t), range(t)):
        if i <= j:
            inside = lq[i : j + 1].mean()
            rest = torch.cat([lnq[:i], lnq[j + 1 :]])
            out[i, j] = lps[i] + lpe[j] + lam_in * inside + lam_out * (rest.mean() if len(rest) else 0.0)
    return out


def test_segment_scores_match_brute_force():
    torch.manual_seed(0)
    logits = torch.randn(1, 9, 3)
    ours = segment_scores(logits, torch.ones(1, 9), 0.7, 1.3)[0]
    ref = _brute_scores(logits[0], 0.7, 1.3)
    fin = torch.isfinite(ref)
    assert torch.equal(fin, torch.isfinite(ours))
    torch.testing.assert_close(ours[fin], ref[fin], atol=1e-5, rtol=1e-5)


def test_one_hot_logits_decode_to_that_segment():
    t = 16
    logits = torch.full((1, t, 3), -8.0)
    logits[0, 5, 0] = logits[0, 9, 1] = 8.0
    logits[0, 5:10, 2] = 8.0
    scores = segment_scores(logits, torch.ones(1, t))[0].numpy()
    top = charades_candidates(scores, duration=32.0, top=3)
    assert top[0, :2].tolist() == [10.0, 20.0]


def test_didemo_ranking_has_all_21_once_and_masks_missing_chunks():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(6, 6))
    ranked = didemo_ranking(scores, num_segments=5, k=1)
    assert sorted(ranked) == sorted(MOMENTS)
    assert all(b == 5 for _, b in ranked[-6:])  # the six moments reaching chunk 5 go last, in MCN order
    assert ranked[-6:] == [m for m in MOMENTS if m[1] == 5]
    ties = didemo_ranking(np.zeros((6, 6)), 6, 1)
    assert ties == list(MOMENTS)  # stable: MCN order breaks ties


# ---------------------------------------------------------------- ASST loss (spec 3)


def test_asst_loss_against_torch_reference():
    from pkg_grounding.losses import asst_loss

    torch.manual_seed(0)
    logits = torch.randn(2, 8, 3)
    mask = torch.ones(2, 8)
    mask[1, 6:] = 0
    target = torch.tensor([[1, 3], [2, 5]])
    out = asst_loss(logits, mask, target, beta=0.5)
    f = torch.nn.functional
    se = []
    for b in range(2):
        n = int(mask[b].sum())
        se.append(f.cross_entropy(logits[b, :n, 0][None], target[b, :1]) + f.cross_entropy(logits[b, :n, 1][None], target[b, 1:]))
    ins = []
    for b in range(2):
        n = int(mask[b].sum())
        y = torch.zeros(n)
        y[target[b, 0] : target[b, 1] + 1] = 1
        pw = torch.clamp((n - y.sum()) / y.sum(), 1.0, 10.0)
        w = torch.where(y > 0, pw, torch.ones(n))
        ins.append((f.binary_cross_entropy_with_logits(logits[b, :n, 2], y, reduction="none") * w).sum() / n)
    ref = torch.stack(se).mean() + 0.5 * torch.stack(ins).mean()
    torch.testing.assert_close(out["loss"], ref)
    # a vanishing Gaussian width is the hard target again
    sharp = asst_loss(logits, mask, target, beta=0.5, boundary_sigma=1e-3)
    torch.testing.assert_close(sharp["loss"], ref)
    smooth = asst_loss(logits, mask, target, beta=0.5, boundary_sigma=1.0)
    assert not torch.allclose(smooth["loss"], ref)
