"""Console scripts: --help, one-line errors with exit status 2, and a small end-to-end CLI chain."""

import json
import shutil
import subprocess
import sys

import pytest
import torch

from pkg_video.cli import coef, data, demo, export, import_mmaction, infer, train
from pkg_video.cli import eval as eval_cli

MAINS = {"video-train": train.main, "video-eval": eval_cli.main, "video-infer": infer.main, "video-data": data.main,
         "video-coef": coef.main, "video-export": export.main, "video-import-mmaction": import_mmaction.main,
         "video-demo": demo.main}


@pytest.mark.parametrize("name", sorted(MAINS))
def test_help_exits_zero_and_shows_example(name, capsys):
    with pytest.raises(SystemExit) as exc:
        MAINS[name](["--help"])
    assert exc.value.code == 0
    assert "example" in capsys.readouterr().out


@pytest.mark.parametrize("sub", ["check", "make-fake", "prepare", "check-videos", "reencode"])
def test_each_data_subcommand_help_shows_an_example(sub, capsys):
    with pytest.raises(SystemExit) as exc:
        data.main([sub, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and f"video-data {sub} --" in out.split("example", 1)[1]


def _one_line_error(capsys, rc, *needles):
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err


def test_bad_inputs_exit_2(tmp_path, capsys):
    _one_line_error(capsys, data.main(["check", "--root", str(tmp_path / "nope")]), "nope")
    _one_line_error(capsys, eval_cli.main(["--checkpoint", str(tmp_path / "missing.pt")]), "missing.pt",
                    "checkpoint file not found")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    _one_line_error(capsys, infer.main(["x.mp4", "--checkpoint", str(tmp_path / "junk.pt")]), "junk.pt")
    _one_line_error(capsys, train.main(["--config", "costa_r50_k400", "--set", "model.depthh=3",
                                        "--out", str(tmp_path / "r")]), "unknown config key", "model.depthh")
    _one_line_error(capsys, train.main(["--config", str(tmp_path / "none.yaml")]), "none.yaml")
    _one_line_error(capsys, train.main(["--config", "costb_r50_kinetics"]), "not a shipped recipe", "costb_r50_k400")
    _one_line_error(capsys, train.main(["--config", "tiny_motion", "--set", "train.max_steps=0", "--out",
                                        str(tmp_path / "r")]), "max_steps must be a positive")
    _one_line_error(capsys, train.main(["--config", "tiny_motion", "--set", "data.backend=ffmpeg", "--out",
                                        str(tmp_path / "r")]), "data.backend")
    _one_line_error(capsys, data.main(["reencode", "--root", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]),
                    "source folder not found")
    assert not (tmp_path / "r").exists() and not (tmp_path / "o").exists()  # nothing half-written
    ann = tmp_path / "k" / "annotations"
    ann.mkdir(parents=True)
    (ann / "train.csv").write_text("label,youtube_id,time_start,time_end,split\nx,abcdefghijk,1,oops,train\n")
    _one_line_error(capsys, data.main(["check", "--root", str(tmp_path / "k")]), "train.csv:2", "time_end")


def test_print_config_of_a_shipped_recipe(capsys):
    with pytest.raises(SystemExit) as exc:
        train.main(["--config", "costb_r101_32f_k400", "--print-config"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "arch: costb_r101_32f" in out and "clip_len: 32" in out


def test_console_script_error_has_no_traceback(tmp_path):
    exe = shutil.which("video-data") or ""
    cmd = [exe] if exe else [sys.executable, "-m", "pkg_video.cli.data"]
    r = subprocess.run(cmd + ["check", "--root", str(tmp_path / "absent")], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "absent" in r.stderr


def test_data_make_fake_check_prepare(tmp_path, capsys):
    root = tmp_path / "k400"
    assert data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1",
                      "--val-per-class", "1", "--defects"]) == 0
    capsys.readouterr()
    assert data.main(["check", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "train: 3 rows, 2 videos found, 1 missing" in out and "video file is empty" in out
    lst = tmp_path / "train_list.txt"
    assert data.main(["prepare", "--root", str(root), "--split", "train", "--out", str(lst)]) == 0
    lines = lst.read_text().splitlines()
    assert len(lines) == 2 and all(len(line.split()) == 2 for line in lines)
    vlst = tmp_path / "val_list.txt"
    data.main(["prepare", "--root", str(root), "--split", "val", "--out", str(vlst)])
    good = tmp_path / "good.txt"
    assert data.main(["check-videos", "--list", str(vlst), "--root", str(root), "--out", str(good)]) == 0
    assert len(good.read_text().splitlines()) == len(vlst.read_text().splitlines()) - 1  # the empty mp4 dropped
    mit_root = tmp_path / "mit"
    assert data.main(["make-fake", "--dataset", "mit", "--out", str(mit_root), "--train-per-class", "1",
                      "--val-per-class", "1"]) == 0
    capsys.readouterr()
    assert data.main(["check", "--root", str(mit_root)]) == 0
    assert "train: 8 rows, 8 videos found, 0 missing" in capsys.readouterr().out


def test_train_eval_infer_coef_export_chain(tmp_path, capsys):
    root = tmp_path / "k400"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "2", "--val-per-class", "1"])
    small = ["--set", f"data.root={root}", "--set", "model.num_classes=2", "--set", "model.width=4",
             "--set", "data.clip_len=4", "--set", "data.train_scale=[20,24]", "--set", "data.crop_size=16",
             "--set", "data.val_short_side=16", "--set", "data.test_short_side=16", "--set", "data.test_clips=2",
             "--set", "train.epochs=1", "--set", "train.batch_size=2", "--set", "model.arch=costb_r50"]
    run = tmp_path / "run"
    assert train.main(["--config", "tiny_motion", *small, "--out", str(run), "--device", "cpu", "--workers", "0"]) == 0
    ck = str(run / "last.pt")
    res = tmp_path / "eval.json"
    assert eval_cli.main(["--checkpoint", ck, "--views", "30", "--out", str(res), "--per-class",
                          "--set", "data.test_sampling=mmaction1x"]) == 0
    r = json.loads(res.read_text())
    assert r["protocol"]["views"] == 6 and r["protocol"]["test_sampling"] == "mmaction1x"
    assert 0 <= r["top1"] <= 1 and r["top5"] == 1.0 and "mean_class_accuracy_mmaction" in r
    video = next((root / "val").glob("*.mp4"))
    capsys.readouterr()
    assert infer.main([str(video), "--checkpoint", ck, "--picture", str(tmp_path / "p.png")]) == 0
    assert capsys.readouterr().out.startswith("1. ")
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert coef.main(["--checkpoint", ck, "--out", str(tmp_path / "coef")]) == 0
    assert (tmp_path / "coef" / "coef_per_class.csv").read_text().startswith("class,layer,hw,tw,th")
    assert export.main(["--checkpoint", ck, "--format", "torchscript", "--out", str(tmp_path / "exp")]) == 0
    rep = json.loads((tmp_path / "exp" / "export.json").read_text())
    assert rep["folded_cost_layers"] == 0 and rep["torchscript"]["max_abs_diff"] < 1e-4


def test_import_mmaction_round_trip(tmp_path, capsys):
    from pkg_video.config import ModelConfig
    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.models import build_model

    torch.manual_seed(0)
    ref = build_model(ModelConfig(arch="costb_r50", num_classes=3, width=4, stage_blocks=[1, 1, 1, 1]))
    ck = tmp_path / "mm.pth"
    torch.save({"state_dict": ref.state_dict(), "meta": {"epoch": 3}}, ck)
    args = ["--checkpoint", str(ck), "--config", "tiny_motion", "--set", "model.arch=costb_r50",
            "--set", "model.num_classes=3", "--set", "model.width=4", "--out", str(tmp_path / "ours.pt")]
    assert import_mmaction.main(args) == 0
    model, _, classes = load_trained(str(tmp_path / "ours.pt"))
    assert classes == ["0", "1", "2"]
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v)
    torch.save({"state_dict": {"backbone.unknown.weight": torch.zeros(1)}}, tmp_path / "bad.pth")
    capsys.readouterr()
    rc = import_mmaction.main(["--checkpoint", str(tmp_path / "bad.pth"), "--config", "tiny_motion"])
    _one_line_error(capsys, rc, "bad.pth", "backbone.unknown.weight")
    rc = import_mmaction.main([*args[:-1], str(tmp_path / "o2.pt"), "--set", "model.num_classes=4"])  # wrong head
    _one_line_error(capsys, rc, "mm.pth", "cls_head.fc_cls.weight", "(3, 128)", "(4, 128)")
    (tmp_path / "names.txt").write_text("a\nb\n")
    rc = import_mmaction.main([*args[:-1], str(tmp_path / "o3.pt"), "--classes", str(tmp_path / "names.txt")])
    _one_line_error(capsys, rc, "names.txt", "2 class names", "3 classes")
    rc = import_mmaction.main([*args[:-1], str(tmp_path / "o4.pt"), "--classes", str(tmp_path / "none.txt")])
    _one_line_error(capsys, rc, "none.txt", "class list not found")
    assert not any((tmp_path / f"o{i}.pt").exists() for i in (2, 3, 4))


def test_eval_counts_undecodable_video_with_uniform_scores(tmp_path):
    import numpy as np

    from pkg_video.config import DataConfig, EvalConfig, ModelConfig
    from pkg_video.data.dataset import build_samples
    from pkg_video.data.fake import make_fake_kinetics
    from pkg_video.engine.evaluate import evaluate
    from pkg_video.models import build_model

    root = make_fake_kinetics(tmp_path / "k", num_classes=2, per_class={"train": 1, "val": 1}, frames=(10, 12),
                              size=(24, 28), defects=True)
    cfg = DataConfig(root=str(root), clip_len=2, frame_interval=2, train_scale=(16, 16), crop_size=16,
                     val_short_side=16, test_short_side=16, test_clips=1)
    samples, _, _ = build_samples(cfg, "val")
    model = build_model(ModelConfig(arch="costa_r50", num_classes=2, width=4, stage_blocks=[1, 1, 1, 1]))
    out = evaluate(model, samples, cfg, EvalConfig(views="30"), 2, torch.device("cpu"))
    bad = [i for i, s in enumerate(samples) if s.path in out["result"]["failed"]]
    assert len(bad) == 1 and np.allclose(out["scores"][bad[0]], 0.5)
    assert out["result"]["videos"] == 3 and out["result"]["protocol"]["views"] == 3


@pytest.mark.parametrize("override, needle", [
    ("data.clip_len=0", "clip_len must be >= 1"),
    ("data.frame_interval=0", "frame_interval must be >= 1"),
    ("data.test_clips=0", "test_clips must be >= 1"),
    ("data.num_workers=-1", "num_workers must be >= 0"),
    ("model.width=0", "width must be >= 1"),
    ("model.dropout=1.5", "dropout must be in [0, 1)"),
    ("model.stage_blocks=[0,1,1,1]", "stage_blocks"),
    ("model.selected=[[0,2,0],[1,0,1,0],[1,0,1,0,1,0],[1,0,1]]", "0/1 mask"),
    ("train.batch_size=0", "batch_size must be >= 1"),
    ("train.epochs=-1", "epochs must be >= 1"),
    ("train.base_lr=-0.1", "base_lr must be positive"),
    ("train.eval_every=0", "eval_every must be >= 1"),
    ("train.grad_clip=-1", "grad_clip must be a positive"),  # a negative max norm would flip the gradients
])
def test_impossible_config_values_are_one_line_errors(tmp_path, capsys, override, needle):
    out = tmp_path / "r"
    rc = train.main(["--config", "tiny_motion", "--set", override, "--out", str(out)])
    _one_line_error(capsys, rc, needle)
    assert not out.exists()


def test_impossible_options_are_one_line_errors(tmp_path, capsys):
    ck = str(tmp_path / "missing.pt")  # the options are checked before anything is read
    _one_line_error(capsys, infer.main(["x.mp4", "--checkpoint", ck, "--topk", "0"]), "--topk must be >= 1")
    _one_line_error(capsys, eval_cli.main(["--checkpoint", ck, "--workers", "-1"]), "--workers must be >= 0")
    _one_line_error(capsys, train.main(["--config", "tiny_motion", "--workers", "-1", "--out", str(tmp_path / "r")]),
                    "--workers must be >= 0")
    _one_line_error(capsys, export.main(["--checkpoint", ck, "--frames", "0", "--out", str(tmp_path / "e")]),
                    "--frames must be >= 1")
    _one_line_error(capsys, coef.main(["--checkpoint", ck, "--max-videos", "0"]), "--max-videos must be >= 1")
    _one_line_error(capsys, demo.main(["--classes", "1", "--out", str(tmp_path / "d")]), "--classes")
    _one_line_error(capsys, demo.main(["--epochs", "0", "--out", str(tmp_path / "d")]), "--epochs must be >= 1")
    _one_line_error(capsys, data.main(["make-fake", "--out", str(tmp_path / "f"), "--train-per-class", "0"]),
                    "--train-per-class")
    assert not any((tmp_path / n).exists() for n in ("r", "e", "d", "f"))


def test_train_data_error_leaves_no_run_folder(tmp_path, capsys):
    root = tmp_path / "k"
    ann = root / "annotations"
    ann.mkdir(parents=True)
    (ann / "train.csv").write_text("label,youtube_id,time_start,time_end,split\nx,abcdefghijk,1,11,train\n"
                                   ",bbcdefghijk,1,11,train\n")
    out = tmp_path / "run"
    rc = train.main(["--config", "tiny_motion", "--set", f"data.root={root}", "--out", str(out)])
    _one_line_error(capsys, rc, "train.csv:3", "empty label")
    assert not out.exists()


def test_check_reports_every_format_problem(tmp_path, capsys):
    root = tmp_path / "k"
    assert data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1",
                      "--val-per-class", "1"]) == 0
    csv = root / "annotations" / "train.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([*lines, "x,abcdefghijk,1,oops,train", "x,bbcdefghijk,1", *lines[1:2]]) + "\n")
    capsys.readouterr()
    rc = data.main(["check", "--root", str(root)])
    cap = capsys.readouterr()
    assert rc == 2 and len(cap.err.strip().splitlines()) == 1 and "2 more" not in cap.err
    assert f"{csv}:4:" in cap.out and f"{csv}:5:" in cap.out  # both listed, not only the first
    assert "train: 3 rows" in cap.out and "val: 2 rows" in cap.out  # statistics of every split still printed
    mit_root = tmp_path / "m"
    assert data.main(["make-fake", "--dataset", "mit", "--classes", "3", "--out", str(mit_root),
                      "--train-per-class", "1", "--val-per-class", "1"]) == 0
    assert len((mit_root / "moments_categories.txt").read_text().splitlines()) == 3
    (mit_root / "trainingSet.csv").write_text("a/x.mp4,a,3\nb/y.mp4,b,three,0\n")
    capsys.readouterr()
    rc = data.main(["check", "--root", str(mit_root)])
    cap = capsys.readouterr()
    assert rc == 2 and "trainingSet.csv:1:" in cap.out and "trainingSet.csv:2:" in cap.out
    assert "val: 3 rows, 3 videos found" in cap.out


