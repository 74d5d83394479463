import os
import random
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from torch import nn

from pkg_shared.engine import (
    capture_rng_state,
    count_macs,
    count_params,
    load_checkpoint,
    macs_by_module,
    restore_rng_state,
    save_checkpoint,
    seed_everything,
)
from pkg_shared.engine.bench import compare, time_many
from pkg_shared.errors import DataFormatError
from pkg_shared.logging import MetricsLogger


def test_macs_match_hand_formula():
    # conv: C_out * C_in/groups * kh * kw * H_out * W_out ; linear: in * out
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 5, 10))
    x = torch.randn(1, 3, 6, 5)
    expected = 8 * 3 * 9 * 6 * 5 + 8 * 6 * 5 * 10
    assert count_macs(model, x) == expected
    per = macs_by_module(model, x)
    assert per["0"] == 8 * 3 * 9 * 6 * 5
    assert per[""] == expected
    assert count_params(model) == (8 * 3 * 9 + 8) + (240 * 10 + 10)


def test_macs_grouped_conv_and_batch():
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=4, bias=False)
    assert count_macs(conv, torch.randn(2, 8, 4, 4)) == 2 * 8 * 2 * 9 * 16


class _Tagger(nn.Module):
    """Embedding-free toy: a bidirectional 2-layer LSTM, then a linear head on every step."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(6, 5, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(10, 3)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def test_macs_count_lstm_that_the_flop_counter_misses():
    # by hand, per step and direction: layer 1 4*5*(6+5)=220, layer 2 4*5*(10+5)=300; B*T = 2*7
    lstm_macs = 2 * 7 * 2 * (220 + 300)
    head_macs = 2 * 7 * 10 * 3
    model = _Tagger()
    x = torch.randn(2, 7, 6)
    assert count_macs(model, x) == lstm_macs + head_macs
    per = macs_by_module(model, x)
    assert per["rnn"] == lstm_macs and per["head"] == head_macs and per[""] == lstm_macs + head_macs
    # the root itself an LSTM with a projection: 4*8*(3+4) + 8*4 per step, 5 steps, unbatched input
    proj = nn.LSTM(3, 8, proj_size=4)
    assert count_macs(proj, torch.randn(5, 3)) == 5 * (4 * 8 * (3 + 4) + 8 * 4)


def test_macs_gru_counted_once():
    # GRU decomposes into matmuls the counter sees: no analytic count may be added on top
    gru = nn.GRU(4, 6, batch_first=True)
    assert count_macs(gru, torch.randn(3, 5, 4)) == 3 * 5 * 3 * 6 * (4 + 6)


def test_rng_round_trip_through_checkpoint(tmp_path):
    seed_everything(123)
    state = capture_rng_state()
    save_checkpoint({"rng": state}, tmp_path / "c.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.random(), np.random.rand(), torch.rand(1)
    restore_rng_state(load_checkpoint(tmp_path / "c.pt")["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_corrupt_checkpoint_names_file(tmp_path):
    p = tmp_path / "bad.pt"
    p.write_bytes(b"not a checkpoint")
    with pytest.raises(DataFormatError, match="bad.pt") as exc:
        load_checkpoint(p)
    assert "\n" not in str(exc.value)  # one line for the CLI
    with pytest.raises(DataFormatError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def _train(steps, ckpt_dir, stop_after=None, resume=False):
    """Tiny loop with dropout and data shuffling so RNG state matters."""
    path = ckpt_dir / "last.pt"
    seed_everything(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
    data = torch.randn(32, 4)
    start = 0
    if resume:
        ck = load_checkpoint(path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optim"])
        sched.load_state_dict(ck["sched"])
        restore_rng_state(ck["rng"])
        start = ck["step"]
    for step in range(start, steps):
        idx = torch.randperm(32)[:8]
        loss = model(data[idx]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if stop_after is not None and step + 1 == stop_after:
            save_checkpoint(
                {"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(),
                 "rng": capture_rng_state(), "step": step + 1},
                path,
            )
            return None
    return model.state_dict()


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    full = _train(6, tmp_path)
    _train(6, tmp_path, stop_after=3)
    resumed = _train(6, tmp_path, resume=True)
    for k in full:
        torch.testing.assert_close(resumed[k], full[k], atol=0, rtol=0)


def test_metrics_logger_grows_columns(tmp_path):
    log = MetricsLogger(tmp_path, tensorboard=False)
    log.log(1, loss=0.5)
    log.log(2, loss=0.4, acc=0.9)
    log.close()
    lines = (tmp_path / "metrics.csv").read_text().strip().splitlines()
    assert lines[0] == "step,loss,acc"
    assert lines[1].startswith("1,0.5,") and lines[2] == "2,0.4,0.9"


def test_bench_compare_reports_ratio():
    r = compare("noop", lambda: sum(range(10)), lambda: sum(range(10000)), warmup=1, repeat=3)
    assert r["speedup"] > 1.0 and r["baseline"]["repeat"] == 3
    assert r["cpu_speedup"] > 1.0 and r["interleaved"] is True


def test_time_many_interleaves_in_rotating_order_and_counts_cpu():
    calls: list[str] = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abc"}
    t = time_many(fns, warmup=1, repeat=3)
    assert calls[:3] == ["a", "b", "c"]  # warm-ups
    assert calls[3:] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]  # one call each per round, rotated
    calls.clear()
    time_many(fns, warmup=0, repeat=2, interleave=False)
    assert calls == ["a", "a", "b", "b", "c", "c"]
    assert set(t) == set("abc") and all(v["repeat"] == 3 for v in t.values())
    spin = time_many({"busy": lambda: sum(i * i for i in range(200000)), "sleep": lambda: time.sleep(0.02)}, warmup=0, repeat=2)
    assert spin["sleep"]["median_s"] >= 0.02 and spin["sleep"]["cpu_median_s"] < 0.5 * spin["sleep"]["median_s"]
    assert spin["busy"]["cpu_median_s"] > spin["sleep"]["cpu_median_s"]  # CPU time, not wall, is counted


DDP_SCRIPT = textwrap.dedent(
    """
    import os, torch
    from torch import nn
    from pkg_shared.engine import dist
    info = dist.init_from_env()
    torch.manual_seed(0)
    model = dist.wrap_model(nn.Linear(3, 1, bias=False), info, torch.device("cpu"))
    x = torch.full((1, 3), float(info.rank + 1))
    model(x).sum().backward()
    g = dist.unwrap(model).weight.grad
    mean = dist.all_reduce_mean(torch.tensor([float(info.rank)]), info)
    if info.is_main:
        print("GRAD", g.tolist(), "MEAN", mean.item(), "WORLD", info.world_size)
    dist.cleanup(info)
    """
)


def test_two_process_gloo_ddp(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29517", str(script)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # DDP averages gradients: inputs 1 and 2 -> mean 1.5 per weight
    assert "GRAD [[1.5, 1.5, 1.5]] MEAN 0.5 WORLD 2" in proc.stdout


def test_resumable_sampler_continues_mid_epoch_and_splits_ranks():
    from pkg_shared.engine import ResumableSampler

    full = ResumableSampler(10, seed=3)
    first_epoch = list(full)
    assert sorted(first_epoch) == list(range(10))
    assert list(full) != first_epoch  # a new epoch, a new order

    s = ResumableSampler(10, seed=3)
    it = iter(s)
    head = [next(it) for _ in range(4)]
    state = s.state_dict()
    s2 = ResumableSampler(10, seed=99)
    s2.load_state_dict(state)
    assert len(s2) == 6
    assert head + list(s2) == first_epoch
    r0 = ResumableSampler(7, seed=1, rank=0, world_size=2)
    r1 = ResumableSampler(7, seed=1, rank=1, world_size=2)
    a, b = list(r0), list(r1)
    assert len(a) == len(b) == 4 and set(a) | set(b) == set(range(7))


def test_train_state_round_trip(tmp_path):
    from pkg_shared.engine import ResumableSampler, load_train_state, save_train_state

    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    sampler = ResumableSampler(5, seed=2)
    next(iter(sampler))
    save_train_state(tmp_path / "s.pt", model=model, optimizer=opt, sampler=sampler, step=7, epoch=1,
                     extra={"margin_stage": 2})
    model2 = nn.Linear(3, 2)
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.01)
    sampler2 = ResumableSampler(5, seed=0)
    st = load_train_state(tmp_path / "s.pt", model=model2, optimizer=opt2, sampler=sampler2)
    assert st["step"] == 7 and st["extra"]["margin_stage"] == 2
    torch.testing.assert_close(model2.weight, model.weight)
    assert opt2.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    assert sampler2.state_dict() == sampler.state_dict()


def test_metrics_logger_says_when_tensorboard_is_missing(tmp_path, monkeypatch, caplog):
    import builtins
    import logging

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ModuleNotFoundError("No module named 'tensorboard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with caplog.at_level(logging.WARNING):
        log = MetricsLogger(tmp_path, tensorboard=True)
    log.log(1, loss=0.5)
    log.close()
    assert any("TensorBoard logging is off" in r.getMessage() and "metrics.csv" in r.getMessage() for r in caplog.records)
    assert (tmp_path / "metrics.csv").read_text().startswith("step,loss")


def test_launch_rank_reads_torchrun_env_and_is_zero_alone(monkeypatch):
    from pkg_shared.engine.dist import launch_rank

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setenv("RANK", "3")  # a stray RANK without torchrun's WORLD_SIZE: a single process
    assert launch_rank() == 0
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert launch_rank() == 3
    monkeypatch.setenv("RANK", "0")
    assert launch_rank() == 0
