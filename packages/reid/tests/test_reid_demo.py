"""The demo end to end (slow: ~30 s on 2 CPU cores, so excluded from the default CI selection)."""

import json

import pytest

from pkg_reid.cli import demo


@pytest.mark.slow
def test_demo_writes_summary_and_picture(tmp_path):
    assert demo.main(["--out", str(tmp_path)]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert set(s) >= {"ran", "metric", "picture"}
    assert s["metric"].startswith("mAP=")
    assert (tmp_path / s["picture"]).read_bytes()[:4] == b"\x89PNG"
    assert s["metrics"]["mAP_official"] > s["metrics"]["untrained_mAP_official"]
