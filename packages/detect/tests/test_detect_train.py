"""Training: resume continues exactly; a tiny model overfits a tiny fake set (loss falls)."""

import pytest
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


def _caltech_mr(run, root, sets, setup="Reasonable"):
    """MR^-2 (code3.2.1) of a trained run on every frame of the given sets."""
    from pkg_detect.data import caltech
    from pkg_detect.engine.evaluate import detect_frames
    from pkg_detect.engine.infer import load_run
    from pkg_detect.eval import caltech as ceval

    model, cfg = load_run(run)
    frames = caltech.index(root, sets, 1)
    gts = [caltech.gt_objects(caltech.load_vbb(str(v.vbb)), f) for v, f in frames]
    return ceval.evaluate(gts, detect_frames(model, cfg, frames), setup)


def test_overfit_reaches_spec_miss_rate_on_training_frames(tmp_path, caltech_root):
    """Spec §14.8: a reduced model on a few synthetic frames reaches MR^-2 (Reasonable) < 5 % on them."""
    import warnings

    from pkg_detect.cli.demo import DEMO_OVERRIDES

    cfg = C.load("tll_caltech", DEMO_OVERRIDES + ["train.iterations=40", "train.batch_size=2", "model.neck_channels=16",
                                                  "data.flip=false", "data.scale_jitter=[1.0,1.0]",
                                                  "data.photometric=false"])
    untrained = C.load("tll_caltech", DEMO_OVERRIDES + ["train.iterations=1", "train.lr=0.0", "model.neck_channels=16"])
    train(untrained, tmp_path / "u", root=caltech_root, quiet=True)
    train(cfg, tmp_path / "o", root=caltech_root, quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # MR^-2 = 0 is warned by the toolbox rule
        before = _caltech_mr(tmp_path / "u", caltech_root, (0,))
        after = _caltech_mr(tmp_path / "o", caltech_root, (0,))
    assert after["n_gt"] >= 10
    assert before["mr"] > 0.5  # the untrained net finds (almost) nobody
    assert after["mr"] < 0.05


def test_periodic_validation_keeps_best_checkpoint(tmp_path, caltech_root, tiny_overrides):
    import csv

    cfg = C.load("tll_caltech", tiny_overrides + ["train.iterations=4", "train.val_every=2",
                                                  "train.val_videos=[set06/V000]"])
    res = train(cfg, tmp_path / "v", root=caltech_root, quiet=True)
    rows = list(csv.DictReader((tmp_path / "v" / "metrics.csv").open()))
    vals = [(int(r["step"]), float(r["val_mr"])) for r in rows if r.get("val_mr")]
    assert [s for s, _ in vals] == [2, 4]
    best = load_checkpoint(tmp_path / "v" / "best.pt")
    assert best["val"]["mr"] == min(v for _, v in vals) == res["best_val_mr"]
    assert best["step"] == next(s for s, v in vals if v == best["val"]["mr"])
    assert best["val"]["frames"] == 1  # set06/V000 has 30 frames: frame 29 only
    assert load_checkpoint(tmp_path / "v" / "last.pt")["best_mr"] == res["best_val_mr"]


def test_validation_videos_are_held_out_and_checked(caltech_root, tiny_overrides):
    import pytest

    from pkg_detect.data.dataset import build_samples
    from pkg_shared.errors import ConfigError

    base = C.load("tll_caltech", tiny_overrides)
    held = C.load("tll_caltech", tiny_overrides + ["train.val_every=5", "train.val_videos=[set00/V000]"])
    assert len(build_samples(base, caltech_root)) == 6
    assert build_samples(held, caltech_root) == []
    bad = C.load("tll_caltech", tiny_overrides + ["train.iterations=1", "train.val_every=1",
                                                  "train.val_videos=[set05/V011]"])
    with pytest.raises(ConfigError, match="set05/V011"):
        train(bad, "/nonexistent-never-written", root=caltech_root, quiet=True)
    with pytest.raises(ConfigError, match="val_setup"):
        from pkg_detect.engine.validate import build_valset

        build_valset(C.load("tll_caltech", tiny_overrides + ["train.val_setup=Resonable"]), caltech_root)


def test_temporal_loss_all_steps_targets_every_frame(caltech_root, tiny_overrides):
    import numpy as np

    from pkg_detect.data.dataset import build_samples, make_item
    from pkg_detect.losses import tll_loss
    from pkg_detect.models import build_model
    from pkg_detect.targets import make_targets

    over = tiny_overrides + ["model.temporal_mode=convlstm", "data.temporal_offsets=[-2,-1,0]",
                             "data.scale_jitter=[1.0,1.0]", "data.flip=false"]
    last = C.load("tll_caltech", over)
    every = C.load("tll_caltech", over + ["temporal.loss_all_steps=true"])
    s = build_samples(every, caltech_root)[4]  # frame 4: its clip is frames 2, 3, 4
    item = make_item(s, every, np.random.default_rng(0))
    one = make_item(s, last, np.random.default_rng(0))
    assert item["top"].shape[0] == 3 and item["top"].shape[1:] == one["top"].shape
    torch.testing.assert_close(item["top"][-1], one["top"])
    # step k's target is rendered from frame 2 + k's own boxes (people move between frames)
    pos, ign = s.annots(-2)
    h, w = one["top"].shape[-2:]
    ref = make_targets(pos * 0.25, ign * 0.25, (h, w), every.targets, 2)
    np.testing.assert_allclose(item["top"][0].numpy(), ref["top"], atol=1e-6)
    assert not torch.equal(item["top"][0], item["top"][-1])
    # the all-steps loss scores the first step's output against the first frame's targets
    torch.manual_seed(0)
    model = build_model(every).eval()
    batch = {k: v.unsqueeze(0) for k, v in item.items()}
    with torch.no_grad():
        out = {k: v.flatten(0, 1) for k, v in model(batch["image"], all_steps=True).items()}
    tg = {k: v.flatten(0, 1) for k, v in batch.items() if k != "image"}
    loss, _ = tll_loss(out, tg, every.loss)
    tg["top"] = tg["top"].clone()
    tg["top"][0] = 0.0
    assert tll_loss(out, tg, every.loss)[0] != loss


def test_loss_all_steps_needs_convlstm(tiny_overrides):
    import pytest

    from pkg_shared.errors import ConfigError

    with pytest.raises(ConfigError, match="loss_all_steps"):
        C.load("tll_caltech", tiny_overrides + ["temporal.loss_all_steps=true"])


def test_torchrun_two_processes_gloo(tmp_path, caltech_root, tiny_overrides):
    """``torchrun --nproc-per-node 2`` (gloo on CPU) trains; rank 0 alone writes the checkpoint and the logs."""
    import os
    import subprocess
    import sys

    out = tmp_path / "ddp"
    sets = [a for o in tiny_overrides + ["train.iterations=3", "train.batch_size=4"] for a in ("--set", o)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PKG_DEBUG": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "pkg_detect.cli.train", "--config", "tll_caltech", "--root", str(caltech_root), "--out", str(out),
           "--device", "cpu", "--quiet", *sets]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    ck = load_checkpoint(out / "last.pt")
    assert ck["step"] == 3
    assert r.stdout.count('"steps": 3') == 1  # only rank 0 reports
    lines = (out / "metrics.csv").read_text().splitlines()
    assert len(lines) == 4  # header + one row per step, written by rank 0 only


def test_temporal_model_overfits_clips(tmp_path, caltech_root, tiny_overrides):
    """TLL-TFA on 3-frame fake clips with the loss on every step: the loss falls; reduce layer, Conv-LSTM
    and heads all learn."""
    over = tiny_overrides + ["model.temporal_mode=convlstm", "data.temporal_offsets=[-2,-1,0]",
                             "temporal.loss_all_steps=true", "data.scale_jitter=[1.0,1.0]", "data.flip=false",
                             "loss.kind=l2", "train.lr=0.01"]
    res = train(C.load("tll_caltech", over + ["train.iterations=20"]), tmp_path / "t", root=caltech_root, quiet=True)
    assert res["last"]["loss"] < 0.5 * res["first_loss"]
    from pkg_detect.models import build_model

    torch.manual_seed(0)
    fresh = build_model(C.load("tll_caltech", over)).state_dict()
    trained = load_checkpoint(tmp_path / "t" / "last.pt")["model"]
    for part in ("reduce.0.weight", "lstm.cell.conv.weight", "heads.top.weight"):
        assert not torch.equal(fresh[part], trained[part]), part


def test_citypersons_validation_uses_val_split_and_official_evaluator(tmp_path, tiny_overrides):
    from pkg_detect.data import fake
    from pkg_detect.engine.validate import build_valset, validate
    from pkg_detect.models import build_model

    root = fake.make_citypersons(tmp_path / "cp", n_images=2, size=(256, 512))
    cfg = C.load("tll_citypersons", tiny_overrides + ["data.input_scale=0.5", "train.val_every=1", "data.crop=null"])
    vs = build_valset(cfg, root)
    assert vs.kind == "citypersons" and len(vs.items) == 2
    # fake heights 300/160/90/60/40 px at 1024 rows, here x 1/4: only the 75-px one per image is Reasonable (h >= 50)
    torch.manual_seed(0)
    r = validate(build_model(cfg), cfg, vs)
    assert r["setup"] == "Reasonable" and r["frames"] == 2 and r["n_gt"] == 2
    assert 0.0 <= r["mr"] <= 1.0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_paper_size_training_steps_on_gpu(tmp_path, caltech_root):
    """The full-size recipe (ResNet-50, 256-channel neck, full 640x480 frames) trains on a GPU and resumes."""
    cfg = C.load("tll_caltech", ["data.train_sets=[0]", "data.every=1", "train.batch_size=2", "train.iterations=3",
                                 "train.log_every=1"])
    res = train(cfg, tmp_path / "g", root=caltech_root, device="cuda", quiet=True)
    assert res["steps"] == 3 and all(torch.isfinite(torch.tensor(v)) for v in res["last"].values())
    more = C.load("tll_caltech", ["data.train_sets=[0]", "data.every=1", "train.batch_size=2", "train.iterations=4"])
    assert train(more, tmp_path / "g", root=caltech_root, device="cuda", resume=True, quiet=True)["steps"] == 4