def test_export_without_onnx_writes_nothing(tmp_path, capsys, monkeypatch):
    import pkg_shared.errors as errors

    def missing(module, extra, dist="pkg-shared"):
        raise errors.MissingDependencyError(module, extra, dist)

    ck = _tiny_checkpoint(tmp_path / "ck.pt", ["a", "b"])
    monkeypatch.setattr(errors, "require", missing)
    out = tmp_path / "exp"
    rc = export.main(["--checkpoint", str(ck), "--format", "both", "--frames", "2", "--size", "16", "--out", str(out)])
    _one_line_error(capsys, rc, "needs the Python module 'onnx'")
    assert not out.exists()  # the TorchScript file is not written before the ONNX part fails


def test_yaml_syntax_error_and_bad_pretrained_file_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  arch: costa_r50\n  - y\n")
    _one_line_error(capsys, train.main(["--config", str(bad), "--out", str(tmp_path / "r")]),
                    f"{bad}:3: not valid YAML")
    weights = tmp_path / "w.pth"
    torch.save([1, 2, 3], weights)  # loads with weights_only, but is no state dict
    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    capsys.readouterr()
    rc = train.main(["--config", "tiny_motion", "--set", f"data.root={root}", "--set", "model.num_classes=2",
                     "--set", f"model.pretrained={weights}", "--out", str(tmp_path / "r")])
    _one_line_error(capsys, rc, "w.pth", "not a state dict")
    assert not (tmp_path / "r").exists()


