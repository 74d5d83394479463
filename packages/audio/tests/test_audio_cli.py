"""Console scripts: --help, the happy paths on a tiny checkpoint, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from pkg_audio.cli import data as data_cli
from pkg_audio.cli import demo as demo_cli
from pkg_audio.cli import eval as eval_cli
from pkg_audio.cli import export as export_cli
from pkg_audio.cli import info as info_cli
from pkg_audio.cli import tag as tag_cli
from pkg_audio.cli import train as train_cli

MAINS = [train_cli.main, eval_cli.main, tag_cli.main, export_cli.main, info_cli.main, data_cli.main, demo_cli.main]


@pytest.mark.parametrize("main", MAINS, ids=lambda m: m.__module__)
def test_help_exits_zero_and_shows_an_example(main, capsys):
    with pytest.raises(SystemExit) as ei:
        main(["--help"])
    assert ei.value.code == 0
    assert "example" in capsys.readouterr().out


@pytest.fixture(scope="module")
def run_dir(fake_root, tmp_path_factory, tiny):
    out = tmp_path_factory.mktemp("cli_run")
    args = ["--out", str(out), "--data-root", str(fake_root), "--device", "cpu"]
    for o in tiny + ["train.iterations=4", "train.eval_every=4", "train.checkpoint_every=4"]:
        args += ["--set", o]
    assert train_cli.main(args) == 0
    return out


def _one_line_error(capsys, rc):
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "error:" in err[0] and "Traceback" not in err[0]
    return err[0]


def test_eval_json_and_reproducibility_files(run_dir, fake_root, tmp_path, capsys):
    rc = eval_cli.main(["--checkpoint", str(run_dir / "best.pt"), "--data-root", str(fake_root), "--out", str(tmp_path)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["clips_evaluated"] == 12 and 0 <= res["mAP"] <= 1 and "dprime" in res and "convention" in res
    assert (tmp_path / "eval_ids.txt").read_text().count("\n") == 12
    assert (tmp_path / "eval_per_class.csv").read_text().startswith("index,mid,display_name,n_pos,AP,AUC")
    rc = eval_cli.main(["--checkpoint", str(run_dir / "best.pt"), "--data-root", str(fake_root),
                        "--hdf5", str(fake_root / "hdf5" / "eval_segments.h5"), "--strict-sklearn"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["n_classes_evaluated"] == 12
    rc = eval_cli.main(["--checkpoint", str(run_dir / "best.pt"), str(run_dir / "last.pt"), "--data-root", str(fake_root)])
    avg = json.loads(capsys.readouterr().out)
    assert rc == 0 and avg["averaged_models"] == 2
    # independent check: mean of the two models' probabilities, then the metric
    import dataclasses

    from pkg_audio.data.audioset import ClassIndex
    from pkg_audio.data.clips import build_split
    from pkg_audio.engine.checkpoints import load_tagger
    from pkg_audio.engine.evaluate import predict
    from pkg_audio.metrics import evaluate_scores

    m1, cfg, names, mids = load_tagger(run_dir / "best.pt")
    m2, _, _, _ = load_tagger(run_dir / "last.pt")
    clips = build_split(dataclasses.replace(cfg.data, root=fake_root), ClassIndex(tuple(mids), tuple(names)), "eval")
    p = (predict(m1, clips) + predict(m2, clips)) / 2
    assert avg["mAP"] == pytest.approx(evaluate_scores(clips.targets, p)["mAP"], abs=1e-6)


def test_tag_long_file_with_heatmap(run_dir, tmp_path, capsys):
    import numpy as np

    from pkg_shared.io.audio import write_wav

    rng = np.random.default_rng(0)
    write_wav(tmp_path / "long.wav", 0.1 * rng.standard_normal((22050 * 3, 2)).astype(np.float32), 22050)
    rc = tag_cli.main(["--checkpoint", str(run_dir / "last.pt"), str(tmp_path / "long.wav"), "--hop", "0.5",
                       "--topk", "3", "--heatmap", str(tmp_path / "h.png"), "--json", "--threshold", "0.0",
                       "--frames-csv", str(tmp_path / "f.csv"), "--windows-csv", str(tmp_path / "w.csv")])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["windows"] == 6 and len(res["top"]) == 3 and abs(res["duration_s"] - 3.0) < 1e-3
    assert len(res["above_threshold"]) == 12  # threshold 0 keeps every class
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (tmp_path / "f.csv").read_text().splitlines()
    assert rows[0].startswith("time_s,") and len(rows[0].split(",")) >= 13
    assert float(rows[-1].split(",")[0]) < 3.0  # frames cover the 3 s file, not the padding
    import csv

    with open(tmp_path / "w.csv") as fh:
        win = list(csv.reader(fh))
    assert win[0][:2] == ["start_s", "end_s"] and len(win) == 7  # header + 6 windows of 0.5 s clips, hop 0.5
    assert [float(r[0]) for r in win[1:]] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    # the clip score is the max over windows (agg=max) of the per-window table
    table = np.array([[float(v) for v in r[2:]] for r in win[1:]])
    best = {t["name"]: t["score"] for t in res["top"]}
    for j, name in enumerate(win[0][2:]):
        if name in best:
            assert abs(table[:, j].max() - best[name]) < 1e-4


def test_export_torchscript_and_onnx(run_dir, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    rc = export_cli.main(["--checkpoint", str(run_dir / "last.pt"), "--out", str(tmp_path), "--format", "both"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "torchscript" in out and "onnx" in out
    import numpy as np
    import onnxruntime as ort
    import torch

    from pkg_audio.engine.checkpoints import load_tagger

    model, _, _, _ = load_tagger(run_dir / "last.pt")
    x = torch.randn(3, 12000) * 0.1  # other batch and length than the export example
    ref = model(x)["clipwise"].detach().numpy()
    ts = torch.jit.load(str(tmp_path / "last.torchscript.pt"))
    np.testing.assert_allclose(ts(x)[0].detach().numpy(), ref, atol=1e-5)
    sess = ort.InferenceSession(str(tmp_path / "last.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(["clipwise"], {"waveform": x.numpy()})[0], ref, atol=1e-4)


def test_info_paper_recipe(capsys):
    assert info_cli.main(["--config", "raw_mla_16k"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["params"] == 13_608_845 - 0 and res["frame_stride"] == 160  # value checked by hand in test_audio_models


def test_data_check_and_make_fake(tmp_path, capsys):
    assert data_cli.main(["make-fake", "--out", str(tmp_path / "f"), "--clips", "6", "3", "3", "--seconds", "0.5", "0.5"]) == 0
    capsys.readouterr()
    assert data_cli.main(["check", "--root", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "eval: segments=3" in out and "audio_found=3" in out and "0 problem(s)" in out
    # corrupt one row and delete one clip: both reported, exit 1
    p = tmp_path / "f" / "eval_segments.csv"
    p.write_text(p.read_text() + 'bad-id, 1.0, 2.0, "/m/0001x"\n' + 'abcdefghijk, 2.0, 1.0, "/m/0001x"\n')
    victim = next((tmp_path / "f" / "balanced_train_segments").iterdir())
    victim.unlink()
    assert data_cli.main(["check", "--root", str(tmp_path / "f")]) == 1
    out = capsys.readouterr().out
    assert "eval_segments.csv:7: invalid YTID" in out and "audio_missing=1" in out
    assert "eval_segments.csv:8: end_seconds 1.0 is not after" in out  # every malformed row, not only the first
    assert "segments=3, malformed_rows=2" in out


def test_data_index_writes_manifest_and_missing_report(fake_root, tmp_path, capsys):
    audio = tmp_path / "audio"
    shutil.copytree(fake_root / "eval_segments", audio / "eval_segments")
    next((audio / "eval_segments").iterdir()).unlink()
    rc = data_cli.main(["index", "--root", str(fake_root), "--csv", "eval_segments.csv", "--audio-dir", str(audio),
                        "--out", str(tmp_path / "eval.json")])
    assert rc == 0
    man = json.loads((tmp_path / "eval.json").read_text())
    rep = json.loads((tmp_path / "eval_missing.json").read_text())
    assert len(man["data"]) == 11 and rep["missing"] == 1 and rep["listed"] == 12


def test_bad_inputs_give_one_line_errors(run_dir, fake_root, tmp_path, capsys):
    rc = tag_cli.main(["--checkpoint", str(run_dir / "last.pt"), str(tmp_path / "absent.wav")])
    assert "absent.wav" in _one_line_error(capsys, rc)
    (tmp_path / "junk.wav").write_bytes(b"RIFF....WAVEjunk")
    rc = tag_cli.main(["--checkpoint", str(run_dir / "last.pt"), str(tmp_path / "junk.wav")])
    assert "junk.wav" in _one_line_error(capsys, rc)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    rc = eval_cli.main(["--checkpoint", str(tmp_path / "bad.pt")])
    assert "bad.pt" in _one_line_error(capsys, rc)
    rc = export_cli.main(["--checkpoint", str(run_dir / "last.pt"), "--out", str(tmp_path / "e"), "--seconds", "-1"])
    assert "--seconds" in _one_line_error(capsys, rc) and not (tmp_path / "e").exists()
    rc = train_cli.main(["--config", "raw_mla_16k", "--set", "train.lr_typo=1", "--out", str(tmp_path / "x")])
    assert "lr_typo" in _one_line_error(capsys, rc)
    rc = train_cli.main(["--config", "no_such_recipe", "--out", str(tmp_path / "x")])
    assert "no_such_recipe" in _one_line_error(capsys, rc)
    rc = train_cli.main(["--config", "tiny_fake", "--set", "model.sample_rate=32000", "--out", str(tmp_path / "x")])
    assert "sample_rate" in _one_line_error(capsys, rc)
    bad_root = tmp_path / "badroot"
    shutil.copytree(fake_root, bad_root, ignore=shutil.ignore_patterns("*.wav", "*.h5"))
    (bad_root / "class_labels_indices.csv").write_text('index,mid,display_name\n0,/m/0a,"A"\n1,/m/0b,B, C\n')
    rc = train_cli.main(["--config", "tiny_fake", "--data-root", str(bad_root), "--out", str(tmp_path / "y")])
    assert "class_labels_indices.csv:3" in _one_line_error(capsys, rc)
    assert not (tmp_path / "y").exists()  # nothing written at all


def test_console_script_subprocess_exit_code(tmp_path):
    exe = shutil.which("audio-tag") or str(__import__("pathlib").Path(sys.executable).with_name("audio-tag"))
    r = subprocess.run([exe, "--checkpoint", str(tmp_path / "x.pt"), "a.wav"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "x.pt" in r.stderr


def test_pack_hdf5_streams_and_rejects_unknown_labels(fake_root, tmp_path, capsys):
    pytest.importorskip("h5py")
    import numpy as np

    from pkg_audio.data.audio_io import load_clip
    from pkg_audio.data.hdf5 import read_hdf5_index

    assert data_cli.main(["index", "--root", str(fake_root), "--csv", "eval_segments.csv",
                          "--out", str(tmp_path / "eval.json")]) == 0
    assert data_cli.main(["pack-hdf5", "--manifest", str(tmp_path / "eval.json"), "--labels",
                          str(fake_root / "class_labels_indices.csv"), "--out", str(tmp_path / "eval.h5"),
                          "--seconds", "1.0"]) == 0
    man = json.loads((tmp_path / "eval.json").read_text())["data"]
    ids, targets, reader = read_hdf5_index(tmp_path / "eval.h5", 12)
    assert ids == [e["id"][:11] for e in man] and targets.sum() == sum(len(e["labels"].split(",")) for e in man)
    ref = load_clip(man[3]["wav"], 32000, 1.0)  # PANNs' layout: int16 at 32 kHz
    assert np.abs(reader.read(3) - ref).max() <= 1.0 / 32767 + 1e-6
    # an index over it (PANNs' create_indexes) reads the same rows
    assert data_cli.main(["hdf5-index", "--out", str(tmp_path / "idx.h5"), str(tmp_path / "eval.h5")]) == 0
    np.testing.assert_array_equal(read_hdf5_index(tmp_path / "idx.h5", 12)[2].read(3), reader.read(3))
    capsys.readouterr()
    # a label outside the class list: one line naming the manifest, and no output file at all
    man[2]["labels"] += ",/m/0zzzzz"
    (tmp_path / "bad.json").write_text(json.dumps({"data": man}))
    rc = data_cli.main(["pack-hdf5", "--manifest", str(tmp_path / "bad.json"), "--labels",
                        str(fake_root / "class_labels_indices.csv"), "--out", str(tmp_path / "bad.h5")])
    assert "bad.json" in _one_line_error(capsys, rc) and not (tmp_path / "bad.h5").exists()
    # a clip that cannot be decoded half-way through: error names it, the partial file is removed
    pathlib = __import__("pathlib")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    man[2]["labels"] = man[3]["labels"]
    man[5]["wav"] = str(broken)
    (tmp_path / "broken.json").write_text(json.dumps({"data": man}))
    rc = data_cli.main(["pack-hdf5", "--manifest", str(tmp_path / "broken.json"), "--labels",
                        str(fake_root / "class_labels_indices.csv"), "--out", str(tmp_path / "b.h5")])
    assert "broken.wav" in _one_line_error(capsys, rc)
    assert not any(p.name.startswith((".b.h5", "b.h5")) for p in pathlib.Path(tmp_path).iterdir())
    rc = data_cli.main(["hdf5-index", "--out", str(tmp_path / "i2.h5"), str(tmp_path / "absent.h5")])
    assert "absent.h5" in _one_line_error(capsys, rc)


def test_eval_reports_missing_clips_and_subset_fingerprint(run_dir, fake_root, tmp_path, capsys):
    import hashlib

    audio = tmp_path / "audio"
    shutil.copytree(fake_root / "eval_segments", audio / "eval_segments")
    gone = sorted((audio / "eval_segments").iterdir())[:2]
    for g in gone:
        g.unlink()
    rc = eval_cli.main(["--checkpoint", str(run_dir / "best.pt"), "--data-root", str(fake_root),
                        "--audio-dir", str(audio), "--out", str(tmp_path / "res")])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["clips_listed"] == 12 and res["clips_found"] == 10 and res["clips_missing"] == 2
    ids_bytes = (tmp_path / "res" / "eval_ids.txt").read_bytes()
    assert res["eval_ids_sha1"] == hashlib.sha1(ids_bytes).hexdigest()
    missing = (tmp_path / "res" / "eval_missing_ids.txt").read_text().split()
    assert sorted(missing) == sorted(g.stem for g in gone)
    # the written id list restricts a later evaluation to exactly that subset (same fingerprint)
    rc = eval_cli.main(["--checkpoint", str(run_dir / "best.pt"), "--data-root", str(fake_root),
                        "--ids", str(tmp_path / "res" / "eval_ids.txt")])
    again = json.loads(capsys.readouterr().out)
    assert rc == 0 and again["eval_ids_sha1"] == res["eval_ids_sha1"] and again["mAP"] == res["mAP"]


def test_tag_with_bf16_autocast_matches_fp32(run_dir, tmp_path, capsys):
    import numpy as np

    from pkg_shared.io.audio import write_wav

    write_wav(tmp_path / "a.wav", 0.1 * np.random.default_rng(1).standard_normal(16000).astype(np.float32), 16000)
    scores = {}
    for amp in ("off", "bf16"):
        rc = tag_cli.main(["--checkpoint", str(run_dir / "last.pt"), str(tmp_path / "a.wav"), "--json", "--topk", "12",
                           "--amp", amp])
        assert rc == 0
        scores[amp] = {t["mid"]: t["score"] for t in json.loads(capsys.readouterr().out)["top"]}
    assert max(abs(scores["off"][m] - scores["bf16"][m]) for m in scores["off"]) < 0.05  # bf16: ~3 significant digits
    rc = tag_cli.main(["--checkpoint", str(run_dir / "last.pt"), str(tmp_path / "a.wav"), "--amp", "fp16", "--device", "cpu"])
    assert "fp16 needs a CUDA device" in _one_line_error(capsys, rc)
