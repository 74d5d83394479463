"""Evaluation drivers: run a model on Caltech test frames, write toolbox result files, score them."""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_detect.data import caltech, caltech_new
from pkg_detect.eval import caltech as ceval
from pkg_shared.errors import DataFormatError


def caltech_gt(root, sets=caltech.TEST_SETS, skip: int = 30, protocol: str = "original", new_annotations=None):
    """Frames (video, frame) and loaded GT objects for the test set.

    ``original``: the frames every ``skip`` of the ``.vbb`` files. ``new``: the frames that have a file
    in the new-annotation folder (default ``ROOT/anno_test_1xnew``), restricted to ``sets`` and to
    (frame + 1) % skip == 0; no ``.vbb`` or ``.seq`` is needed to score result files.
    """
    frames, gts = [], []
    if protocol == "new":
        folder = pathlib.Path(new_annotations) if new_annotations else pathlib.Path(root or ".") / caltech_new.TEST_FOLDER
        if not folder.is_dir():
            raise DataFormatError(folder, "protocol 'new' needs the anno_test_1xnew folder (--new-annotations)")
        for a in caltech_new.list_folder(folder, set(sets), skip):
            base = pathlib.Path(root or ".")
            frames.append((caltech.Video(a.set_id, a.vid_id, base / f"set{a.set_id:02d}" / f"V{a.vid_id:03d}.seq",
                                         base / "annotations" / f"set{a.set_id:02d}" / f"V{a.vid_id:03d}.vbb"), a.frame))
            gts.append(caltech.bbgt_objects(caltech_new.read(a.path)))
        return frames, gts
    for v in caltech.find_videos(root, sets):
        ann = caltech.load_vbb(str(v.vbb))
        for f in caltech.frame_indices(ann.n_frames, skip):
            frames.append((v, f))
            gts.append(caltech.gt_objects(ann, f))
    if not frames:
        raise DataFormatError(str(root), f"no test videos (sets {list(sets)}) found")
    return frames, gts


def read_result_dir(dets_dir, frames) -> list[np.ndarray]:
    """Detections aligned with ``frames`` from ``setXX/VYYY.txt`` (or per-frame ``VYYY/IFFFFF.txt``)."""
    dets_dir = pathlib.Path(dets_dir)
    cache: dict[str, dict[int, np.ndarray]] = {}
    out = []
    for v, f in frames:
        key = v.name
        if key not in cache:
            p = dets_dir / f"{key}.txt"
            if p.is_file():
                cache[key] = ceval.read_results(p)
            else:
                folder = dets_dir / key
                if not folder.is_dir():
                    raise DataFormatError(p, "result file not found (nor the per-frame folder)")
                wanted = [ff for vv, ff in frames if vv.name == key]
                cache[key] = ceval.read_frame_results(folder, wanted)
        out.append(cache[key].get(f, np.zeros((0, 5))))
    return out


def write_result_dir(dets_dir, frames, dets) -> None:
    by_vid: dict[str, tuple[list, list]] = {}
    for (v, f), d in zip(frames, dets):
        by_vid.setdefault(v.name, ([], []))
        by_vid[v.name][0].append(f)
        by_vid[v.name][1].append(d)
    for name, (fs, ds) in by_vid.items():
        ceval.write_results(pathlib.Path(dets_dir) / f"{name}.txt", fs, ds)


def evaluate_caltech(root, dets_dir, setups, protocol="original", resize_dets=True, sets=caltech.TEST_SETS,
                     skip: int = 30, new_annotations=None) -> dict:
    frames, gts = caltech_gt(root, sets, skip, protocol, new_annotations)
    dets = read_result_dir(dets_dir, frames)
    results = {}
    for s in setups:
        if s not in ceval.SETUPS:
            raise DataFormatError(str(dets_dir), f"unknown setup {s!r} (known: {', '.join(ceval.SETUPS)})")
        r = ceval.evaluate(gts, dets, s, resize_dets=resize_dets, protocol=protocol)
        results[s] = r
    return {"protocol": {"name": protocol, "toolbox": "code3.2.1 dbEval/bbGt" if protocol == "original" else
                         "CSP/Pedestron dbEval copy + newer bbGt bbLoad (Zhang et al. 2016 annotations)",
                         "annotations": "original .vbb" if protocol == "original" else
                         str(new_annotations or pathlib.Path(root or ".") / caltech_new.TEST_FOLDER),
                         "comparable_with_original": protocol == "original",
                         "resize_dets": bool(resize_dets and protocol == "original"), "frames": len(frames),
                         "skip": skip, "fppi_points": "exact 10^(-2:0.25:0)", "empty_prefix": "zero"},
            "results": {k: {kk: vv for kk, vv in v.items() if kk not in ("fppi", "miss_rate")} for k, v in results.items()},
            "roc": {k: {"fppi": v["fppi"], "miss_rate": v["miss_rate"]} for k, v in results.items()}}


def detect_frames(model, cfg, frames, mrf=None, device="cpu", progress=None) -> list[np.ndarray]:
    """Boxes for each (video, frame); temporal models see their clip (offsets before each frame)."""
    import torch

    from pkg_detect.engine.infer import boxes_from_maps, maps_to_numpy, predict, to_tensor

    dets = []
    for v, f in (progress(frames) if progress else frames):
        seq = caltech.load_seq(str(v.seq))
        if cfg.model.temporal_mode != "none":
            s = cfg.data.input_scale * cfg.eval.test_scale
            clip = torch.cat([to_tensor(seq[max(f + o, 0)], s) for o in cfg.data.temporal_offsets]).unsqueeze(0)
            with torch.no_grad():
                out = model.eval()(clip.to(device))
            dets.append(boxes_from_maps(maps_to_numpy(model, out), seq[f].shape[:2], s, cfg, mrf))
        else:
            dets.append(predict(model, seq[f], cfg, device=device, mrf=mrf))
    return dets


def detect_caltech(model, cfg, root, sets=caltech.TEST_SETS, skip: int = 30, mrf=None, device="cpu",
                   temporal: bool = False, progress=None):
    """Run the model on the test frames (every ``skip`` of ``sets``); returns (frames, detections)."""
    frames, _ = caltech_gt(root, sets, skip)
    return frames, detect_frames(model, cfg, frames, mrf, device, progress)
