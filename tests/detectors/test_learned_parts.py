"""The learned tier's parts that do not depend on trained weights: style, vocabulary, embedding, exemplars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waakhond.detectors.text.learned.embed import StaticEmbedding
from waakhond.detectors.text.learned.exemplars import ExemplarError, add, load, load_file, merge, parse
from waakhond.detectors.text.learned.style import plain
from waakhond.detectors.text.learned.vocab import VocabularyError, read_pieces


@pytest.mark.parametrize(
    ("chat", "clean"),
    [
        ("r u home alone rn???", "Are you home alone right now?"),
        ("U R SOOO pretty lol :)", "You are so pretty."),
        ("wanna add me on sn@p", "Want to add me on Snap?"),
        ("hoe oud ben je????? 😊", "Hoe oud ben je?"),
    ],
)
def test_chat_speak_and_clean_prose_read_the_same(chat: str, clean: str) -> None:
    # The known trap: offenders write chat-speak, benign research chat is clean. After styling, the learned
    # tier must not be able to tell them apart by register.
    assert plain(chat) == plain(clean)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_plain_never_fails_and_leaves_only_words(text: str) -> None:
    out = plain(text)
    assert out == " ".join(out.split())
    assert all(ch.isalnum() or ch == " " for ch in out)


def test_vocabulary_is_read_from_the_teacher_package() -> None:
    pieces, scores, unk = read_pieces()
    assert len(pieces) == len(scores) > 200_000
    assert pieces[unk] == "<unk>"
    assert "▁telegram" in pieces or "▁tele" in pieces


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(VocabularyError):
        read_pieces(bad)


def _tiny_embedding() -> StaticEmbedding:
    pieces = ["<unk>", "▁", "▁hoe", "▁oud", "▁how", "▁old", "▁cat", "a", "b"]
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(len(pieces), 8)).astype(np.float32)
    vecs[0] = 0.0
    return StaticEmbedding(pieces, np.linspace(-1, -9, len(pieces)), vecs, np.ones(len(pieces), dtype=np.float32))


def test_embedding_is_unit_length_and_survives_a_round_trip(tmp_path: Path) -> None:
    emb = _tiny_embedding()
    v = emb.embed(["how old", "hoe oud", ""])
    assert np.allclose(np.linalg.norm(v[:2], axis=1), 1.0, atol=1e-5)
    assert not v[2].any()  # nothing to read: a zero vector, not NaN
    emb.save(tmp_path / "e.npz")
    back = StaticEmbedding.load(tmp_path / "e.npz")
    assert back.pieces == emb.pieces
    assert np.allclose(back.embed(["how old"]), v[:1], atol=0.02)  # int8 storage loses little


def test_shipped_exemplars_cover_every_tactic_in_four_languages() -> None:
    ex = load()
    for tactic, lines in ex.positive.items():
        assert len(lines) >= 40, tactic
        assert len(ex.negative[tactic]) >= 20, tactic
    assert len(ex.ordinary) >= 300
    for name in ("en", "nl", "de", "fr"):
        assert (Path(__file__).parents[2] / "src/waakhond/detectors/text/learned/exemplars" / f"{name}.yaml").exists()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"flirting": {"positive": ["x"]}}, "unknown tactic 'flirting'"),
        ({"age_probe": ["how old"]}, "must have 'positive' and/or 'negative'"),
        ({"age_probe": {"positive": [""]}}, "non-empty strings"),
        (["a list"], "expected a mapping"),
    ],
)
def test_bad_exemplar_files_are_refused_with_the_reason(doc: object, message: str) -> None:
    with pytest.raises(ExemplarError, match=message):
        parse(doc, "ops.yaml")


def test_operator_exemplars_are_added_merged_and_deduplicated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              ) -> None:
    ops = tmp_path / "ops.yaml"
    add(ops, "off_platform", "kom even naar mijn kanaal op een andere app")
    add(ops, "off_platform", "kom even naar mijn kanaal op een andere app")
    add(ops, "ordinary", "see you at practice", negative=True)
    with pytest.raises(ExemplarError):
        add(ops, "nonsense", "x")
    mine = load_file(ops)
    assert mine.positive["off_platform"] == ("kom even naar mijn kanaal op een andere app",) * 2
    merged = merge([mine])
    assert merged.positive["off_platform"] == ("kom even naar mijn kanaal op een andere app",)
    monkeypatch.setenv("WAAKHOND_EXEMPLARS", str(ops))
    assert "see you at practice" in load().ordinary
