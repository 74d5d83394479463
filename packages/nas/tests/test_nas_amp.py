"""Mixed precision: bfloat16 autocast on CPU (run here), float16 + scaler on CUDA (marked gpu)."""

import dataclasses

import pytest
import torch

from pkg_nas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from pkg_nas.data.datasets import build_splits
from pkg_nas.data.fake import write_cifar100
from pkg_nas.engine.amp import make_amp
from pkg_nas.engine.train import train
from pkg_nas.models import Supernet
from pkg_nas.search.supernet_train import SupernetTrainer
from pkg_nas.space import LayerAssignment
from pkg_shared.errors import ConfigError

torch.set_num_threads(1)
TINY = ModelConfig(widths=(4, 8, 8, 16), num_classes=4, input_size=32, zero_init_residual=False)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar_amp")
    write_cifar100(root, per_class=8, test_per_class=2, classes=4)
    return root


def cfg_for(root, **train):
    train.setdefault("lr", 0.4)
    train.setdefault("weight_decay", 0.0)
    return RunConfig(model=TINY, data=DataConfig(root=str(root), batch_size=8, val_per_class=1, augment=False),
                     train=TrainConfig(amp=True, **train), assignment="1-1-1-1")


def conv_dtypes(model):
    """Output dtypes of every Conv2d/Linear call, recorded by forward hooks."""
    seen = set()
    hooks = [m.register_forward_hook(lambda m, i, o: seen.add(o.dtype)) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    return seen, hooks


def test_make_amp_choices():
    assert make_amp(True, "cpu").dtype == torch.bfloat16 and not make_amp(True, "cpu").scaler.is_enabled()
    assert make_amp(True, "cpu", "float16").dtype == torch.float16
    assert not make_amp(False, "cpu").enabled
    with pytest.raises(ConfigError, match="amp_dtype"):
        make_amp(True, "cpu", "float8")


def test_cpu_bf16_training_runs_in_bf16_keeps_fp32_weights_and_learns(data_root, monkeypatch):
    import pkg_nas.engine.train as T

    made = []
    real_build = T.build_network

    def build(cfg, a):  # record the dtypes the convolutions produce during training
        net = real_build(cfg, a)
        net._seen, _ = conv_dtypes(net)
        made.append(net)
        return net

    monkeypatch.setattr(T, "build_network", build)
    logs = []
    cfg = cfg_for(data_root, epochs=5)
    res = train(cfg, None, log=logs.append, evaluate_test=False)
    net = made[0]
    assert torch.bfloat16 in net._seen  # training forwards ran under bf16 autocast
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert all(b.dtype == torch.float32 for n, b in net.named_buffers() if "running" in n)
    first = float(logs[0].split("loss ")[1].split()[0])
    assert res["final_train_loss"] < 0.6 * first
    assert float(logs[-1].split("top-1 ")[1].split("%")[0]) >= 90.0


def test_cpu_bf16_resume_continues_exactly(data_root, tmp_path):
    cfg = cfg_for(data_root, epochs=3, lr=0.05)
    train(cfg, tmp_path / "a", log=lambda s: None, evaluate_test=False)
    train(cfg, tmp_path / "b", log=lambda s: None, stop_after_epoch=1, evaluate_test=False)
    train(cfg, tmp_path / "b", log=lambda s: None, resume=True, evaluate_test=False)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


def test_cpu_bf16_supernet_training_skips_inactive_blocks(data_root):
    cfg = cfg_for(data_root)
    splits = build_splits(cfg.data)
    sn = Supernet(cfg.model, (2, 2, 2, 2))
    seen, _ = conv_dtypes(sn)
    tr = SupernetTrainer(cfg, sn, splits.train, log=lambda s: None)
    tr.train([LayerAssignment((1, 2, 1, 1))], 1)
    assert torch.bfloat16 in seen
    for s in range(4):
        stage = sn.stage(s)
        active = (1, 2, 1, 1)[s]
        for k, block in enumerate(stage):
            grads = [p.grad for p in block.parameters()]
            assert all(g is None for g in grads) == (k >= active), (s, k)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fp16_training_uses_scaler_and_resumes(data_root, tmp_path):
    cfg = cfg_for(data_root, epochs=2, lr=0.05)
    train(cfg, tmp_path / "a", device="cuda", log=lambda s: None, evaluate_test=False)
    state = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    assert state["scaler"] and state["scaler"]["scale"] > 0  # float16 runs through the GradScaler
    train(cfg, tmp_path / "b", device="cuda", log=lambda s: None, stop_after_epoch=1, evaluate_test=False)
    res = train(cfg, tmp_path / "b", device="cuda", log=lambda s: None, resume=True, evaluate_test=False)
    assert res["final_train_loss"] == res["final_train_loss"]  # finite, not NaN
    cfg16 = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, amp_dtype="bfloat16"))
    assert not make_amp(True, "cuda", cfg16.train.amp_dtype).scaler.is_enabled()
