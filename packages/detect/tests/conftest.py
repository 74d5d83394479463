"""Shared tiny fixtures: a fake Caltech set in the official .seq/.vbb format and a tiny trained run."""

import pathlib

import pytest
import torch

TINY = ["model.backbone=tiny", "model.neck_channels=8", "model.tiny_widths=[8,8,8,8]", "model.temporal_channels=8",
        "data.input_scale=0.25", "data.train_sets=[0]", "data.every=1", "data.photometric=false",
        "train.batch_size=2", "train.lr=0.003", "train.lr_steps=[1000]", "train.log_every=1", "train.ckpt_every=1000",
        "loss.kind=focal_heatmap"]


@pytest.fixture(scope="session")
def tiny_overrides() -> list[str]:
    return list(TINY)


@pytest.fixture(scope="session", autouse=True)
def _threads():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def caltech_root(tmp_path_factory) -> pathlib.Path:
    from pkg_detect.data import fake

    return fake.make_caltech(tmp_path_factory.mktemp("caltech"), train_frames=6, test_frames=30, test_videos=1)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, caltech_root) -> pathlib.Path:
    from pkg_detect import config as C
    from pkg_detect.engine.train import train

    out = tmp_path_factory.mktemp("run")
    train(C.load("tll_caltech", TINY + ["train.iterations=2"]), out, root=caltech_root, quiet=True)
    return out
