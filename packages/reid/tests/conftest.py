import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def market_root(tmp_path_factory):
    from pkg_reid.data.fake import make_market

    return make_market(tmp_path_factory.mktemp("market"), ids=6, cams=2, per_cam=2, seed=0)


@pytest.fixture(scope="session")
def cuhk_root(tmp_path_factory):
    from pkg_reid.data.fake import make_cuhk03

    return make_cuhk03(tmp_path_factory.mktemp("cuhk"), persons_per_pair=3, seed=0)


TINY_OVERRIDES = [
    "model.backbone=tiny", "model.tiny_width=8", "model.hidden_dim=32", "model.embed_dim=16",
    "data.height=32", "data.width=16", "data.pad=2", "data.num_ids=3", "data.num_instances=2",
    "optim.lr=0.003", "optim.weight_decay=0.0", "optim.warmup_epochs=1", "train.tensorboard=false",
    "eval.batch_size=32",
]


@pytest.fixture(scope="session")
def tiny():
    """Overrides that shrink the demo recipe to a seconds-long CPU run."""
    return list(TINY_OVERRIDES)
