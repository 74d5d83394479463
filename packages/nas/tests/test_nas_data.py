import pickle

import numpy as np
import pytest
import torch

from pkg_nas.config import DataConfig
from pkg_nas.data import cifar100, fake, imagenet, tiny_imagenet
from pkg_nas.data.datasets import build_splits, load_rgb
from pkg_nas.data.splits import stratified_holdout
from pkg_shared.errors import ConfigError, DataFormatError


def _write_pickle(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(obj, protocol=2))


@pytest.mark.parametrize("key_type", ["bytes", "str"])
def test_cifar_keys_planes_and_labels(tmp_path, key_type):
    fake.write_cifar100(tmp_path, per_class=1, test_per_class=1, classes=3, key_type=key_type)
    folder = tmp_path / "cifar-100-python"
    img = np.zeros((3, 32, 32), np.uint8)
    img[0] = 255  # red plane only
    k = (lambda s: s.encode()) if key_type == "bytes" else (lambda s: s)
    _write_pickle(folder / "train", {k("data"): img.reshape(1, 3072), k("fine_labels"): [42],
                                     k("coarse_labels"): [7], k("filenames"): [b"x.png"], k("batch_label"): b"b"})
    x, fine, coarse = cifar100.read_split(tmp_path, "train")
    assert x.shape == (1, 3, 32, 32)
    assert x[0, 0].min() == 255 and x[0, 1:].max() == 0  # loads as red
    assert fine.tolist() == [42] and coarse.tolist() == [7]
    assert cifar100.read_meta(tmp_path)["fine_label_names"][:2] == ["class_00", "class_01"]


def test_cifar_archive_and_check(tmp_path):
    fake.write_cifar100(tmp_path, per_class=2, test_per_class=1, classes=100, archive=True)
    rep = cifar100.check(tmp_path / "cifar-100-python.tar.gz")
    assert rep["problems"] == [] and rep["splits"]["train"]["images"] == 200
    a, _, _ = cifar100.read_split(tmp_path / "cifar-100-python.tar.gz", "test")
    b, _, _ = cifar100.read_split(tmp_path, "test")
    assert np.array_equal(a, b)


def test_cifar_corrupt_inputs_name_the_file(tmp_path):
    fake.write_cifar100(tmp_path, per_class=1, test_per_class=1, classes=2)
    train = tmp_path / "cifar-100-python" / "train"
    train.write_bytes(train.read_bytes()[:50])
    with pytest.raises(DataFormatError, match="train: not a readable CIFAR pickle"):
        cifar100.read_split(tmp_path, "train")
    _write_pickle(train, {b"data": np.zeros((2, 100), np.uint8), b"fine_labels": [0, 1], b"coarse_labels": [0, 0]})
    with pytest.raises(DataFormatError, match="N x 3072"):
        cifar100.read_split(tmp_path, "train")
    _write_pickle(train, {b"data": np.zeros((1, 3072), np.uint8), b"coarse_labels": [0]})
    with pytest.raises(DataFormatError, match="fine_labels"):
        cifar100.read_split(tmp_path, "train")
    with pytest.raises(DataFormatError, match="not found"):
        cifar100.read_split(tmp_path / "nope", "train")


def test_tiny_imagenet_layout(tmp_path):
    base = fake.write_tiny_imagenet(tmp_path, classes=3, per_class=5, val_per_class=2, test=2)
    wnids = tiny_imagenet.read_wnids(tmp_path)
    assert wnids == sorted(wnids) and len(wnids) == 3
    train = tiny_imagenet.train_items(tmp_path)
    assert len(train) == 15
    # the fake writes some grayscale JPEGs; they must load as 3-channel RGB
    from PIL import Image

    gray = [p for p, _ in train if Image.open(p).mode == "L"]
    assert gray and load_rgb(gray[0]).mode == "RGB"
    val = tiny_imagenet.val_items(tmp_path)
    ann = {line.split("\t")[0]: line.split("\t")[1] for line in (base / "val" / "val_annotations.txt").read_text().splitlines()}
    assert all(wnids[y] == ann[p.name] for p, y in val)
    assert tiny_imagenet.check(tmp_path)["problems"] == []


def test_tiny_imagenet_bad_annotation_line(tmp_path):
    base = fake.write_tiny_imagenet(tmp_path, classes=2, per_class=2, val_per_class=2, test=0)
    ann = base / "val" / "val_annotations.txt"
    lines = ann.read_text().splitlines()
    lines[2] = lines[2].replace("\t0\t0\t", "\tzero\t0\t")
    ann.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"val_annotations.txt:3: field 'x0'"):
        tiny_imagenet.val_items(tmp_path)
    lines[2] = "val_0.JPEG\tn00000000\t0\t0\t1\t1"
    ann.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r":3: unknown wnid"):
        tiny_imagenet.val_items(tmp_path)


