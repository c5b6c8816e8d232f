"""The shipped learned tier: it loads, reads all four languages, explains itself, and learns from operators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waakhond.detectors.conversation import alert_threshold, score_conversation
from waakhond.detectors.text.learned.exemplars import add, load
from waakhond.detectors.text.learned.model import TextModel, model_dir, shipped
from waakhond.detectors.text.learned.style import plain
from waakhond.detectors.text.learned.tier import read_lines
from waakhond.detectors.text.tactics import classify_text

pytestmark = pytest.mark.skipif(shipped() is None, reason="no learned weights installed")


def test_the_shipped_model_is_complete_and_small() -> None:
    model = shipped()
    assert model is not None and model.index is not None
    assert 0.5 <= alert_threshold(model) < 1.0
    size = sum(p.stat().st_size for p in model_dir().iterdir() if p.is_file())
    assert size < 12 * 2**20  # weights only: a few megabytes


@pytest.mark.parametrize(
    "text",
    [
        "how old are you",
        "hoe oud ben jij eigenlijk",
        "wie alt bist du denn",
        "tu as quel âge",
    ],
)
def test_the_same_question_lands_close_in_four_languages(text: str) -> None:
    model = shipped()
    assert model is not None
    base, other, unrelated = model.embedding.embed([text, "how old are you", "the bus was late again today"])
    assert float(base @ other) > float(base @ unrelated) + 0.2


def test_learned_hits_carry_an_explanation_naming_an_example() -> None:
    results = read_lines(["zeg maar niks tegen je ouders over ons gesprek, dat blijft tussen ons"])
    hits = results[0].hits
    assert "secrecy" in hits
    learned = [h for h in hits.values() if h.explanation.startswith("learned tier")]
    for hit in learned:
        assert "closest example" in hit.explanation


def test_ordinary_chat_in_chat_speak_is_left_alone() -> None:
    lines = [
        "lol u suck at this game", "omg same", "wyd", "brb dinner", "gg wp", "who won the match last night",
        "ik heb morgen een toets", "hast du die hausaufgaben", "on se voit au match ?", "great cover!!",
        "can u send me the homework screenshot", "my cat is 3 years old",
    ]
    flagged = [t for t, r in zip(lines, read_lines(lines), strict=True) if r.hits]
    assert len(flagged) <= 1, flagged


def test_a_grooming_arc_in_dutch_is_flagged_and_the_adult_named() -> None:
    msgs = [
        {"sender": "a", "text": "hey je zingt echt mooi"},
        {"sender": "b", "text": "dankje"},
        {"sender": "a", "text": "hoe oud ben je eigenlijk"},
        {"sender": "b", "text": "ik ben 12"},
        {"sender": "a", "text": "zijn je ouders vaak weg?"},
        {"sender": "a", "text": "zeg maar niks tegen ze over mij he"},
        {"sender": "a", "text": "heb je telegram? daar kunnen we beter praten"},
        {"sender": "a", "text": "stuur eens een foto van jezelf"},
    ]
    score = score_conversation(msgs)
    assert score.flagged and score.groomer == "a"
    assert score.alert_at is not None and score.alert_at < len(msgs)


def test_a_long_benign_chat_between_friends_is_not_flagged() -> None:
    lines = ["did u finish the math hw", "ya it was ez lol", "wanna play fortnite later", "cant my mom said no",
             "rip", "ok tmrw then", "sure see u at school", "bring ur charger pls"] * 40
    score = score_conversation({"sender": "ab"[i % 2], "text": t} for i, t in enumerate(lines))
    assert not score.flagged


@pytest.mark.parametrize(
    ("ordinary", "grooming", "tactic"),
    [
        ("can you bring my charger tomorrow, mine is dead", "come alone and don't tell your mum", "secrecy"),
        ("send me the maths homework pls", "send me a picture of you in your room right now", "image_request"),
        ("kun je morgen mijn oplader meenemen", "kom alleen en zeg niks tegen je moeder", "secrecy"),
        ("stuur je me het huiswerk van wiskunde?", "stuur een foto van jezelf in je kamer, nu", "image_request"),
        ("kannst du morgen mein ladekabel mitbringen", "komm allein und sag deiner mama nichts", "secrecy"),
        ("schick mir bitte die mathe hausaufgaben", "schick mir jetzt ein foto von dir in deinem zimmer",
         "image_request"),
        ("tu peux ramener mon chargeur demain ?", "viens seule et dis rien à ta mère", "secrecy"),
        ("envoie-moi les devoirs de maths stp", "envoie-moi une photo de toi dans ta chambre maintenant",
         "image_request"),
    ],
)
def test_an_everyday_request_is_not_read_like_its_grooming_twin(ordinary: str, grooming: str, tactic: str) -> None:
    """A request is not suspicious in itself: the request between classmates stays below the grooming-line floor
    and gets no tactic, the move that shares its form gets its tactic."""
    model = shipped()
    assert model is not None
    groom = model.score_plain([plain(ordinary), plain(grooming)]).groom
    assert float(groom[0]) < float(model.conversation["floor"])
    assert float(groom[0]) < float(groom[1]) - 1.0
    calm, move = read_lines([ordinary, grooming])
    assert not calm.hits
    assert tactic in move.hits


def test_operator_exemplars_teach_the_model_without_retraining(tmp_path: Path) -> None:
    line = "ping me on the zwartevogel app, it is more private there"
    model = TextModel.load(model_dir())
    before = model.with_exemplars(load()).score_plain(["ping me on the zwartevogel app it is more private there"])
    ops = tmp_path / "ops.yaml"
    add(ops, "off_platform", line)
    after_model = TextModel.load(model_dir()).with_exemplars(load(ops))
    [result] = read_lines([line], model=after_model)
    assert "off_platform" in result.hits
    assert before.tactics.shape == (1, 12)


def test_rules_and_learned_tier_agree_on_what_rules_find() -> None:
    text = "are your parents home? add me on snap"
    [result] = read_lines([text])
    assert set(classify_text(text)) <= set(result.hits)


def test_one_line_and_batch_paths_score_alike() -> None:
    """The engine scores one message at a time, classify in batches: both paths must give the same scores."""
    model = shipped()
    assert model is not None
    texts = ["add me on tg", "wie alt bist du", "great cover!", "ik geef je 500 munten als je je camera aanzet",
             "on se voit au parc ?"]
    plain_texts = [plain(t) for t in texts]
    batch = model.score_plain(plain_texts)
    for k, p in enumerate(plain_texts):
        one = model.score_plain([p])
        assert one.tactics[0] == pytest.approx(batch.tactics[k], abs=1e-5)
        assert one.groom[0] == pytest.approx(batch.groom[k], abs=1e-4)


def test_a_model_saved_without_lexical_heads_still_loads(tmp_path: Path) -> None:
    model = shipped()
    assert model is not None
    old = TextModel(model.embedding, model.groom_w, model.groom_b, model.tactic_w, model.tactic_b,
                    model.tactic_mix[:, :3], model.tactic_threshold, model.conversation, model.meta)
    old.save(tmp_path)
    again = TextModel.load(tmp_path)
    assert again.lex_pieces is None and again.mlp_w1 is None and again.tactic_mix.shape == (12, 5)
    assert again.score_plain(["how old are you"]).tactics.shape == (1, 12)


def test_a_model_saved_before_the_meaning_head_scores_as_it_did(tmp_path: Path) -> None:
    """A model directory from before the meaning head (four mix columns, no network) loads, and scores exactly
    as the same heads do with the meaning head weighed 0."""
    model = shipped()
    assert model is not None and model.mlp_w1 is not None
    old = TextModel(model.embedding, model.groom_w, model.groom_b, model.tactic_w, model.tactic_b,
                    model.tactic_mix[:, :4], model.tactic_threshold, model.conversation, model.meta,
                    lex_pieces=model.lex_pieces, lex_w=model.lex_w, lex_b=model.lex_b)
    old.save(tmp_path)
    again = TextModel.load(tmp_path).with_exemplars(load())
    muted = TextModel(model.embedding, model.groom_w, model.groom_b, model.tactic_w, model.tactic_b,
                      np.column_stack([model.tactic_mix[:, :4], np.zeros(12, np.float32)]), model.tactic_threshold,
                      model.conversation, model.meta, lex_pieces=model.lex_pieces, lex_w=model.lex_w,
                      lex_b=model.lex_b, mlp_w1=model.mlp_w1, mlp_b1=model.mlp_b1, mlp_w2=model.mlp_w2,
                      mlp_b2=model.mlp_b2).with_exemplars(load())
    lines = [plain(t) for t in ("how old are you", "hoe oud ben je", "lets go to the park", "schick mir ein bild")]
    assert np.array_equal(again.score_plain(lines).tactics, muted.score_plain(lines).tactics)


def test_the_meaning_head_counts_and_survives_a_round_trip(tmp_path: Path) -> None:
    model = shipped()
    assert model is not None and model.mlp_w1 is not None
    assert (model.tactic_mix[:, 4] > 0).sum() >= 6  # calibration gave it weight in most tactics
    model.save(tmp_path)
    again = TextModel.load(tmp_path).with_exemplars(load())
    lines = [plain(t) for t in ("wanna move to snap", "t'as quel âge", "sturmfrei heute?", "great cover")]
    assert np.array_equal(again.score_plain(lines).tactics, model.score_plain(lines).tactics)
    meaning = model.meaning(model.embedding.embed(lines))
    assert meaning.shape == (4, 12) and np.isfinite(meaning).all()


def test_a_line_scores_the_same_alone_as_in_a_batch() -> None:
    """The engine scores a group of requests in one call; each line must get exactly (bit for bit) the scores
    it gets alone, or a decision would depend on which requests shared its transaction."""
    from waakhond.detectors.text.learned.style import plain
    from waakhond.detectors.text.tactics import TacticDetector

    model = shipped()
    assert model is not None
    lines = [plain(t) for t, _ in TacticDetector.examples()] + ["", "ok", "lol same " * 40]
    together = model.score_plain(lines, rows_alone=True)
    for k, line in enumerate(lines):
        alone = model.score_plain([line])
        assert alone.groom[0] == together.groom[k]
        assert (alone.tactics[0] == together.tactics[k]).all()
        assert (alone.vectors[0] == together.vectors[k]).all()


def test_exemplar_contrast_is_nearest_positive_minus_nearest_negative() -> None:
    """The vectorised contrast against a plain loop over tactics, on random similarities and example blocks
    that are sometimes empty (no ordinary lines, tactics without positives or negatives)."""

    from waakhond.detectors.text.labels import LABELS
    from waakhond.detectors.text.learned.exemplars import _ReducePlan

    rng = np.random.default_rng(3)
    for trial in range(200):
        ordinary = int(rng.integers(0, 4)) if trial % 3 else 0
        ranges, row = [], ordinary
        for _ in LABELS:
            p, n = (int(x) for x in rng.integers(0, 3, size=2))
            ranges.append((row, row + p, row + p, row + p + n))
            row += p + n
        sims = rng.uniform(-1, 1, size=(int(rng.integers(1, 5)), row)).astype(np.float32)
        expected = np.zeros((len(sims), len(LABELS)), dtype=np.float32)
        best_ordinary = sims[:, :ordinary].max(axis=1) if ordinary else np.full(len(sims), -1.0)
        for j, (p0, p1, n0, n1) in enumerate(ranges):
            if p1 > p0:
                best_neg = np.maximum(best_ordinary, sims[:, n0:n1].max(axis=1)) if n1 > n0 else best_ordinary
                expected[:, j] = sims[:, p0:p1].max(axis=1) - best_neg
        assert np.array_equal(_ReducePlan(ordinary, ranges).contrast(sims), expected)


def test_one_word_lines_get_no_learned_tactic_and_short_lines_little_weight() -> None:
    """One word is no tactic for a model that reads meaning (the rules still read it: "snap?" is theirs), and a
    two-word line's grooming-line logit counts two thirds."""

    from waakhond.detectors.text.labels import LABELS
    from waakhond.detectors.text.learned.tier import add_learned_hits, short_line_groom

    sure = np.full(len(LABELS), 0.9, dtype=np.float32)
    assert add_learned_hits({}, sure, lambda label, p: "learned", words=1) == {}
    assert set(add_learned_hits({}, sure, lambda label, p: "learned", words=2)) == set(LABELS)
    assert short_line_groom(3.0, 1) == 1.0 and short_line_groom(3.0, 2) == 2.0 and short_line_groom(3.0, 5) == 3.0
    assert short_line_groom(-2.0, 1) == -2.0  # a line that reads benign stays benign
    for word in ("your", "if", "once", "lookin"):
        assert all(hit.spans for hit in read_lines([word])[0].hits.values())
    assert "off_platform" in read_lines(["snap?"])[0].hits


