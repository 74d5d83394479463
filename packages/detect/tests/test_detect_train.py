"""Training: resume continues exactly; a tiny model overfits a tiny fake set (loss falls)."""

import torch

from pkg_detect import config as C
from pkg_detect.engine.train import train
from pkg_shared.engine import load_checkpoint


def test_resume_equals_straight_run(tmp_path, caltech_root, tiny_overrides):
    TINY = tiny_overrides
    cfg4 = C.load("tll_caltech", TINY + ["train.iterations=4"])
    cfg2 = C.load("tll_caltech", TINY + ["train.iterations=2"])
    train(cfg4, tmp_path / "a", root=caltech_root, quiet=True)
    train(cfg2, tmp_path / "b", root=caltech_root, quiet=True)
    train(cfg4, tmp_path / "b", root=caltech_root, resume=True, quiet=True)
    a = load_checkpoint(tmp_path / "a" / "last.pt")
    b = load_checkpoint(tmp_path / "b" / "last.pt")
    assert a["step"] == b["step"] == 4
    for k in a["model"]:
        torch.testing.assert_close(a["model"][k], b["model"][k], rtol=0, atol=0)
    lines = (tmp_path / "b" / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("step,") and len(lines) == 5


def test_overfit_loss_falls_and_gradients_reach_all_parts(tmp_path, caltech_root, tiny_overrides):
    TINY = tiny_overrides
    cfg = C.load("tll_caltech", TINY + ["train.iterations=25", "data.scale_jitter=[1.0,1.0]", "data.flip=false",
                                        "loss.kind=l2", "train.lr=0.01"])
    res = train(cfg, tmp_path / "o", root=caltech_root, quiet=True)
    assert res["last"]["loss"] < 0.5 * res["first_loss"]
    init = C.load("tll_caltech", TINY)
    from pkg_detect.models import build_model

    torch.manual_seed(cfg.train.seed)
    fresh = build_model(init).state_dict()
    trained = load_checkpoint(tmp_path / "o" / "last.pt")["model"]
    for part in ("trunk.stem.0.0.weight", "neck.branches.0.0.weight", "neck.fuse.0.weight", "heads.line.weight"):
        assert not torch.equal(fresh[part], trained[part]), part