def test_imagenet_flat_val_uses_devkit_ids(tmp_path):
    fake.write_imagenet(tmp_path, classes=4, per_class=2, val_per_class=2, val_layout="flat")
    wnids = imagenet.train_wnids(tmp_path)
    items = imagenet.val_items(tmp_path)
    data = tmp_path / "ILSVRC2012_devkit_t12" / "data"
    id2wnid = imagenet.read_meta_mat(data / "meta.mat")
    assert len(id2wnid) == 4  # the internal (non-leaf) synset is dropped
    # the fake assigns IDs in reverse wnid order: ID k -> wnids[4 - k]
    assert all(id2wnid[k] == wnids[4 - k] for k in range(1, 5))
    gt = [int(v) for v in (data / "ILSVRC2012_validation_ground_truth.txt").read_text().split()]
    assert [y for _, y in items] == [wnids.index(id2wnid[g]) for g in gt]
    assert [y for _, y in items] != [g - 1 for g in gt]  # naive ID-1 indexing would be wrong
    # a PNG stored under .JPEG decodes
    png = tmp_path / "train" / wnids[0] / f"{wnids[0]}_0.JPEG"
    assert png.read_bytes()[:4] == b"\x89PNG" and load_rgb(png).size == (64, 64)


def test_imagenet_folder_val_and_bad_gt(tmp_path):
    fake.write_imagenet(tmp_path / "a", val_layout="folders")
    assert imagenet.val_layout(tmp_path / "a") == "folders"
    assert imagenet.check(tmp_path / "a")["problems"] == []
    fake.write_imagenet(tmp_path / "b", val_layout="flat")
    gt = tmp_path / "b" / "ILSVRC2012_devkit_t12" / "data" / "ILSVRC2012_validation_ground_truth.txt"
    lines = gt.read_text().splitlines()
    lines[1] = "abc"
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"ground_truth.txt:2: field 'ILSVRC2012_ID'"):
        imagenet.val_items(tmp_path / "b")


def test_stratified_holdout():
    labels = np.repeat(np.arange(5), 10)
    tr, held = stratified_holdout(labels, 3, seed=0)
    assert len(set(tr) & set(held)) == 0 and len(tr) + len(held) == 50
    assert np.bincount(labels[held]).tolist() == [3] * 5
    tr2, held2 = stratified_holdout(labels, 3, seed=0)
    assert np.array_equal(held, held2)


def test_build_splits_never_mix_test(tmp_path):
    fake.write_cifar100(tmp_path, per_class=6, test_per_class=2, classes=4)
    s = build_splits(DataConfig(root=str(tmp_path), val_per_class=2, train_on="train_minus_val"))
    assert len(s.train) == 16 and len(s.val) == 8 and len(s.test) == 8
    x, y = s.train_eval[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32
    with pytest.raises(ConfigError):
        build_splits(DataConfig(root=""))


def test_corrupt_image_names_the_file(tmp_path):
    base = fake.write_tiny_imagenet(tmp_path, classes=2, per_class=2, val_per_class=1, test=0)
    bad = base / "val" / "images" / "val_0.JPEG"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(DataFormatError, match="val_0.JPEG: cannot decode image"):
        load_rgb(bad)


@pytest.mark.parametrize("dataset", ["tiny-imagenet", "imagenet"])
def test_file_datasets_through_splits(tmp_path, dataset):
    if dataset == "tiny-imagenet":
        fake.write_tiny_imagenet(tmp_path, classes=3, per_class=4, val_per_class=2, test=1)
        size = 64
    else:
        fake.write_imagenet(tmp_path, classes=3, per_class=4, val_per_class=2)
        size = 32
    s = build_splits(DataConfig(dataset=dataset, root=str(tmp_path), val_per_class=1, train_on="train_minus_val"), size)
    assert (len(s.train), len(s.val), len(s.test), s.num_classes) == (9, 3, 6, 3)
    if dataset == "tiny-imagenet":  # names from words.txt, in sorted-wnid order
        assert s.class_names[0] == f"{fake.fake_wnids(3)[0]} thing 0"
    for ds in (s.train, s.val, s.test):
        x, y = ds[0]
        assert x.shape == (3, size, size) and 0 <= int(y) < 3


def test_imagenet_corrupt_devkit_and_count_mismatch(tmp_path):
    fake.write_imagenet(tmp_path, classes=3, per_class=2, val_per_class=2, val_layout="flat")
    data = tmp_path / "ILSVRC2012_devkit_t12" / "data"
    gt = data / "ILSVRC2012_validation_ground_truth.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join(lines[:-1]) + "\n")  # one label short
    with pytest.raises(DataFormatError, match=r"ground_truth.txt: 5 labels but 6 val images"):
        imagenet.val_items(tmp_path)
    gt.write_text("\n".join(lines[:-1] + ["4"]) + "\n")  # ID 4 is the internal (non-leaf) synset
    with pytest.raises(DataFormatError, match=r"ground_truth.txt:6: ILSVRC2012_ID 4 is not a leaf synset"):
        imagenet.val_items(tmp_path)
    (data / "meta.mat").write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(DataFormatError, match=r"meta.mat: "):
        imagenet.val_items(tmp_path)
    rep = imagenet.check(tmp_path)  # the check reports the problem instead of stopping
    assert rep["splits"]["train"]["images"] == 6 and len(rep["problems"]) == 1 and "meta.mat" in rep["problems"][0]