def _tiny_checkpoint(path, classes, **data):
    """A pkg-video checkpoint of an untrained width-4 CoST(a) net (no training needed)."""
    from pkg_shared.config import from_dict, to_dict
    from pkg_video.config import Config
    from pkg_video.models import build_model

    cfg = from_dict(Config, {"model": {"arch": "costa_r50", "num_classes": len(classes), "width": 4,
                                       "stage_blocks": [1, 1, 1, 1]}, "data": data})
    torch.save({"model": build_model(cfg.model).state_dict(), "config": to_dict(cfg), "classes": list(classes)},
               path)
    return path


def _tiny_kinetics(tmp_path):
    """A 3-class Kinetics tree (one train and one val video each), the 16-px data settings that
    read it, and its sorted class names."""
    from pkg_video.data.fake import KINETICS_NAMES

    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "3", "--train-per-class", "1", "--val-per-class", "1"])
    small = {"root": str(root), "clip_len": 2, "frame_interval": 2, "train_scale": [16, 16], "crop_size": 16,
             "val_short_side": 16, "test_short_side": 16, "test_clips": 1}
    return root, small, sorted(KINETICS_NAMES[:3])


def test_eval_refuses_a_dataset_whose_classes_are_not_the_models(tmp_path, capsys):
    root, small, names = _tiny_kinetics(tmp_path)
    ck = _tiny_checkpoint(tmp_path / "other.pt", [names[0], names[2], names[1]], **small)  # same names, other order
    capsys.readouterr()
    _one_line_error(capsys, eval_cli.main(["--checkpoint", str(ck), "--views", "1"]), "val.csv", "first difference")
    ck = _tiny_checkpoint(tmp_path / "two.pt", ["0", "1"], **small)  # indices only: labels must be in range
    _one_line_error(capsys, eval_cli.main(["--checkpoint", str(ck), "--views", "1"]), "val.csv",
                    "is not one of the model's 2 classes")
    ck = _tiny_checkpoint(tmp_path / "same.pt", names, **small)
    assert eval_cli.main(["--checkpoint", str(ck), "--views", "1", "--out", str(tmp_path / "e.json")]) == 0


