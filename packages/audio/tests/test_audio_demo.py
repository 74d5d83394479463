"""The demo end to end (slow: about a minute on 2 CPU cores; run with -m slow)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_demo_writes_summary_and_picture(tmp_path, capsys):
    from pkg_audio.cli.demo import main

    assert main(["--out", str(tmp_path), "--iterations", "6"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert set(s) >= {"ran", "metric", "picture"} and s["metric"].startswith("mAP=")
    assert (tmp_path / s["picture"]).read_bytes()[:4] == b"\x89PNG"
    assert "eval" in capsys.readouterr().out
