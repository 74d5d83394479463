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
    assert compress.main(["fga", "--arch", "resnet20", "--finetune-epochs", "2", "--out", str(tmp_path / "f")]) == 2
    assert "--data" in _err(capsys) and not (tmp_path / "f").exists()  # fine-tuning used to be skipped silently
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


def test_impossible_options_and_wrong_shapes_exit_2_nothing_written(tmp_path, capsys):
    """Audit (issue 7): these used to train silently, crash with a traceback or leave a run folder."""
    assert data.main(["make-fake", "--dataset", "cifar10", "--out", str(tmp_path / "c")]) == 0
    assert data.main(["make-fake", "--dataset", "imagenet", "--out", str(tmp_path / "i")]) == 0
    capsys.readouterr()
    base = ["--config", "vgg16_cifar", "--data", str(tmp_path / "c"), "--set", "data.workers=0",
            "--set", "train.epochs=1", "--set", "model.width=0.125"]
    for extra, words in ((["--set", "data.batch_size=0"], "data.batch_size"), (["--set", "train.epochs=-1"], "train.epochs"),
                         (["--set", "train.lr=-1"], "train.lr"), (["--set", "model.num_classes=5"], "10"),
                         (["--data", str(tmp_path / "i"), "--set", "data.dataset=imagenet", "--set", "data.input_size=16",
                           "--set", "model.name=vgg16", "--set", "model.num_classes=4"], "3x16x16")):
        out = tmp_path / "run"
        assert train.main(base + extra + ["--out", str(out)]) == 2, extra
        assert words in _err(capsys) and not out.exists(), extra
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {name: vgg16_cifar\n  bad")
    assert train.main(["--config", str(bad)]) == 2
    assert "bad.yaml:2: not valid YAML" in _err(capsys)
    assert count.main(["--model", "vgg16", "--input", "16"]) == 2
    assert "3x16x16" in _err(capsys)
    from pkg_shared.testing import write_random_image

    img = write_random_image(tmp_path / "x.png", 40, 40)
    assert infer.main(["--model", "resnet20", "--input-size", "0", str(img)]) == 2
    assert "positive" in _err(capsys)
    assert bench_cli.main(["--what", "model", "--model", "resnet20", "--baseline", "resnet20", "--batch", "a"]) == 2
    assert "--batch" in _err(capsys)
    assert export.main(["--model", "vgg16", "--input-size", "16", "--out", str(tmp_path / "v.ts"),
                        "--format", "torchscript"]) == 2
    assert "3x16x16" in _err(capsys) and not (tmp_path / "v.ts").exists()
    cbase = ["ldrf", "--arch", "vgg16_cifar", "--dataset", "cifar10", "--data", str(tmp_path / "c"), "--input-size", "32",
             "--num-classes", "10", "--out", str(tmp_path / "cmp")]
    w = tmp_path / "w.yaml"
    for extra, words in ((["--target-speedup", "0.5"], "target_speedup"), (["--calib-images", "0"], "calib_images"),
                         (["--set", "energy=2"], "energy"), (["--set", "positions=-1"], "positions"),
                         (["--input-size", "7"], "3x7x7"), (["--eval-samples", "0"], "--eval-samples")):
        assert compress.main(cbase + extra) == 2, extra
        assert words in _err(capsys) and not (tmp_path / "cmp").exists(), extra
    for text, words in (("[1, 2\n", "w.yaml:2: not valid YAML"), ("[8, 8]\n", "13 prunable convs"),
                        ("[" + ",".join(["4096"] * 13) + "]\n", "cannot keep 4096")):
        w.write_text(text)
        assert compress.main(cbase + ["--widths", str(w)]) == 2, text
        assert words in _err(capsys), text
    assert compress.main(["fga"] + cbase[1:] + ["--set", "group_size=0"]) == 2
    assert "group_size" in _err(capsys)
    assert compress.main(["fga"] + cbase[1:] + ["--set", "policy=budget", "--set", "target_reduction=1.5"]) == 2
    assert "target_reduction" in _err(capsys)
    with pytest.raises(SystemExit) as e:  # documented in the README, used to be rejected by the config
        compress.main(cbase + ["--set", "selection=compensate", "--print-config"])
    assert e.value.code == 0
    assert "selection: compensate" in capsys.readouterr().out


def test_weights_mismatch_message_names_the_problem(tmp_path, capsys):
    import torch

    from pkg_efficient.models import build_model

    torch.save(build_model("resnet20").state_dict(), tmp_path / "r20.pt")
    assert count.main(["--model", "resnet56", "--weights", str(tmp_path / "r20.pt"), "--input", "32"]) == 2
    err = _err(capsys)
    assert "r20.pt" in err and ("Missing key" in err or "size mismatch" in err)


def test_finetune_a_compressed_checkpoint_with_model_init(tmp_path, capsys):
    """The finetune_imagenet recipe's documented use: efficient-train --set model.init=compressed.pt
    (used to fail: the compressed weights were loaded into the full-size model)."""
    from pkg_efficient.config import ModelConfig
    from pkg_efficient.engine.modelio import build_from_config, load_model, save_model

    mcfg = ModelConfig(name="vgg16_cifar", num_classes=10, width=0.125)
    save_model(tmp_path / "vgg.pt", build_from_config(mcfg), mcfg)
    assert data.main(["make-fake", "--dataset", "cifar10", "--out", str(tmp_path / "c")]) == 0
    assert compress.main(["l1", "--arch", "vgg16_cifar", "--weights", str(tmp_path / "vgg.pt"), "--dataset", "cifar10",
                          "--data", str(tmp_path / "c"), "--input-size", "32", "--num-classes", "10", "--target-speedup", "2",
                          "--calib-images", "8", "--eval-samples", "8", "--set", "positions=2", "--finetune-epochs", "1",
                          "--out", str(tmp_path / "cmp")]) == 0
    small, spec = load_model(tmp_path / "cmp" / "compressed.pt")
    rep = json.loads((tmp_path / "cmp" / "report.json").read_text())
    drop = rep["top5_drop"]  # spec §1.2: top-5 drop before and after fine-tuning
    assert drop["before_finetune"] == rep["accuracy_before_compression"]["top5"] - rep["accuracy_before_finetune"]["top5"]
    assert "after_finetune" in drop and "after_finetune" in rep["top1_drop"]
    assert "compression" in load_model(tmp_path / "cmp" / "finetune" / "model.pt")[1]  # was saved with the base spec
    assert train.main(["--config", "vgg16_cifar", "--data", str(tmp_path / "c"), "--set", "data.workers=0",
                       "--set", "train.epochs=1", "--set", "train.lr=0.001", "--set", f"model.init={tmp_path / 'cmp' / 'compressed.pt'}",
                       "--out", str(tmp_path / "ft")]) == 0
    capsys.readouterr()
    tuned, tspec = load_model(tmp_path / "ft" / "model.pt")  # rebuilds as the compressed model
    again = ["--config", "vgg16_cifar", "--data", str(tmp_path / "c"), "--out", str(tmp_path / "ft")]
    assert train.main(again) == 2  # an existing run is not restarted over silently
    assert "--resume" in _err(capsys)
    assert "compression" in tspec
    assert sum(p.numel() for p in tuned.parameters()) == sum(p.numel() for p in small.parameters())


def test_spec_flags_and_schedule_values(capsys):
    """Spec §2.2/§2.8/§4.3 name --shift-penalty, --penalty-weighting and --include-1x1; §2.6 wants wd 1e-4
    for CSC expansion >= 6; §3.6/§4.5 fine-tune CIFAR at lr 0.01 (ImageNet 1e-3)."""
    import yaml

    from pkg_efficient.config import CompressConfig, finetune_lr

    with pytest.raises(SystemExit):
        train.main(["--config", "ssl_ablation_cifar", "--shift-penalty", "1e-3", "--penalty-weighting", "hw", "--print-config"])
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["train"]["shift_penalty"] == 1e-3 and cfg["train"]["penalty_weighting"] == "hw"
    assert cfg["model"]["expansion"] >= 6 and cfg["train"]["weight_decay"] == 1e-4
    with pytest.raises(SystemExit):
        compress.main(["fga", "--arch", "vgg16_cifar", "--include-1x1", "--print-config"])
    assert yaml.safe_load(capsys.readouterr().out)["include_1x1"] is True
    assert finetune_lr(CompressConfig(dataset="cifar10")) == 0.01
    assert finetune_lr(CompressConfig(dataset="imagenet")) == 0.001
    assert finetune_lr(CompressConfig(dataset="cifar10", finetune_lr=0.05)) == 0.05


def test_model_name_must_match_the_checkpoint_and_odd_inputs(tmp_path, capsys):
    """--model that contradicts a self-describing checkpoint used to be ignored silently; a JSON
    that is not an object crashed efficient-vis; make-fake with -1 images crashed."""
    from pkg_efficient.config import ModelConfig
    from pkg_efficient.engine.modelio import build_from_config, save_model

    mcfg = ModelConfig(name="resnet20", num_classes=10)
    save_model(tmp_path / "r.pt", build_from_config(mcfg), mcfg)
    assert count.main(["--model", "vgg16", "--weights", str(tmp_path / "r.pt"), "--input", "32"]) == 2
    assert "holds a resnet20 model" in _err(capsys)
    assert count.main(["--model", "resnet20", "--weights", str(tmp_path / "r.pt"), "--input", "32", "--json"]) == 0
    capsys.readouterr()
    (tmp_path / "rep.json").write_text("3")
    assert vis.main(["tradeoff", str(tmp_path / "rep.json"), "--out", str(tmp_path / "t.png")]) == 2
    assert "rep.json" in _err(capsys)
    assert data.main(["make-fake", "--dataset", "cifar10", "--n-train", "-1", "--out", str(tmp_path / "c")]) == 2
    assert "--n-train" in _err(capsys) and not (tmp_path / "c").exists()
    assert demo.main(["--epochs", "0", "--out", str(tmp_path / "d")]) == 2  # was a KeyError traceback
    assert "--epochs" in _err(capsys) and not (tmp_path / "d").exists()


def test_infer_repeats_the_training_preprocessing(tmp_path, capsys):
    """A CIFAR model used to be fed 224 px, ImageNet-normalised images unless the user knew its
    statistics; efficient-train now saves size, mean/std and class names with the weights."""
    assert data.main(["make-fake", "--dataset", "cifar10", "--out", str(tmp_path / "c")]) == 0
    assert train.main(["--config", "vgg16_cifar", "--data", str(tmp_path / "c"), "--set", "data.workers=0",
                       "--set", "train.epochs=1", "--set", "model.width=0.125", "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    from pkg_efficient.data.loaders import CifarDataset
    from pkg_shared.testing import write_random_image

    img = write_random_image(tmp_path / "x.png", 40, 40)
    assert infer.main(["--weights", str(tmp_path / "r" / "model.pt"), str(img)]) == 0
    res = json.loads(capsys.readouterr().out)
    stats = CifarDataset(tmp_path / "c", "cifar10", "train", augment=False).stats
    assert res["input_size"] == 32 and res["mean"] == pytest.approx(list(stats[0]))
    assert res["top5"][0]["name"] in {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}


def test_corrupt_training_image_with_loader_workers(tmp_path, capsys):
    """With data.workers > 0 (the recipes use 4-8) a corrupt image reached the user as a RuntimeError
    traceback from the DataLoader worker and left the run folder behind."""
    root = tmp_path / "i"
    assert data.main(["make-fake", "--dataset", "imagenet", "--out", str(root)]) == 0
    capsys.readouterr()
    bad = sorted((root / "train").glob("*/*.JPEG"))[1]
    bad.write_bytes(b"junk")
    out = tmp_path / "run"
    assert train.main(["--config", "fenet_r_1.0", "--data", str(root), "--set", "model.name=fenet_r_0.25",
                       "--set", "model.num_classes=4", "--set", "data.input_size=32", "--set", "data.batch_size=4",
                       "--set", "data.workers=2", "--set", "train.epochs=1", "--out", str(out)]) == 2
    err = _err(capsys)
    assert bad.name in err and "cannot decode image" in err and not out.exists()


def test_every_shipped_recipe_passes_the_value_checks():
    from pkg_efficient.config import CompressConfig, RunConfig, check_compress_config, check_run_config
    from pkg_efficient.configs import available, recipe_path
    from pkg_shared.config import load_config

    for name in available():
        kind = CompressConfig if "method" in (recipe_path(name).read_text()) else RunConfig
        cfg = load_config(kind, recipe_path(name), [])
        (check_compress_config if kind is CompressConfig else check_run_config)(cfg)