def test_eval_writes_the_mit_challenge_submission_file(tmp_path, capsys):
    import numpy as np

    from pkg_video.data.mit import read_categories, read_split_csv

    root = tmp_path / "mit"
    data.main(["make-fake", "--dataset", "mit", "--classes", "6", "--out", str(root), "--train-per-class", "1",
               "--val-per-class", "1"])
    cats = read_categories(root / "moments_categories.txt")
    small = {"dataset": "mit", "root": str(root), "clip_len": 2, "frame_interval": 2, "train_scale": [16, 16],
             "crop_size": 16, "val_short_side": 16, "test_short_side": 16, "test_clips": 1}
    ck = _tiny_checkpoint(tmp_path / "ck.pt", cats, **small)
    sub, scores = tmp_path / "sub.txt", tmp_path / "s.npy"
    assert eval_cli.main(["--checkpoint", str(ck), "--views", "1", "--submission", str(sub), "--save-scores",
                          str(scores), "--out", str(tmp_path / "e.json")]) == 0
    lines = [line.split() for line in sub.read_text().splitlines()]
    s = np.load(scores)
    assert [f[0] for f in lines] == [r[0] for r in read_split_csv(root / "validationSet.csv", cats)]
    for fields, row in zip(lines, s):
        top = [int(c) for c in fields[1:]]
        assert len(top) == 5 and top[0] == int(np.argmax(row))  # category indices, best first
        assert all(row[a] >= row[b] for a, b in zip(top, top[1:]))


