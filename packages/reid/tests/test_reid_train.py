"""Training loop: schedule, resume equality, overfitting, LITM modes."""

import pytest
import torch

from pkg_reid.config import LitmConfig, OptimConfig, load
from pkg_reid.engine.lr import beta1, lr_factor
from pkg_reid.engine.train import train
from pkg_reid.litm.schedule import LitmSchedule
from pkg_shared.engine import load_checkpoint
from pkg_shared.errors import ConfigError


def test_litm_schedule_modes():
    s = LitmSchedule(LitmConfig(margins=(0.2, 0.4, 0.6), stage_epochs=(4, 2, 2)))
    assert s.num_stages == 3 and s.total_epochs == 8
    assert [s.margin(i, 0) for i in range(3)] == [0.2, 0.4, 0.6]
    s = LitmSchedule(LitmConfig(margins=(0.1,), margin_step=0.15, stage_epochs=(2, 2, 2)))
    assert s.margins == pytest.approx((0.1, 0.25, 0.4))
    r = LitmSchedule(LitmConfig(mode="ramp", margins=(0.2, 0.6), stage_epochs=(3, 2)))
    assert r.num_stages == 1 and [r.margin(0, e) for e in (0, 2, 4)] == pytest.approx([0.2, 0.4, 0.6])
    single = LitmSchedule(LitmConfig(mode="single", margins=(0.3,), stage_epochs=(7,)))
    assert single.num_stages == 1 and single.margin(0, 5) == 0.3
    with pytest.raises(ValueError, match="increase"):
        LitmSchedule(LitmConfig(margins=(0.4, 0.2), stage_epochs=(1, 1)))


def test_auto_switch_on_synthetic_active_fraction_trace():
    s = LitmSchedule(LitmConfig(auto_switch=True, active_frac_switch=0.05, patience=2, stage_epochs=(9, 9, 9)))
    low, events = 0, []
    for frac in [0.5, 0.04, 0.3, 0.02, 0.01, 0.2]:
        sw, low = s.should_switch(low, frac)
        events.append(sw)
    assert events == [False, False, False, False, True, False]


def test_lr_schedule_restarts_per_stage():
    o = OptimConfig(warmup_epochs=2, warmup_factor=0.01, milestones=(0.5, 0.75), gamma=0.1)
    assert lr_factor(o, 0, 8) == pytest.approx(0.01)
    assert lr_factor(o, 1, 8) == pytest.approx(0.505)
    assert lr_factor(o, 3, 8) == 1.0
    assert lr_factor(o, 4, 8) == pytest.approx(0.1)
    assert lr_factor(o, 6, 8) == pytest.approx(0.01)
    h = OptimConfig(decay="hermans", hermans_start=0.5, hermans_final_factor=0.001)
    assert lr_factor(h, 2, 8) == 1.0 and lr_factor(h, 8, 8) == pytest.approx(0.001)
    assert lr_factor(h, 6, 8) == pytest.approx(0.001 ** 0.5)
    assert beta1(h, 3, 8) == 0.9 and beta1(h, 4, 8) == 0.5 and beta1(o, 7, 8) == 0.9


def _cfg(root, tiny, *extra):
    return load("demo_tiny", [f"data.root={root}", *tiny, *extra])


@pytest.mark.parametrize("stop_epoch", [2, 3], ids=["stage-boundary", "mid-stage"])
def test_resume_is_exact(market_root, tmp_path, tiny, stop_epoch):
    # refresh every 2 epochs, so the GHIS lists restored from the checkpoint are used mid-stage
    extra = ("litm.margins=[0.2,0.4]", "litm.stage_epochs=[2,2]", "ghis.warmup_epochs=1", "ghis.refresh_epochs=2")
    cfg = _cfg(market_root, tiny, *extra)
    full = train(cfg, tmp_path / "full")
    train(cfg, tmp_path / "part", max_epochs=stop_epoch)  # interrupted run
    ck = load_checkpoint(tmp_path / "part" / "last.pt")
    assert ck["state"]["epoch"] == stop_epoch
    assert ck["state"]["stage"] == 1 and ck["state"]["stage_epoch"] == stop_epoch - 2
    assert ck["margin"] == (0.2 if stop_epoch == 2 else 0.4)
    assert ck["ghis_neighbors"] is not None
    resumed = train(cfg, tmp_path / "part", resume=True)
    a = load_checkpoint(tmp_path / "full" / "last.pt")
    b = load_checkpoint(tmp_path / "part" / "last.pt")
    assert a["margin"] == b["margin"] == 0.4
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert torch.equal(a["ghis_neighbors"], b["ghis_neighbors"])
    assert full["eval"]["plain"]["mAP_official"] == resumed["eval"]["plain"]["mAP_official"]
    with pytest.raises(ConfigError, match="already holds a run"):
        train(cfg, tmp_path / "full")
    with pytest.raises(ConfigError, match="nothing to resume"):
        train(cfg, tmp_path / "empty", resume=True)


