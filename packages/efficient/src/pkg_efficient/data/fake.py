"""Tiny datasets in the exact official ImageNet layouts (raw + devkit, folder, Kaggle) for tests/demo."""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_efficient.data.imagenet import DEVKIT, KAGGLE

FAKE_WNIDS = ["n01440764", "n01443537", "n01484850", "n01491361"]
# devkit order deliberately differs from sorted WNID order (as in the real meta.mat)
_DEVKIT_ORDER = ["n01484850", "n01440764", "n01491361", "n01443537"]


def _image(rng: np.random.Generator, label: int, size: int):
    from PIL import Image

    base = np.zeros((size, size, 3), np.float64)
    base[..., label % 3] = 200
    base += rng.normal(0, 30, size=base.shape)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def _save(img, path: pathlib.Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "cmyk":
        img.convert("CMYK").save(path, format="JPEG")
    elif kind == "gray":
        img.convert("L").save(path, format="JPEG")
    elif kind == "png":
        img.save(path, format="PNG")  # a PNG stream behind a .JPEG name, as in the real train set
    else:
        img.save(path, format="JPEG", quality=90)


def write_fake_imagenet(out: str | pathlib.Path, layout: str = "raw", train_per_class: int = 3,
                        val_per_class: int = 2, size: int = 48, seed: int = 0) -> pathlib.Path:
    """4 classes; the first three train images of each class are CMYK, grayscale, PNG-in-.JPEG."""
    import scipy.io

    out = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    kinds = ["cmyk", "gray", "png"]
    base = out / KAGGLE if layout == "kaggle" else out
    for ci, w in enumerate(FAKE_WNIDS):
        for k in range(train_per_class):
            _save(_image(rng, ci, size), base / "train" / w / f"{w}_{k + 1}.JPEG", kinds[k] if k < 3 else "rgb")
    val_labels = [ci for ci in range(len(FAKE_WNIDS)) for _ in range(val_per_class)]
    rng.shuffle(val_labels)
    names = [f"ILSVRC2012_val_{i + 1:08d}" for i in range(len(val_labels))]
    for name, ci in zip(names, val_labels):
        folder = base / "val" / FAKE_WNIDS[ci] if layout == "folder" else base / "val"
        _save(_image(rng, ci, size), folder / f"{name}.JPEG", "rgb")
    if layout == "raw":
        dk = out / DEVKIT
        dk.mkdir(parents=True, exist_ok=True)
        fields = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("gloss", "O"), ("num_children", "O"),
                  ("children", "O"), ("wordnet_height", "O"), ("num_train_images", "O")]
        syn = np.zeros(len(_DEVKIT_ORDER) + 1, dtype=fields)
        for i, w in enumerate(_DEVKIT_ORDER):
            syn[i] = (i + 1, w, f"words {w}", "a fake synset", 0, np.zeros((1, 0)), 0, train_per_class)
        syn[-1] = (len(_DEVKIT_ORDER) + 1, "n00000001", "entity", "a non-leaf synset", 4,
                   np.arange(1, 5, dtype=np.float64), 1, 0)
        scipy.io.savemat(str(dk / "meta.mat"), {"synsets": syn.reshape(-1, 1)})
        ids = [_DEVKIT_ORDER.index(FAKE_WNIDS[ci]) + 1 for ci in val_labels]
        (dk / "ILSVRC2012_validation_ground_truth.txt").write_text("".join(f"{v}\n" for v in ids))
    elif layout == "kaggle":
        (out / "LOC_synset_mapping.txt").write_text("".join(f"{w} fake name {i}\n" for i, w in enumerate(FAKE_WNIDS)))
        rows = ["ImageId,PredictionString"] + [
            f"{n},{FAKE_WNIDS[ci]} 1 2 30 40 {FAKE_WNIDS[ci]} 3 4 20 20" for n, ci in zip(names, val_labels)]
        (out / "LOC_val_solution.csv").write_text("\n".join(rows) + "\n")
    return out