def test_coef_writes_costa_per_channel_table(tmp_path):
    import csv

    from pkg_video.engine.checkpoint import load_trained
    from pkg_video.models import cost_layers

    ck = _tiny_checkpoint(tmp_path / "ck.pt", ["a", "b"])
    model, _, _ = load_trained(str(ck))
    with torch.no_grad():  # distinct per-channel weights, so that a per-layer mean cannot pass for them
        for _, layer in cost_layers(model):
            layer.alpha.copy_(torch.randn_like(layer.alpha))
    blob = torch.load(ck, weights_only=True)
    blob["model"] = model.state_dict()
    torch.save(blob, ck)
    assert coef.main(["--checkpoint", str(ck), "--out", str(tmp_path / "c"), "--no-plot"]) == 0
    rows = list(csv.DictReader((tmp_path / "c" / "coef_per_channel.csv").open()))
    layers = cost_layers(model)
    assert len(rows) == sum(m.out_channels for _, m in layers)
    name, layer = layers[0]
    want = torch.softmax(layer.alpha.detach().double(), 0)
    got = [r for r in rows if r["layer"] == name]
    for r in got:
        c = int(r["channel"])
        assert abs(float(r["tw"]) - float(want[1, c])) < 1e-6 and abs(float(r["hw"]) - float(want[0, c])) < 1e-6


