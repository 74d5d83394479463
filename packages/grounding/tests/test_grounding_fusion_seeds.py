"""Late fusion of separately trained models, and mean +/- std over seeds."""

import json

import numpy as np
import pytest
import torch

from pkg_grounding.cli import eval as eval_cli
from pkg_grounding.cli import score as score_cli
from pkg_grounding.config import DataConfig, GroundingConfig, ModelConfig, TrainConfig
from pkg_grounding.data.dataset import Features, read_split
from pkg_grounding.data.fake import write_fake_charades, write_fake_didemo
from pkg_grounding.data.vocab import Vocab
from pkg_grounding.engine.evaluate import Scorer, predict, predict_fused
from pkg_grounding.engine.seeds import aggregate
from pkg_grounding.engine.train import train
from pkg_grounding.models import build_model

CPU = torch.device("cpu")


def _scorer(cfg, seed, weight):
    feats = Features(cfg.data)
    queries, _ = read_split(cfg.data, "test")
    vocab = Vocab.build(q.sentence for q in queries)
    torch.manual_seed(seed)
    mcfg = ModelConfig(hidden=8, word_dim=8, levels=2, video_dim=feats.dim(), vocab_size=len(vocab))
    return Scorer(build_model(mcfg).eval(), feats, vocab, GroundingConfig(model=mcfg, data=cfg.data), weight), queries


def test_didemo_late_fusion_is_the_weighted_sum_of_moment_scores(tmp_path):
    write_fake_didemo(tmp_path, videos=8)
    rgb = DataConfig(dataset="didemo", root=str(tmp_path), features="average_fc7.h5", steps_per_chunk=1)
    flow = DataConfig(dataset="didemo", root=str(tmp_path), features="average_global_flow.h5", steps_per_chunk=1)
    a, queries = _scorer(GroundingConfig(data=rgb), 0, 0.7)
    b, _ = _scorer(GroundingConfig(data=flow), 1, 0.3)
    fused = predict_fused([a, b], queries, CPU)
    one = [predict(s.model, queries, s.feats, s.vocab, s.cfg, CPU) for s in (a, b)]
    for qi, q in enumerate(queries):
        tables = [{tuple(m): w[2] for m, w in zip(p[qi]["pred_moments"], p[qi]["pred_windows"])} for p in one]
        # expected ranking: 0.7 * a + 0.3 * b, moments past the video last, ties in MCN order (stable sort)
        from pkg_grounding.data.didemo import MOMENTS

        vals = [0.7 * tables[0][m] + 0.3 * tables[1][m] if m[1] < q.num_segments else -np.inf for m in MOMENTS]
        want = [list(MOMENTS[i]) for i in np.argsort(-np.array(vals), kind="stable")]
        assert fused[qi]["pred_moments"] == want
        assert len(fused[qi]["pred_moments"]) == 21


def test_charades_late_fusion_top_window_is_the_weighted_argmax(tmp_path):
    write_fake_charades(tmp_path, videos=6, dim=8)
    cfg = GroundingConfig(data=DataConfig(root=str(tmp_path), features="vgg_rgb_features.hdf5", num_steps=8))
    a, queries = _scorer(cfg, 0, 0.5)
    b, _ = _scorer(cfg, 1, 0.5)
    all_windows = 8 * 9 // 2
    fused = predict_fused([a, b], queries, CPU, candidates=all_windows)
    one = [predict(s.model, queries, s.feats, s.vocab, s.cfg, CPU, candidates=all_windows) for s in (a, b)]
    for qi in range(len(queries)):
        tabs = [{(round(w[0], 3), round(w[1], 3)): w[2] for w in p[qi]["pred_windows"]} for p in one]
        want = max(tabs[0], key=lambda k: 0.5 * tabs[0][k] + 0.5 * tabs[1][k])
        top = fused[qi]["pred_windows"][0]
        assert (round(top[0], 3), round(top[1], 3)) == want
        assert top[2] == pytest.approx(0.5 * tabs[0][want] + 0.5 * tabs[1][want], abs=1e-3)


