"""Console scripts: --help, one-line errors with exit 2, and a tiny end-to-end chain."""

import json
import subprocess
import sys

import numpy as np
import pytest

from pkg_grounding.cli import data as data_cli
from pkg_grounding.cli import eval as eval_cli
from pkg_grounding.cli import export as export_cli
from pkg_grounding.cli import extract as extract_cli
from pkg_grounding.cli import infer as infer_cli
from pkg_grounding.cli import score as score_cli
from pkg_grounding.cli import train as train_cli
from pkg_grounding.cli import vis as vis_cli

SCRIPTS = ["data", "train", "eval", "score", "extract", "infer", "export", "vis", "demo"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_help_exits_zero_and_shows_example(name, capsys):
    import importlib

    main = importlib.import_module(f"pkg_grounding.cli.{name}").main
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and out.startswith(f"usage: grounding-{name}") and "example" in out


def test_console_script_installed():
    import shutil

    exe = shutil.which("grounding-data") or str(__import__("pathlib").Path(sys.executable).parent / "grounding-data")
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "make-fake" in r.stdout


def _err_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0] and "Traceback" not in err[0]
    return err[0]


def test_bad_inputs_give_exit_2_and_one_line(tmp_path, capsys):
    assert data_cli.main(["check", "--root", str(tmp_path / "nope")]) == 2
    assert "not found" in _err_line(capsys)
    assert train_cli.main(["--config", "no_such_recipe"]) == 2
    assert "not a shipped recipe" in _err_line(capsys)
    assert train_cli.main(["--config", "demo", "--set", "model.hiden=3"]) == 2
    assert "unknown config key" in _err_line(capsys)
    assert eval_cli.main(["--checkpoint", str(tmp_path / "x.pt")]) == 2
    assert "x.pt" in _err_line(capsys)
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"qid": "1", "pred_windows": [[0, 1, 0.5]]}\n{oops\n')
    data_cli.main(["make-fake", "--out", str(tmp_path / "d")])
    capsys.readouterr()
    assert score_cli.main(["--preds", str(bad), "--dataset", "charades_sta", "--root", str(tmp_path / "d")]) == 2
    assert f"{bad}:2" in _err_line(capsys)
    assert extract_cli.main(["--videos", str(tmp_path), "--backbone", "vgg16_fc7", "--out", str(tmp_path / "f.h5")]) == 2
    assert "--weights" in _err_line(capsys)


def test_malformed_annotation_line_through_cli(tmp_path, capsys):
    data_cli.main(["make-fake", "--out", str(tmp_path)])
    capsys.readouterr()
    with open(tmp_path / "charades_sta_test.txt", "a") as fh:
        fh.write("AAAAA 1.0 x##broken\n")
    assert data_cli.main(["check", "--root", str(tmp_path), "--features", "vgg_rgb_features.hdf5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "charades_sta_test.txt:" in out["splits"]["test"]["error"] and out["problems"] >= 1
    assert out["splits"]["train"]["queries"] > 0


def test_train_eval_score_infer_export_vis_chain(tmp_path, capsys):
    d, run = tmp_path / "d", tmp_path / "run"
    assert data_cli.main(["make-fake", "--out", str(d), "--videos", "8"]) == 0
    rc = train_cli.main(["--config", "demo", "--set", f"data.root={d}", "--set", "data.features=vgg_rgb_features.hdf5",
                         "--set", "train.epochs=2", "--set", "data.num_steps=16", "--out", str(run), "--device", "cpu"])
    assert rc == 0 and (run / "best.pt").is_file() and (run / "config.yaml").is_file()
    capsys.readouterr()
    assert eval_cli.main(["--checkpoint", str(run / "best.pt"), "--dump", str(tmp_path / "p.jsonl"),
                          "--out", str(tmp_path / "m.json")]) == 0
    res = json.loads((tmp_path / "m.json").read_text())
    assert set(res["metrics"]) == {"ours", "2dtan", "tall", "moment_detr"}
    assert all("convention" in v for v in res["metrics"].values())
    capsys.readouterr()
    assert score_cli.main(["--preds", str(tmp_path / "p.jsonl"), "--dataset", "charades_sta", "--root", str(d)]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["metrics"]["ours"] == res["metrics"]["ours"]
    np.save(tmp_path / "f.npy", np.random.rand(40, 32).astype(np.float32))
    assert infer_cli.main(["--checkpoint", str(run / "best.pt"), "--features", str(tmp_path / "f.npy"), "--duration",
                           "20", "--query", "person opens the door", "--plot", str(tmp_path / "t.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["windows"]) == 5 and (tmp_path / "t.png").stat().st_size > 1000
    assert infer_cli.main(["--checkpoint", str(run / "best.pt"), "--features", str(tmp_path / "f.npy"),
                           "--query", "x"]) == 2
    assert "--duration" in _err_line(capsys)
    assert export_cli.main(["--checkpoint", str(run / "best.pt"), "--format", "torchscript", "--out",
                            str(tmp_path / "exp")]) == 0
    assert json.loads(capsys.readouterr().out)["torchscript"]["max_abs_diff"] <= 1e-5
    assert vis_cli.main(["--preds", str(tmp_path / "p.jsonl"), "--dataset", "charades_sta", "--root", str(d),
                         "--num", "1", "--out", str(tmp_path / "figs")]) == 0
    assert len(list((tmp_path / "figs").glob("*.png"))) == 1


def test_didemo_prior_through_score_cli(tmp_path, capsys):
    from pkg_grounding.data.didemo import read_didemo
    from pkg_grounding.metrics.didemo import evaluate_didemo, frequency_prior

    data_cli.main(["make-fake", "--dataset", "didemo", "--out", str(tmp_path)])
    capsys.readouterr()
    assert score_cli.main(["--prior", "--dataset", "didemo", "--root", str(tmp_path), "--split", "val"]) == 0
    got = json.loads(capsys.readouterr().out)["metrics"]["mcn"]
    prior = frequency_prior([q.times for q in read_didemo(tmp_path / "train_data.json")])
    val = read_didemo(tmp_path / "val_data.json")
    ref = evaluate_didemo([prior] * len(val), [q.times for q in val])
    assert got["Rank@1"] == ref["Rank@1"] and got["mIoU"] == ref["mIoU"]


def test_onnx_export_matches_pytorch(tmp_path):
    pytest.importorskip("onnxruntime")
    from pkg_grounding.config import ModelConfig
    from pkg_grounding.engine.export import example_inputs, export_onnx
    from pkg_grounding.models import build_model

    m = build_model(ModelConfig(video_dim=12, vocab_size=20, word_dim=8, hidden=8, levels=2))
    err = export_onnx(m, example_inputs(8, 12, 20), tmp_path / "m.onnx")
    assert err < 1e-4 and (tmp_path / "m.onnx").is_file()


def test_extract_tiny_backbone_from_videos_resumable(tmp_path):
    from pkg_grounding.engine.extract import TinyMotion, extract_folder, list_videos
    from pkg_shared.testing import write_video

    for i in range(2):
        write_video(tmp_path / "v" / f"vid{i}.avi", num_frames=20, fps=10.0, seed=i)
    (tmp_path / "v" / "broken.mp4").write_bytes(b"not a video")
    res = extract_folder(list_videos(tmp_path / "v"), tmp_path / "f.h5", TinyMotion(), 5.0, "cpu",
                         show_progress=False)
    assert res["extracted"] == 2 and len(res["failed"]) == 1 and "broken.mp4" in res["failed"][0]
    import h5py

    with h5py.File(tmp_path / "f.h5") as h:
        assert h["vid0"].shape == (10, 384)
    again = extract_folder(list_videos(tmp_path / "v"), tmp_path / "f.h5", TinyMotion(), 5.0, "cpu",
                           show_progress=False)
    assert again["extracted"] == 0  # nothing left to do


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    from pkg_grounding.cli import demo

    assert demo.main(["--out", str(tmp_path), "--videos", "16", "--epochs", "3"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert {"ran", "metric", "picture"} <= set(s) and (tmp_path / s["picture"]).is_file()
