"""Targets (§2) and decoding (§4): peaks, link field, flips, round trip, Hungarian vs brute force."""

import itertools

import numpy as np
import pytest

from pkg_detect.config import DecodeConfig, TargetConfig
from pkg_detect.data.transforms import hflip
from pkg_detect.decode import box_iou, decode, match_pairs
from pkg_detect.targets import cell_to_image, flip_targets, image_to_cell, make_targets


def test_grid_convention_round_trip():
    u = np.arange(10.0)
    np.testing.assert_allclose(image_to_cell(cell_to_image(u)), u)
    assert cell_to_image(0) == 1.5  # cell 0 covers pixels 0..3


def test_vertex_peaks_and_link_band():
    box = np.array([[41.5 - 0.41 * 30, 21.5, 0.82 * 30, 60]])  # top (41.5, 21.5) = centre of cell (10, 5)
    t = make_targets(box, None, (30, 30))
    assert t["top"][0, 5, 10] == pytest.approx(1.0)
    assert np.unravel_index(t["top"][0].argmax(), (30, 30)) == (5, 10)
    assert np.unravel_index(t["bottom"][0].argmax(), (30, 30)) == (20, 10)
    norm = np.linalg.norm(t["line"], axis=0)
    inside = norm > 0
    np.testing.assert_allclose(norm[inside], 1.0)
    np.testing.assert_allclose(t["line"][1][inside], 1.0)  # pointing down (head -> feet)
    assert inside[12, 10] and not inside[12, 20] and not inside[2, 10]


def test_ignore_mask_and_scalar_line():
    t = make_targets(np.zeros((0, 4)), np.array([[0, 0, 20, 20]]), (16, 16), line_channels=1)
    assert t["weight"][0, 0, 0] == 0 and t["weight"][0, 10, 10] == 1
    assert t["line"].shape == (1, 16, 16)


def test_flip_consistency():
    boxes = np.array([[10.0, 5, 16, 40], [30, 10, 10, 25]])
    img = np.zeros((64, 64, 3))
    fimg, fb = hflip(img, boxes)
    a = flip_targets(make_targets(boxes, None, (16, 16)))
    b = make_targets(fb, None, (16, 16))
    for k in ("top", "bottom", "line"):
        np.testing.assert_allclose(a[k], b[k], atol=1e-5)


def _scene():
    # people of several heights, two overlapping, one crossing pair
    return np.array([
        [40, 30, 0.41 * 100, 100], [62, 40, 0.41 * 90, 90], [150, 60, 0.41 * 60, 60],
        [200, 20, 0.41 * 140, 140], [300, 100, 0.41 * 50, 50], [330, 30, 0.41 * 120, 120],
    ])


def test_encode_decode_round_trip():
    boxes = _scene()
    t = make_targets(boxes, None, (60, 100), TargetConfig())
    dets = decode({"top": t["top"], "bottom": t["bottom"], "line": t["line"]}, (240, 400), DecodeConfig())
    ious = box_iou(boxes, dets[:, :4])
    assert (ious.max(axis=1) >= 0.9).all(), ious.max(axis=1)
    assert len(dets) == len(boxes)


def test_hungarian_equals_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(20):
        nt, nb = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        s = rng.uniform(0, 1, (nt, nb))
        s[rng.random((nt, nb)) < 0.3] = -np.inf
        got = sum(v for _, _, v in match_pairs(s, 0.05))
        best = 0.0
        cols = list(range(nb))
        for perm in itertools.permutations(cols + [None] * nt, nt):
            tot = sum(s[i, j] for i, j in enumerate(perm) if j is not None and np.isfinite(s[i, j]) and s[i, j] >= 0.05)
            best = max(best, tot)
        assert got == pytest.approx(best)


def test_random_crop_keeps_a_positive_body_line():
    from pkg_detect.data.transforms import choose_crop

    rng = np.random.default_rng(0)
    person = np.array([[500.0, 300, 41, 100]])  # line from (520.5, 300) to (520.5, 400)
    for _ in range(200):
        y0, x0, ch, cw = choose_crop((480, 640), (200, 160), person, rng)
        assert (ch, cw) == (200, 160)
        assert y0 <= 300 and y0 + ch >= 400 and x0 <= 520.5 < x0 + cw
        assert 0 <= y0 <= 280 and 0 <= x0 <= 480
    # taller than the crop, or no positives: any window
    seen = {choose_crop((480, 640), (200, 160), np.array([[10.0, 0, 100, 300]]), rng)[:2] for _ in range(50)}
    assert len(seen) > 10
    assert choose_crop((100, 100), (336, 448), np.zeros((0, 4)), rng) == (0, 0, 100, 100)
