"""Heavier end-to-end checks (excluded from CI by the ``slow`` marker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_torchrun_two_process_gloo_training(tmp_path):
    from pkg_skeleton.data.fake import make_fake_ntu

    root = make_fake_ntu(tmp_path / "d", num_classes=2, performers=(1, 3), cameras=(1, 2), frames=(20, 30))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29531",
           "-m", "pkg_skeleton.cli.train", "--config", "hcn_ntu60_xsub", "--set", f"data.root={root}",
           "--set", "model.num_classes=2", "--set", "model.frames=16", "--set", "train.epochs=2",
           "--set", "train.batch_size=2", "--set", "train.tensorboard=false", "--out", str(tmp_path / "run"),
           "--device", "cpu"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["epoch"] == 2
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 3


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    from pkg_skeleton.cli.demo import main

    assert main(["--out", str(tmp_path)]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert set(s) >= {"ran", "metric", "picture"}
    assert (tmp_path / s["picture"]).stat().st_size > 1000
    assert "mAP_action@0.5" in s["metric"]
