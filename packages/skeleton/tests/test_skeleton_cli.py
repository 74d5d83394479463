"""Console scripts: --help, one-line errors with exit status 2, a tiny end-to-end run."""

from __future__ import annotations

import importlib
import json

import pytest

SCRIPTS = ["data", "train", "eval", "infer", "detect", "export", "viz", "demo"]


def run(name, argv):
    return importlib.import_module(f"pkg_skeleton.cli.{name}").main(argv)


@pytest.mark.parametrize("name", SCRIPTS)
def test_help_exits_zero_and_shows_example(name, capsys):
    with pytest.raises(SystemExit) as ei:
        run(name, ["--help"])
    assert ei.value.code == 0
    assert "example" in capsys.readouterr().out


def _one_line_error(capsys, rc, *needles):
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for n in needles:
        assert n in err
    return err


def test_bad_inputs_give_one_line_errors(tmp_path, capsys):
    _one_line_error(capsys, run("data", ["check", "--root", str(tmp_path / "nope")]), "nope")
    (tmp_path / "dets").mkdir()
    (tmp_path / "gt").mkdir()
    (tmp_path / "dets" / "0002-L.txt").write_text("1,10,20,0.5\n1,abc,20,0.5\n")
    (tmp_path / "gt" / "0002-L.txt").write_text("1,10,20,1\n")
    _one_line_error(capsys, run("eval", ["detect", "--dets", str(tmp_path / "dets"), "--labels",
                                         str(tmp_path / "gt")]), "0002-L.txt:2", "non-numeric")
    _one_line_error(capsys, run("train", ["--config", "hcn_ntu60_xsub", "--set", "model.widht=3"]), "model.widht")
    _one_line_error(capsys, run("train", ["--config", "no_such_recipe"]), "no_such_recipe")
    _one_line_error(capsys, run("train", ["--config", "hcn_ntu60_xsub", "--set", "model.frames=30"]), "16")
    _one_line_error(capsys, run("infer", [str(tmp_path / "x.skeleton"), "--checkpoint", str(tmp_path / "c.pt")]),
                    "c.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    _one_line_error(capsys, run("export", ["--checkpoint", str(bad)]), "bad.pt")
    _one_line_error(capsys, run("eval", ["ensemble", "--checkpoints", str(tmp_path / "a.pt")]), "a.pt")
    _one_line_error(capsys, run("train", ["--config", "hcn_ntu60_xsub", "--set", "data.test_clips=0"]), "test_clips")
    _one_line_error(capsys, run("train", ["--config", "hcn_joint_pkummd_xsub", "--set", "model.heads=cls"]),
                    "task joint")


def test_check_reports_every_malformed_file(tmp_path, capsys):
    from pkg_skeleton.data.fake import make_fake_ntu

    root = make_fake_ntu(tmp_path, num_classes=2, performers=(1, 3), cameras=(1,), frames=(10, 12))
    bad = sorted(root.glob("*P001*.skeleton"))
    for f in bad:
        lines = f.read_text().splitlines()
        lines[4] = "0.1 0.2"
        f.write_text("\n".join(lines) + "\n")
    assert run("data", ["check", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    for f in bad:
        assert f"problem: {f}:5: joint line has 2 values" in out
    assert "test: 2 samples" in out


def test_sbu_all_folds_requires_sbu(capsys):
    _one_line_error(capsys, run("train", ["--config", "hcn_ntu60_xsub", "--all-folds"]), "SBU")


def test_eval_detect_official_json(tmp_path, capsys):
    (tmp_path / "dets").mkdir()
    (tmp_path / "gt").mkdir()
    (tmp_path / "dets" / "0002-L.txt").write_text("1,0,100,0.9\n1,200,300,0.8\n")
    (tmp_path / "gt" / "0002-L.txt").write_text("1,0,100,1\n1,200,300,2\n")
    assert run("eval", ["detect", "--dets", str(tmp_path / "dets"), "--labels", str(tmp_path / "gt"),
                        "--out", str(tmp_path / "r.json")]) == 0
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["official"]["AP"] == pytest.approx(1.0) and r["official"]["mAP_action"] == pytest.approx(1 / 52)


def test_end_to_end_cli(tmp_path, capsys):
    assert run("data", ["make-fake", "--out", str(tmp_path / "d"), "--kind", "ntu", "--classes", "2"]) == 0
    root = tmp_path / "d" / "nturgb+d_skeletons"
    assert run("data", ["check", "--root", str(root), "--dataset", "ntu60_xsub"]) == 0
    out = capsys.readouterr().out
    assert "train: 12 samples" in out and "missing-skeleton" in out
    run_dir = tmp_path / "run"
    assert run("train", ["--config", "hcn_ntu60_xsub", "--set", f"data.root={root}", "--set", "model.num_classes=2",
                         "--set", "model.frames=16", "--set", "train.epochs=1", "--set", "train.batch_size=6",
                         "--set", "train.tensorboard=false", "--out", str(run_dir)]) == 0
    ck = str(run_dir / "last.pt")
    assert run("eval", ["recog", "--checkpoint", ck, "--out", str(tmp_path / "e.json")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["num_samples"] == 6
    assert run("eval", ["recog", "--checkpoint", ck, "--test-clips", "3", "--test-crop", "0.7", "--out",
                        str(tmp_path / "e3.json")]) == 0
    e3 = json.loads((tmp_path / "e3.json").read_text())
    assert e3["test_clips"] == 3 and e3["num_samples"] == 6 and "0.7" in e3["protocol"]
    assert run("eval", ["recog", "--checkpoint", ck, "--test-clips", "0"]) == 2
    assert run("eval", ["ensemble", "--checkpoints", ck, ck, "--weights", "1", "2", "--out",
                        str(tmp_path / "ens.json")]) == 0
    ens = json.loads((tmp_path / "ens.json").read_text())
    assert ens["num_samples"] == 6 and ens["top1"] == json.loads((tmp_path / "e.json").read_text())["top1"]
    sample = sorted(root.glob("*P003*.skeleton"))[0]
    capsys.readouterr()
    assert run("infer", [str(sample), "--checkpoint", ck, "--topk", "2", "--picture", str(tmp_path / "s.png")]) == 0
    top = capsys.readouterr().out.splitlines()[0]
    assert top.startswith("1. ") and ("drink water" in top or "eat meal/snack" in top)
    assert (tmp_path / "s.png").stat().st_size > 1000
    assert run("export", ["--checkpoint", ck, "--format", "torchscript", "--out", str(tmp_path / "m.pt")]) == 0
    assert run("export", ["--checkpoint", ck, "--format", "onnx", "--out", str(tmp_path / "m.onnx")]) == 0
    assert run("data", ["convert", "--root", str(root), "--to", "pyskl", "--out", str(tmp_path / "n.pkl")]) == 0
    assert run("viz", ["sample", str(sample), "--out", str(tmp_path / "v.png")]) == 0
