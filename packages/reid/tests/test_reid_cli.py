"""Console scripts: --help, one-line errors with exit status 2, and real runs on fake data."""

import json

import numpy as np
import pytest

from pkg_reid.cli import data as data_cli
from pkg_reid.cli import eval as eval_cli
from pkg_reid.cli import export as export_cli
from pkg_reid.cli import extract as extract_cli
from pkg_reid.cli import ghis as ghis_cli
from pkg_reid.cli import report as report_cli
from pkg_reid.cli import train as train_cli
from pkg_reid.cli import vis as vis_cli

SCRIPTS = ["reid-demo", "reid-data", "reid-train", "reid-extract", "reid-eval", "reid-vis", "reid-export", "reid-report",
           "reid-ghis"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_shows_an_example(script, capsys):
    import importlib.metadata

    ep = next(e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == script)
    with pytest.raises(SystemExit) as e:
        ep.load()(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "usage:" in out and "Example" in out


def _err(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys, market_root):
    assert eval_cli.main(["--features", str(tmp_path / "missing.npz")]) == 2
    assert "missing.npz: feature file not found" in _err(capsys)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert eval_cli.main(["--features", str(tmp_path / "junk.npz")]) == 2
    assert "junk.npz" in _err(capsys)
    assert data_cli.main(["check", "--dataset", "market1501", "--root", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: dataset root not found" in _err(capsys)
    assert train_cli.main(["--config", "demo_tiny", "--set", "model.depth=3", "--out", str(tmp_path / "r")]) == 2
    assert "unknown config key(s) model.depth" in _err(capsys)
    assert train_cli.main(["--config", "no_such_recipe", "--out", str(tmp_path / "r")]) == 2
    assert "no_such_recipe" in _err(capsys)
    assert train_cli.main(["--config", "demo_tiny", "--set", "litm.margins=[0.2,0.4,0.6]", "--root", str(market_root),
                           "--out", str(tmp_path / "r")]) == 2
    assert "stage_epochs" in _err(capsys)
    assert extract_cli.main(["--run", str(tmp_path / "nope"), "--images", str(tmp_path), "--out", "x.npz"]) == 2
    assert "checkpoint file not found" in _err(capsys)
    assert not (tmp_path / "r" / "last.pt").exists()


def test_data_check_and_make_fake(tmp_path, capsys):
    assert data_cli.main(["make-fake", "--dataset", "market1501", "--out", str(tmp_path / "m"), "--ids", "3"]) == 0
    capsys.readouterr()
    assert data_cli.main(["check", "--dataset", "market1501", "--root", str(tmp_path / "m"), "--json"]) == 0
    out = capsys.readouterr().out
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats["splits"]["train"]["ids"] == 3 and stats["problems"] == []
    q = tmp_path / "m" / "Market-1501-v15.09.15" / "query"
    (q / "bad_name.jpg").write_bytes(b"x")
    assert data_cli.main(["check", "--dataset", "market1501", "--root", str(tmp_path / "m")]) == 1
    assert "bad_name.jpg: file name does not follow" in capsys.readouterr().out
    assert data_cli.main(["make-fake", "--dataset", "dukemtmcreid", "--out", str(tmp_path / "d"), "--ids", "2"]) == 0
    assert data_cli.main(["check", "--dataset", "dukemtmcreid", "--root", str(tmp_path / "d")]) == 0


def test_train_eval_extract_vis_export_report(tmp_path, capsys, market_root, tiny):
    run = tmp_path / "run"
    sets = sum((["--set", o] for o in [*tiny, "litm.stage_epochs=[1,1]"]), [])
    assert train_cli.main(["--config", "demo_tiny", "--root", str(market_root), "--out", str(run), *sets]) == 0
    assert (run / "features.npz").is_file() and (run / "config.yaml").is_file()
    capsys.readouterr()
    assert eval_cli.main(["--run", str(run), "--rerank", "--set", "k1=4", "--set", "k2=2",
                          "--per-query-csv", str(tmp_path / "ap.csv")]) == 0
    res = json.loads(capsys.readouterr().out)
    for part in ("plain", "reranked"):
        assert {"rank1", "rank5", "rank10", "mAP_official", "mAP_non_interpolated", "mINP"} <= set(res[part])
    assert res["plain"]["mAP_convention"] == "official"
    assert res["plain"]["mAP_official"] <= res["plain"]["mAP_non_interpolated"]
    assert len((tmp_path / "ap.csv").read_text().splitlines()) == 1 + res["plain"]["num_queries"]
    assert eval_cli.main(["--features", str(run / "features.npz"), "--out", str(tmp_path / "e.json")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["plain"]["num_queries"] == res["plain"]["num_queries"]
    # good/junk from the fake set's gt_query files give the rule-based numbers; AQE reported beside plain
    capsys.readouterr()
    assert eval_cli.main(["--run", str(run), "--gt-query", str(market_root), "--aqe", "2"]) == 0
    gt = json.loads(capsys.readouterr().out)
    assert gt["good_junk_from"].startswith("gt_query") and gt["plain"]["masks"] == "given"
    assert gt["plain"]["mAP_official"] == res["plain"]["mAP_official"]
    assert gt["query_expansion_params"]["k"] == 2 and "mAP_official" in gt["query_expansion"]
    assert eval_cli.main(["--run", str(run), "--aqe", "0"]) == 2
    assert "--aqe must be >= 1" in _err(capsys)
    # own crops
    assert extract_cli.main(["--run", str(run), "--images", str(market_root / "query"), "--out",
                             str(tmp_path / "own.npz")]) == 0
    own = np.load(tmp_path / "own.npz")
    f = np.load(run / "features.npz")
    assert own["features"].shape == f["qf"].shape
    assert np.allclose(own["features"], f["qf"], atol=1e-5)  # same images, same model, same order
    assert vis_cli.main(["rank", "--features", str(run / "features.npz"), "--out", str(tmp_path / "r.png"),
                         "--topk", "4"]) == 0
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert vis_cli.main(["pairs", "--run", str(run), "--out", str(tmp_path / "p.png"), "--csv",
                         str(tmp_path / "p.csv"), "--top", "3"]) == 0
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 4
    # reid-ghis inspect: more pairs than the neighbour lists hold are recomputed from the stored centres
    assert ghis_cli.main(["inspect", "--run", str(run), "--top", "6", "--out", str(tmp_path / "g")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = (tmp_path / "g" / "hard_pairs.csv").read_text().splitlines()[1:]
    assert summary["identities"] == 6 and summary["neighbours_per_identity"] == 2 and len(rows) == 6
    dists = [float(r.split(",")[2]) for r in rows]
    assert dists == sorted(dists) and (tmp_path / "g" / "hard_pairs.png").read_bytes()[:4] == b"\x89PNG"
    import torch

    c = load_checkpoint_centres(run)
    brute = sorted(float(torch.dist(c[i], c[j])) for i in range(6) for j in range(i + 1, 6))[:6]
    assert np.allclose(dists, brute, atol=1e-5)
    assert ghis_cli.main(["inspect", "--run", str(run), "--top", "0", "--out", str(tmp_path / "g")]) == 2
    assert "--top must be >= 1" in _err(capsys)
    assert export_cli.main(["--run", str(run), "--format", "torchscript", "onnx", "--out", str(tmp_path / "x")]) == 0
    exported = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [e["format"] for e in exported] == ["torchscript", "onnx"]
    assert all(e["max_abs_diff"] < 1e-4 for e in exported)
    assert report_cli.main(["--runs", str(run), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("run,rank1") and lines[1].startswith("run,")


def test_cuhk03_check_and_classic_eval(tmp_path, capsys, cuhk_root):
    assert data_cli.main(["check", "--dataset", "cuhk03", "--root", str(cuhk_root), "--cuhk03-protocol", "classic",
                          "--split", "1", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert stats["dataset"] == "cuhk03_labeled_classic" and stats["splits"]["query"]["cameras"] == 1
    assert data_cli.main(["check", "--dataset", "cuhk03", "--root", str(cuhk_root), "--split", "25",
                          "--cuhk03-protocol", "classic"]) == 2
    assert "classic split 25" in capsys.readouterr().err
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "f.npz", qf=rng.normal(size=(4, 8)), gf=rng.normal(size=(8, 8)), q_pids=[1, 2, 3, 4],
             q_camids=[1, 1, 1, 1], g_pids=[1, 1, 2, 2, 3, 3, 4, 4], g_camids=[2] * 8)
    assert eval_cli.main(["--features", str(tmp_path / "f.npz"), "--protocol", "cuhk03_classic"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["plain"]["protocol"] == "cuhk03_classic_single_gallery_shot" and res["plain"]["repeats"] == 10


def test_flip_averaging_is_flip_invariant(market_root, tiny):
    import torch

    from pkg_reid.config import load
    from pkg_reid.data.common import Sample
    from pkg_reid.data.dataset import load_splits
    from pkg_reid.engine.extract import extract
    from pkg_reid.models import build_model
    from pkg_shared.io.image import read_image, write_image

    cfg = load("demo_tiny", [f"data.root={market_root}", *tiny])
    s = load_splits(cfg.data).query[0]
    flipped = market_root.parent / "flipped.jpg"
    write_image(flipped, np.ascontiguousarray(read_image(s.path)[:, ::-1]))
    torch.manual_seed(0)
    net = build_model(cfg.model)
    a = extract(net, [Sample(s.path, 1, 1)], cfg.data, torch.device("cpu"), flip=True)
    b = extract(net, [Sample(str(flipped), 1, 1)], cfg.data, torch.device("cpu"), flip=True)
    c = extract(net, [Sample(s.path, 1, 1)], cfg.data, torch.device("cpu"), flip=False)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.abs(a - b).max() < 0.05  # JPEG re-encoding noise only
    assert np.abs(a - c).max() > 1e-4


def load_checkpoint_centres(run):
    from pkg_shared.engine import load_checkpoint

    return load_checkpoint(run / "last.pt")["ghis_centres"].double()
