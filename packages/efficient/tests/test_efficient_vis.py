"""efficient-vis: shift patterns, trade-off plots from compression reports, W_eq spectra; bad input."""

import json

import pytest
import torch
from PIL import Image

from pkg_efficient.cli import vis as vis_cli
from pkg_efficient.compress.apply import decompose_model
from pkg_efficient.engine.modelio import save_model
from pkg_efficient.models import build_model
from pkg_efficient.vis import shift_layers


def _png(path):
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200


def _err(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_shifts_picture_and_layer_stats(tmp_path):
    torch.manual_seed(0)
    m = build_model("fenet_r_0.25", num_classes=10, stem_stride=1)
    with torch.no_grad():  # a known pattern: first shift layer all unmoved, one channel moved by (2, -1)
        first = next(s for s in m.modules() if hasattr(s, "disp"))
        first.disp.zero_()
        first.disp[0] = torch.tensor([2.0, -1.0])
    save_model(tmp_path / "m.pt", m, {"name": "fenet_r_0.25", "num_classes": 10, "stem_stride": 1})
    rows = shift_layers(m)
    assert rows[0]["moved"] == 1 and rows[0]["disp"][0].tolist() == [2, -1]
    assert vis_cli.main(["shifts", "--weights", str(tmp_path / "m.pt"), "--out", str(tmp_path / "s.png")]) == 0
    _png(tmp_path / "s.png")


def _report(method, madds, err, top1=None):
    rep = {"method": method, "madds_M": {"before": 100.0, "after": madds}, "speedup_theoretical": {"conv_only": 100 / madds},
           "logit_rel_error_calib": err}
    if top1 is not None:
        rep["accuracy_before_finetune"] = {"top1": top1}
        rep["accuracy_before_compression"] = {"top1": 90.0}
    return rep


def test_tradeoff_from_reports_and_metric_choice(tmp_path, capsys):
    from pkg_efficient.vis import report_point

    paths = []
    for i, (m, madds, err, acc) in enumerate([("ldrf", 20, 0.1, 80.0), ("chanprune", 20, 0.3, 70.0), ("fga", 25, 0.2, 75.0)]):
        paths.append(tmp_path / f"r{i}.json")
        paths[-1].write_text(json.dumps(_report(m, madds, err, acc)))
    pt, base, label = report_point(_report("ldrf", 20, 0.1, 80.0))
    assert pt["value"] == 80.0 and base == {"madds_M": 100.0, "value": 90.0} and "before fine-tuning" in label
    assert report_point(_report("ldrf", 20, 0.1), "auto")[0]["value"] == 0.1
    assert vis_cli.main(["tradeoff", *map(str, paths), "--out", str(tmp_path / "t.png")]) == 0
    _png(tmp_path / "t.png")
    assert vis_cli.main(["tradeoff", *map(str, paths), "--metric", "top1_after", "--out", str(tmp_path / "x.png")]) == 2
    assert "accuracy_after_finetune" in _err(capsys) and not (tmp_path / "x.png").exists()


def test_spectrum_of_a_decomposed_checkpoint(tmp_path):
    torch.manual_seed(0)
    base = build_model("resnet20", num_classes=10).eval()
    new, info = decompose_model(base, "fga", 32, "uniform", 8)
    save_model(tmp_path / "c.pt", new, {"compression": {**info["spec"], "method": "fga", "refit": False},
                                        "base": {"name": "resnet20", "num_classes": 10}})
    assert vis_cli.main(["spectrum", "--weights", str(tmp_path / "c.pt"), "--out", str(tmp_path)]) == 0
    _png(tmp_path / "spectrum.png")


@pytest.mark.parametrize("content,needle", [(None, "not found"), ("{\n  \"method\": ", "line 2"),
                                            ('{"method": "ldrf"}', "not an efficient-compress report")])
def test_bad_reports_one_line_exit_2(tmp_path, capsys, content, needle):
    path = tmp_path / "rep.json"
    if content is not None:
        path.write_text(content)
    assert vis_cli.main(["tradeoff", str(path), "--out", str(tmp_path / "t.png")]) == 2
    msg = _err(capsys)
    assert "rep.json" in msg and needle in msg
    assert not (tmp_path / "t.png").exists()


def test_spectrum_of_a_plain_model_is_refused(tmp_path, capsys):
    save_model(tmp_path / "p.pt", build_model("resnet20", num_classes=10), {"name": "resnet20", "num_classes": 10})
    assert vis_cli.main(["spectrum", "--weights", str(tmp_path / "p.pt"), "--out", str(tmp_path / "s.png")]) == 2
    assert "not a decomposed checkpoint" in _err(capsys)
    assert vis_cli.main(["shifts", "--model", "resnet20", "--out", str(tmp_path / "s.png")]) == 2
    assert "no learnable/grouped shift layers" in _err(capsys)


def test_labels_of_coincident_points_are_stacked():
    """The demo's four pruners sit at the same M-Adds: their labels used to be printed on top of each other."""
    from pkg_efficient.vis import label_offsets

    pts = [{"madds_M": 2.53, "value": v} for v in (0.028, 0.017, 0.027, 0.027)] + [{"madds_M": 1.5, "value": 0.8}]
    offs = label_offsets(pts)
    assert len({o[1] for o in offs[:4]}) == 4  # four distinct heights
    assert offs[4][1] == 4
