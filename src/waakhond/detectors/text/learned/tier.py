"""Rule tier + learned tier for a batch of lines: the one entry point the engine, ``classify`` and the
conversation scorer use, so all three see the same tactics and the same grooming-line scores.

The learned tier adds a tactic the rules missed when its probability reaches the tactic's threshold; a rule hit
is kept as it is (rules carry exact evidence spans). Set ``WAAKHOND_LEARNED=0`` to run the rule tier alone.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.learned.model import TextModel, shipped
from waakhond.detectors.text.learned.style import plain
from waakhond.detectors.text.tactics import UNFRAMED, TacticHit, benign_frames, classify_text

#: Signal the engine emits for a line that reads like an offender's (its ``related.logit`` feeds the
#: conversation model).
GROOMING_LANGUAGE = "grooming_language"

#: Lines longer than this are read by the learned tier in their first part only (the rules read all of it).
LEARNED_CHARS = 2_000
#: A very short line carries little evidence for a model that reads meaning: "ya" spelled out is "you", and one
#: word ("your", "if", "once") is no tactic. The learned tier adds tactics only to lines of at least
#: :data:`MIN_TACTIC_WORDS` words (the rules still read every line: "snap?" is theirs), and a line's grooming-line
#: logit counts in proportion to its words up to :data:`FULL_EVIDENCE_WORDS`. In the kit's benign chit-chat,
#: one-word lines made a large share of the learned tier's stray tactics and "ya"-like lines scored as offenders'.
MIN_TACTIC_WORDS = 2
FULL_EVIDENCE_WORDS = 3


@dataclass(frozen=True)
class LineResult:
    hits: dict[str, TacticHit]
    #: the learned tier's grooming-line logit (None when the learned tier is off)
    groom: float | None


def active() -> TextModel | None:
    if os.environ.get("WAAKHOND_LEARNED", "1").strip().lower() in {"0", "false", "no", "off"}:
        return None
    return shipped()


def read_lines(texts: Sequence[str], lang: str | None = None, model: TextModel | bool | None = True, *,
               langs: Sequence[str | None] | None = None, rows_alone: bool = False) -> list[LineResult]:
    """Rule and learned results for ``texts`` (in order). ``model=True`` means the shipped model if enabled.

    ``langs`` gives each line its own language hint (instead of ``lang`` for all); ``rows_alone`` scores every
    line exactly as it would be scored alone (see :meth:`TextModel.score_plain`)."""
    learned = active() if model is True else (model or None)
    hints = langs if langs is not None else [lang] * len(texts)
    rules = [classify_text(t, h) if t else {} for t, h in zip(texts, hints, strict=True)]
    if learned is None or not texts:
        return [LineResult(h, None) for h in rules]
    plains = [plain(t[:LEARNED_CHARS]) for t in texts]
    scores = learned.score_plain(plains, rows_alone=rows_alone)
    out: list[LineResult] = []
    for k, hits in enumerate(rules):
        words = len(plains[k].split())
        merged = add_learned_hits(hits, scores.tactics[k], functools.partial(_explain, learned, scores.vectors[k]),
                                  words, functools.partial(benign_frames, texts[k]))
        out.append(LineResult(merged, short_line_groom(float(scores.groom[k]), words)))
    return out


def short_line_groom(logit: float, words: int) -> float:
    """A grooming-line logit as it counts for a line of ``words`` words: a positive logit shrinks toward 0
    (undecided) for lines under :data:`FULL_EVIDENCE_WORDS` words; a negative one stays."""
    if logit <= 0.0 or words >= FULL_EVIDENCE_WORDS:
        return logit
    return logit * words / FULL_EVIDENCE_WORDS


def add_learned_hits(rule_hits: dict[str, TacticHit], probs: np.ndarray,
                     explain: Callable[[str, float], str], words: int = MIN_TACTIC_WORDS,
                     framed: Callable[[], frozenset[str]] | None = None) -> dict[str, TacticHit]:
    """``rule_hits`` plus every tactic the rules missed whose learned score reaches 0.5 (the decision boundary
    of :meth:`TextModel.score_vectors`), for a line of at least :data:`MIN_TACTIC_WORDS` words (``words``, of its
    style-normalised form). Rule hits are kept as they are: they carry exact evidence spans.

    ``framed`` (asked only when a tactic would be added) names the tactics a benign frame in the line explains
    away (:func:`~waakhond.detectors.text.tactics.benign_frames`); the learned tier does not add those, as the
    rules do not report them, unless the line shows sexual content or a threat."""
    merged = dict(rule_hits)
    if words < MIN_TACTIC_WORDS:
        return merged
    new = [(label, float(probs[j])) for j, label in enumerate(LABELS) if label not in merged and probs[j] >= 0.5]
    if new and framed is not None and not UNFRAMED & (merged.keys() | {label for label, _ in new}):
        drop = framed()
        new = [(label, p) for label, p in new if label not in drop]
    for label, p in new:
        merged[label] = TacticHit(label, round(p, 4), (), explain(label, p))
    return merged


def _explain(model: TextModel, vector: np.ndarray, label: str, p: float) -> str:
    near = model.index.nearest_positive(vector, label) if model.index is not None else None
    like = f"; closest example: \u201c{near[0]}\u201d" if near else ""
    return f"learned tier: reads as {label.replace('_', ' ')} ({p:.2f}){like}"


def grooming_signal(logit: float, model: TextModel | None = None) -> tuple[float, str] | None:
    """``(score, explanation)`` for a line whose grooming logit is above the model's floor, else None (a line
    below the floor adds nothing to the conversation model, so it needs no signal)."""
    model = model or active()
    if model is None:
        return None
    floor = float(model.conversation.get("floor", 0.0))
    if logit <= floor:
        return None
    p = 1.0 / (1.0 + math.exp(-logit))
    return round(p, 4), f"learned tier: this line reads like an offender's ({p:.2f})"
