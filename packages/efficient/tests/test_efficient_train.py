"""Training loop: exact resume, gradients reach every part, the shift penalty raises sparsity."""

import pytest
import torch

from pkg_efficient.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from pkg_efficient.data.cifar import write_fake_cifar
from pkg_efficient.engine.optim import lr_at, param_groups
from pkg_efficient.engine.train import train
from pkg_efficient.models.resnet_cifar import ResNetCIFAR
from pkg_efficient.ops.fold import shift_stats


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    write_fake_cifar(root, "cifar10", n_train=32, n_test=16, seed=0)
    return root


def _cfg(root, epochs=2, penalty=1e-3, lr=0.05, ema=0.0):
    return RunConfig(ModelConfig(name="shift_resnet20"),
                     DataConfig(dataset="cifar10", root=str(root), input_size=32, batch_size=16, workers=0),
                     TrainConfig(epochs=epochs, lr=lr, nesterov=False, warmup_epochs=0.5, label_smoothing=0.1,
                                 shift_penalty=penalty, log_every=1, ema_decay=ema), seed=3)


def _tiny(seed=0):
    torch.manual_seed(seed)
    return ResNetCIFAR(8, 10, expansion=1, shift={"mode": "ssl"}, width=4)


def test_resume_continues_exactly(cifar, tmp_path):
    """Interrupted after epoch 1 and resumed: weights and the weight EMA equal the uninterrupted run."""
    cfg = _cfg(cifar, epochs=2, ema=0.9)
    a = _tiny()
    train(cfg, tmp_path / "a", torch.device("cpu"), model=a)
    b = _tiny()
    train(cfg, tmp_path / "b", torch.device("cpu"), model=b, stop_after_epochs=1)
    b2 = _tiny(seed=99)  # a fresh process would rebuild the model from scratch, then load last.pt
    train(cfg, tmp_path / "b", torch.device("cpu"), model=b2, resume=True)
    for (n, p), (_, q) in zip(a.state_dict().items(), b2.state_dict().items()):
        assert torch.equal(p, q), n
    assert (tmp_path / "a" / "metrics.csv").is_file() and (tmp_path / "a" / "model.pt").is_file()
    ema_a = torch.load(tmp_path / "a" / "model_ema.pt", weights_only=True)["state_dict"]
    ema_b = torch.load(tmp_path / "b" / "model_ema.pt", weights_only=True)["state_dict"]
    for n, p in ema_a.items():
        assert torch.equal(p, ema_b[n]), n
    # the EMA is a real average: it differs from the final weights but stays close to them
    w = a.state_dict()
    diffs = [float((ema_a[n] - w[n]).abs().max()) for n in w if w[n].is_floating_point()]
    assert max(diffs) > 0


def test_param_groups_and_schedule():
    m = _tiny()
    groups = {g["name"]: g for g in param_groups(m, TrainConfig(weight_decay=1e-4, shift_lr_mult=0.5))}
    assert groups["shift"]["weight_decay"] == 0 and groups["shift"]["lr_mult"] == 0.5
    assert all(p.ndim == 1 for p in groups["no_decay"]["params"])
    cfg = TrainConfig(lr=1.0, warmup_epochs=1, min_lr=0.0)
    assert lr_at(0, 100, 10, cfg) == pytest.approx(0.1)
    assert lr_at(9, 100, 10, cfg) == pytest.approx(1.0)
    assert lr_at(55, 100, 10, cfg) == pytest.approx(0.5)  # cosine midpoint


