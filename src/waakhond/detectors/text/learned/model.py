"""The learned text tier: static embeddings, a grooming-line head, twelve tactic heads and the exemplar index.

For each line it gives

- ``groom``: the logit of "an offender wrote this line" (trained on the research kit: offender lines against
  benign chat and the decoys' lines), which the conversation model aggregates per sender;
- ``tactics``: a score per tactic with 0.5 at the decision boundary: a mix of the embedding head, the lexical
  head, the meaning head and the exemplar contrast against its threshold, or the exemplar contrast alone against
  its margin (so an operator's new examples count at once), whichever is stronger; thresholds and margins are
  chosen to keep ordinary lines quiet.

Three heads per tactic because they fail differently. The **embedding head** reads meaning through the distilled
embedding and carries what the kit teaches (English offender lines) into other languages. The **lexical head**
reads which sentence pieces a line holds ("v-bucks", "geschenkkarte", "sturmfrei") as well as its embedding; it
is trained on the written lines only (four languages, many registers; not on the kit, whose benign chat differs
in style from its offender chat), so it knows the words of each language the embedding averages away. The
**meaning head** is a small neural network (one hidden layer) on the embedding, trained on the same lines as the
lexical head: a linear head draws one straight line through the embedding, so "walk home alone" and "home alone
with homework" fall on the same side; the hidden layer can tell them apart.

Weights live in ``weights/`` (``embedding.npz``, ``heads.npz``: numbers and vocabulary pieces only) with a JSON
card beside them.
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
    #: per tactic: [bias, weight of the embedding head's logit, of the exemplar contrast, of the lexical head's logit,
    #: of the meaning head's logit]
    tactic_mix: np.ndarray  # (12, 5)
    tactic_threshold: np.ndarray  # (12,) on the head's probability
    conversation: dict[str, float]
    meta: dict[str, Any]
    index: ExemplarIndex | None = None
    #: (12,) cosine margin by which the nearest positive example must beat the nearest negative one
    tactic_margin: np.ndarray = field(default_factory=lambda: np.full(len(LABELS), 0.1, dtype=np.float32))
    #: lexical heads: a weight per vocabulary piece and tactic (``pieces × 12``), embedding weights and biases
    lex_pieces: np.ndarray | None = None
    lex_w: np.ndarray | None = None
    lex_b: np.ndarray | None = None
    #: meaning head: hidden layer weights (``d × h``) and biases, output weights (``h × 12``) and biases
    mlp_w1: np.ndarray | None = None
    mlp_b1: np.ndarray | None = None
    mlp_w2: np.ndarray | None = None
    mlp_b2: np.ndarray | None = None

    def __post_init__(self) -> None:
        # a model from before the lexical heads (3 columns) or the meaning head (4): the missing heads weigh 0
        missing = 5 - self.tactic_mix.shape[1]
        if missing > 0:
            self.tactic_mix = np.column_stack([self.tactic_mix, np.zeros((len(self.tactic_mix), missing), np.float32)])

    def with_exemplars(self, exemplars: Exemplars) -> TextModel:
        self.index = ExemplarIndex(exemplars, self.embedding)
        return self

    def score_plain(self, plain_texts: Sequence[str], *, rows_alone: bool = False) -> LineScores:
        """Scores for lines already passed through :func:`~waakhond.detectors.text.learned.style.plain`.

        ``rows_alone``: score each line exactly as if it came alone (same to the last bit, whatever else is in
        the batch), sharing only the per-call overhead; the engine scores a group of requests this way, so a
        decision never depends on which other requests happened to share its transaction."""
        rows = self.embedding.ids(plain_texts)
        x = self.embedding.embed_ids(rows, rows_alone=rows_alone)
        return self.score_vectors(x, self.lexical(rows, x, rows_alone=rows_alone), rows_alone=rows_alone)

    def lexical(self, rows: Sequence[Sequence[int]], x: np.ndarray, *, rows_alone: bool = False) -> np.ndarray:
        """The lexical heads' logits (``len × 12``) for texts given as piece ids and their vectors."""
        if self.lex_pieces is None or self.lex_w is None or self.lex_b is None:
            return np.zeros((len(rows), len(LABELS)), dtype=np.float32)
        if len(rows) <= 4 or rows_alone:  # line by line, as the engine's path scores one line alone
            out = np.empty((len(rows), len(LABELS)), dtype=np.float32)
            for k, r in enumerate(rows):
                pieces = self.lex_pieces[sorted(set(r))].sum(axis=0) if r else np.zeros(len(LABELS))
                out[k] = (pieces + x[k : k + 1] @ self.lex_w.T + self.lex_b)[0]
            return out
        return self.lexical_bag(self.embedding.bag(rows), x)

    def lexical_bag(self, bag: Any, x: np.ndarray) -> np.ndarray:
        """:meth:`lexical` for texts given as a bag of pieces (:meth:`StaticEmbedding.bag`)."""
        if self.lex_pieces is None or self.lex_w is None or self.lex_b is None:
            return np.zeros((x.shape[0], len(LABELS)), dtype=np.float32)
        return (np.asarray(bag @ self.lex_pieces) + x @ self.lex_w.T + self.lex_b).astype(np.float32)

    def meaning(self, x: np.ndarray, *, rows_alone: bool = False) -> np.ndarray:
        """The meaning heads' logits (``len × 12``) for lines given as vectors (zeros without a meaning head)."""
        if self.mlp_w1 is None or self.mlp_b1 is None or self.mlp_w2 is None or self.mlp_b2 is None:
            return np.zeros((len(x), len(LABELS)), dtype=np.float32)
        if rows_alone and len(x) > 1:  # one row at a time: the same bits as the line scored alone
            return np.vstack([self.meaning(x[k : k + 1]) for k in range(len(x))])
        hidden = np.maximum(x @ self.mlp_w1 + self.mlp_b1, 0.0)
        return (hidden @ self.mlp_w2 + self.mlp_b2).astype(np.float32)

    def score_vectors(self, x: np.ndarray, lexical: np.ndarray | None = None, *,
                      rows_alone: bool = False) -> LineScores:
        """Scores of lines given as vectors and, when the model has lexical heads, their logits
        (:meth:`lexical`)."""
        rows_alone = rows_alone and len(x) > 1  # a single line is alone already
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
        lex = np.zeros_like(head) if lexical is None else lexical
        z = (self.tactic_mix[:, 0] + self.tactic_mix[:, 1] * head + self.tactic_mix[:, 2] * contrast
             + self.tactic_mix[:, 3] * lex)
        if self.mlp_w1 is not None:
            z = z + self.tactic_mix[:, 4] * self.meaning(x, rows_alone=rows_alone)
        empty = ~np.any(x, axis=1)
        # One score per tactic with 0.5 at the decision boundary: the head's logit relative to its threshold, or
        # the exemplar contrast relative to its margin (×20: 0.05 of cosine ≈ one logit unit), whichever is higher.
        t = np.clip(self.tactic_threshold, 1e-4, 1 - 1e-4)
        head_part = z - np.log(t / (1 - t))
        contrast_part = 20.0 * (contrast - self.tactic_margin)
        probs = 1.0 / (1.0 + np.exp(-np.maximum(head_part, contrast_part)))
        if empty.any():  # lines without a single known piece
            probs[empty] = 0.0
            groom = np.where(empty, self.groom_b - 5.0, groom)
        return LineScores(groom.astype(np.float32), probs.astype(np.float32), x)

    # -- persistence -------------------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.embedding.save(directory / "embedding.npz")
        arrays: dict[str, np.ndarray] = {
            "groom_w": self.groom_w.astype(np.float32), "groom_b": np.array(self.groom_b, dtype=np.float32),
            "tactic_w": self.tactic_w.astype(np.float32), "tactic_b": self.tactic_b.astype(np.float32),
            "tactic_mix": self.tactic_mix.astype(np.float32),
            "tactic_threshold": self.tactic_threshold.astype(np.float32),
            "tactic_margin": self.tactic_margin.astype(np.float32),
        }
        if self.lex_pieces is not None and self.lex_w is not None and self.lex_b is not None:
            arrays.update(lex_pieces=self.lex_pieces.astype(np.float16), lex_w=self.lex_w.astype(np.float32),
                          lex_b=self.lex_b.astype(np.float32))
        if self.mlp_w1 is not None and self.mlp_b1 is not None and self.mlp_w2 is not None \
                and self.mlp_b2 is not None:
            arrays.update(mlp_w1=self.mlp_w1.astype(np.float32), mlp_b1=self.mlp_b1.astype(np.float32),
                          mlp_w2=self.mlp_w2.astype(np.float32), mlp_b2=self.mlp_b2.astype(np.float32))
        np.savez_compressed(directory / "heads.npz", allow_pickle=False, **arrays)
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
            lex_pieces=heads["lex_pieces"].astype(np.float32) if "lex_pieces" in heads else None,
            lex_w=heads.get("lex_w"), lex_b=heads.get("lex_b"),
            mlp_w1=heads.get("mlp_w1"), mlp_b1=heads.get("mlp_b1"), mlp_w2=heads.get("mlp_w2"),
            mlp_b2=heads.get("mlp_b2"),
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
