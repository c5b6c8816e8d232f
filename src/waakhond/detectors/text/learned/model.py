"""The learned text tier: static embeddings, a grooming-line head, twelve tactic heads and the exemplar index.

For each line it gives

- ``groom``: the logit of "an offender wrote this line" (trained on the research kit: offender lines against
  benign chat and the decoys' lines), which the conversation model aggregates per sender;
- ``tactics``: a score per tactic with 0.5 at the decision boundary: the logistic head's probability
  against its threshold, or the exemplar contrast against its margin (so an operator's new examples count at
  once), whichever is stronger; thresholds and margins are chosen to keep ordinary lines quiet.

Weights live in ``weights/text-model.npz`` (numbers and vocabulary pieces only) with a JSON card beside it.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.learned.embed import StaticEmbedding
from waakhond.detectors.text.learned.exemplars import ExemplarIndex, Exemplars, load

WEIGHTS = Path(__file__).with_name("weights")


@dataclass
class LineScores:
    groom: np.ndarray  # (n,) logits
    tactics: np.ndarray  # (n, 12) probabilities
    vectors: np.ndarray  # (n, d)


@dataclass
class TextModel:
    embedding: StaticEmbedding
    groom_w: np.ndarray
    groom_b: float
    tactic_w: np.ndarray  # (12, d)
    tactic_b: np.ndarray  # (12,)
    #: per tactic: [bias, weight of the head's logit, weight of the exemplar contrast]
    tactic_mix: np.ndarray  # (12, 3)
    tactic_threshold: np.ndarray  # (12,) on the head's probability
    conversation: dict[str, float]
    meta: dict[str, Any]
    index: ExemplarIndex | None = None
    #: (12,) cosine margin by which the nearest positive example must beat the nearest negative one
    tactic_margin: np.ndarray = field(default_factory=lambda: np.full(len(LABELS), 0.1, dtype=np.float32))

    def with_exemplars(self, exemplars: Exemplars) -> TextModel:
        self.index = ExemplarIndex(exemplars, self.embedding)
        return self

    def score_plain(self, plain_texts: Sequence[str], *, rows_alone: bool = False) -> LineScores:
        """Scores for lines already passed through :func:`~waakhond.detectors.text.learned.style.plain`.

        ``rows_alone``: score each line exactly as if it came alone (same to the last bit, whatever else is in
        the batch), sharing only the per-call overhead; the engine scores a group of requests this way, so a
        decision never depends on which other requests happened to share its transaction."""
        x = self.embedding.embed_plain(plain_texts, rows_alone=rows_alone)
        return self.score_vectors(x, rows_alone=rows_alone)

    def score_vectors(self, x: np.ndarray, *, rows_alone: bool = False) -> LineScores:
        if rows_alone:  # one matrix product per line: BLAS kernels (and their rounding) depend on the shape
            groom = np.empty(len(x), dtype=np.result_type(x.dtype, self.groom_w.dtype))
            head = np.empty((len(x), len(self.tactic_b)), dtype=np.result_type(x.dtype, self.tactic_w.dtype))
            for k in range(len(x)):
                row = x[k : k + 1]
                groom[k] = (row @ self.groom_w + self.groom_b)[0]
                head[k] = (row @ self.tactic_w.T + self.tactic_b)[0]
        else:
            groom = x @ self.groom_w + self.groom_b
            head = x @ self.tactic_w.T + self.tactic_b
        contrast = (self.index.contrast(x, rows_alone=rows_alone) if self.index is not None
                    else np.zeros_like(head))
        z = self.tactic_mix[:, 0] + self.tactic_mix[:, 1] * head + self.tactic_mix[:, 2] * contrast
        empty = ~np.any(x, axis=1)
        # One score per tactic with 0.5 at the decision boundary: the head's logit relative to its threshold, or
        # the exemplar contrast relative to its margin (×20: 0.05 of cosine ≈ one logit unit), whichever is higher.
        t = np.clip(self.tactic_threshold, 1e-4, 1 - 1e-4)
        head_part = z - np.log(t / (1 - t))
        contrast_part = 20.0 * (contrast - self.tactic_margin)
        probs = 1.0 / (1.0 + np.exp(-np.maximum(head_part, contrast_part)))
        probs[empty] = 0.0
        groom = np.where(empty, self.groom_b - 5.0, groom)
        return LineScores(groom.astype(np.float32), probs.astype(np.float32), x)

    # -- persistence -------------------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.embedding.save(directory / "embedding.npz")
        np.savez_compressed(
            directory / "heads.npz", groom_w=self.groom_w.astype(np.float32), groom_b=np.float32(self.groom_b),
            tactic_w=self.tactic_w.astype(np.float32), tactic_b=self.tactic_b.astype(np.float32),
            tactic_mix=self.tactic_mix.astype(np.float32), tactic_threshold=self.tactic_threshold.astype(np.float32),
            tactic_margin=self.tactic_margin.astype(np.float32),
        )
        (directory / "model.json").write_text(
            json.dumps({"conversation": self.conversation, "labels": list(LABELS), **self.meta}, indent=2) + "\n",
            encoding="utf-8")

    @classmethod
    def load(cls, directory: Path = WEIGHTS) -> TextModel:
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        if meta.get("labels") != list(LABELS):
            raise ValueError(f"{directory}: model labels do not match this version's tactics")
        with np.load(directory / "heads.npz", allow_pickle=False) as z:
            heads = {k: z[k] for k in z.files}
        return cls(
            embedding=StaticEmbedding.load(directory / "embedding.npz"),
            groom_w=heads["groom_w"], groom_b=float(heads["groom_b"]),
            tactic_w=heads["tactic_w"], tactic_b=heads["tactic_b"], tactic_mix=heads["tactic_mix"],
            tactic_threshold=heads["tactic_threshold"], conversation=dict(meta.pop("conversation")),
            meta=meta, tactic_margin=heads.get("tactic_margin", np.full(len(LABELS), 0.1, dtype=np.float32)),
        )


def model_dir() -> Path:
    """Where the active model lives: ``$WAAKHOND_TEXT_MODEL`` (a directory ``waakhond train`` wrote) or the
    weights shipped in the package."""
    value = os.environ.get("WAAKHOND_TEXT_MODEL")
    return Path(value) if value else WEIGHTS


@functools.cache
def shipped() -> TextModel | None:
    """The active model with the shipped and operator exemplars, or None when no weights are installed."""
    directory = model_dir()
    if not (directory / "model.json").exists():
        return None
    return TextModel.load(directory).with_exemplars(load())
