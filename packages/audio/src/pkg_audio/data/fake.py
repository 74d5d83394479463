"""``make-fake``: a tiny AudioSet in the exact official formats, with audible, learnable classes.

Class c is a tone at a class frequency (even c) or a band of noise around it (odd c); each clip mixes
1-3 events at random offsets. Metadata: the three segment CSVs with Google's 3-line headers
(including YTIDs starting with '-'), a ``class_labels_indices.csv`` whose names contain commas,
an ``ontology.json`` with abstract and blacklisted nodes, ``qa_true_counts.csv``; audio at
``<root>/<csv stem>/<ytid>_<start>.wav`` (the default ``data.filename_template``).
"""

from __future__ import annotations

import pathlib

import numpy as np

from pkg_audio.data.audioset import (
    ClassIndex,
    Segment,
    write_class_index,
    write_ontology,
    write_segments,
)
from pkg_shared.fsutil import atomic_write_text as atomic_text
from pkg_shared.io.audio import write_wav

_NAMES = [
    "Speech", "Dog, bark", "Music", "Bell", "Siren, alarm", "Engine", "Water, stream", "Bird, song",
    "Drum", "Whistle", "Wind, noise", "Clock, tick", "Guitar", "Rain", "Cat", "Horn",
]
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def class_freq(c: int) -> float:
    return 300.0 * (1.32 ** c)


def fake_classes(k: int) -> ClassIndex:
    mids = tuple((f"/m/0{c:03d}x" if c % 3 else f"/t/dd{c:05d}") for c in range(k))
    names = tuple(_NAMES[c % len(_NAMES)] + ("" if c < len(_NAMES) else f" {c}") for c in range(k))
    return ClassIndex(mids, names)


def _ytid(rng: np.random.Generator, first_dash: bool = False) -> str:
    s = "".join(rng.choice(list(_ALPHABET), size=11))
    return ("-" + s[1:]) if first_dash else s.replace("-", "x", 1) if s.startswith("-") else s


def event(c: int, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / sr
    f = class_freq(c)
    if c % 2 == 0:
        x = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    else:
        noise = rng.standard_normal(n)
        spec = np.fft.rfft(noise)
        freqs = np.fft.rfftfreq(n, 1 / sr)
        spec[(freqs < f * 0.85) | (freqs > f * 1.15)] = 0
        x = np.fft.irfft(spec, n)
        x = x / (np.abs(x).max() + 1e-9)
    env = np.hanning(n) ** 0.5
    return (x * env).astype(np.float32)


def make_clip(labels: list[int], seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(round(seconds * sr))
    wave = 0.01 * rng.standard_normal(n).astype(np.float32)
    for c in labels:
        m = int(n * rng.uniform(0.3, 0.7))
        off = int(rng.integers(0, n - m + 1))
        wave[off : off + m] += rng.uniform(0.2, 0.4) * event(c, m, sr, rng)
    return np.clip(wave, -1, 1)


def fake_ontology(classes: ClassIndex) -> list[dict]:
    def node(mid, name, children=(), restrictions=()):
        return {"id": mid, "name": name, "description": f"Synthetic node {name}.", "citation_uri": "",
                "positive_examples": ["youtu.be/AAAAAAAAAAA?start=30&end=40"] if not restrictions else [],
                "child_ids": list(children), "restrictions": list(restrictions)}

    half = len(classes) // 2
    nodes = [node("/m/root_a", "Synthetic sounds A", classes.mids[:half], ["abstract"]),
             node("/m/root_b", "Synthetic sounds B", classes.mids[half:], ["abstract"]),
             node("/m/unused", "Blacklisted node", (), ["blacklist"])]
    nodes += [node(m, n) for m, n in zip(classes.mids, classes.names)]
    return nodes


def make_fake(out: str | pathlib.Path, num_classes: int = 12, clips: tuple[int, int, int] = (48, 24, 24),
              seconds: tuple[float, float] = (1.0, 2.0), sample_rate: int = 16000, seed: int = 0,
              hdf5: bool = False, progress=None) -> dict:
    """Write the fake set; returns a summary. ``clips`` = (balanced, unbalanced, eval) counts."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    classes = fake_classes(num_classes)
    write_class_index(out / "class_labels_indices.csv", classes)
    write_ontology(out / "ontology.json", fake_ontology(classes))
    atomic_text(out / "qa_true_counts.csv",
                "label_id,num_rated,num_true\n" + "".join(f"{m},10,{8 + i % 3}\n" for i, m in enumerate(classes.mids)))
    summary = {"root": str(out), "classes": num_classes}
    used: set[str] = set()
    for (split, fname), n in zip(
        [("balanced_train_segments", "balanced_train_segments.csv"), ("unbalanced_train_segments", "unbalanced_train_segments.csv"),
         ("eval_segments", "eval_segments.csv")], clips):
        segs = []
        hd_names, hd_waves, hd_targets = [], [], []
        for i in range(n):
            while True:
                ytid = _ytid(rng, first_dash=(i == 0))
                if ytid not in used:
                    used.add(ytid)
                    break
            # every class appears: first label cycles through the classes, extras are random
            k = int(rng.integers(1, 4))
            labels = [i % num_classes] + [int(c) for c in rng.choice(num_classes, size=k - 1, replace=False)]
            labels = sorted(set(labels))
            start = float(rng.integers(0, 30)) * 10.0
            dur = float(rng.uniform(*seconds)) if seconds[1] > seconds[0] else seconds[0]
            wave = make_clip(labels, dur, sample_rate, rng)
            seg = Segment(ytid, start, start + 10.0, tuple(classes.mids[c] for c in labels))
            segs.append(seg)
            write_wav(out / split / f"{ytid}_{start:.3f}.wav", wave, sample_rate)
            if hdf5:
                hd_names.append(f"Y{ytid}.wav")
                hd_waves.append(wave)
                hd_targets.append(classes.multi_hot(seg.mids))
            if progress is not None:
                progress(split, i + 1, n)
        write_segments(out / fname, segs, num_classes)
        summary[split] = n
        if hdf5 and n:
            from pkg_audio.data.audio_io import pad_or_crop, resample
            from pkg_audio.data.hdf5 import write_hdf5, write_hdf5_index

            length = int(round(max(seconds) * 32000))  # PANNs packs 32 kHz waveforms
            waves = np.stack([pad_or_crop(resample(w, sample_rate, 32000), length) for w in hd_waves])
            write_hdf5(out / "hdf5" / f"{split}.h5", hd_names, waves, np.stack(hd_targets))
            write_hdf5_index(out / "hdf5" / "indexes" / f"{split}.h5", [out / "hdf5" / f"{split}.h5"])
    if hdf5 and clips[0] and clips[1]:  # PANNs' full_train index over balanced + unbalanced
        write_hdf5_index(out / "hdf5" / "indexes" / "full_train.h5",
                         [out / "hdf5" / f"{s}.h5" for s in ("balanced_train_segments", "unbalanced_train_segments")])
    return summary