def test_train_on_an_unlabeled_csv_says_so(tmp_path, capsys):
    root = tmp_path / "k"
    ann = root / "annotations"
    ann.mkdir(parents=True)
    for split in ("train", "val"):
        (ann / f"{split}.csv").write_text(f"youtube_id,time_start,time_end,split\nabcdefghijk,1,11,{split}\n")
    (root / "train").mkdir()
    (root / "train" / "abcdefghijk_000001_000011.mp4").write_bytes(b"x")
    rc = train.main(["--config", "tiny_motion", "--set", f"data.root={root}", "--out", str(tmp_path / "r")])
    _one_line_error(capsys, rc, "train.csv", "have no label")


def test_missing_decoder_is_reported_before_any_work(tmp_path, capsys, monkeypatch):
    import pkg_shared.io.clip as clip

    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    monkeypatch.setattr(clip, "available", lambda backend: backend != "pyav")
    capsys.readouterr()
    rc = data.main(["check", "--root", str(root), "--decode", "--backend", "pyav"])
    cap = capsys.readouterr()
    assert rc == 2 and "'av'" in cap.err and cap.out == ""  # not after the statistics of the first split


def test_infer_picture_format_is_checked_before_the_model_runs(tmp_path, capsys):
    video = tmp_path / "v.mp4"
    ck = _tiny_checkpoint(tmp_path / "ck.pt", ["a", "b"], clip_len=2, frame_interval=2, train_scale=[16, 16],
                          crop_size=16, val_short_side=16, test_short_side=16, test_clips=1)
    import numpy as np

    from pkg_shared.testing import write_video

    write_video(video, np.zeros((6, 20, 24, 3), np.uint8), fps=25.0)
    rc = infer.main([str(video), "--checkpoint", str(ck), "--picture", str(tmp_path / "p.xyz")])
    cap = capsys.readouterr()
    assert cap.out == ""  # refused before any prediction is printed
    assert rc == 2 and "p.xyz" in cap.err and "cannot write a .xyz picture" in cap.err
    assert infer.main([str(video), "--checkpoint", str(ck), "--picture", str(tmp_path / "pic")]) == 0
    assert (tmp_path / "pic").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # no suffix: PNG
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_coef_refuses_a_model_without_view_coefficients(tmp_path, capsys):
    from pkg_shared.config import from_dict, to_dict
    from pkg_video.config import Config
    from pkg_video.models import build_model

    cfg = from_dict(Config, {"model": {"arch": "cost_concat_r50", "num_classes": 2, "width": 4,
                                       "stage_blocks": [1, 1, 1, 1]}})
    ck = tmp_path / "concat.pt"
    torch.save({"model": build_model(cfg.model).state_dict(), "config": to_dict(cfg), "classes": ["a", "b"]}, ck)
    rc = coef.main(["--checkpoint", str(ck), "--out", str(tmp_path / "c")])
    _one_line_error(capsys, rc, "concat.pt", "no CoST layers with view coefficients")
    assert not (tmp_path / "c").exists()  # was: an empty table and an empty plot


def test_train_without_validation_videos_says_so(tmp_path, capsys):
    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    for v in (root / "val").glob("*.mp4"):
        v.unlink()  # the val CSV stays; none of its videos was downloaded
    small = ["--set", f"data.root={root}", "--set", "model.num_classes=2", "--set", "model.width=4",
             "--set", "data.clip_len=2", "--set", "data.train_scale=[16,16]", "--set", "data.crop_size=16",
             "--set", "data.val_short_side=16", "--set", "train.epochs=1", "--set", "train.batch_size=2"]
    capsys.readouterr()
    assert train.main(["--config", "tiny_motion", *small, "--out", str(tmp_path / "r")]) == 0
    assert "no validation videos" in capsys.readouterr().out  # was "best 1-clip val top-1 -1.0000"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    capsys.readouterr()
    assert train.main(["--config", "tiny_motion", *small, "--set", "train.epochs=2", "--set", "train.max_steps=1",
                       "--out", str(tmp_path / "r2")]) == 0
    out = capsys.readouterr().out
    assert "not validated yet" in out and "no validation videos" not in out


