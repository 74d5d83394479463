"""Training loop: exact resume, overfitting of every model family, coefficient analysis, export."""

import pytest
import torch
import torch.nn.functional as F

from pkg_shared.config import load_config
from pkg_video.config import Config, ModelConfig, recipe_path
from pkg_video.data.fake import make_fake_kinetics
from pkg_video.engine.checkpoint import load_trained
from pkg_video.engine.train import train
from pkg_video.models import build_model, cost_layers

TINY = dict(width=4, stage_blocks=[1, 1, 1, 1], dropout=0.0)


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return make_fake_kinetics(tmp_path_factory.mktemp("kt") / "k400", num_classes=2,
                              per_class={"train": 2, "val": 1}, frames=(16, 20), size=(24, 28))


def _cfg(root, *extra):
    return load_config(Config, recipe_path("tiny_motion"), [
        f"data.root={root}", "model.num_classes=2", "model.width=4", "data.clip_len=4", "data.frame_interval=2",
        "data.train_scale=[20,24]", "data.crop_size=16", "data.val_short_side=16", "data.test_short_side=16",
        "data.test_clips=2", "train.batch_size=2", "train.eval_every=2", "train.lr_steps=[1]", *extra])


@pytest.mark.parametrize("stop", [3, 2], ids=["mid-epoch", "epoch-boundary"])
def test_resume_is_exact(fake, tmp_path, stop):
    """Stop after ``stop`` steps (2 steps per epoch), resume, and land on bit-identical weights."""
    cfg = _cfg(fake, "train.epochs=2", "model.arch=costb_r50", "model.dropout=0.5")
    train(cfg, tmp_path / "full", device=torch.device("cpu"), num_workers=0)
    cut = _cfg(fake, "train.epochs=2", "model.arch=costb_r50", "model.dropout=0.5", f"train.max_steps={stop}")
    train(cut, tmp_path / "part", device=torch.device("cpu"), num_workers=0)
    mid = torch.load(tmp_path / "part" / "last.pt", weights_only=True)
    assert mid["step"] == stop and mid["sampler"]["position"] == (2 if stop == 3 else 0)
    train(cfg, tmp_path / "part", device=torch.device("cpu"), num_workers=0, resume=str(tmp_path / "part" / "last.pt"))
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "part" / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 2 and a["step"] == b["step"] == 4
    for k, v in a["model"].items():
        torch.testing.assert_close(b["model"][k], v, rtol=0, atol=0, msg=k)
    for k, v in a["optimizer"]["state"].items():
        torch.testing.assert_close(b["optimizer"]["state"][k]["momentum_buffer"], v["momentum_buffer"], rtol=0, atol=0)
    rows_a = [r for r in (tmp_path / "full" / "metrics.csv").read_text().splitlines() if "train_loss" not in r]
    assert len(rows_a) > 2
    model, cfg_loaded, classes = load_trained(str(tmp_path / "full" / "last.pt"))
    assert cfg_loaded.model.arch == "costb_r50" and len(classes) == 2


def test_checkpoint_inside_epoch(fake, tmp_path):
    """``checkpoint_every_steps`` writes last.pt in the middle of an epoch with the sampler position."""
    cfg = _cfg(fake, "train.epochs=1", "model.arch=c2d_r50", "train.batch_size=1", "train.checkpoint_every_steps=3",
               "train.max_steps=3")
    train(cfg, tmp_path / "r", device=torch.device("cpu"), num_workers=0)
    ck = torch.load(tmp_path / "r" / "last.pt", weights_only=True)
    assert ck["epoch"] == 0 and ck["step"] == 3
    assert ck["sampler"] == {"epoch": 0, "position": 3, "seed": 0, "world_size": 1, "batch_size": 1}
    assert ck["epoch_stats"][2] == 3  # three samples seen so far in the epoch


@pytest.mark.parametrize("arch", ["c2d_r50", "c3d_r50", "costa_r50", "costb_r50", "cost_concat_r50"])
def test_each_model_overfits_a_tiny_batch(arch):
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch=arch, num_classes=4, **TINY))
    x = torch.randn(8, 3, 4, 16, 16)
    y = torch.arange(8) % 4
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    first = None
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for name, p in model.named_parameters():  # gradients reach every part
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    assert loss.item() < 0.5 * first and acc >= 0.75


