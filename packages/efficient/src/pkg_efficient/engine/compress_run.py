"""One compression job: load, calibrate, compress, verify, measure, (fine-tune), save."""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

from pkg_efficient.compress.apply import PRUNE_METHODS, compress_resnet, compress_vgg, decompose_model
from pkg_efficient.compress.chain import ChainOptions
from pkg_efficient.compress.fga import degeneracy, equivalent_weight, jacobian_spectrum
from pkg_efficient.compress.tensor_decomp import cp_weight, tucker2_weight
from pkg_efficient.config import CompressConfig, DataConfig, ModelConfig, RunConfig, TrainConfig, finetune_lr
from pkg_efficient.data.loaders import build_dataset
from pkg_efficient.engine.evaluate import evaluate
from pkg_efficient.engine.modelio import load_model, load_weights_into, probe_input, save_model
from pkg_efficient.flops import count
from pkg_efficient.layer_cost import in_layout, per_layer_table, speedup_by_scope
from pkg_efficient.models import build_model
from pkg_shared.engine import load_checkpoint
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json

log = logging.getLogger("pkg_efficient.compress")


def base_model(cfg: CompressConfig) -> tuple[nn.Module, dict]:
    """``--arch`` with ``--weights``: a torchvision state dict, or one of our checkpoints, which is
    rebuilt as it was trained (e.g. ``model.width``) and must be of that architecture."""
    if cfg.weights:
        state = load_checkpoint(cfg.weights)
        spec = state.get("spec") if isinstance(state, dict) else None
        if isinstance(spec, dict) and "compression" in spec:
            raise ConfigError(f"{cfg.weights}: already a compressed checkpoint; compress the original model")
        if isinstance(spec, dict):
            if spec.get("name") != cfg.arch:
                raise ConfigError(f"{cfg.weights}: holds a {spec.get('name')} model, not --arch {cfg.arch}")
            model, spec = load_model(cfg.weights)
            return model.eval(), {**spec, "init": None}
        model = build_model(cfg.arch, num_classes=cfg.num_classes)
        load_weights_into(model, cfg.weights, state)
        return model.eval(), {"name": cfg.arch, "num_classes": cfg.num_classes}
    return build_model(cfg.arch, num_classes=cfg.num_classes).eval(), {"name": cfg.arch, "num_classes": cfg.num_classes}


def check_widths(cfg: CompressConfig, model: nn.Module) -> None:
    """Explicit ``widths``: one per prunable conv of the VGG, each at most that conv's width."""
    if cfg.widths is None or cfg.method not in PRUNE_METHODS or not cfg.arch.startswith("vgg"):
        return
    orig = [m.out_channels for m in model.features if isinstance(m, nn.Conv2d)]
    if len(cfg.widths) != len(orig):
        raise ConfigError(f"widths: {cfg.arch} has {len(orig)} prunable convs, got {len(cfg.widths)} widths")
    bad = [i for i, (w, n) in enumerate(zip(cfg.widths, orig)) if w > n]
    if bad:
        i = bad[0]
        raise ConfigError(f"widths: conv {i + 1} of {cfg.arch} has {orig[i]} channels, cannot keep {cfg.widths[i]}")