def test_a_benign_frame_keeps_the_learned_tier_from_adding_what_it_explains() -> None:
    """The learned tier adds no tactic a benign frame in the line explains away ("a pic of ur dog"), as the rules
    report none; sexual content or a threat in the line keeps every tactic."""

    from waakhond.detectors.text.labels import LABELS
    from waakhond.detectors.text.learned.tier import add_learned_hits

    probs = np.zeros(len(LABELS), dtype=np.float32)
    probs[LABELS.index("image_request")] = 0.9

    def explain(label: str, p: float) -> str:
        return "learned"

    def framed() -> frozenset[str]:
        return frozenset({"image_request"})

    assert add_learned_hits({}, probs, explain, 5, framed) == {}
    assert set(add_learned_hits({}, probs, explain, 5)) == {"image_request"}
    probs[LABELS.index("sexual_content")] = 0.9
    assert set(add_learned_hits({}, probs, explain, 5, framed)) == {"image_request", "sexual_content"}
    # through the engine's entry point, with the shipped model: the frame is read from the line itself
    for line in ("send me a pic of ur new puppy when u get home", "stuur ff een foto van je hond",
                 "schick mal ein foto von deinem hund", "envoie une photo de ton chiot"):
        assert "image_request" not in read_lines([line])[0].hits, line
