"""The meaning head: a small network on the embedding that learns the tactics of the written lines."""

from __future__ import annotations

import numpy as np
import pytest

from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.learned.exemplars import Exemplars
from waakhond.detectors.text.learned.model import shipped
from waakhond.training.train import Lines, train_meaning_heads
from waakhond.training.written import WrittenLine

pytestmark = pytest.mark.skipif(shipped() is None, reason="no learned weights installed")

TACTIC_LINES = {
    "age_probe": ["how old are you", "what age are you", "how old r u", "which grade are you in", "ur age?",
                  "hoe oud ben je", "wie alt bist du", "tu as quel âge"],
    "off_platform": ["add me on telegram", "lets talk on snap", "whats ur snapchat", "move to whatsapp",
                     "kom op telegram", "schreib mir auf snap", "viens sur snap", "add me on discord dm"],
}
ORDINARY = ["the bus was late", "i love this song", "what did you eat", "see you at practice", "gg", "nice goal",
            "ik heb huiswerk", "das spiel war gut", "on mange à sept heures", "my cat is sleeping",
            "did you finish the maths", "it is raining again"]


def test_the_meaning_head_separates_tactic_lines_from_ordinary_ones() -> None:
    model = shipped()
    assert model is not None
    written = [WrittenLine("en", t, (label,)) for label, texts in TACTIC_LINES.items() for t in texts]
    written += [WrittenLine("en", t, ()) for t in ORDINARY]
    kit = Lines(vectors=model.embedding.embed(ORDINARY * 3))
    mask = np.ones(len(ORDINARY) * 3, dtype=bool)
    w1, b1, w2, b2 = train_meaning_heads(written, Exemplars({}, {}, ()), kit, mask, np.zeros(len(mask), int),
                                         model.embedding, seed=3)
    assert w1.shape[0] == model.embedding.dim and w2.shape == (w1.shape[1], len(LABELS)) and b2.shape == (12,)

    def logits(texts: list[str]) -> np.ndarray:
        return np.maximum(model.embedding.embed(texts) @ w1 + b1, 0.0) @ w2 + b2

    age, off = LABELS.index("age_probe"), LABELS.index("off_platform")
    tactic = logits(TACTIC_LINES["age_probe"] + TACTIC_LINES["off_platform"])
    ordinary = logits(ORDINARY)
    assert tactic[:8, age].min() > ordinary[:, age].max()
    assert tactic[8:, off].min() > ordinary[:, off].max()
    assert (tactic[:8, age] > tactic[:8, off]).all()
    # the same seed gives the same network
    again = train_meaning_heads(written, Exemplars({}, {}, ()), kit, mask, np.zeros(len(mask), int),
                                model.embedding, seed=3)
    assert np.array_equal(again[0], w1) and np.array_equal(again[3], b2)
