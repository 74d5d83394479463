"""torchrun data-parallel training with 2 gloo processes on the CPU (slow: process start-up)."""

import json
import pathlib
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_torchrun_two_processes(tmp_path, market_root, tiny):
    torchrun = pathlib.Path(sys.executable).parent / "torchrun"
    sets = sum((["--set", o] for o in [*tiny, "litm.stage_epochs=[1,1]"]), [])
    r = subprocess.run([str(torchrun), "--nproc-per-node", "2", "-m", "pkg_reid.cli.train", "--config", "demo_tiny",
                        "--root", str(market_root), "--out", str(tmp_path / "ddp"), *sets],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["epochs"] == 2 and summary["stages"] == 2
    assert (tmp_path / "ddp" / "last.pt").is_file() and (tmp_path / "ddp" / "features.npz").is_file()
