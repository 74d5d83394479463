"""QVHighlights / moment_detr jsonl: reader on good and corrupted files, and the moment_detr evaluation
against an independent restatement of ``standalone_eval/eval.py`` (moment retrieval and highlights)."""

import json

import numpy as np
import pytest

from pkg_grounding.config import DataConfig
from pkg_grounding.data.dataset import read_split
from pkg_grounding.data.fake import write_fake_qvhighlights
from pkg_grounding.data.qvhighlights import clip_ids_of, read_qvhighlights, to_jsonl_record
from pkg_grounding.metrics.charades import binary_ap, highlight_metrics, moment_detr_metrics, recall_at_iou
from pkg_shared.errors import DataFormatError

GOOD = {"qid": 8737, "query": "A family is playing basketball together.", "duration": 126,
        "vid": "bP5KfdFJzC4_660.0_810.0", "relevant_windows": [[0, 16]],
        "relevant_clip_ids": [0, 1, 2, 3, 4, 5, 6, 7],
        "saliency_scores": [[4, 1, 1], [4, 1, 1], [4, 2, 1], [4, 3, 2], [4, 3, 2], [4, 3, 3], [4, 3, 3], [4, 3, 2]]}


def _write(path, recs):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in recs))
    return path


def test_reader_official_example_and_test_split(tmp_path):
    test_rec = {k: GOOD[k] for k in ("qid", "query", "duration", "vid")}
    (q,) = read_qvhighlights(_write(tmp_path / "a.jsonl", [GOOD]))
    assert q.qid == "8737" and q.gt == ((0.0, 16.0),) and q.duration == 126.0
    assert q.clip_ids == tuple(range(8)) and q.saliency[3] == (4, 3, 2)
    (t,) = read_qvhighlights(_write(tmp_path / "t.jsonl", [test_rec]))
    assert t.gt == () and t.saliency == ()
    assert clip_ids_of([(26.0, 36.0)], 150) == [13, 14, 15, 16, 17]  # moment_detr's docstring example
    assert to_jsonl_record(q) == {**GOOD, "duration": 126.0, "qid": 8737,
                                  "relevant_windows": [[0.0, 16.0]]}


@pytest.mark.parametrize("change,problem", [
    ({"duration": -3}, "duration must be a positive number"),
    ({"relevant_windows": [[10, 4]]}, "bad window"),
    ({"relevant_windows": [[130, 140]]}, "starts at or after the end"),
    ({"saliency_scores": [[1, 2, 3]]}, "1 saliency rows for 8 relevant_clip_ids"),
    ({"query": ""}, "query must be a non-empty string"),
    ({"relevant_clip_ids": [-1]}, "non-negative integers"),
])
def test_reader_corrupted_records_name_file_and_line(tmp_path, change, problem):
    path = _write(tmp_path / "bad.jsonl", [GOOD, {**GOOD, "qid": 2, **change}])
    with pytest.raises(DataFormatError) as e:
        read_qvhighlights(path)
    assert str(e.value).startswith(f"{path}:2:") and problem in str(e.value)


def test_reader_bad_json_missing_key_duplicate_qid(tmp_path):
    with pytest.raises(DataFormatError, match=r"bad.jsonl:2: invalid JSON"):
        read_qvhighlights(_write(tmp_path / "bad.jsonl", [GOOD, '{"qid": 3,']))
    rec = dict(GOOD)
    del rec["vid"]
    with pytest.raises(DataFormatError, match=r"m.jsonl:1: .*missing key 'vid'"):
        read_qvhighlights(_write(tmp_path / "m.jsonl", [rec]))
    with pytest.raises(DataFormatError, match="appears more than once"):
        read_qvhighlights(_write(tmp_path / "d.jsonl", [GOOD, GOOD]))
    with pytest.raises(DataFormatError, match="not found"):
        read_qvhighlights(tmp_path / "none.jsonl")


def test_fake_set_reads_through_the_data_config(tmp_path):
    write_fake_qvhighlights(tmp_path, videos=8)
    cfg = DataConfig(dataset="qvhighlights", root=str(tmp_path))
    train, rep = read_split(cfg, "train")
    test, _ = read_split(cfg, "test")
    assert rep.queries == len(train) > 0 and all(q.gt and q.saliency for q in train)
    assert test and all(not q.gt for q in test)
    assert all(w[0] % 2 == 0 and w[1] % 2 == 0 for q in train for w in q.gt)  # the 2-s clip grid


