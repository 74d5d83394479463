"""Console scripts: --help works, bad input -> one-line error and exit 2, small real runs."""

import json
import subprocess
import sys

import pytest

from pkg_efficient.cli import bench as bench_cli
from pkg_efficient.cli import compress, count, data, demo, export, infer, train, vis
from pkg_efficient.cli import eval as eval_cli

MAINS = {"train": train.main, "eval": eval_cli.main, "infer": infer.main, "count": count.main, "compress": compress.main,
         "export": export.main, "data": data.main, "bench": bench_cli.main, "demo": demo.main, "vis": vis.main}


@pytest.mark.parametrize("name", sorted(MAINS))
def test_help_exits_zero_and_shows_example(name, capsys):
    with pytest.raises(SystemExit) as e:
        MAINS[name](["--help"])
    assert e.value.code == 0
    assert "example" in capsys.readouterr().out


def _err(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys):
    assert count.main(["--model", "nope"]) == 2
    assert "unknown model" in _err(capsys)
    assert eval_cli.main(["--model", "resnet20", "--dataset", "cifar10", "--data", str(tmp_path / "missing")]) == 2
    assert "missing" in _err(capsys)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    assert count.main(["--weights", str(bad)]) == 2
    assert "bad.pt" in _err(capsys)
    assert train.main(["--config", "no_such_recipe"]) == 2
    assert "no_such_recipe" in _err(capsys)
    assert train.main(["--config", "vgg16_cifar", "--set", "train.epoch=3", "--print-config"]) == 2
    assert "unknown config key" in _err(capsys)
    assert compress.main(["ldrf", "--arch", "vgg16_cifar"]) == 2
    assert "--data" in _err(capsys)
    # a missing dataset root: one line, and no run folder left behind (nothing half-written)
    assert train.main(["--config", "vgg16_cifar", "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "t")]) == 2
    assert "nodata" in _err(capsys) and not (tmp_path / "t").exists()
    assert compress.main(["ldrf", "--arch", "resnet20", "--dataset", "cifar10", "--data", str(tmp_path / "nodata"),
                          "--target-speedup", "2", "--out", str(tmp_path / "c")]) == 2
    assert "nodata" in _err(capsys) and not (tmp_path / "c").exists()
    assert compress.main(["spatial", "--arch", "resnet20", "--set", "refit=true", "--data", str(tmp_path)]) == 2
    assert "spatial" in _err(capsys)
    assert infer.main(["--model", "resnet20", str(tmp_path / "nope.jpg")]) == 2
    assert "nope.jpg" in _err(capsys)
    assert data.main(["check", "--root", str(tmp_path / "none")]) == 2
    _err(capsys)


def test_data_make_fake_and_check(tmp_path, capsys):
    assert data.main(["make-fake", "--dataset", "imagenet", "--layout", "kaggle", "--out", str(tmp_path / "k")]) == 0
    assert data.main(["check", "--dataset", "imagenet", "--root", str(tmp_path / "k"), "--decode"]) == 0
    out = capsys.readouterr().out
    assert "train: 12 images" in out and "0 problem(s)" in out
    assert data.main(["make-fake", "--dataset", "cifar10", "--out", str(tmp_path / "c")]) == 0
    (tmp_path / "c" / "cifar-10-batches-py" / "test_batch").write_bytes(b"junk")
    assert data.main(["check", "--dataset", "cifar10", "--root", str(tmp_path / "c")]) == 2
    assert "test_batch" in capsys.readouterr().out


def test_count_json_and_eval_infer(tmp_path, capsys):
    assert count.main(["--model", "resnet20", "--input", "32", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["totals"]["macs"] == 40_551_040
    assert data.main(["make-fake", "--dataset", "cifar10", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert eval_cli.main(["--model", "resnet20", "--dataset", "cifar10", "--data", str(tmp_path), "--input-size", "32"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n"] == 20 and 0 <= res["top1"] <= 100
    from pkg_shared.testing import write_random_image

    img = write_random_image(tmp_path / "x.png", 40, 40)
    assert infer.main(["--model", "resnet20", "--input-size", "32", str(img)]) == 0
    assert len(json.loads(capsys.readouterr().out)["top5"]) == 5


@pytest.mark.slow
def test_export_torchscript_and_onnx_equal_pytorch(tmp_path, capsys):
    import torch

    from pkg_efficient.config import ModelConfig
    from pkg_efficient.engine.modelio import save_model
    from pkg_efficient.models import build_model

    torch.manual_seed(0)
    cfg = ModelConfig(name="fenet_r_0.25", num_classes=10, stem_stride=1)
    m = build_model("fenet_r_0.25", num_classes=10, stem_stride=1)
    save_model(tmp_path / "m.pt", m, cfg)
    for fmt in ("torchscript", "onnx"):
        rc = export.main(["--weights", str(tmp_path / "m.pt"), "--format", fmt, "--input-size", "32",
                          "--out", str(tmp_path / f"m.{fmt}")])
        assert rc == 0
        assert json.loads(capsys.readouterr().out)["max_abs_diff"] < 1e-5


def test_console_script_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "pkg_efficient.cli.count", "--model", "bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "error: unknown model" in r.stderr