def test_aggregate_mean_and_sample_std():
    res = aggregate([{"m": {"R@1": 0.25, "convention": "x"}, "n": 3},
                     {"m": {"R@1": 0.5, "convention": "x"}, "n": 3},
                     {"m": {"R@1": 0.75, "convention": "x"}, "n": None}])
    assert res["m"]["R@1"]["mean"] == pytest.approx(0.5)
    assert res["m"]["R@1"]["std"] == pytest.approx(0.25)  # sqrt(((-.25)^2 + 0 + .25^2) / 2)
    assert res["m"]["convention"] == "x" and res["n"]["n"] == 2


def test_eval_cli_fuses_two_checkpoints_and_score_aggregates(tmp_path, capsys):
    write_fake_didemo(tmp_path / "d", videos=8)
    runs = []
    for name, feats in (("rgb", "average_fc7.h5"), ("flow", "average_global_flow.h5")):
        cfg = GroundingConfig(model=ModelConfig(hidden=8, word_dim=8, levels=2),
                              data=DataConfig(dataset="didemo", root=str(tmp_path / "d"), features=feats,
                                              steps_per_chunk=1, val_split="val"),
                              train=TrainConfig(epochs=1, batch_size=16))
        train(cfg, tmp_path / name, CPU)
        runs.append(str(tmp_path / name / "last.pt"))
    outs = []
    for i, w in enumerate(("0.5,0.5", "0.9,0.1")):
        out = tmp_path / f"m{i}.json"
        assert eval_cli.main(["--checkpoint", runs[0], "--checkpoint", runs[1], "--weights", w,
                              "--out", str(out)]) == 0
        res = json.loads(out.read_text())
        assert res["late_fusion"]["weights"] == [float(x) for x in w.split(",")] and "Rank@1" in res["metrics"]["mcn"]
        outs.append(res)
    capsys.readouterr()
    assert eval_cli.main(["--checkpoint", runs[0], "--checkpoint", runs[1], "--weights", "1"]) == 2
    assert "1 values for 2 checkpoints" in capsys.readouterr().err
    assert score_cli.main(["--aggregate", str(tmp_path / "m0.json"), str(tmp_path / "m1.json")]) == 0
    agg = json.loads(capsys.readouterr().out)["metrics"]["mcn"]["mIoU"]
    vals = [o["metrics"]["mcn"]["mIoU"] for o in outs]
    assert agg["mean"] == pytest.approx(np.mean(vals)) and agg["std"] == pytest.approx(np.std(vals, ddof=1))
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert score_cli.main(["--aggregate", str(tmp_path / "bad.json")]) == 2
    assert "bad.json: not a result JSON" in capsys.readouterr().err


def test_train_cli_seeds_writes_mean_std_over_runs(tmp_path, capsys):
    from pkg_grounding.cli import train as train_cli

    write_fake_charades(tmp_path / "d", videos=6, dim=8)
    args = ["--config", "demo", "--set", f"data.root={tmp_path / 'd'}", "--set", "data.features=vgg_rgb_features.hdf5",
            "--set", "train.epochs=1", "--set", "data.num_steps=8", "--seeds", "3,4", "--out", str(tmp_path / "r")]
    assert train_cli.main(args) == 0
    summary = json.loads((tmp_path / "r" / "seeds.json").read_text())
    per = [summary["per_seed"][s]["ours"]["mIoU"] for s in ("3", "4")]
    assert summary["metrics"]["ours"]["mIoU"]["values"] == per
    assert summary["metrics"]["ours"]["mIoU"]["mean"] == pytest.approx(np.mean(per))
    assert (tmp_path / "r" / "seed_3" / "best.pt").is_file() and (tmp_path / "r" / "seed_4" / "test_metrics.json").is_file()
    capsys.readouterr()
    assert train_cli.main(args[:-4] + ["--seeds", "1,x"]) == 2
    assert "expected comma-separated integers" in capsys.readouterr().err