# ------------------------------------------------ independent restatement of moment_detr standalone_eval


def _off_iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def _off_ap_detection(gts, preds, thds):
    """ActivityNet compute_average_precision_detection for one query, written from its description."""
    preds = sorted(preds, key=lambda x: -x[2])
    ap = []
    for thd in thds:
        lock = [False] * len(gts)
        tp = []
        for p in preds:
            ious = [_off_iou(p, g) for g in gts]
            hit = 0
            for j in sorted(range(len(gts)), key=lambda j: ious[j], reverse=True):
                if ious[j] < thd:
                    break
                if lock[j]:
                    continue
                lock[j], hit = True, 1
                break
            tp.append(hit)
        ctp = np.cumsum(tp)
        prec, rec = ctp / np.arange(1, len(tp) + 1), ctp / len(gts)
        mp, mr = np.r_[0, prec, 0], np.r_[0, rec, 1]
        for i in range(len(mp) - 2, -1, -1):
            mp[i] = max(mp[i], mp[i + 1])
        idx = np.where(mr[1:] != mr[:-1])[0] + 1
        ap.append(float(np.sum((mr[idx] - mr[idx - 1]) * mp[idx])))
    return ap


def _off_moment_retrieval(sub, gt):
    thds = [round(x, 2) for x in np.linspace(0.5, 0.95, 10)]
    out = {}
    for name, (lo, hi) in {"short": (0, 10), "middle": (10, 30), "long": (30, 150), "full": (0, 150)}.items():
        s, g = [], []
        for p, w in zip(sub, gt):
            keep = w if name == "full" else [x for x in w if lo < x[1] - x[0] <= hi]
            if keep:
                s.append(p)
                g.append(keep)
        if not g:
            continue
        aps = np.array([_off_ap_detection(w, p[:10], thds) for p, w in zip(s, g)]).mean(0)
        r1 = [max(_off_iou(p[0], x) for x in w) for p, w in zip(s, g)]
        out[name] = {"mAP": float(np.mean(aps)), "mAP@0.5": float(aps[0]), "mAP@0.75": float(aps[5]),
                     "R1@0.5": float(np.mean(np.array(r1) >= 0.5)), "R1@0.7": float(np.mean(np.array(r1) >= 0.7))}
    return out


def test_moment_detr_matches_restatement_on_random_submissions():
    rng = np.random.default_rng(0)
    sub, gt = [], []
    for _ in range(60):
        dur = 150.0
        w = []
        for _ in range(int(rng.integers(1, 4))):
            s = float(rng.integers(0, 70) * 2)
            w.append([s, min(dur, s + float(rng.choice([2, 4, 8, 12, 20, 40, 60])))])
        p = []
        for _ in range(int(rng.integers(1, 14))):
            s = float(rng.uniform(0, 140))
            p.append([s, min(dur, s + float(rng.uniform(1, 50))), float(rng.choice([0.1, 0.5, 0.9, rng.random()]))])
        sub.append(p)
        gt.append(w)
    ours = moment_detr_metrics([np.array(p) for p in sub], [np.array(w) for w in gt])
    ref = _off_moment_retrieval(sub, gt)
    for k in ("mAP", "mAP@0.5", "mAP@0.75", "R1@0.5", "R1@0.7"):
        assert ours[k] == pytest.approx(ref["full"][k], abs=1e-12), k
    for name in ("short", "middle", "long"):
        assert ours[f"mAP_{name}"] == pytest.approx(ref[name]["mAP"], abs=1e-12), name


def test_multi_window_recall_uses_the_best_matching_window():
    pred = [np.array([[20.0, 30.0, 0.9]])]
    two = [np.array([[0.0, 10.0], [20.0, 30.0]])]
    assert recall_at_iou(pred, two)["R@1,IoU=0.7"] == 1.0
    assert recall_at_iou(pred, [np.array([[0.0, 10.0]])])["R@1,IoU=0.3"] == 0.0


