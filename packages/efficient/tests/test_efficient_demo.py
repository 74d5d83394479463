"""The demo runs end to end and writes summary.json with the required keys and a PNG."""

import json

from pkg_efficient.cli import demo


def test_demo_end_to_end(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path), "--epochs", "2"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert {"ran", "metric", "picture"} <= set(s)
    assert s["metric"].startswith("top1=")
    png = tmp_path / s["picture"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all((tmp_path / name).read_bytes()[:4] == b"\x89PNG" for name in s["pictures"])
    assert {p["method"] for p in s["compression"]} == {"ldrf", "chanprune", "thinet", "l1", "fga", "chandecomp"}
    assert "[demo" in capsys.readouterr().out
    # the demo's checkpoints describe themselves truthfully: the CLIs can load them
    from pkg_efficient.engine.modelio import load_model

    for sub, name in (("ssl", "shift_resnet8"), ("vgg", "vgg16_cifar")):
        model, spec = load_model(tmp_path / sub / "model.pt")
        assert spec["name"] == name
