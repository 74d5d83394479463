import dataclasses

import pytest
import torch

from pkg_nas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from pkg_nas.data.datasets import build_splits
from pkg_nas.data.fake import write_cifar100
from pkg_nas.engine.train import load_model, train
from pkg_nas.models import build_network

torch.set_num_threads(1)
TINY = ModelConfig(widths=(4, 8, 8, 16), num_classes=100, input_size=32)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    write_cifar100(root, per_class=8, test_per_class=2, classes=4)
    return root


def cfg_for(root, **train):
    train.setdefault("lr", 0.05)
    return RunConfig(model=TINY, data=DataConfig(root=str(root), batch_size=8, val_per_class=2, train_on="train_minus_val"),
                     train=TrainConfig(**train), assignment="1-1-1-1")


def test_resume_continues_exactly(data_root, tmp_path):
    cfg = cfg_for(data_root, epochs=3)
    train(cfg, tmp_path / "a", log=lambda s: None)
    assert train(cfg, tmp_path / "b", log=lambda s: None, stop_after_epoch=1) == {"stopped_at_epoch": 1}
    train(cfg, tmp_path / "b", log=lambda s: None, resume=True)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 2 and a["step"] == b["step"]
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert (tmp_path / "b" / "metrics.csv").is_file()
    model, rcfg, names = load_model(tmp_path / "a" / "last.pt")
    assert rcfg == cfg and len(names) == 100


@pytest.mark.parametrize("family", ["plain", "basic", "bottleneck"])
def test_each_family_overfits_and_gradients_reach_everything(family, data_root):
    torch.manual_seed(0)
    model_cfg = dataclasses.replace(TINY, family=family, zero_init_residual=False, num_classes=4)
    net = build_network(model_cfg, "1-2-1-1")
    net(torch.randn(4, 3, 32, 32)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    cfg = dataclasses.replace(cfg_for(data_root, epochs=15, weight_decay=0.0, lr=0.8),
                              model=model_cfg, data=DataConfig(root=str(data_root), batch_size=8, augment=False,
                                                               val_per_class=1))
    splits = build_splits(cfg.data)
    logs = []
    res = train(cfg, None, splits=splits, log=logs.append, evaluate_test=False)
    first = float(logs[0].split("loss ")[1].split()[0])
    last_top1 = float(logs[-1].split("top-1 ")[1].split("%")[0])
    assert res["final_train_loss"] < 0.6 * first
    assert last_top1 >= 90.0


@pytest.mark.slow
def test_torchrun_two_process_gloo(data_root, tmp_path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "pkg_nas.cli.train",
           "--config", "cifar100_full", "--set", f"data.root={data_root}", "--set", "model.widths=[4,8,8,8]",
           "--set", "train.epochs=1", "--set", "data.batch_size=4", "--set", "data.val_per_class=1",
           "--assignment", "1-1-1-1", "--out", str(tmp_path / "run"), "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "run" / "last.pt").is_file() and (tmp_path / "run" / "result.json").is_file()
