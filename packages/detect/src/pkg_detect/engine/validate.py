"""Model selection during training (spec §7): score held-out frames with the official evaluator.

Caltech: the frames every ``train.val_skip`` of the videos in ``train.val_videos`` (default
set05/V010-V012, which ``build_samples`` then leaves out of training), scored with the code3.2.1
evaluator (setup ``train.val_setup``, original protocol). CityPersons: the ``val`` split with the
official Python evaluator. Lower MR^-2 is better; the training loop keeps the best as ``best.pt``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from pkg_detect.config import DetectConfig
from pkg_shared.errors import ConfigError, DataFormatError


@dataclasses.dataclass
class ValSet:
    kind: str  # "caltech" | "citypersons"
    items: list  # (Video, frame) pairs, or CpImage
    gt: object  # list of per-frame GtObject lists, or the COCO-like eval GT dict
    root: str


def build_valset(cfg: DetectConfig, root) -> ValSet:
    """The held-out frames and their ground truth; a clear error when none exist."""
    tc = cfg.train
    if cfg.data.dataset in ("caltech", "citypersons"):
        if cfg.data.dataset == "caltech":
            from pkg_detect.eval.caltech import SETUPS
        else:
            from pkg_detect.eval.citypersons import SETUPS
        if tc.val_setup not in SETUPS:
            raise ConfigError(f"train.val_setup={tc.val_setup!r} is not a {cfg.data.dataset} setup "
                              f"(known: {', '.join(SETUPS)})")
    if cfg.data.dataset == "caltech":
        from pkg_detect.data import caltech

        wanted = set(tc.val_videos)
        sets = sorted({int(name[3:5]) for name in wanted if name.startswith("set")})
        vids = [v for v in caltech.find_videos(root, sets) if v.name in wanted]
        missing = wanted - {v.name for v in vids}
        if missing:
            raise ConfigError(f"train.val_videos: {', '.join(sorted(missing))} not found under {root}")
        items, gts = [], []
        for v in vids:
            ann = caltech.load_vbb(str(v.vbb))
            for f in caltech.frame_indices(ann.n_frames, tc.val_skip):
                items.append((v, f))
                gts.append(caltech.gt_objects(ann, f))
        if not items:
            raise DataFormatError(str(root), f"validation videos have fewer than {tc.val_skip} frames")
        return ValSet("caltech", items, gts, str(root))
    if cfg.data.dataset == "citypersons":
        from pkg_detect.data import citypersons as cp

        images = cp.read_split(root, "val")
        return ValSet("citypersons", images, cp.eval_gt(images), str(root))
    raise ConfigError(f"train.val_every: no validation reader for data.dataset={cfg.data.dataset!r}")


@torch.no_grad()
def validate(model: torch.nn.Module, cfg: DetectConfig, vs: ValSet, device="cpu") -> dict:
    """MR^-2 (fraction, lower is better) of ``model`` on the validation set."""
    was_training = model.training
    model.eval()
    try:
        if vs.kind == "caltech":
            from pkg_detect.engine.evaluate import detect_frames
            from pkg_detect.eval import caltech as ceval

            dets = detect_frames(model, cfg, vs.items, device=device)
            r = ceval.evaluate(vs.gt, dets, cfg.train.val_setup)
            return {"mr": r["mr"], "setup": r["setup"], "frames": len(vs.items), "n_gt": r["n_gt"]}
        import pathlib

        from pkg_detect.engine.infer import predict
        from pkg_detect.eval import citypersons as ce
        from pkg_shared.io.image import read_image

        dets = []
        for i, img in enumerate(vs.items, start=1):
            path = pathlib.Path(vs.root) / "leftImg8bit" / "val" / img.city / img.name
            for x, y, w, h, s in np.asarray(predict(model, read_image(path), cfg, device=device)).reshape(-1, 5):
                dets.append({"image_id": i, "category_id": 1, "bbox": [x, y, w, h], "score": s})
        r = ce.evaluate(vs.gt, dets, cfg.train.val_setup)
        return {"mr": r["mr"], "setup": r["setup"], "frames": len(vs.items), "n_gt": r["n_gt"]}
    finally:
        model.train(was_training)
