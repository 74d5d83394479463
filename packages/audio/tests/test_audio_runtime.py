"""Mixed precision, synchronised BatchNorm, per-evaluation checkpoints and their averaging."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from pkg_audio.config import load
from pkg_audio.engine.runtime import autocast, check_amp, convert_sync_bn, make_scaler
from pkg_audio.engine.train import train
from pkg_shared.engine import load_checkpoint
from pkg_shared.engine.dist import DistInfo
from pkg_shared.errors import ConfigError


def _cfg(root, tiny, extra=()):
    return load(None, [f"data.root={root}", *tiny, "train.iterations=6", "train.eval_every=2",
                       "train.checkpoint_every=3", "mix.mix_fraction=0.5", *extra])


def test_bf16_autocast_runs_the_convolutions_in_bf16(fake_root, tiny):
    from pkg_audio.models import build_model

    model = build_model(_cfg(fake_root, tiny).model)
    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
             for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    x = torch.randn(2, 8000) * 0.1
    with autocast("bf16", torch.device("cpu")):
        out = model(x)
    assert seen and all(d == torch.bfloat16 for d in seen)
    seen.clear()
    with autocast("off", torch.device("cpu")):
        model(x)
    assert all(d == torch.float32 for d in seen)
    for h in hooks:
        h.remove()
    # the loss is taken in fp32 even on bf16 outputs
    from pkg_audio.losses import tagging_loss

    loss = tagging_loss(out, torch.zeros(2, 12))
    assert loss.dtype == torch.float32 and torch.isfinite(loss)


def test_bf16_training_on_cpu(fake_root, tmp_path, tiny):
    cfg = _cfg(fake_root, tiny, ["train.amp=bf16", "train.log_every=1"])
    res = train(cfg, tmp_path / "bf16")
    assert res["step"] == 6
    ck = load_checkpoint(tmp_path / "bf16" / "last.pt")
    assert all(v.dtype == torch.float32 for k, v in ck["model"].items() if v.is_floating_point())  # fp32 master weights
    assert "scaler" not in ck  # bf16 needs no loss scaling
    import csv

    with open(tmp_path / "bf16" / "metrics.csv") as fh:
        losses = [float(r["loss"]) for r in csv.DictReader(fh) if r["loss"]]
    assert len(losses) == 6 and all(0 < v < 10 for v in losses)


def test_amp_rules():
    cpu = torch.device("cpu")
    with pytest.raises(ConfigError, match="fp16 needs a CUDA device"):
        check_amp("fp16", cpu)
    with pytest.raises(ConfigError, match="train.amp"):
        check_amp("fp8", cpu)
    check_amp("bf16", cpu)
    assert make_scaler("bf16", cpu) is None and make_scaler("off", cpu) is None
    with pytest.raises(ConfigError, match="train.amp"):
        load(None, ["train.amp=fp32"])


def test_fp16_on_cpu_is_a_one_line_error(fake_root, tmp_path, tiny, capsys):
    from pkg_audio.cli import train as train_cli

    args = ["--out", str(tmp_path / "x"), "--data-root", str(fake_root), "--device", "cpu", "--set", "train.amp=fp16"]
    for o in tiny:
        args += ["--set", o]
    rc = train_cli.main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "fp16 needs a CUDA device" in err[0]
    assert not (tmp_path / "x" / "last.pt").exists()


@pytest.mark.gpu
def test_fp16_training_on_cuda(fake_root, tmp_path, tiny):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    res = train(_cfg(fake_root, tiny, ["train.amp=fp16"]), tmp_path / "fp16", device="cuda")
    assert res["step"] == 6
    ck = load_checkpoint(tmp_path / "fp16" / "last.pt")
    assert "scale" in ck["scaler"]  # the GradScaler state is resumed with the run


def _bn_count(model, cls):
    return sum(isinstance(m, cls) for m in model.modules())


def test_sync_bn_conversion_rules(fake_root, tiny):
    from pkg_audio.models import build_model

    model = build_model(_cfg(fake_root, tiny).model)
    n_bn = _bn_count(model, nn.modules.batchnorm._BatchNorm)
    two = DistInfo(rank=0, local_rank=0, world_size=2)
    # one process, or the option off: unchanged
    assert convert_sync_bn(model, True, DistInfo(), torch.device("cpu")) is model
    assert convert_sync_bn(model, False, two, torch.device("cuda")) is model
    # CPU ranks (gloo): SyncBatchNorm cannot run there -> a clear error before training starts
    with pytest.raises(ConfigError, match="sync_bn needs CUDA"):
        convert_sync_bn(model, True, two, torch.device("cpu"))
    # CUDA ranks: every BatchNorm becomes a SyncBatchNorm (the conversion itself needs no GPU)
    ref = {k: v.clone() for k, v in model.state_dict().items()}
    synced = convert_sync_bn(model, True, two, torch.device("cuda"))
    assert n_bn > 0 and _bn_count(synced, nn.SyncBatchNorm) == n_bn
    # same parameter/buffer names: a checkpoint of the synced model loads into the plain one
    plain = build_model(_cfg(fake_root, tiny).model)
    plain.load_state_dict(synced.state_dict())
    assert set(synced.state_dict()) == set(ref)


def test_eval_checkpoints_kept_and_averaged(fake_root, tmp_path, tiny, capsys):
    from pkg_audio.cli import eval as eval_cli
    from pkg_audio.engine.checkpoints import eval_checkpoints

    run = tmp_path / "run"
    train(_cfg(fake_root, tiny, ["train.keep_eval_checkpoints=2"]), run)
    kept = eval_checkpoints(run)
    assert [p.name for p in kept] == ["ckpt_step0000004.pt", "ckpt_step0000006.pt"]  # evals at 2, 4, 6; newest 2 kept
    assert [load_checkpoint(p)["step"] for p in kept] == [4, 6]

    # prediction averaging (the spec's): equals the metric of the mean of the two models' probabilities
    rc = eval_cli.main(["--run", str(run), "--last", "2", "--data-root", str(fake_root)])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["averaged_models"] == 2 and res["averaging"].startswith("predictions of 2")
    import dataclasses

    from pkg_audio.data.audioset import ClassIndex
    from pkg_audio.data.clips import build_split
    from pkg_audio.engine.checkpoints import load_tagger
    from pkg_audio.engine.evaluate import predict
    from pkg_audio.metrics import evaluate_scores

    m1, cfg, names, mids = load_tagger(kept[0])
    m2, _, _, _ = load_tagger(kept[1])
    clips = build_split(dataclasses.replace(cfg.data, root=fake_root), ClassIndex(tuple(mids), tuple(names)), "eval")
    p_avg = (predict(m1, clips) + predict(m2, clips)) / 2
    assert res["mAP"] == pytest.approx(evaluate_scores(clips.targets, p_avg)["mAP"], abs=1e-6)

    # weight averaging: the saved model's tensors are the mean of the two state dicts
    avg_path = tmp_path / "avg.pt"
    rc = eval_cli.main(["--run", str(run), "--last", "2", "--average", "weights", "--save-averaged", str(avg_path),
                        "--data-root", str(fake_root)])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["averaging"].startswith("weights of 2")
    a, b = load_checkpoint(kept[0])["model"], load_checkpoint(kept[1])["model"]
    got = load_checkpoint(avg_path)["model"]
    for k, v in got.items():
        if v.is_floating_point():
            torch.testing.assert_close(v, (a[k] + b[k]) / 2, rtol=1e-6, atol=1e-7, msg=k)
        else:
            assert torch.equal(v, b[k])
    m_avg, _, _, _ = load_tagger(avg_path)
    assert res["mAP"] == pytest.approx(evaluate_scores(clips.targets, predict(m_avg, clips))["mAP"], abs=1e-6)


def test_averaging_errors_are_one_line(fake_root, tmp_path, capsys):
    from pkg_audio.cli import eval as eval_cli

    (tmp_path / "empty").mkdir()
    for argv, needle in [(["--run", str(tmp_path / "empty")], "no per-evaluation checkpoints"),
                         (["--run", str(tmp_path / "absent")], "run directory not found"),
                         ([], "either --checkpoint"),
                         (["--run", str(tmp_path / "empty"), "--save-averaged", str(tmp_path / "a.pt")], "--average weights")]:
        rc = eval_cli.main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and needle in err[0], (argv, err)
