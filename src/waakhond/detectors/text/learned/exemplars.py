"""The exemplar index (Sentinel-style): example lines per tactic, positive and negative, scored by contrast.

A line's exemplar score for a tactic is its cosine similarity to the nearest *positive* example of the tactic
minus its similarity to the nearest *negative* example (the tactic's hard negatives and the ordinary lines).
Lines that are closer to a grooming example than to anything ordinary score above zero.

The shipped examples (``exemplars/{en,nl,de,fr}.yaml``) were written for waakhond; none comes from research
data. Operators extend the index without retraining: a YAML file of the same shape at
``$WAAKHOND_EXEMPLARS`` (or added with ``waakhond exemplar add`` from reviewed cases) is merged in at load.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.learned.embed import StaticEmbedding

SHIPPED = Path(__file__).with_name("exemplars")


class ExemplarError(ValueError):
    pass


@dataclass(frozen=True)
class Exemplars:
    """Example lines: ``positive[tactic]``, ``negative[tactic]`` and the ``ordinary`` pool."""

    positive: Mapping[str, tuple[str, ...]]
    negative: Mapping[str, tuple[str, ...]]
    ordinary: tuple[str, ...]

    def __len__(self) -> int:
        return sum(map(len, self.positive.values())) + sum(map(len, self.negative.values())) + len(self.ordinary)


def parse(data: object, source: str) -> Exemplars:
    """Validate one exemplar document (see the shipped files for the shape)."""
    if not isinstance(data, dict):
        raise ExemplarError(f"{source}: expected a mapping of tactic → {{positive, negative}} and 'ordinary'")
    pos: dict[str, tuple[str, ...]] = {}
    neg: dict[str, tuple[str, ...]] = {}
    ordinary: tuple[str, ...] = ()
    for key, value in data.items():
        if key == "ordinary":
            ordinary = _lines(value, f"{source}: ordinary")
            continue
        if key not in LABELS:
            raise ExemplarError(f"{source}: unknown tactic {key!r} (known: {', '.join(LABELS)})")
        if not isinstance(value, dict) or not set(value) <= {"positive", "negative"}:
            raise ExemplarError(f"{source}: {key} must have 'positive' and/or 'negative' lists")
        pos[key] = _lines(value.get("positive", []), f"{source}: {key}.positive")
        neg[key] = _lines(value.get("negative", []), f"{source}: {key}.negative")
    return Exemplars(pos, neg, ordinary)


def _lines(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ExemplarError(f"{where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def merge(parts: Iterable[Exemplars]) -> Exemplars:
    pos: dict[str, list[str]] = {t: [] for t in LABELS}
    neg: dict[str, list[str]] = {t: [] for t in LABELS}
    ordinary: list[str] = []
    for p in parts:
        for t, lines in p.positive.items():
            pos[t].extend(lines)
        for t, lines in p.negative.items():
            neg[t].extend(lines)
        ordinary.extend(p.ordinary)
    return Exemplars({t: tuple(dict.fromkeys(v)) for t, v in pos.items()},
                     {t: tuple(dict.fromkeys(v)) for t, v in neg.items()}, tuple(dict.fromkeys(ordinary)))


def load_file(path: Path) -> Exemplars:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ExemplarError(f"{path}: cannot read exemplars: {exc}") from None
    return parse(data or {}, str(path))


def operator_file() -> Path | None:
    value = os.environ.get("WAAKHOND_EXEMPLARS")
    return Path(value) if value else None


def load(extra: Path | None = None) -> Exemplars:
    """The shipped exemplars plus the operator's file (``extra`` or ``$WAAKHOND_EXEMPLARS``) when it exists."""
    parts = [load_file(p) for p in sorted(SHIPPED.glob("*.yaml"))]
    extra = extra or operator_file()
    if extra is not None and extra.exists():
        parts.append(load_file(extra))
    return merge(parts)


def add(path: Path, tactic: str, text: str, *, negative: bool = False) -> None:
    """Append one reviewed line to an operator exemplar file (created when missing)."""
    if tactic not in LABELS and not (negative and tactic == "ordinary"):
        raise ExemplarError(f"unknown tactic {tactic!r}")
    if not text.strip():
        raise ExemplarError("an exemplar must not be empty")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    data = data or {}
    parse(data, str(path))  # refuse to extend a broken file
    if tactic == "ordinary":
        data.setdefault("ordinary", []).append(text.strip())
    else:
        entry = data.setdefault(tactic, {})
        entry.setdefault("negative" if negative else "positive", []).append(text.strip())
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)


