"""Fixtures: a tiny fake AudioSet (official formats) shared by the tests of this package."""

from __future__ import annotations

import os

import pytest
import torch

# one intra-op thread: these tensors are tiny, and on a shared 2-core machine a second thread
# mostly waits for a descheduled peer (we measured 5-10x slower steps under load)
torch.set_num_threads(1)
os.environ.setdefault("PKG_AUDIO_TESTING", "1")


@pytest.fixture(scope="session")
def fake_root(tmp_path_factory):
    from pkg_audio.data.fake import make_fake

    root = tmp_path_factory.mktemp("fake_audioset")
    make_fake(root, num_classes=12, clips=(24, 12, 12), seconds=(0.5, 1.0), seed=3, hdf5=True)
    return root


_TINY = [
    "model.num_classes=12", "model.front_stem_channels=4", "model.front_widths=[8,8,8]", "model.front_blocks=[1,1,1]",
    "model.back_stem_channels=4", "model.back_widths=[8,8,12,16]", "model.back_blocks=[1,1,1,1]", "model.att_embed=16",
    "data.clip_seconds=0.5", "data.load_threads=1", "train.batch_size=4", "train.log_every=2", "train.tensorboard=false", "train.monitor=false",
    "eval.batch_size=12",
]


@pytest.fixture(scope="session")
def tiny():
    """Overrides that shrink the model and clips for fast CPU tests."""
    return list(_TINY)
