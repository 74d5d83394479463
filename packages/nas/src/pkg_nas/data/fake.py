"""Writers of tiny datasets in exactly the official on-disk formats (tests, demo, CI).

Images are learnable: each class has its own colour and stripe pattern plus noise, so a short
training run shows a rising accuracy.
"""

from __future__ import annotations

import io
import pathlib
import pickle
import tarfile

import numpy as np

from pkg_shared.fsutil import atomic_write_bytes, atomic_write_text


def class_image(rng: np.random.Generator, c: int, size: int = 32) -> np.ndarray:
    """HWC uint8 image of class ``c``: a class colour, a class stripe period/orientation, noise."""
    crng = np.random.default_rng(1000 + c)
    colour = crng.integers(30, 226, size=3)
    period = 2 + (c % 7)
    yy, xx = np.mgrid[0:size, 0:size]
    stripes = ((xx if (c // 7) % 2 == 0 else yy) // period) % 2
    img = colour[None, None, :] * (0.6 + 0.4 * stripes[..., None])
    img = img + rng.normal(0, 18, size=(size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


CIFAR_NAMES = [f"class_{i:02d}" for i in range(100)]


def _py2_pickle(obj: dict, key_type: str) -> bytes:
    if key_type == "bytes":
        obj = {k.encode("latin1"): v for k, v in obj.items()}
    return pickle.dumps(obj, protocol=2)


def write_cifar100(out: str | pathlib.Path, per_class: int = 5, test_per_class: int = 2, classes: int = 100,
                   seed: int = 0, key_type: str = "bytes", archive: bool = False) -> pathlib.Path:
    """``out/cifar-100-python/{train,test,meta}`` (and the .tar.gz when ``archive``)."""
    out = pathlib.Path(out)
    folder = out / "cifar-100-python"
    rng = np.random.default_rng(seed)
    files: dict[str, bytes] = {}
    for split, n in (("train", per_class), ("test", test_per_class)):
        fine = [c for c in range(classes) for _ in range(n)]
        order = rng.permutation(len(fine))
        fine = [fine[i] for i in order]
        imgs = np.stack([class_image(rng, c) for c in fine]) if fine else np.zeros((0, 32, 32, 3), np.uint8)
        data = imgs.transpose(0, 3, 1, 2).reshape(len(fine), 3072)  # R plane, G plane, B plane
        d = {
            "data": data,
            "fine_labels": fine,
            "coarse_labels": [c // 5 for c in fine],
            "filenames": [f"fake_{split}_{i}.png".encode() for i in range(len(fine))],
            "batch_label": f"{split}ing batch 1 of 1".encode(),
        }
        files[split] = _py2_pickle(d, key_type)
    meta = {"fine_label_names": [n.encode() for n in CIFAR_NAMES],
            "coarse_label_names": [f"super_{i:02d}".encode() for i in range(20)]}
    files["meta"] = _py2_pickle(meta, key_type)
    for name, raw in files.items():
        atomic_write_bytes(folder / name, raw)
    if archive:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, raw in files.items():
                info = tarfile.TarInfo(f"cifar-100-python/{name}")
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))
        atomic_write_bytes(out / "cifar-100-python.tar.gz", buf.getvalue())
    return folder


def _save_jpeg(path: pathlib.Path, arr: np.ndarray, fmt: str = "JPEG", mode: str | None = None) -> None:
    from PIL import Image

    im = Image.fromarray(arr)
    if mode:
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, format=fmt, quality=95)
    atomic_write_bytes(path, buf.getvalue())


def fake_wnids(n: int) -> list[str]:
    return [f"n{1440764 + 7919 * i:08d}" for i in range(n)]


def write_tiny_imagenet(out: str | pathlib.Path, classes: int = 5, per_class: int = 4, val_per_class: int = 2,
                        test: int = 3, size: int = 64, seed: int = 0) -> pathlib.Path:
    """``out/tiny-imagenet-200/`` with wnids.txt, words.txt, train/<wnid>/{images,boxes}, flat val + annotations, test."""
    base = pathlib.Path(out) / "tiny-imagenet-200"
    rng = np.random.default_rng(seed)
    wnids = fake_wnids(classes)
    shuffled = list(rng.permutation(wnids))  # wnids.txt is not sorted in the official file either
    atomic_write_text(base / "wnids.txt", "".join(f"{w}\n" for w in shuffled))
    words = [f"{w}\tthing {i}, object {i}" for i, w in enumerate(wnids)] + ["n99999999\tunused synset"]
    atomic_write_text(base / "words.txt", "\n".join(words) + "\n")
    for c, w in enumerate(wnids):
        boxes = []
        for k in range(per_class):
            name = f"{w}_{k}.JPEG"
            gray = (c + k) % 5 == 0  # some official images are grayscale
            _save_jpeg(base / "train" / w / "images" / name, class_image(rng, c, size), mode="L" if gray else None)
            boxes.append(f"{name}\t{k % 8}\t{k % 5}\t{size - 1 - k % 3}\t{size - 1}")
        atomic_write_text(base / "train" / w / f"{w}_boxes.txt", "\n".join(boxes) + "\n")
    ann, k = [], 0
    for c, w in enumerate(wnids):
        for _ in range(val_per_class):
            name = f"val_{k}.JPEG"
            _save_jpeg(base / "val" / "images" / name, class_image(rng, c, size))
            ann.append(f"{name}\t{w}\t0\t0\t{size - 1}\t{size - 1}")
            k += 1
    order = rng.permutation(len(ann))
    atomic_write_text(base / "val" / "val_annotations.txt", "\n".join(ann[i] for i in order) + "\n")
    for t in range(test):
        _save_jpeg(base / "test" / "images" / f"test_{t}.JPEG", class_image(rng, t % classes, size))
    return base


def write_meta_mat(path: pathlib.Path, id_to_wnid: dict[int, str]) -> None:
    """A devkit-style ``meta.mat``: struct array ``synsets`` with the official fields."""
    import scipy.io

    fields = ["ILSVRC2012_ID", "WNID", "words", "gloss", "num_children", "children", "wordnet_height",
              "num_train_images"]
    ids = sorted(id_to_wnid)
    arr = np.zeros((len(ids) + 1, 1), dtype=[(f, object) for f in fields])
    for r, sid in enumerate(ids):
        arr[r, 0] = (np.array([[sid]], dtype=np.uint16), id_to_wnid[sid], f"synset {sid}", "a fake synset",
                     np.array([[0]], dtype=np.uint16), np.zeros((1, 0), dtype=np.uint16),
                     np.array([[0]], dtype=np.uint16), np.array([[1300]], dtype=np.uint16))
    # one non-leaf synset, as in the real file (IDs > 1000 are internal nodes)
    arr[len(ids), 0] = (np.array([[len(ids) + 1]], dtype=np.uint16), "n00001740", "entity", "root",
                        np.array([[len(ids)]], dtype=np.uint16), np.array([ids], dtype=np.uint16),
                        np.array([[19]], dtype=np.uint16), np.array([[0]], dtype=np.uint16))
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"synsets": arr})
    atomic_write_bytes(path, buf.getvalue())


def write_imagenet(out: str | pathlib.Path, classes: int = 4, per_class: int = 3, val_per_class: int = 2,
                   val_layout: str = "flat", size: int = 64, seed: int = 0) -> pathlib.Path:
    """``out/{train,val}`` (+ devkit for the flat val layout). ILSVRC2012_IDs are assigned in an order
    different from sorted WNIDs, and one train file is a PNG named ``.JPEG`` (official quirks)."""
    base = pathlib.Path(out)
    rng = np.random.default_rng(seed)
    wnids = fake_wnids(classes)
    ids = {w: classes - i for i, w in enumerate(wnids)}  # reversed: ID order != sorted-WNID order
    for c, w in enumerate(wnids):
        for k in range(per_class):
            png = c == 0 and k == 0
            _save_jpeg(base / "train" / w / f"{w}_{k}.JPEG", class_image(rng, c, size), fmt="PNG" if png else "JPEG")
    val = [(c, w) for c, w in enumerate(wnids) for _ in range(val_per_class)]
    val = [val[i] for i in rng.permutation(len(val))]
    if val_layout == "folders":
        for k, (c, w) in enumerate(val):
            _save_jpeg(base / "val" / w / f"ILSVRC2012_val_{k + 1:08d}.JPEG", class_image(rng, c, size))
        return base
    gt = []
    for k, (c, w) in enumerate(val):
        _save_jpeg(base / "val" / f"ILSVRC2012_val_{k + 1:08d}.JPEG", class_image(rng, c, size))
        gt.append(str(ids[w]))
    data = base / "ILSVRC2012_devkit_t12" / "data"
    atomic_write_text(data / "ILSVRC2012_validation_ground_truth.txt", "\n".join(gt) + "\n")
    write_meta_mat(data / "meta.mat", {v: k for k, v in ids.items()})
    return base
