"""Console scripts: --help, happy paths on tiny fake data, one-line errors with exit status 2."""

import json

import numpy as np
import pytest

from pkg_detect.cli import data, demo, export, hog, infer, train, vis
from pkg_detect.cli import eval as ev

MAINS = {"detect-data": data.main, "detect-train": train.main, "detect-eval": ev.main, "detect-infer": infer.main,
         "detect-vis": vis.main, "detect-export": export.main, "detect-hog": hog.main, "detect-demo": demo.main}


@pytest.mark.parametrize("name", sorted(MAINS))
def test_help(name, capsys):
    with pytest.raises(SystemExit) as e:
        MAINS[name](["--help"])
    assert e.value.code == 0
    assert "example" in capsys.readouterr().out


def _one_line_error(capsys, rc):
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert "Traceback" not in err and len(err.splitlines()) == 1
    return err


def test_bad_inputs_give_exit_2(capsys, tmp_path):
    err = _one_line_error(capsys, ev.main(["caltech", "--dets", str(tmp_path), "--root", str(tmp_path / "nope")]))
    assert "nope" in err
    err = _one_line_error(capsys, train.main(["--config", "tll_caltech", "--set", "model.widht=3", "--root", "x", "--out", str(tmp_path)]))
    assert "model.widht" in err
    err = _one_line_error(capsys, train.main(["--config", "no_such_recipe", "--root", "x", "--out", str(tmp_path)]))
    assert "no_such_recipe" in err


def test_train_bad_validation_videos_writes_nothing(capsys, tmp_path, caltech_root, tiny_overrides):
    sets = [a for o in tiny_overrides + ["train.val_every=1", "train.val_videos=[set05/V011]"] for a in ("--set", o)]
    err = _one_line_error(capsys, train.main(["--config", "tll_caltech", "--root", str(caltech_root),
                                              "--out", str(tmp_path / "run"), *sets]))
    assert "set05/V011" in err and not (tmp_path / "run").exists()
    bad = tmp_path / "dt.json"
    bad.write_text("{oops")
    err = _one_line_error(capsys, ev.main(["citypersons", "--gt", str(bad), "--dets", str(bad)]))
    assert "dt.json:1" in err
    (tmp_path / "broken.seq").write_bytes(b"\x00" * 2000)
    err = _one_line_error(capsys, data.main(["extract-caltech", "--root", str(tmp_path / "none"), "--out", str(tmp_path / "x")]))
    assert "none" in err


def test_print_config_and_shipped_recipes(capsys):
    for name in ("tll_caltech", "tll_mrf_caltech", "tll_tfa_caltech", "tll_citypersons", "hog_caltech"):
        assert train.main(["--config", name, "--print-config"]) == 0
    assert "temporal_mode: convlstm" in capsys.readouterr().out


def test_data_make_fake_check_extract(tmp_path, capsys):
    assert data.main(["make-fake", "--dataset", "kitti", "--out", str(tmp_path / "k")]) == 0
    assert data.main(["check", "--dataset", "kitti", "--root", str(tmp_path / "k")]) == 0
    (tmp_path / "k" / "training" / "label_2" / "000000.txt").write_text("Pedestrian 1 2\n")
    assert data.main(["check", "--dataset", "kitti", "--root", str(tmp_path / "k")]) == 1
    assert "000000.txt:1" in capsys.readouterr().out


def test_hog_baseline(caltech_root, tmp_path, capsys):
    import cv2

    if not hasattr(cv2, "HOGDescriptor"):
        rc = hog.main(["--input", str(caltech_root / "set06" / "V000.seq"), "--out", str(tmp_path)])
        assert "HOGDescriptor" in _one_line_error(capsys, rc)
        pytest.skip(f"OpenCV {cv2.__version__} lacks HOGDescriptor")
    assert hog.main(["--input", str(caltech_root / "set06" / "V000.seq"), "--out", str(tmp_path / "set06"),
                     "--upscale", "1.0"]) == 0
    assert (tmp_path / "set06" / "V000.txt").is_file()


def test_infer_seq_then_caltech_eval(tiny_run, caltech_root, tmp_path, capsys):
    res = tmp_path / "res" / "TLL"
    assert infer.main(["--run", str(tiny_run), "--input", str(caltech_root / "set06" / "V000.seq"),
                       "--out", str(res / "set06"), "--format", "caltech", "--draw", "0"]) == 0
    assert (res / "set06" / "V000.txt").is_file()
    capsys.readouterr()
    assert ev.main(["caltech", "--dets", str(res), "--root", str(caltech_root), "--setups", "Reasonable,Scale=far",
                    "--sets", "6", "--out", str(tmp_path / "e.json")]) == 0
    out = json.loads((tmp_path / "e.json").read_text())
    assert out["protocol"]["name"] == "original" and out["protocol"]["resize_dets"] is True
    assert set(out["results"]) == {"Reasonable", "Scale=far"}