def _sk_get_ap(y_true, y_pred):
    """moment_detr get_ap with sklearn's precision_recall_curve (the original's dependency)."""
    from sklearn.metrics import precision_recall_curve

    if len(set(y_true)) == 1:
        return float(y_true[0] != 0)
    precision, recall, _ = precision_recall_curve(y_true, y_pred)
    recall = recall.astype(np.float32)
    for i in range(1, len(precision)):
        precision[i] = max(precision[i - 1], precision[i])
    return float(np.mean(precision[np.where(np.diff(recall))]))


def test_binary_ap_hand_case_and_sklearn():
    # ranking 1, 0, 1 -> precision at recall steps 1 and 2/3 -> (1 + 2/3) / 2
    assert binary_ap(np.array([1, 0, 1]), np.array([0.9, 0.8, 0.7])) == pytest.approx(5 / 6)
    assert binary_ap(np.zeros(4), np.arange(4)) == 0.0 and binary_ap(np.ones(3), np.arange(3)) == 1.0
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(2, 30))
        y = (rng.random(n) < 0.4).astype(float)
        s = rng.choice([0.0, 0.25, 0.5, 1.0], n) if rng.random() < 0.5 else rng.random(n)  # with ties
        assert binary_ap(y, s) == pytest.approx(_sk_get_ap(y, s), abs=1e-12)


def test_highlight_hit1_hand_case():
    # 4 clips; clip 2 relevant with scores (4, 1, 2); the prediction's top clip is 2
    res = highlight_metrics([[0.1, 0.2, 0.9, 0.3]], [8.0], [[2]], [[[4, 1, 2]]])
    assert res["HL-min-VeryGood"]["HL-Hit1"] == 1.0 and res["HL-min-Fair"]["HL-Hit1"] == 1.0
    # annotator 1 (score 4) ranks the positive first -> AP 1; annotator 2 has no positive at >= 2 -> 0
    assert res["HL-min-Fair"]["HL-mAP"] == pytest.approx((1 + 0 + 1) / 3)
    miss = highlight_metrics([[0.9, 0.2, 0.1, 0.3]], [8.0], [[2]], [[[4, 1, 2]]])
    assert miss["HL-min-Fair"]["HL-Hit1"] == 0.0


def test_qvhighlights_train_eval_chain_with_saliency_and_unlabelled_test(tmp_path, capsys):
    from pkg_grounding.cli import eval as eval_cli
    from pkg_grounding.cli import score as score_cli
    from pkg_grounding.cli import train as train_cli

    write_fake_qvhighlights(tmp_path / "d", videos=8, dim=8, clip_dim=4)
    assert train_cli.main(["--config", "asst_qvhighlights", "--set", f"data.root={tmp_path / 'd'}",
                           "--set", "data.features=features/slowfast_features",
                           "--set", "data.flow_features=features/clip_features", "--set", "data.glove=",
                           "--set", "model.hidden=8", "--set", "model.word_dim=8", "--set", "model.freeze_embeddings=false",
                           "--set", "data.num_steps=16", "--set", "train.epochs=1", "--set", "train.batch_size=8",
                           "--out", str(tmp_path / "run")]) == 0
    ck = str(tmp_path / "run" / "last.pt")
    assert eval_cli.main(["--checkpoint", ck, "--split", "val", "--dump", str(tmp_path / "val.jsonl")]) == 0
    assert eval_cli.main(["--checkpoint", ck, "--split", "val", "--out", str(tmp_path / "m.json")]) == 0
    res = json.loads((tmp_path / "m.json").read_text())
    hl = res["metrics"]["moment_detr"]["highlight"]["HL-min-VeryGood"]
    assert 0.0 <= hl["HL-mAP"] <= 1.0 and 0.0 <= hl["HL-Hit1"] <= 1.0
    line = json.loads((tmp_path / "val.jsonl").read_text().splitlines()[0])
    assert isinstance(line["qid"], int) and len(line["pred_saliency_scores"]) == int(line["duration"] / 2)
    # the submission field is NMS'd at the recipe's eval.moment_detr_nms (0.7): at most 10, all from the raw list
    assert 0 < len(line["pred_relevant_windows"]) <= 10
    assert all(w in line["pred_windows"] for w in line["pred_relevant_windows"])
    # scoring the dump again gives the same numbers (moment_detr protocol, saliency included)
    assert score_cli.main(["--preds", str(tmp_path / "val.jsonl"), "--dataset", "qvhighlights",
                           "--root", str(tmp_path / "d"), "--split", "val", "--moment-detr-nms", "0.7",
                           "--out", str(tmp_path / "s.json")]) == 0
    again = json.loads((tmp_path / "s.json").read_text())["metrics"]["moment_detr"]
    assert again["mAP"] == pytest.approx(res["metrics"]["moment_detr"]["mAP"], abs=1e-3)
    assert again["highlight"]["HL-min-Fair"]["HL-mAP"] == pytest.approx(
        res["metrics"]["moment_detr"]["highlight"]["HL-min-Fair"]["HL-mAP"], abs=1e-3)
    # the official test split has no labels: predictions only
    assert eval_cli.main(["--checkpoint", ck, "--split", "test", "--dump", str(tmp_path / "test.jsonl"),
                          "--out", str(tmp_path / "t.json")]) == 0
    assert json.loads((tmp_path / "t.json").read_text())["metrics"] is None
    assert len((tmp_path / "test.jsonl").read_text().splitlines()) == 4


