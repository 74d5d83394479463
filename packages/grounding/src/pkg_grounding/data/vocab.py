"""Words: the MCN tokeniser, a vocabulary file (one word per line) and the GloVe text reader."""

from __future__ import annotations

import os
import pathlib
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_write_text

PAD, UNK = "<pad>", "<unk>"
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")


def tokenize(sentence: str) -> list[str]:
    """LocalizingMoments ``word_tokenize``: non-alphanumerics -> space, lower-case, split on whitespace."""
    return _NON_ALNUM.sub(" ", sentence).lower().split()


class Vocab:
    """Index 0 = <pad>, 1 = <unk>, then words in file order."""

    def __init__(self, words: Iterable[str]) -> None:
        self.itos = [PAD, UNK] + [w for w in words if w not in (PAD, UNK)]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, sentence: str, max_words: int) -> list[int]:
        ids = [self.stoi.get(w, 1) for w in tokenize(sentence)][:max_words]
        return ids or [1]  # an empty description still gets one <unk> step

    @classmethod
    def build(cls, sentences: Iterable[str], min_count: int = 1) -> Vocab:
        counts = Counter(w for s in sentences for w in tokenize(s))
        return cls(sorted(w for w, c in counts.items() if c >= min_count))

    def save(self, path: str | os.PathLike[str]) -> None:
        atomic_write_text(path, "\n".join(self.itos) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocab:
        path = pathlib.Path(path)
        if not path.is_file():
            raise DataFormatError(path, "vocabulary file not found")
        words = [w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()]
        if words[:2] != [PAD, UNK]:
            raise DataFormatError(path, "not a vocabulary file of this package (must start with <pad>, <unk>)", 1)
        return cls(words[2:])


def read_glove(path: str | os.PathLike[str], vocab: Vocab, dim: int = 300, seed: int = 0) -> tuple[np.ndarray, int]:
    """Embedding matrix (len(vocab), dim) from ``glove.6B.300d.txt``; returns (matrix, words found).

    Words absent from GloVe keep a small random vector; <pad> is zero and <unk> is zero (the model
    learns its own <unk> vector when ``unk_learned``).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "GloVe file not found")
    rng = np.random.default_rng(seed)
    mat = rng.normal(0.0, 0.1, size=(len(vocab), dim)).astype(np.float32)
    mat[0] = 0.0
    mat[1] = 0.0
    found = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            word, _, rest = line.rstrip("\n").partition(" ")
            idx = vocab.stoi.get(word)
            if idx is None or idx < 2:
                continue
            try:
                vec = np.asarray(rest.split(" "), dtype=np.float32)
            except ValueError as exc:
                raise DataFormatError(path, f"non-numeric value in the vector of {word!r}", lineno) from exc
            if vec.shape[0] != dim:
                raise DataFormatError(path, f"vector of {word!r} has {vec.shape[0]} values, expected {dim}", lineno)
            mat[idx] = vec
            found += 1
    return mat, found
