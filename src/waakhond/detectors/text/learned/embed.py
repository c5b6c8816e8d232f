"""Static sentence embeddings: the fast tier that reads every message.

A sentence vector is the weighted mean of the vectors of its sentence pieces, L2-normalised. The piece vectors
were distilled from multilingual-e5-small (see :mod:`waakhond.training.distill`); the weights damp frequent
pieces (smooth inverse frequency), so "the", "de" and "ik" count less than "telegram" or "oud". Embedding is a
tokenizer call and one sparse matrix product: tens of thousands of short messages a second on one core.

The table is a committed ``.npz`` holding numbers and the teacher's vocabulary pieces only (no training text).
"""

from __future__ import annotations

import lzma
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from waakhond.detectors.text.learned.style import plain
from waakhond.detectors.text.learned.vocab import unigram_tokenizer

#: Quantisation steps each side of zero. 63 rather than int8's 127: a step is still under a tenth of a typical
#: coordinate (cosines move by about 0.001), and the table compresses about 15 % better.
LEVELS = 63.0


class StaticEmbedding:
    """Piece vectors (``n × d``), piece weights and the unigram tokenizer over the same pieces."""

    def __init__(self, pieces: Sequence[str], scores: np.ndarray, vectors: np.ndarray, weights: np.ndarray) -> None:
        if not (len(pieces) == len(scores) == len(vectors) == len(weights)):
            raise ValueError("pieces, scores, vectors and weights must have the same length")
        self.pieces = list(pieces)
        self.scores = np.asarray(scores, dtype=np.float32)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.dim = int(self.vectors.shape[1])
        unk = self.pieces.index("<unk>")
        self.tokenizer = unigram_tokenizer(self.pieces, [float(s) for s in self.scores], unk)

    # -- persistence -------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Vectors quantised to :data:`LEVELS` steps each side of zero with a scale per dimension, stored as
        int8 and LZMA-compressed (≈ 30 % smaller than zip: the table is the bulk of the shipped weights)."""
        scale = np.abs(self.vectors).max(axis=0) / LEVELS
        scale[scale == 0] = 1.0
        q = np.round(self.vectors / scale).astype(np.int8)
        if any("\n" in p for p in self.pieces):
            raise ValueError("a vocabulary piece contains a newline; cannot store the vocabulary one per line")
        pieces = "\n".join(self.pieces).encode("utf-8")
        np.savez(
            path, pieces_lzma=_pack(pieces), scores=self.scores.astype(np.float16),
            vectors_lzma=_pack(q.tobytes()), shape=np.array(q.shape, dtype=np.int64),
            scale=scale.astype(np.float32), weights=self.weights.astype(np.float16),
        )

    @classmethod
    def load(cls, path: Path) -> StaticEmbedding:
        with np.load(path, allow_pickle=False) as z:
            if "vectors_lzma" in z.files:
                shape = tuple(int(n) for n in z["shape"])
                q = np.frombuffer(lzma.decompress(z["vectors_lzma"].tobytes()), dtype=np.int8).reshape(shape)
                pieces = lzma.decompress(z["pieces_lzma"].tobytes()).decode("utf-8").split("\n")
            else:  # plain arrays (older files)
                q, pieces = z["vectors"], [str(p) for p in z["pieces"]]
            vectors = q.astype(np.float32) * z["scale"][None, :]
            return cls(pieces, z["scores"].astype(np.float32), vectors, z["weights"].astype(np.float32))

    # -- embedding ---------------------------------------------------------------------------------------------
    def ids(self, plain_texts: Sequence[str]) -> list[list[int]]:
        if len(plain_texts) <= 64:  # encode_batch's thread pool costs more than it saves on a few short lines
            return [self.tokenizer.encode(t, add_special_tokens=False).ids for t in plain_texts]
        return [e.ids for e in self.tokenizer.encode_batch(list(plain_texts), add_special_tokens=False)]

    def embed_plain(self, plain_texts: Sequence[str], *, rows_alone: bool = False) -> np.ndarray:
        """Vectors (``len × d``, float32, unit length or zero) for texts already passed through :func:`plain`.
        ``rows_alone``: each vector exactly as for the text alone (no shared sparse product)."""
        return self.embed_ids(self.ids(plain_texts), rows_alone=rows_alone)

    def embed_ids(self, rows: Sequence[Sequence[int]], *, rows_alone: bool = False) -> np.ndarray:
        """Vectors for texts given as piece ids (:meth:`ids`)."""
        if len(rows) <= 4 or rows_alone:  # the engine's path: skip building a sparse matrix
            out = np.zeros((len(rows), self.dim), dtype=np.float32)
            for k, r in enumerate(rows):
                if r:
                    out[k] = self.weights[r] @ self.vectors[r]
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
            return out
        out = np.asarray(self._matrix(rows, self.weights) @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def bag(self, rows: Sequence[Sequence[int]]) -> sparse.csr_matrix:
        """Which pieces each text holds (``len × vocabulary``, 1.0 per distinct piece): what the lexical heads
        read."""
        return self._matrix([sorted(set(r)) for r in rows], np.ones(len(self.pieces), dtype=np.float32))

    def _matrix(self, rows: Sequence[Sequence[int]], values: np.ndarray) -> sparse.csr_matrix:
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in rows], out=indptr[1:])
        cols = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(indptr[-1]))
        return sparse.csr_matrix((values[cols], cols, indptr), shape=(len(rows), len(self.pieces)))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for raw chat lines (style-normalised first)."""
        return self.embed_plain([plain(t) for t in texts])


def _pack(data: bytes) -> np.ndarray:
    return np.frombuffer(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME), dtype=np.uint8)
