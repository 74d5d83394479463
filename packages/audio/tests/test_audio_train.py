"""Training loop: exact resume, learning on the fake set, best-checkpoint rules."""

from __future__ import annotations

import pytest
import torch

from pkg_audio.config import load
from pkg_audio.engine.train import train
from pkg_shared.engine import load_checkpoint


def _cfg(root, tiny, extra=()):
    return load(None, [f"data.root={root}", *tiny, "train.iterations=6", "train.eval_every=6",
                       "train.checkpoint_every=3", "mix.mix_fraction=0.5", *extra])


def test_resume_continues_exactly(fake_root, tmp_path, tiny):
    cfg = _cfg(fake_root, tiny)
    full = train(cfg, tmp_path / "full")
    part = train(cfg, tmp_path / "part", stop_after=3)  # interrupted right at the mix -> fine-tune switch
    assert part["step"] == 3
    res = train(cfg, tmp_path / "part", resume=True)
    assert res["step"] == 6
    a = load_checkpoint(tmp_path / "full" / "last.pt")
    b = load_checkpoint(tmp_path / "part" / "last.pt")
    for k in a["model"]:
        torch.testing.assert_close(a["model"][k], b["model"][k], rtol=0, atol=0, msg=k)
    assert a["sampler"] == b["sampler"]
    assert torch.equal(a["mix_gen"], b["mix_gen"])
    assert full["history"][-1]["mAP"] == res["history"][-1]["mAP"]
    import csv

    with open(tmp_path / "part" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows if r["loss"]] == [2, 3, 4, 6]  # log_every=2 + the stop step


def test_best_checkpoint_only_from_finetune_phase(fake_root, tmp_path, tiny):
    cfg = _cfg(fake_root, tiny, ["train.eval_every=2", "train.monitor=true", "train.max_monitor_clips=8"])
    res = train(cfg, tmp_path / "r")
    phases = [h["phase"] for h in res["history"]]
    assert phases == ["mix", "finetune", "finetune"]
    assert all(0 <= h["balanced_mAP"] <= 1 for h in res["history"])  # training-fit monitor
    best = load_checkpoint(tmp_path / "r" / "best.pt")
    assert best["step"] in (4, 6)
    assert (tmp_path / "r" / "eval_ids.txt").read_text().count("\n") == 12
    assert (tmp_path / "r" / "eval_per_class.csv").is_file()


def test_resume_without_checkpoint_is_a_clear_error(fake_root, tmp_path, tiny):
    from pkg_shared.errors import ConfigError

    with pytest.raises(ConfigError, match="no checkpoint"):
        train(_cfg(fake_root, tiny), tmp_path / "none", resume=True)


def test_model_learns_the_fake_set(fake_root, tmp_path, tiny):
    """Loss falls clearly and training-set mAP rises: gradients reach front end, back end and head."""
    cfg = load(None, [f"data.root={fake_root}", *tiny, "train.iterations=60", "train.eval_every=60",
                      "train.checkpoint_every=60", "train.lr=0.01", "mix.mixing=none", "train.batch_size=8",
                      "data.train_csvs=[balanced_train_segments.csv]", "data.eval_csv=balanced_train_segments.csv",
                      "train.log_every=10"])
    from pkg_audio.data.clips import build_split, load_classes
    from pkg_audio.engine.evaluate import evaluate
    from pkg_audio.models import build_model

    classes = load_classes(cfg.data)
    clips = build_split(cfg.data, classes, "eval")
    torch.manual_seed(cfg.train.seed)
    before = evaluate(build_model(cfg.model), clips, classes)["mAP"]
    train(cfg, tmp_path / "fit")
    import csv

    with open(tmp_path / "fit" / "metrics.csv") as fh:
        losses = [float(r["loss"]) for r in csv.DictReader(fh) if r["loss"]]
    after = load_checkpoint(tmp_path / "fit" / "last.pt")["history"][-1]["mAP"]
    assert losses[-1] < 0.75 * losses[0]
    assert after > before + 0.2 and after > 0.7


def test_black_listing_every_clip_is_a_clear_error_and_writes_nothing(fake_root, tmp_path, tiny):
    from pkg_audio.data.audioset import read_segments
    from pkg_shared.errors import DataFormatError

    ids = [s.ytid for n in ("balanced_train_segments.csv", "unbalanced_train_segments.csv")
           for s in read_segments(fake_root / n)]
    (tmp_path / "black.txt").write_text("".join(f"{i}\n" for i in ids))
    cfg = _cfg(fake_root, tiny, [f"data.black_list_csv={tmp_path / 'black.txt'}"])
    with pytest.raises(DataFormatError, match="cannot sample training clips"):
        train(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()