def full_set_loss(net, cfg, splits):
    from pkg_reid.data.dataset import ImageDataset
    from pkg_reid.data.transforms import EvalTransform
    from pkg_reid.losses import triplet_loss

    ds = ImageDataset(splits.train, EvalTransform(cfg.data), splits.train_labels)
    x = torch.stack([ds[i][0] for i in range(len(ds))])
    y = torch.stack([ds[i][1] for i in range(len(ds))])
    with torch.no_grad():
        return triplet_loss(net.eval()(x)["fused"], y, 0.2).loss.item()


def test_overfits_tiny_set_and_metrics_rise(market_root, tmp_path, tiny):
    import csv

    from pkg_reid.data.dataset import load_splits
    from pkg_reid.engine.train import _evaluate
    from pkg_reid.models import build_model

    # evaluate on the training identities themselves: query = train images of camera 1
    cfg = _cfg(market_root, tiny, "litm.margins=[0.2,0.4]", "litm.stage_epochs=[10,4]", "data.epoch_images=all_images",
               "model.tiny_width=16", "data.height=64", "data.width=32", "data.pad=4")
    splits = load_splits(cfg.data)
    splits.query = [s for s in splits.train if s.camid == 1]
    splits.gallery = [s for s in splits.train if s.camid != 1]
    torch.manual_seed(0)
    net0 = build_model(cfg.model)
    before = _evaluate(net0, splits, cfg, torch.device("cpu"))["plain"]
    loss_before = full_set_loss(net0, cfg, splits)
    train(cfg, tmp_path / "run")
    from pkg_reid.engine.train import load_trained

    net, _ = load_trained(tmp_path / "run")
    after = _evaluate(net, splits, cfg, torch.device("cpu"))["plain"]
    with open(tmp_path / "run" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    margins = [float(r["margin"]) for r in rows if r.get("margin")]
    assert set(margins) == {0.2, 0.4}  # the margin in effect is logged on every step
    assert len({float(r["stage"]) for r in rows if r.get("stage")}) == 2
    # diagnostics of the LITM/GHIS signals are logged
    assert all(0.0 <= float(r["active_frac"]) <= 1.0 for r in rows if r.get("active_frac"))
    hard = [float(r["ghis_batch_id_dist"]) for r in rows if r.get("ghis_batch_id_dist")]
    rand = [float(r["ghis_random_id_dist"]) for r in rows if r.get("ghis_random_id_dist")]
    assert hard and len(hard) == len(rand) and sum(hard) < sum(rand)  # GHIS batches hold closer identities
    # batch-hard loss over the whole (fixed, un-augmented) training set falls clearly
    assert full_set_loss(net, cfg, splits) < 0.75 * loss_before
    assert after["mAP_official"] > before["mAP_official"] + 0.2
    assert after["rank1"] >= 0.75


@pytest.mark.parametrize("mode", ["residual_shift", "ramp"])
def test_other_litm_modes_run_and_resume(market_root, tmp_path, mode, tiny):
    cfg = _cfg(market_root, tiny, f"litm.mode={mode}", "litm.margins=[0.2,0.4]", "litm.stage_epochs=[1,1]",
               "litm.freeze_previous=true", "ghis.enabled=false", "loss.id_loss_weight=0.5")
    train(cfg, tmp_path / "r", max_stages=1)
    out = train(cfg, tmp_path / "r", resume=True)
    ck = load_checkpoint(tmp_path / "r" / "last.pt")
    if mode == "residual_shift":
        assert ck["state"]["num_shifts"] == 1 and any(k.startswith("shifts.0") for k in ck["model"])
    assert out["epochs"] == 2


def test_auto_switch_ends_stages_early_in_the_loop(market_root, tmp_path, tiny):
    # threshold above any possible active fraction: every stage ends after `patience` epochs
    cfg = _cfg(market_root, tiny, "litm.margins=[0.2,0.4]", "litm.stage_epochs=[5,5]", "litm.auto_switch=true",
               "litm.active_frac_switch=1.01", "litm.patience=1", "ghis.enabled=false")
    out = train(cfg, tmp_path / "r")
    assert out["epochs"] == 2 and out["stages"] == 2


def test_resume_from_a_checkpoint_without_centres(market_root, tmp_path, tiny):
    # checkpoints written before the centres were stored hold ids + neighbour lists only
    extra = ("litm.margins=[0.2,0.4]", "litm.stage_epochs=[2,2]", "ghis.warmup_epochs=1", "ghis.refresh_epochs=3")
    cfg = _cfg(market_root, tiny, *extra)
    train(cfg, tmp_path / "full", max_epochs=4)
    train(cfg, tmp_path / "part", max_epochs=3)
    ck = load_checkpoint(tmp_path / "part" / "last.pt")
    for k in ("ghis_nn_dist", "ghis_centres"):
        del ck[k]
    torch.save(ck, tmp_path / "part" / "last.pt")
    train(cfg, tmp_path / "part", resume=True, max_epochs=4)
    a = load_checkpoint(tmp_path / "full" / "last.pt")
    b = load_checkpoint(tmp_path / "part" / "last.pt")
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