def test_eval_on_a_tree_with_only_the_val_csv_uses_the_checkpoints_classes(tmp_path, capsys):
    import numpy as np

    root, small, names = _tiny_kinetics(tmp_path)
    ck = _tiny_checkpoint(tmp_path / "ck.pt", names, **small)
    full = tmp_path / "full.npy"
    assert eval_cli.main(["--checkpoint", str(ck), "--views", "1", "--save-scores", str(full), "--out",
                          str(tmp_path / "a.json")]) == 0
    (root / "annotations" / "train.csv").unlink()  # a copy with the val split only
    (root / "annotations" / "test.csv").unlink()
    assert eval_cli.main(["--checkpoint", str(ck), "--views", "1", "--save-scores", str(tmp_path / "v.npy"),
                          "--out", str(tmp_path / "b.json")]) == 0
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert b["videos"] == a["videos"] == 3 and b["top1"] == a["top1"]
    np.testing.assert_array_equal(np.load(full), np.load(tmp_path / "v.npy"))


def test_check_with_annotations_elsewhere_needs_no_dataset_flag(tmp_path, capsys):
    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    (root / "annotations").rename(tmp_path / "csvs")
    capsys.readouterr()
    assert data.main(["check", "--root", str(root), "--annotations", str(tmp_path / "csvs")]) == 0
    assert "train: 2 rows, 2 videos found" in capsys.readouterr().out


def test_output_path_of_the_wrong_kind_is_refused_before_any_work(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    ck = str(tmp_path / "missing.pt")  # never read: the output is checked first
    for main, argv in ((train.main, ["--config", "tiny_motion", "--out", str(f)]),
                       (coef.main, ["--checkpoint", ck, "--out", str(f)]),
                       (export.main, ["--checkpoint", ck, "--out", str(f)]),
                       (demo.main, ["--out", str(f)]),
                       (data.main, ["make-fake", "--out", str(f)])):
        _one_line_error(capsys, main(argv), "afile: is a file")  # was a FileExistsError traceback
    d = tmp_path / "adir"
    d.mkdir()
    for main, argv in ((eval_cli.main, ["--checkpoint", ck, "--out", str(d)]),
                       (infer.main, ["x.mp4", "--checkpoint", ck, "--picture", str(d)]),
                       (data.main, ["prepare", "--root", str(tmp_path), "--out", str(d)])):
        _one_line_error(capsys, main(argv), "adir: is a folder")
    assert f.read_text() == "x" and list(d.iterdir()) == []


def test_inconsistent_checkpoints_are_one_line_errors(tmp_path, capsys):
    good = _tiny_checkpoint(tmp_path / "good.pt", ["a", "b"])
    blob = torch.load(good, weights_only=True)
    variants = {
        "oldcfg.pt": ({**blob, "config": {**blob["config"], "train": {**blob["config"]["train"], "oldkey": 1}}},
                      "stored config does not fit"),
        "noweight.pt": ({**blob, "model": {k: v for k, v in blob["model"].items() if k != "cls_head.fc_cls.bias"}},
                        "cls_head.fc_cls.bias"),
        "classes.pt": ({**blob, "classes": ["a"]}, "1 class names for a model with 2 classes"),
    }
    for name, (ck, needle) in variants.items():
        torch.save(ck, tmp_path / name)
        rc = infer.main(["x.mp4", "--checkpoint", str(tmp_path / name)])
        _one_line_error(capsys, rc, name, needle)


def test_resume_from_a_weights_only_checkpoint_is_a_one_line_error(tmp_path, capsys):
    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    ck = _tiny_checkpoint(tmp_path / "imported.pt", ["a", "b"])  # model + config + classes, like an import
    capsys.readouterr()
    rc = train.main(["--config", "tiny_motion", "--set", f"data.root={root}", "--set", "model.num_classes=2",
                     "--set", "model.width=4", "--set", "model.dropout=0.5", "--resume", str(ck),
                     "--out", str(tmp_path / "r")])
    _one_line_error(capsys, rc, "imported.pt", "holds no training state")  # was KeyError: 'optimizer'
    assert not (tmp_path / "r").exists()


def test_eval_views_both_reports_the_1_clip_and_multi_view_numbers(tmp_path, capsys):
    from pkg_video.data.fake import KINETICS_NAMES

    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "3", "--train-per-class", "1", "--val-per-class", "2"])
    small = {"root": str(root), "clip_len": 2, "frame_interval": 2, "train_scale": [16, 16], "crop_size": 16,
             "val_short_side": 16, "test_short_side": 16, "test_clips": 2}
    ck = str(_tiny_checkpoint(tmp_path / "ck.pt", sorted(KINETICS_NAMES[:3]), **small))
    runs = {}
    for views in ("1", "30", "both"):
        assert eval_cli.main(["--checkpoint", ck, "--views", views, "--out", str(tmp_path / f"{views}.json")]) == 0
        runs[views] = json.loads((tmp_path / f"{views}.json").read_text())
    both = runs["both"]
    assert both["views_1"]["protocol"]["views"] == 1 and both["views_30"]["protocol"]["views"] == 6
    for v in ("1", "30"):
        for key in ("top1", "top5", "mean_class_accuracy", "protocol"):
            assert both[f"views_{v}"][key] == runs[v][key]