def test_coefficients_analysis(tmp_path):
    from pkg_video.analysis import coefficients as co

    model = build_model(ModelConfig(arch="costa_r50", num_classes=3, **TINY))
    rows = co.layer_table(co.static_coefficients(model))
    assert [r["layer"] for r in rows] == [n for n, _ in cost_layers(model)]
    assert all(abs(r["hw"] - 0.6697) < 1e-3 and abs(r["hw"] + r["temporal_share"] - 1) < 1e-6 for r in rows)
    co.plot(rows, tmp_path / "c.png", channels=co.static_coefficients(model))
    assert (tmp_path / "c.png").stat().st_size > 1000
    mb = build_model(ModelConfig(arch="costb_r50", num_classes=3, **TINY))
    clips = [(torch.randn(2, 3, 4, 16, 16), torch.tensor([0, 1])), (torch.randn(1, 3, 4, 16, 16), torch.tensor([1]))]
    mean, per_class = co.dynamic_coefficients(mb, clips)
    assert set(per_class) == {0, 1} and len(mean) == len(cost_layers(mb))
    for v in mean.values():
        assert abs(v.sum() - 1) < 1e-6
    # class 0 has one clip: its table equals that clip's alpha, recomputed here with a hook-free pass
    layer = cost_layers(mb)[0][1]
    layer.record_alpha = True
    mb.eval()
    with torch.no_grad():
        mb(clips[0][0][:1])
    expect = layer.last_alpha.mean(dim=2)[0].double().numpy()
    assert abs(per_class[0][cost_layers(mb)[0][0]] - expect).max() < 1e-6


def test_export_torchscript_and_onnx(tmp_path):
    from pkg_video.engine.export import export_onnx, export_torchscript, prepare

    model = build_model(ModelConfig(arch="costa_r50", num_classes=3, **TINY)).eval()
    folded, n = prepare(model)
    assert n == 4
    x = torch.randn(1, 3, 4, 16, 16)
    torch.testing.assert_close(folded(x), model(x), atol=1e-5, rtol=1e-4)
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert export_torchscript(folded, x, tmp_path / "m.ts") < 1e-5
        pytest.importorskip("onnxruntime")
        assert export_onnx(folded, x, tmp_path / "m.onnx") < 1e-4
    # torch's deprecation notices for jit / the TorchScript ONNX exporter are not printed with every export
    assert not [w for w in seen if issubclass(w.category, (FutureWarning, DeprecationWarning))], \
        [str(w.message)[:80] for w in seen]


@pytest.mark.slow
def test_torchrun_two_process_gloo(fake, tmp_path):
    """Two CPU processes (gloo) through torchrun: rank 0 writes the checkpoint, training completes."""
    import subprocess
    import sys

    args = ["--set", f"data.root={fake}", "--set", "model.num_classes=2", "--set", "model.width=4",
            "--set", "data.clip_len=4", "--set", "data.train_scale=[20,24]", "--set", "data.crop_size=16",
            "--set", "data.val_short_side=16", "--set", "data.test_short_side=16", "--set", "train.epochs=1",
            "--set", "train.batch_size=1"]
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m",
                        "pkg_video.cli.train", "--config", "tiny_motion", *args, "--out", str(tmp_path / "ddp"),
                        "--device", "cpu", "--workers", "0"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    ck = torch.load(tmp_path / "ddp" / "last.pt", weights_only=True)
    assert ck["epoch"] == 1


@pytest.mark.parametrize("deterministic", [True, False])
def test_cudnn_determinism_follows_the_config(fake, tmp_path, deterministic):
    before = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = (not deterministic), deterministic
    try:
        cfg = _cfg(fake, "train.epochs=1", "train.max_steps=1", f"train.cudnn_deterministic={str(deterministic).lower()}")
        train(cfg, tmp_path / "r", device=torch.device("cpu"), num_workers=0)
        assert torch.backends.cudnn.deterministic is deterministic  # official runs: deterministic cuDNN
        assert torch.backends.cudnn.benchmark is (not deterministic)
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before


def test_missing_tensorboard_is_said_once(fake, tmp_path, caplog, monkeypatch):
    import importlib.util
    import logging

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    cfg = _cfg(fake, "train.epochs=1", "train.max_steps=1", "train.tensorboard=true")
    with caplog.at_level(logging.INFO):
        train(cfg, tmp_path / "r", device=torch.device("cpu"), num_workers=0)
    said = [r.getMessage() for r in caplog.records if "TensorBoard is not installed" in r.getMessage()]
    assert len(said) == 1 and "packages/video[tensorboard]" in said[0]  # was silent: no tb/ folder and no word why
    assert (tmp_path / "r" / "metrics.csv").is_file()