def calibration_batch(cfg: CompressConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded subset of *training* images (never val), evaluation preprocessing, with labels."""
    ds = build_dataset(cfg.dataset, cfg.data_root, "train", augment=False, input_size=cfg.input_size)
    g = torch.Generator().manual_seed(cfg.seed)
    idx = torch.randperm(len(ds), generator=g)[: cfg.calib_images].tolist()
    items = [ds[i] for i in idx]
    return torch.stack([x for x, _ in items]), torch.tensor([int(y) for _, y in items])


def latency_ms(model: nn.Module, size: int, batch: int = 1, repeat: int = 10, channels_last: bool = True) -> float:
    """Median forward time; NHWC by default, the layout oneDNN's CPU convolutions use (see layer_cost)."""
    timed, x = in_layout(model, torch.randn(batch, 3, size, size), channels_last)
    timed.eval()
    with torch.no_grad():
        for _ in range(2):
            timed(x)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            timed(x)
            times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def compress(cfg: CompressConfig, model: nn.Module, calib: torch.Tensor,
             labels: torch.Tensor | None = None) -> tuple[nn.Module, dict]:
    if cfg.method in PRUNE_METHODS:
        opts = ChainOptions(method=cfg.method, rank_rule=cfg.rank_rule, energy=cfg.energy, selection=cfg.selection,
                            refit_r=cfg.refit_r, positions=cfg.positions, seed=cfg.seed, alt_iters=cfg.alt_iters,
                            alt_steps=cfg.alt_steps, rank_eps=cfg.rank_eps, rank_images=cfg.rank_images,
                            embedding_scale=cfg.embedding_scale, q_positions=cfg.q_positions)
        if cfg.arch.startswith("resnet"):
            if cfg.widths is not None:
                raise ConfigError("explicit widths are supported for VGG only; use target_speedup for ResNet-50")
            return compress_resnet(model, calib, opts, cfg.target_speedup, labels=labels, reinsert_bn=cfg.reinsert_bn,
                                   allocation=cfg.allocation, relu_bound=cfg.relu_bound,
                                   width_multiple=cfg.width_multiple)
        return compress_vgg(model, calib, opts, cfg.target_speedup, cfg.widths, cfg.relu_bound, labels=labels,
                            reinsert_bn=cfg.reinsert_bn, allocation=cfg.allocation, width_multiple=cfg.width_multiple)
    return decompose_model(model, cfg.method, cfg.input_size, cfg.policy, cfg.group_size, cfg.target_reduction,
                           cfg.include_1x1, calib=calib if cfg.refit else None, refit=cfg.refit,
                           backend=cfg.tensor_backend)


def degeneracy_now(model: nn.Module, spec: dict) -> float | None:
    """Mean degenerate fraction of W_eq over the decomposed layers (None for pruning / spatial)."""
    kind = spec.get("kind")
    weight_of = {"fga": equivalent_weight, "chandecomp": equivalent_weight, "tucker": tucker2_weight, "cp": cp_weight}
    if kind not in weight_of:
        return None
    fr = [degeneracy(weight_of[kind](model.get_submodule(n)))["degenerate_fraction"] for n in spec["layers"]]
    return sum(fr) / max(len(fr), 1)


def _finetune_logger(cfg: CompressConfig, spec: dict, probe: torch.Tensor, curve: list[dict]):
    """Epoch callback for fine-tuning: accuracy is logged by the loop; we add degeneracy numbers."""
    def on_epoch_end(epoch: int, model: nn.Module, result: dict) -> dict:
        extra: dict = {k: result[k] for k in ("top1", "top5") if k in result}
        deg = degeneracy_now(model, spec)
        if deg is not None:
            extra["weq_degenerate_fraction"] = deg
        if cfg.jacobian_samples > 0:
            jac = jacobian_spectrum(model, probe.to(next(model.parameters()).device))
            extra["jacobian_degenerate_fraction"] = jac["degenerate_fraction"]
            extra["jacobian_log10_condition"] = jac["log10_condition"]
        curve.append({"epoch": epoch, **extra})
        extra.pop("top1", None)
        extra.pop("top5", None)
        model.train()
        return extra

    return on_epoch_end


def run(cfg: CompressConfig, out: pathlib.Path, eval_samples: int | None = None, device: torch.device | None = None) -> dict:
    torch.manual_seed(cfg.seed)  # ``out`` is created only once there is something to write
    model, base_spec = base_model(cfg)
    probe_input(model, cfg.input_size, f"{cfg.arch}")
    check_widths(cfg, model)
    if cfg.data_root:
        print(f"[compress] calibrating on {cfg.calib_images} training images", flush=True)
        calib, labels = calibration_batch(cfg)
    else:  # data-free decompositions: random inputs only to verify the rewritten model
        calib, labels = torch.randn(4, 3, cfg.input_size, cfg.input_size), None
    t0 = time.time()
    new, info = compress(cfg, model, calib, labels)
    new = new.eval()
    with torch.no_grad():
        ref, got = model(calib), new(calib)
    before, after = count(model, cfg.input_size), count(new, cfg.input_size)
    report = {
        "method": cfg.method, "arch": cfg.arch, "compress_time_s": time.time() - t0,
        "logit_rel_error_calib": float((got - ref).norm() / ref.norm().clamp_min(1e-30)),
        "madds_M": {"before": before["macs"] / 1e6, "after": after["macs"] / 1e6},
        "conv_madds_M": {"before": before["conv_macs"] / 1e6, "after": after["conv_macs"] / 1e6},
        "speedup_theoretical": {"conv_only": before["conv_macs"] / after["conv_macs"], "total": before["macs"] / after["macs"]},
        "params_M": {"before": before["params"] / 1e6, "after": after["params"] / 1e6},
        "latency_layout": "channels_last",  # NHWC, what oneDNN convolves in; NCHW figures beside it
        "latency_ms_cpu_batch1": {"before": latency_ms(model, cfg.input_size), "after": latency_ms(new, cfg.input_size)},
        "latency_ms_cpu_batch1_nchw": {"before": latency_ms(model, cfg.input_size, channels_last=False),
                                       "after": latency_ms(new, cfg.input_size, channels_last=False)},
        **{k: v for k, v in info.items() if k != "spec"},
    }
    report["speedup_measured"] = report["latency_ms_cpu_batch1"]["before"] / report["latency_ms_cpu_batch1"]["after"]
    nchw = report["latency_ms_cpu_batch1_nchw"]
    report["speedup_measured_nchw"] = nchw["before"] / nchw["after"]
    report["per_layer"] = per_layer_table(model, new, cfg.input_size, batch=1, repeat=3)  # where the time goes
    report["speedup_by_scope"] = speedup_by_scope(report["per_layer"])  # conv-only vs total, each like for like
    probe = calib[: cfg.jacobian_samples]
    if cfg.jacobian_samples > 0:
        report["jacobian"] = {"before": jacobian_spectrum(model, probe), "after": jacobian_spectrum(new, probe)}
    spec = {"compression": {**info["spec"], "method": cfg.method, "refit": cfg.refit},
            "base": base_spec}
    if cfg.data_root:
        dev = device or torch.device("cpu")
        val = build_dataset(cfg.dataset, cfg.data_root, "val", augment=False, input_size=cfg.input_size, max_samples=eval_samples)
        loader = DataLoader(val, batch_size=cfg.batch_size)
        report["accuracy_before_compression"] = evaluate(model.to(dev), loader, dev)
        report["accuracy_before_finetune"] = evaluate(new.to(dev), loader, dev)
        if cfg.finetune_epochs > 0:
            from pkg_efficient.engine.train import train

            rc = RunConfig(model=ModelConfig(name=cfg.arch, num_classes=cfg.num_classes),
                           data=DataConfig(dataset=cfg.dataset, root=cfg.data_root, input_size=cfg.input_size,
                                           batch_size=cfg.batch_size, workers=0, max_val_samples=eval_samples),
                           train=TrainConfig(epochs=cfg.finetune_epochs, lr=finetune_lr(cfg), nesterov=False,
                                             weight_decay=5e-4 if cfg.arch.startswith("vgg") else 1e-4, warmup_epochs=0,
                                             label_smoothing=0.0, shift_penalty=0.0), seed=cfg.seed)
            curve: list[dict] = []
            new.efficient_spec = spec  # finetune/model.pt rebuilds as the compressed model
            train(rc, out / "finetune", dev, model=new, on_epoch_end=_finetune_logger(cfg, info["spec"], probe, curve))
            report["accuracy_after_finetune"] = evaluate(new, loader, dev)
            report["finetune_curve"] = curve
            if report["finetune_curve"]:
                report["accuracy_after_1_epoch"] = {k: report["finetune_curve"][0].get(k) for k in ("top1", "top5")}
        orig = report["accuracy_before_compression"]  # paper B's "top-5 drop" (and top-1), same preprocessing
        for key in ("top1", "top5"):
            report[f"{key}_drop"] = {"before_finetune": orig[key] - report["accuracy_before_finetune"][key]}
            if "accuracy_after_finetune" in report:
                report[f"{key}_drop"]["after_finetune"] = orig[key] - report["accuracy_after_finetune"][key]
        new = new.cpu()
    out.mkdir(parents=True, exist_ok=True)
    save_model(out / "compressed.pt", new, spec)
    report["checkpoint"] = str(out / "compressed.pt")
    report["config"] = dataclasses.asdict(cfg)
    atomic_write_json(out / "report.json", report)
    return report
