"""Official-format readers on fake files, incl. corrupted fixtures (spec §5, §8 items 16-17)."""

import pickle

import numpy as np
import pytest

from pkg_efficient.data.cifar import read_cifar, write_fake_cifar
from pkg_efficient.data.fake import FAKE_WNIDS, write_fake_imagenet
from pkg_efficient.data.imagenet import DEVKIT, load_rgb, read_imagenet
from pkg_shared.errors import DataFormatError


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    root = tmp_path_factory.mktemp("imnet")
    return {lay: write_fake_imagenet(root / lay, lay) for lay in ("raw", "folder", "kaggle")}


def test_three_layouts_give_identical_labels(nets):
    out = {}
    for lay, root in nets.items():
        for split in ("train", "val"):
            s = read_imagenet(root, split)
            assert s.layout == lay and s.classes == sorted(FAKE_WNIDS)
            out[lay, split] = sorted((p.name, y) for p, y in s.samples)
    for split in ("train", "val"):
        assert out["raw", split] == out["folder", split] == out["kaggle", split]
    # train labels follow the sorted-WNID index of their folder
    assert all(FAKE_WNIDS.index(name.split("_")[0]) == y for name, y in out["raw", "train"])


def test_devkit_ids_map_through_meta_mat(nets):
    root = nets["raw"]
    gt = [int(v) for v in (root / DEVKIT / "ILSVRC2012_validation_ground_truth.txt").read_text().split()]
    devkit_order = ["n01484850", "n01440764", "n01491361", "n01443537"]  # as written by the fixture
    labels = [y for _, y in sorted(read_imagenet(root, "val").samples)]
    assert labels == [sorted(FAKE_WNIDS).index(devkit_order[i - 1]) for i in gt]
    assert 1 in gt and sorted(FAKE_WNIDS).index(devkit_order[0]) != 0  # devkit ID 1 is not class 0


def test_cmyk_gray_png_decode_to_rgb(nets):
    from PIL import Image

    train = sorted(read_imagenet(nets["raw"], "train").samples)
    modes = set()
    for p, _ in train[:3]:
        with Image.open(p) as im:
            modes.add(im.format + ":" + im.mode)
        assert load_rgb(p).mode == "RGB"
    assert {"JPEG:CMYK", "JPEG:L", "PNG:RGB"} <= modes


def test_malformed_ground_truth_names_file_and_line(tmp_path):
    root = write_fake_imagenet(tmp_path / "r", "raw")
    gt = root / DEVKIT / "ILSVRC2012_validation_ground_truth.txt"
    lines = gt.read_text().splitlines()
    lines[2] = "three"
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError) as e:
        read_imagenet(root, "val")
    assert e.value.line == 3 and "ILSVRC2012_validation_ground_truth.txt" in str(e.value)
    lines[2] = "99"
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"ground_truth.txt:3: ILSVRC2012_ID 99"):
        read_imagenet(root, "val")


def test_malformed_kaggle_csv(tmp_path):
    root = write_fake_imagenet(tmp_path / "k", "kaggle")
    csv = root / "LOC_val_solution.csv"
    lines = csv.read_text().splitlines()
    lines[4] = "ILSVRC2012_val_00000004,n99999999 1 2 3 4"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"LOC_val_solution.csv:5: unknown WNID"):
        read_imagenet(root, "val")


def test_corrupt_image_raises(tmp_path):
    root = write_fake_imagenet(tmp_path / "c", "folder")
    p = sorted(read_imagenet(root, "train").samples)[0][0]
    p.write_bytes(b"not an image")
    with pytest.raises(DataFormatError, match=p.name):
        load_rgb(p)


def test_cifar_pixel_layout_by_hand(tmp_path):
    folder = write_fake_cifar(tmp_path, "cifar10", n_train=5, n_test=3)
    with open(folder / "data_batch_1", "rb") as fh:
        d = pickle.load(fh, encoding="bytes")
    assert set(d) == {b"batch_label", b"data", b"labels", b"filenames"}
    assert d[b"data"].dtype == np.uint8 and d[b"data"].shape == (1, 3072)
    s = read_cifar(tmp_path, "cifar10", "train")
    assert s.images.shape == (5, 32, 32, 3) and len(s.classes) == 10
    row = d[b"data"][0]
    # 1024 R then 1024 G then 1024 B, each row-major: pixel (i=2, j=5), channel G
    assert s.images[0, 2, 5, 1] == row[1024 + 2 * 32 + 5]
    assert s.labels[0] == d[b"labels"][0]
    assert len(read_cifar(folder, "cifar10", "test").labels) == 3  # the folder itself also works


