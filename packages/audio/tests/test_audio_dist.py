"""torchrun: two gloo processes on CPU train the tiny model; rank 0 writes the checkpoint."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_torchrun_two_processes(fake_root, tmp_path, tiny):
    if shutil.which("torchrun") is None and not (__import__("pathlib").Path(sys.executable).parent / "torchrun").exists():
        pytest.skip("torchrun not found")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29533",
           "-m", "pkg_audio.cli.train", "--data-root", str(fake_root), "--out", str(tmp_path / "ddp"), "--device", "cpu"]
    for o in tiny + ["train.iterations=3", "train.eval_every=3", "train.checkpoint_every=3"]:
        cmd += ["--set", o]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    from pkg_shared.engine import load_checkpoint

    ck = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert ck["step"] == 3 and not any(k.startswith("module.") for k in ck["model"])


@pytest.mark.slow
def test_torchrun_sync_bn_on_cpu_is_a_clear_error(fake_root, tmp_path, tiny):
    """SyncBatchNorm needs CUDA: on gloo/CPU ranks the run stops before writing anything, exit 2."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29534",
           "-m", "pkg_audio.cli.train", "--data-root", str(fake_root), "--out", str(tmp_path / "sbn"), "--device", "cpu",
           "--set", "train.sync_bn=true"]
    for o in tiny:
        cmd += ["--set", o]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode != 0 and "train.sync_bn needs CUDA devices" in r.stderr
    assert not (tmp_path / "sbn" / "last.pt").exists()