def test_infer_vis_export(tiny_run, caltech_root, tmp_path, capsys):
    from pkg_detect.data.caltech_seq import SeqReader
    from pkg_shared.io.image import write_image

    write_image(tmp_path / "img.png", SeqReader(caltech_root / "set06" / "V000.seq")[29])
    assert infer.main(["--run", str(tiny_run), "--input", str(tmp_path / "img.png"), "--out", str(tmp_path / "p"),
                       "--format", "coco", "--thresh", "0"]) == 0
    assert isinstance(json.loads((tmp_path / "p" / "img.json").read_text()), list)
    assert (tmp_path / "p" / "img_det.png").is_file()
    assert vis.main(["--run", str(tiny_run), "--image", str(tmp_path / "img.png"), "--out", str(tmp_path / "v.png")]) == 0
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"
    assert vis.main(["--run", str(tiny_run), "--image", str(tmp_path / "img.png"), "--out", str(tmp_path / "m.png"),
                     "--maps"]) == 0
    from pkg_shared.io.image import read_image

    plain, sheet = read_image(tmp_path / "v.png"), read_image(tmp_path / "m.png")
    assert plain.shape == (480, 640, 3) and sheet.shape != plain.shape  # the frame itself vs the 2x2 map sheet
    capsys.readouterr()
    assert export.main(["--run", str(tiny_run), "--format", "torchscript", "--out", str(tmp_path / "m.pt"),
                        "--height", "64", "--width", "96"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["max_abs_error"] <= 1e-4
    pytest.importorskip("onnxruntime")
    assert export.main(["--run", str(tiny_run), "--format", "onnx", "--out", str(tmp_path / "m.onnx"),
                        "--height", "64", "--width", "96"]) == 0
    err = _one_line_error(capsys, infer.main(["--run", str(tiny_run), "--input", str(tmp_path / "missing.jpg"),
                                              "--out", str(tmp_path / "p")]))
    assert "missing.jpg" in err


def test_temporal_streaming_export(tmp_path, caltech_root, tiny_overrides, capsys):
    from pkg_detect import config as C
    from pkg_detect.engine.infer import StreamingDetector, load_run
    from pkg_detect.engine.train import train as run_train

    cfg = C.load("tll_tfa_caltech", tiny_overrides + ["train.iterations=1", "train.freeze_backbone_iters=0",
                                                      "data.temporal_offsets=[-1,0]", "mrf.enabled=false"])
    run_train(cfg, tmp_path / "t", root=caltech_root, quiet=True)
    model, cfg = load_run(tmp_path / "t")
    det = StreamingDetector(model, cfg)
    frame = np.zeros((64, 96, 3), np.uint8)
    assert det(frame).shape[1] == 5 and det.state is not None
    assert export.main(["--run", str(tmp_path / "t"), "--format", "torchscript", "--temporal-step",
                        "--out", str(tmp_path / "s.pt"), "--height", "64", "--width", "96"]) == 0


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    assert demo.main(["--out", str(tmp_path), "--steps", "20"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert {"ran", "metric", "picture"} <= set(s) and (tmp_path / s["picture"]).is_file()


def test_eval_kitti_cli_devkit_numbers(tmp_path, capsys):
    from pkg_detect.data import kitti

    root = tmp_path / "k"
    assert data.main(["make-fake", "--dataset", "kitti", "--out", str(root)]) == 0
    labels = root / "training" / "label_2"
    dets = tmp_path / "dets"
    for f in sorted(labels.glob("*.txt")):
        objs = [o for o in kitti.read_label(f) if o.type == "Pedestrian"]
        for i, o in enumerate(objs):
            o.score = 0.9 - 0.1 * i - 0.01 * int(f.stem)
        kitti.write_label(dets / f.name, objs)
    capsys.readouterr()
    assert ev.main(["kitti", "--labels", str(labels), "--dets", str(dets), "--out", str(tmp_path / "k.json")]) == 0
    out = json.loads((tmp_path / "k.json").read_text())
    # 2 frames x pedestrians of 120/60/30 px, all found: Moderate 6 GT -> slots 0..5 = 1; Easy (> 40 px) 4 GT
    assert out["n_gt"] == {"Easy": 4, "Moderate": 6, "Hard": 6}
    assert out["results"]["AP40"]["Moderate"] == pytest.approx(5 / 40)
    assert out["results"]["AP11"]["Moderate"] == pytest.approx(2 / 11)
    assert out["results"]["AP40"]["Easy"] == pytest.approx(3 / 40)
    assert out["protocol"]["missing_result_files"] == 0
    (dets / "000000.txt").write_text("Pedestrian 0 0 0 1 2 3 4 1 1 1 1 1 1 0\n")  # no score
    err = _one_line_error(capsys, ev.main(["kitti", "--labels", str(labels), "--dets", str(dets)]))
    assert "000000.txt:1" in err