class ExemplarIndex:
    """Embedded exemplars; :meth:`contrast` gives, per line and tactic, nearest positive − nearest negative."""

    def __init__(self, exemplars: Exemplars, embed: StaticEmbedding) -> None:
        self.exemplars = exemplars
        dim = embed.dim
        ordinary = embed.embed(list(exemplars.ordinary)) if exemplars.ordinary else np.zeros((0, dim), np.float32)
        self._pos: list[np.ndarray] = []
        blocks: list[np.ndarray] = []
        #: per tactic, the [start, end) rows of its positives and of its negatives in one stacked matrix, so a
        #: batch of lines is compared with every example in a single matrix product
        self._ranges: list[tuple[int, int, int, int]] = []
        row = len(ordinary)
        blocks.append(ordinary)
        for t in LABELS:
            p = exemplars.positive.get(t, ())
            n = exemplars.negative.get(t, ())
            pos = embed.embed(list(p)) if p else np.zeros((0, dim), dtype=np.float32)
            neg = embed.embed(list(n)) if n else np.zeros((0, dim), dtype=np.float32)
            self._pos.append(pos)
            blocks.extend([pos, neg])
            self._ranges.append((row, row + len(pos), row + len(pos), row + len(pos) + len(neg)))
            row += len(pos) + len(neg)
        self._ordinary = len(ordinary)
        self._all = np.ascontiguousarray(np.vstack(blocks), dtype=np.float32)
        self._plan = _ReducePlan(self._ordinary, self._ranges)

    def contrast(self, vectors: np.ndarray, *, rows_alone: bool = False) -> np.ndarray:
        """``len(vectors) × 12`` array of contrast scores in [-2, 2] (0 where a tactic has no examples).

        ``rows_alone``: compare each line with the examples in its own matrix product, as if it came alone, so
        its scores do not depend on the other lines of the batch to the last bit (BLAS picks different kernels
        for different shapes); the engine wants that, a bulk classification does not need it."""
        x = np.asarray(vectors, dtype=np.float32)
        if rows_alone and len(x) > 1:  # a single line is alone already
            sims = np.empty((len(x), len(self._all)), dtype=np.float32)
            for k in range(len(x)):
                sims[k] = x[k : k + 1] @ self._all.T
        else:
            sims = x @ self._all.T
        return self._plan.contrast(sims)

    def nearest_positive(self, vector: np.ndarray, tactic: str) -> tuple[str, float] | None:
        j = LABELS.index(tactic)
        if len(self._pos[j]) == 0:
            return None
        sims = self._pos[j] @ vector
        k = int(sims.argmax())
        return self.exemplars.positive[tactic][k], float(sims[k])


class _ReducePlan:
    """Nearest positive − nearest negative for every tactic from rows of similarities, with one
    ``maximum.reduceat`` over the contiguous blocks of examples instead of a loop over tactics. Maxima are
    exact, so this gives bit for bit what the loop over tactics gave."""

    def __init__(self, ordinary: int, ranges: list[tuple[int, int, int, int]]) -> None:
        # reduceat reduces from each start to the next: every non-empty block gets a start, used or not
        starts: list[int] = [0] if ordinary else []
        tactics: list[int] = []
        pos: list[int] = []
        neg: list[int] = []
        for j, (p0, p1, n0, n1) in enumerate(ranges):
            if p1 > p0:
                tactics.append(j)
                pos.append(len(starts))
                starts.append(p0)
            if n1 > n0:
                if p1 > p0:
                    neg.append(len(starts))
                starts.append(n0)
            elif p1 > p0:
                neg.append(-1)
        self._starts = np.asarray(starts, dtype=np.intp)
        self._ordinary = ordinary
        self._tactics = np.asarray(tactics, dtype=np.intp)
        self._pos = np.asarray(pos, dtype=np.intp)
        self._neg = np.asarray(neg, dtype=np.intp)
        self._has_neg = self._neg >= 0

    def contrast(self, sims: np.ndarray) -> np.ndarray:
        n = len(sims)
        out = np.zeros((n, len(LABELS)), dtype=np.float32)
        if not len(self._tactics):
            return out
        best = np.maximum.reduceat(sims, self._starts, axis=1)
        best_ordinary = best[:, 0] if self._ordinary else np.full(n, -1.0)
        best_neg = np.empty((n, len(self._tactics)), dtype=np.result_type(best.dtype, best_ordinary.dtype))
        best_neg[:] = best_ordinary[:, None]
        with_neg = self._has_neg
        best_neg[:, with_neg] = np.maximum(best_ordinary[:, None], best[:, self._neg[with_neg]])
        out[:, self._tactics] = best[:, self._pos] - best_neg
        return out