def test_cifar100_keys(tmp_path):
    write_fake_cifar(tmp_path, "cifar100", n_train=7, n_test=4)
    with open(tmp_path / "cifar-100-python" / "train", "rb") as fh:
        d = pickle.load(fh, encoding="bytes")
    assert {b"fine_labels", b"coarse_labels", b"data", b"filenames"} <= set(d)
    s = read_cifar(tmp_path, "cifar100", "train")
    assert len(s.classes) == 100 and s.labels.tolist() == d[b"fine_labels"]


def test_cifar_corrupt_pickle_and_bad_shape(tmp_path):
    folder = write_fake_cifar(tmp_path, "cifar10", n_train=5, n_test=2)
    (folder / "test_batch").write_bytes(b"\x80\x02garbage")
    with pytest.raises(DataFormatError, match="test_batch"):
        read_cifar(tmp_path, "cifar10", "test")
    with open(folder / "data_batch_2", "wb") as fh:
        pickle.dump({b"data": np.zeros((1, 100), np.uint8), b"labels": [0]}, fh, protocol=2)
    with pytest.raises(DataFormatError, match=r"data_batch_2: b'data' must be uint8 N x 3072"):
        read_cifar(tmp_path, "cifar10", "train")


def test_ground_truth_blank_line_and_file_number_zero_are_problems(tmp_path):
    """Line k labels image k: a blank line inside used to be skipped, shifting every later label;
    ILSVRC2012_val_00000000 used to read the last line."""
    root = write_fake_imagenet(tmp_path / "r", "raw")
    gt = root / DEVKIT / "ILSVRC2012_validation_ground_truth.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join([lines[0], ""] + lines[1:]) + "\n\n")  # blank line 2; trailing blank lines are fine
    with pytest.raises(DataFormatError, match=r"ground_truth.txt:2: expected one ILSVRC2012_ID"):
        read_imagenet(root, "val")
    gt.write_text("\n".join(lines) + "\n\n")
    assert len(read_imagenet(root, "val").samples) == len(lines)
    (root / "val" / "ILSVRC2012_val_00000000.JPEG").write_bytes((root / "val" / "ILSVRC2012_val_00000001.JPEG").read_bytes())
    with pytest.raises(DataFormatError, match="start at 00000001"):
        read_imagenet(root, "val")


def test_data_check_reports_every_problem(tmp_path, capsys):
    """efficient-data check lists all problems of a split (it stopped at the first) and still prints statistics."""
    from pkg_efficient.cli import data

    root = write_fake_imagenet(tmp_path / "k", "kaggle")
    sol = root / "LOC_val_solution.csv"
    lines = sol.read_text().splitlines()
    lines[2], lines[4] = "garbage", lines[4].split(",")[0] + ",n99999999 1 2 3 4"
    sol.write_text("\n".join(lines) + "\n")
    (root / "ILSVRC" / "Data" / "CLS-LOC" / "train" / "n00000001").mkdir()
    assert data.main(["check", "--dataset", "imagenet", "--root", str(root)]) == 2
    out = capsys.readouterr().out
    assert "LOC_val_solution.csv:3:" in out and "LOC_val_solution.csv:5: unknown WNID" in out and "n00000001" in out
    assert "train: 12 images" in out and "val: " in out and "5 problem(s) found" in out
    c = write_fake_cifar(tmp_path / "c", "cifar10", n_train=10, n_test=4)
    for name in ("data_batch_2", "data_batch_4"):
        (c / name).write_bytes(b"junk")
    assert data.main(["check", "--dataset", "cifar10", "--root", str(tmp_path / "c")]) == 2
    out = capsys.readouterr().out
    assert "data_batch_2" in out and "data_batch_4" in out and "train: 6 images" in out


def test_corrupt_meta_files_name_the_file(tmp_path):
    """Corrupted fixtures for the readers that had none: devkit meta.mat, LOC_synset_mapping.txt, CIFAR meta."""
    raw = write_fake_imagenet(tmp_path / "r", "raw")
    (raw / DEVKIT / "meta.mat").write_bytes(b"MATLAB 5.0 garbage")
    with pytest.raises(DataFormatError, match=r"meta\.mat: cannot read the synsets struct"):
        read_imagenet(raw, "val")
    k = write_fake_imagenet(tmp_path / "k", "kaggle")
    m = k / "LOC_synset_mapping.txt"
    lines = m.read_text().splitlines()
    m.write_text("\n".join(lines[:1] + ["tench, Tinca tinca"] + lines[1:]) + "\n")
    with pytest.raises(DataFormatError, match=r"LOC_synset_mapping.txt:2: expected a WNID"):
        read_imagenet(k, "train")
    c = write_fake_cifar(tmp_path / "c", "cifar10", n_train=5, n_test=2)
    (c / "batches.meta").write_bytes(pickle.dumps({b"num_vis": 3072}, protocol=2))
    with pytest.raises(DataFormatError, match=r"batches.meta: missing key b'label_names'"):
        read_cifar(tmp_path / "c", "cifar10", "test")