def test_score_cli_nms_none_and_gt_file_in_moment_detr_layout(tmp_path, capsys):
    from pkg_grounding.cli import data as data_cli
    from pkg_grounding.cli import score as score_cli
    from pkg_grounding.data.charades_sta import read_charades_sta, read_durations

    data_cli.main(["make-fake", "--out", str(tmp_path / "d"), "--videos", "6"])
    data_cli.main(["convert", "--dataset", "charades_sta", "--root", str(tmp_path / "d"), "--split", "test",
                   "--out", str(tmp_path / "gt.jsonl")])
    durs = read_durations(tmp_path / "d" / "Charades_v1_test.csv")
    queries = read_charades_sta(tmp_path / "d" / "charades_sta_test.txt", durs)
    lines = []
    for q in queries:
        (s, e), far = q.gt[0], (q.gt[0][1] + 100.0, q.gt[0][1] + 110.0)
        dups = [[far[0] + 0.1 * i, far[1] + 0.1 * i, 0.9 - 0.1 * i] for i in range(5)]  # near-duplicates
        lines.append(json.dumps({"qid": q.qid, "pred_windows": dups + [[s, e, 0.3]]}))
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n")
    common = ["--preds", str(tmp_path / "p.jsonl"), "--protocol", "ours"]

    def r5(extra):
        out = tmp_path / "o.json"
        assert score_cli.main(common + extra + ["--out", str(out)]) == 0
        return json.loads(out.read_text())["metrics"]["ours"]

    root = ["--dataset", "charades_sta", "--root", str(tmp_path / "d")]
    assert r5(root)["R@5,IoU=0.5"] == 1.0  # NMS 0.5 removes the duplicates, the GT window enters the top 5
    none = r5(root + ["--nms", "none"])
    assert none["R@5,IoU=0.5"] == 0.0 and "NMS none" in none["convention"]
    assert r5(["--gt", str(tmp_path / "gt.jsonl")]) == r5(root)  # the converted file scores the same
    capsys.readouterr()
    assert score_cli.main(common + root + ["--nms", "big"]) == 2
    assert "--nms 'big'" in capsys.readouterr().err


def test_moment_detr_nms_option_hand_case():
    from pkg_grounding.metrics.charades import evaluate_charades

    gt = [np.array([[0.0, 10.0]])]
    preds = [np.array([[20.0, 30.0, 0.9], [20.5, 30.5, 0.8], [0.0, 10.0, 0.7]])]
    raw = evaluate_charades(preds, gt, ("moment_detr",))["moment_detr"]
    nms = evaluate_charades(preds, gt, ("moment_detr",), moment_detr_nms=0.5)["moment_detr"]
    assert raw["mAP"] == pytest.approx(1 / 3) and nms["mAP"] == pytest.approx(1 / 2)  # TP at rank 3 vs 2
    assert "no NMS" in raw["convention"] and "NMS 0.5 then" in nms["convention"]
