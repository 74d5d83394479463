"""grounding-infer with a DiDeMo-trained checkpoint: the 21-moment protocol on a user's own features."""

import json

import numpy as np
import torch

from pkg_grounding.cli import infer as infer_cli
from pkg_grounding.config import DataConfig, GroundingConfig, ModelConfig, TrainConfig
from pkg_grounding.data.fake import write_fake_didemo
from pkg_grounding.engine.train import train


def test_didemo_checkpoint_grounds_a_22_second_video(tmp_path, capsys):
    write_fake_didemo(tmp_path / "d", videos=8, dim=12, flow_dim=4)
    cfg = GroundingConfig(model=ModelConfig(hidden=8, word_dim=8, levels=2),
                          data=DataConfig(dataset="didemo", root=str(tmp_path / "d"), features="average_fc7.h5",
                                          steps_per_chunk=2, val_split="val"),
                          train=TrainConfig(epochs=1, batch_size=16, max_steps=1))
    train(cfg, tmp_path / "run", torch.device("cpu"))
    feats = np.abs(np.random.default_rng(0).normal(size=(44, 12))).astype(np.float32)  # 2 per second
    np.save(tmp_path / "v.npy", feats)
    rc = infer_cli.main(["--checkpoint", str(tmp_path / "run" / "last.pt"), "--features", str(tmp_path / "v.npy"),
                         "--duration", "22", "--query", "the person opens the door", "--topk", "5",
                         "--plot", str(tmp_path / "t.png"), "--out", str(tmp_path / "r.json")])
    assert rc == 0 and (tmp_path / "t.png").stat().st_size > 1000
    res = json.loads((tmp_path / "r.json").read_text())
    # 22 s -> 5 chunks: no moment may touch the missing 6th chunk; windows are chunk-aligned, clipped to 22 s
    assert len(res["moments"]) == 5 and all(b < 5 for _, b in res["moments"])
    for (a, b), (s, e, _) in zip(res["moments"], res["windows"]):
        assert s == 5 * a and e == min(22.0, 5 * (b + 1))
    scores = [w[2] for w in res["windows"]]
    assert scores == sorted(scores, reverse=True)
    assert len(res["inside"]) == 5 * 2 and res["plot_duration"] == 25.0
    capsys.readouterr()