def test_prepared_test_list_reads_back_and_cannot_train(tmp_path, capsys):
    from pkg_video.data.filelist import read_video_list

    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1"])
    lst = tmp_path / "test_list.txt"
    assert data.main(["prepare", "--root", str(root), "--split", "test", "--out", str(lst)]) == 0
    assert {s.label for s in read_video_list(lst)} == {-1}
    capsys.readouterr()
    rc = train.main(["--config", "tiny_motion", "--set", f"data.root={root}", "--set", "data.dataset=filelist",
                     "--set", f"data.train_list={lst}", "--set", f"data.val_list={lst}", "--out", str(tmp_path / "r")])
    _one_line_error(capsys, rc, "test_list.txt", "have no label")


def test_eval_on_error_fail_names_the_video_and_its_problem(tmp_path, capsys):
    from pkg_video.data.fake import KINETICS_NAMES

    root = tmp_path / "k"
    data.main(["make-fake", "--out", str(root), "--classes", "2", "--train-per-class", "1", "--val-per-class", "1",
               "--defects"])  # the val split holds a zero-byte mp4
    small = {"root": str(root), "clip_len": 2, "frame_interval": 2, "train_scale": [16, 16], "crop_size": 16,
             "val_short_side": 16, "test_short_side": 16, "test_clips": 1}
    ck = str(_tiny_checkpoint(tmp_path / "ck.pt", sorted(KINETICS_NAMES[:2]), **small))
    capsys.readouterr()
    rc = eval_cli.main(["--checkpoint", ck, "--views", "1", "--set", "eval.on_error=fail"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].endswith(".mp4: video file is empty")  # was "video cannot be decoded"


def test_only_rank_0_writes_the_run_log(tmp_path, monkeypatch, capsys):
    import logging

    import pkg_video.engine.train as engine_train

    seen = {}

    def fake_train(cfg, out, **kw):
        seen["file_handlers"] = [h for h in logging.getLogger().handlers
                                 if isinstance(h, logging.FileHandler) and h.baseFilename.endswith("run.log")]
        return {"best_val_top1": -1.0, "val_videos": 0}

    monkeypatch.setattr(engine_train, "train", fake_train)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert train.main(["--config", "tiny_motion", "--out", str(tmp_path / "r")]) == 0
    assert seen["file_handlers"] == [] and not (tmp_path / "r" / "run.log").exists()
    monkeypatch.setenv("RANK", "0")
    assert train.main(["--config", "tiny_motion", "--out", str(tmp_path / "r")]) == 0
    assert len(seen["file_handlers"]) == 1 and (tmp_path / "r" / "run.log").exists()
    from pkg_shared.logging import setup

    setup()  # close run.log
