import json
import subprocess
import sys

import pytest
import torch

from pkg_nas.cli import bench, data, demo, eval, export, infer, profile, report, search, space, train

torch.set_num_threads(1)
MAINS = [space, profile, data, train, eval, infer, export, bench, search, report, demo]


@pytest.mark.parametrize("mod", MAINS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_help_exits_zero_with_example(mod, capsys):
    with pytest.raises(SystemExit) as exc:
        mod.main(["--help"])
    assert exc.value.code == 0
    assert "example" in capsys.readouterr().out


def run_err(mod, argv, capsys):
    rc = mod.main(argv)
    err = capsys.readouterr().err.strip()
    return rc, err


def test_bad_inputs_exit_two_with_one_line(tmp_path, capsys):
    cases = [
        (space, ["children", "--assignment", "2-x"]),
        (data, ["check", "--dataset", "cifar100", "--root", str(tmp_path / "missing")]),
        (train, ["--config", str(tmp_path / "nope.yaml")]),
        (train, ["--config", "cifar100_full", "--set", "train.epochz=3"]),
        (train, ["--config", "cifar100_full", "--set", "data.root=" + str(tmp_path)]),
        (eval, ["--checkpoint", str(tmp_path / "none.pt")]),
        (bench, ["query", "--bench", str(tmp_path / "none.jsonl")]),
        (search, ["inherited", "--set", "search.target_depth=2", "--set", f"data.root={tmp_path}"]),
    ]
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    cases.append((bench, ["query", "--bench", str(tmp_path / "bad.jsonl")]))
    for mod, argv in cases:
        rc, err = run_err(mod, argv, capsys)
        assert rc == 2, (argv, err)
        assert len(err.splitlines()) == 1 and "error:" in err and "Traceback" not in err, err
    _, err = run_err(bench, ["query", "--bench", str(tmp_path / "bad.jsonl")], capsys)
    assert "bad.jsonl:1" in err


def test_console_script_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "from pkg_nas.cli.data import main; raise SystemExit(main())",
                           "check", "--dataset", "imagenet", "--root", str(tmp_path / "x")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "error:" in proc.stderr


def test_space_and_profile_outputs(capsys):
    assert space.main(["count", "--stages", "4", "--depth", "8"]) == 0
    assert capsys.readouterr().out.strip() == "35"
    assert profile.main(["--preset", "imagenet", "--family", "bottleneck", "--assignment", "3-4-6-3"]) == 0
    assert "25,557,032" in capsys.readouterr().out


def test_cli_pipeline_on_fake_data(tmp_path, capsys):
    root = tmp_path / "data"
    assert data.main(["make-fake", "--dataset", "cifar100", "--out", str(root), "--per-class", "4", "--classes", "3"]) == 0
    assert data.main(["check", "--dataset", "cifar100", "--root", str(root)]) == 0
    run = tmp_path / "run"
    common = ["--config", "cifar100_full", "--set", f"data.root={root}", "--set", "model.widths=[4,8,8,8]",
              "--set", "train.epochs=1", "--set", "data.batch_size=8", "--set", "data.val_per_class=1"]
    assert train.main([*common, "--assignment", "1-1-2-1", "--out", str(run)]) == 0
    assert (run / "last.pt").is_file() and (run / "result.json").is_file() and (run / "config.yaml").is_file()
    capsys.readouterr()
    assert eval.main(["--checkpoint", str(run / "last.pt"), "--out", str(tmp_path / "ev.json")]) == 0
    ev = json.loads((tmp_path / "ev.json").read_text())
    assert ev["n"] == 6 and 0 <= ev["top1"] <= 100 and ev["split"] == "test"  # 3 classes x 2 test images
    from pkg_shared.io.image import write_image

    write_image(tmp_path / "img.png", (torch.rand(40, 50, 3) * 255).to(torch.uint8).numpy())
    assert infer.main(["--checkpoint", str(run / "last.pt"), "--image", str(tmp_path / "img.png"), "--topk", "3"]) == 0
    pred = json.loads(capsys.readouterr().out)
    assert len(pred[0]["top"]) == 3 and pred[0]["top"][0]["prob"] >= pred[0]["top"][1]["prob"]
    fmt = "both"
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        fmt = "torchscript"
    assert export.main(["--checkpoint", str(run / "last.pt"), "--format", fmt, "--out", str(tmp_path / "exp")]) == 0
    rep = json.loads((tmp_path / "exp" / "export.json").read_text())
    assert rep["torchscript"]["max_abs_diff"] < 1e-4
    assert report.main(["table", "--runs", str(run)]) == 0
    assert "1-1-2-1" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    assert demo.main(["--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["metric"].startswith("top1=") and (tmp_path / summary["picture"]).is_file()
