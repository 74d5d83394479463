"""Training samples (frame or clip + boxes) with augmentation and target rendering.

Sampling is a pure function of (sample index, numpy Generator): the training loop seeds one
Generator per step, so a resumed run sees exactly the same batches and augmentations.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable

import numpy as np
import torch

from pkg_detect.config import DetectConfig
from pkg_detect.data import transforms as T
from pkg_detect.targets import make_targets


@dataclasses.dataclass
class Sample:
    load: Callable[[int], np.ndarray]  # frame offset (0 = target, -k = k frames earlier) -> RGB uint8
    boxes: np.ndarray  # (N, 4) positives
    ignore: np.ndarray  # (M, 4)
    name: str = ""
    #: frame offset -> (positives, ignore) of that frame; needed for a loss on every unrolled step
    annots: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None

    def boxes_at(self, off: int) -> tuple[np.ndarray, np.ndarray]:
        if off == 0:
            return self.boxes, self.ignore
        if self.annots is None:
            raise ValueError(f"{self.name}: no annotations for frame offset {off}")
        return self.annots(off)


def caltech_samples(root, sets, every: int, min_height: float, exclude: tuple[str, ...] = ()) -> list[Sample]:
    """Frames every k of the training sets; videos named in ``exclude`` (``setSS/VVVV``) are held out."""
    from pkg_detect.data import caltech

    out = []
    for v, f in caltech.index(root, sets, every):
        if v.name in exclude:
            continue
        ann = caltech.load_vbb(str(v.vbb))
        pos, ign = caltech.train_boxes(caltech.gt_objects(ann, f), min_height)
        seq = str(v.seq)

        def load(off: int, seq=seq, f=f) -> np.ndarray:
            return caltech.load_seq(seq)[max(f + off, 0)]

        def annots(off: int, ann=ann, f=f) -> tuple[np.ndarray, np.ndarray]:
            return caltech.train_boxes(caltech.gt_objects(ann, max(f + off, 0)), min_height)

        out.append(Sample(load, pos, ign, f"{v.name}/I{f:05d}", annots))
    return out


def caltech_new_samples(root, folder, sets, every: int, min_height: float, exclude: tuple[str, ...] = ()
                        ) -> list[Sample]:
    """Training frames from the Zhang et al. annotation folder (frames from the ``.seq`` videos)."""
    from pkg_detect.data import caltech, caltech_new

    root = pathlib.Path(root)
    folder = pathlib.Path(folder) if folder else root / caltech_new.TRAIN_FOLDER
    out = []
    for a in caltech_new.list_folder(folder, set(sets), every):
        if a.video in exclude:
            continue
        seq = next((str(b / f"V{a.vid_id:03d}.seq") for b in (root / f"set{a.set_id:02d}", root / "videos" / f"set{a.set_id:02d}")
                    if (b / f"V{a.vid_id:03d}.seq").is_file()), None)
        if seq is None:
            from pkg_shared.errors import DataFormatError

            raise DataFormatError(root / f"set{a.set_id:02d}" / f"V{a.vid_id:03d}.seq", f"video missing for {a.path.name}")
        pos, ign = caltech.train_boxes(caltech.bbgt_objects(caltech_new.read(a.path)), min_height)

        def load(off: int, seq=seq, f=a.frame) -> np.ndarray:
            return caltech.load_seq(seq)[max(f + off, 0)]

        def annots(off: int, a=a) -> tuple[np.ndarray, np.ndarray]:
            p = caltech_new.find_file(folder, a.set_id, a.vid_id, max(a.frame + off, 0))
            return caltech.train_boxes(caltech.bbgt_objects(caltech_new.read(p)), min_height)

        out.append(Sample(load, pos, ign, f"{a.video}/I{a.frame:05d}", annots))
    return out


def citypersons_samples(root, split: str, min_height: float) -> list[Sample]:
    from pkg_detect.data import citypersons as cp
    from pkg_shared.io.image import read_image

    out = []
    for img in cp.read_split(root, split):
        path = pathlib.Path(root) / "leftImg8bit" / split / img.city / img.name
        pos = [o.bbox for o in img.objects if o.label == "pedestrian" and o.bbox[3] >= min_height]
        ign = [o.bbox for o in img.objects if not (o.label == "pedestrian" and o.bbox[3] >= min_height)]

        def load(off: int, path=path) -> np.ndarray:
            return read_image(path)

        out.append(Sample(load, np.array(pos).reshape(-1, 4), np.array(ign).reshape(-1, 4), img.name))
    return out


def build_samples(cfg: DetectConfig, root) -> list[Sample]:
    d = cfg.data
    if d.dataset == "caltech":
        held_out = tuple(cfg.train.val_videos) if cfg.train.val_every > 0 else ()
        if d.train_annotations == "new":
            return caltech_new_samples(root, d.new_annotations, d.train_sets, d.every, cfg.targets.min_height, held_out)
        return caltech_samples(root, d.train_sets, d.every, cfg.targets.min_height, held_out)
    if d.dataset == "citypersons":
        return citypersons_samples(root, "train", cfg.targets.min_height)
    from pkg_shared.errors import ConfigError

    raise ConfigError(f"data.dataset={d.dataset!r} has no training reader (use caltech or citypersons)")


def make_item(sample: Sample, cfg: DetectConfig, rng: np.random.Generator, train: bool = True) -> dict[str, torch.Tensor]:
    """Image(s) (T, 3, H, W) float [0, 1] and target maps for one sample.

    With ``temporal.loss_all_steps`` the maps are rendered for every frame of the clip, (T, C, h, w),
    under the same geometric augmentation; otherwise for the target frame only, (C, h, w).
    """
    d = cfg.data
    offsets = d.temporal_offsets if cfg.model.temporal_mode != "none" else (0,)
    all_steps = cfg.temporal.loss_all_steps and cfg.model.temporal_mode != "none"
    frames = [sample.load(o) for o in offsets]
    annots = [sample.boxes_at(o) if all_steps else (sample.boxes, sample.ignore) for o in offsets]
    s = d.input_scale * (rng.uniform(*d.scale_jitter) if train else 1.0)
    flip = train and d.flip and rng.random() < 0.5
    crop = None
    out_frames, out_boxes = [], []
    for fr, (boxes, ignore) in zip(frames, annots):
        img, (b, ig) = T.rescale(fr, [boxes, ignore], s)
        if train and d.crop is not None:
            if crop is None:  # chosen on the first frame (its positives), shared by the whole clip
                sy, sx = img.shape[0] / fr.shape[0], img.shape[1] / fr.shape[1]
                target_pos = np.asarray(annots[-1][0], np.float64).reshape(-1, 4) * [sx, sy, sx, sy]
                crop = T.choose_crop(img.shape[:2], d.crop, target_pos, rng)
            img, (b, ig) = T.crop(img, [b, ig], *crop)
        img = img.astype(np.float32) / 255.0
        if flip:
            img, b = T.hflip(img, b)
            ig = T.hflip(img, ig)[1]
        out_frames.append(img)
        out_boxes.append((b, ig))
    if train and d.photometric:
        a, c = rng.uniform(0.8, 1.2), rng.uniform(-0.1, 0.1)
        out_frames = [np.clip(f * a + c, 0, 1) for f in out_frames]
    h, w = out_frames[0].shape[:2]
    oh, ow = -(-h // 16) * 4, -(-w // 16) * 4
    steps = out_boxes if all_steps else out_boxes[-1:]
    maps = [make_targets(b, ig, (oh, ow), cfg.targets, cfg.model.line_channels) for b, ig in steps]
    if all_steps:
        tg = {k: np.stack([m[k] for m in maps]) for k in maps[0]}
    else:
        tg = maps[0]
    imgs = torch.from_numpy(np.stack(out_frames)).permute(0, 3, 1, 2).contiguous()
    return {"image": imgs, **{k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tg.items()}}


def collate(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Stack, zero-padding images and maps to the largest size (padding has weight 0)."""
    out = {}
    for k in items[0]:
        ts = [it[k] for it in items]
        hmax = max(t.shape[-2] for t in ts)
        wmax = max(t.shape[-1] for t in ts)
        ts = [torch.nn.functional.pad(t, (0, wmax - t.shape[-1], 0, hmax - t.shape[-2])) for t in ts]
        out[k] = torch.stack(ts)
    return out