@pytest.mark.slow
def test_overfit_and_penalty_raises_sparsity(cifar, tmp_path):
    """Same seed and length: loss falls, train accuracy rises; lambda > 0 gives strictly higher sparsity."""
    from pkg_efficient.data.loaders import CifarDataset

    ds = CifarDataset(cifar, "cifar10", "train", augment=False)
    x, y = ds.x, ds.y
    res = {}
    for lam in (0.0, 5e-2):
        m = _tiny(1)
        opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        first = None
        for _ in range(200):
            loss = torch.nn.functional.cross_entropy(m(x), y)
            pen = sum(s.penalty() for s in m.modules() if hasattr(s, "disp"))
            opt.zero_grad()
            (loss + lam * pen).backward()
            opt.step()
            first = first if first is not None else loss.item()
        m.eval()
        with torch.no_grad():
            acc = (m(x).argmax(1) == y).float().mean().item()
        res[lam] = (first, loss.item(), acc, shift_stats(m)["shift_sparsity"])
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    for lam, (first, last, acc, _) in res.items():
        assert last < 0.5 * first, (lam, first, last)
        assert acc > 0.8
    assert res[5e-2][3] > res[0.0][3]


def test_torchrun_two_processes_gloo(cifar, tmp_path):
    """`torchrun --nproc-per-node 2` on CPU (gloo): trains, ranks stay identical, rank 0 alone writes and reports."""
    import json
    import os
    import subprocess
    import sys

    out = tmp_path / "ddp"
    sets = ["model.expansion=1", "model.num_classes=10", "train.epochs=1", "data.batch_size=16", "data.workers=0",
            "train.warmup_epochs=0", "data.max_val_samples=8"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "pkg_efficient.cli.train", "--config", "ssl_ablation_cifar", "--data", str(cifar), "--out", str(out)]
    for s in sets:
        cmd += ["--set", s]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    results = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(results) == 1 and results[0]["world_size"] == 2  # rank 0 alone reports
    assert results[0]["ddp_replica_spread"] == 0.0  # min and max of the ranks' checksums, all-reduced
    assert (out / "model.pt").is_file() and (out / "last.pt").is_file()
    assert not list(out.glob("*.tmp"))


def _family(name):
    from pkg_efficient.models import build_model
    from pkg_efficient.models.fenet import ssl_mobilenet_v2

    if name == "ssl_mbv2":  # the SSL-MobileNetV2 builder at 1/4 width (full width is too slow here)
        return ssl_mobilenet_v2(0.25, num_classes=10, stem_stride=1, dropout=0.0)
    kw = {"fenet_r_0.25": {"stem_stride": 1, "dropout": 0.0}, "vgg16_cifar": {"width": 0.125}, "resnet20": {"width": 4}}
    return build_model(name, num_classes=10, **kw[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fenet_r_0.25", "vgg16_cifar", "resnet20", "ssl_mbv2"])
def test_each_model_family_overfits_a_tiny_set(cifar, name):
    """Loss falls clearly and train accuracy rises on 32 fake CIFAR images (gradients reach every part)."""
    from pkg_efficient.data.loaders import CifarDataset

    ds = CifarDataset(cifar, "cifar10", "train", augment=False)
    x, y = ds.x, ds.y
    torch.manual_seed(0)
    m = _family(name)
    m.eval()
    with torch.no_grad():
        acc0 = (m(x).argmax(1) == y).float().mean().item()
    m.train()
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)
    m.eval()
    with torch.no_grad():
        acc = (m(x).argmax(1) == y).float().mean().item()
    assert loss.item() < 0.3 * first
    assert acc > max(0.8, acc0 + 0.3)


def test_tensorboard_is_a_declared_extra_and_written(cifar, tmp_path):
    """TensorBoard logs (issue 7, item 6) need the package's `tensorboard` extra; with it the run writes OUT/tb."""
    import pathlib

    import tomllib

    meta = tomllib.loads((pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert any(d.startswith("tensorboard") for d in meta["project"]["optional-dependencies"]["tensorboard"])
    pytest.importorskip("tensorboard")
    train(_cfg(cifar, epochs=1), tmp_path, torch.device("cpu"), model=_tiny())
    assert any((tmp_path / "tb").glob("events.out.tfevents.*"))
