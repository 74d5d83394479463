"""The demo end to end (slow: about a minute on 2 cores, so excluded from the default selection)."""

import json

import pytest


@pytest.mark.slow
def test_demo_writes_summary(tmp_path):
    from pkg_video.cli import demo

    assert demo.main(["--out", str(tmp_path), "--epochs", "1"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["ran"] and "top1_costa=" in s["metric"]
    assert (tmp_path / s["picture"]).stat().st_size > 10_000
