"""Per-layer before/after table: M-Adds and parameters by hand, decomposed layers summed into the
layer they replace, latencies measured for every leaf that runs."""

from torch import nn

from pkg_efficient.layer_cost import (
    format_per_layer,
    format_scopes,
    layer_latency_ms,
    per_layer_table,
    speedup_by_scope,
)


def _before() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def _after() -> nn.Sequential:
    """Layer 0 pruned to 4 outputs; layer 3 decomposed into a 3x3 (4 -> 2) and a 1x1 (2 -> 16)."""
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Sequential(nn.Conv2d(4, 2, 3, padding=1), nn.Conv2d(2, 16, 1)),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def test_table_counts_by_hand_and_sums_decomposed_layers():
    rows = {r["layer"]: r for r in per_layer_table(_before(), _after(), size=16, repeat=2)}
    # hand counts, 16x16 input: conv0 3*3*3*8 MACs per pixel on 16x16; conv3 on 8x8 after the pool
    assert abs(rows["0"]["before"]["madds_M"] * 1e6 - 27 * 8 * 256) < 1e-6
    assert abs(rows["0"]["after"]["madds_M"] * 1e6 - 27 * 4 * 256) < 1e-6
    assert abs(rows["3"]["before"]["madds_M"] * 1e6 - 72 * 16 * 64) < 1e-6
    assert abs(rows["3"]["after"]["madds_M"] * 1e6 - (36 * 2 * 64 + 2 * 16 * 64)) < 1e-6  # both parts, one row
    assert abs(rows["3"]["after"]["params_k"] * 1e3 - (4 * 2 * 9 + 2 + 2 * 16 + 16)) < 1e-9
    assert abs(rows["7"]["before"]["params_k"] * 1e3 - (16 * 10 + 10)) < 1e-9
    assert "3.0" not in rows and "3.1" not in rows
    for r in rows.values():  # every leaf ran in both models, pooling and ReLU included
        assert r["before"]["latency_ms"] > 0 and r["after"]["latency_ms"] > 0, r
    assert rows["2"]["kind"] == "MaxPool2d" and rows["2"]["before"]["madds_M"] == 0
    text = format_per_layer(list(rows.values()), min_share=0.0)
    assert "MaxPool2d" in text and len(text.splitlines()) == 1 + len(rows)


def test_latency_only_for_modules_that_run():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.act = nn.Conv2d(3, 4, 3), nn.ReLU()
            self.unused = nn.Linear(3, 3)  # registered, never called in forward

        def forward(self, x):
            return self.act(self.conv(x))

    m = Net()
    lat = layer_latency_ms(m, size=8, repeat=2)
    assert set(lat) == {"conv", "act"} and all(v > 0 for v in lat.values())
    assert m.training  # mode restored
    assert not m.conv._forward_hooks and not m.conv._forward_pre_hooks  # hooks removed


def _row(kind: str, mb: float, ma: float, tb: float, ta: float) -> dict:
    return {"layer": kind, "kind": kind, "before": {"madds_M": mb, "params_k": 0.0, "latency_ms": tb},
            "after": {"madds_M": ma, "params_k": 0.0, "latency_ms": ta}}


def test_speedup_by_scope_compares_like_with_like():
    rows = [_row("Conv2d", 100, 20, 40, 10), _row("ReLU", 0, 0, 2, 1), _row("MaxPool2d", 0, 0, 8, 4),
            _row("Conv2d", 50, 10, 20, 4), _row("Linear", 10, 5, 10, 5)]
    s = speedup_by_scope(rows)
    # conv rows: 150 -> 30 M-Adds (x5), 60 -> 14 ms (x60/14); total: 160 -> 35 M-Adds, 80 -> 24 ms
    assert abs(s["conv_only"]["theoretical"] - 5.0) < 1e-12
    assert abs(s["conv_only"]["measured"] - 60 / 14) < 1e-12
    assert abs(s["total"]["theoretical"] - 160 / 35) < 1e-12
    assert abs(s["total"]["measured"] - 80 / 24) < 1e-12
    assert abs(s["conv_only"]["measured_over_theoretical"] - (60 / 14) / 5) < 1e-12
    assert "conv_only: x5.00 M-Adds, x4.29 measured (14 % short)" in format_scopes(s)


def test_speedup_by_scope_on_a_measured_table():
    s = speedup_by_scope(per_layer_table(_before(), _after(), size=16, repeat=2))
    assert abs(s["conv_only"]["madds_M_before"] * 1e6 - (27 * 8 * 256 + 72 * 16 * 64)) < 1e-6
    assert abs(s["total"]["madds_M_before"] - s["conv_only"]["madds_M_before"] - 160e-6) < 1e-9  # + the FC
    assert s["total"]["latency_ms_before"] > s["conv_only"]["latency_ms_before"] > 0


def test_channels_last_timing_runs_nhwc_on_a_copy():
    """Timings default to NHWC (oneDNN's layout) on a copy: the caller's weights keep their NCHW
    strides, and the timed convolution really received a channels_last input."""
    import torch

    from pkg_efficient.layer_cost import in_layout

    seen = []
    conv = nn.Conv2d(3, 8, 3)
    model = nn.Sequential(conv, nn.ReLU())
    timed, x = in_layout(model, torch.randn(1, 3, 8, 8), True)
    timed[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].is_contiguous(memory_format=torch.channels_last)))
    timed(x)
    assert seen == [True] and timed[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert conv.weight.is_contiguous() and not conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert in_layout(model, x, False)[0] is model
    lat = layer_latency_ms(model, size=8, repeat=2)  # default layout
    assert set(lat) == {"0", "1"} and conv.weight.is_contiguous() and not conv._forward_hooks


def test_layer_timing_builds_no_autograd_graph():
    """Timed forwards run under no_grad: a graph would add autograd bookkeeping to every layer."""
    import torch

    seen = []
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    model[1].register_forward_hook(lambda m, a, o: seen.append(o.requires_grad))
    layer_latency_ms(model, size=8, repeat=1, channels_last=False)
    assert seen and not any(seen) and torch.is_grad_enabled()
