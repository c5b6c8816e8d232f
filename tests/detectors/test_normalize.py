"""Normalisation: one spelling for the many ways chat writes a word, with a way back to the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waakhond.detectors.text.normalize import fold, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wie ALT bisst du", "wie alt bist du"),
        ("café où ça", "cafe ou ca"),
        ("Straße", "strasse"),
        ("hübsch", "hubsch"),
        ("add me on sn@p", "add me on snap"),
        ("t3l3gr4m", "telegram"),
        ("$nap", "snap"),
        ("h0w 0ld r u", "how old r u"),
        ("t e l e g r a m", "telegram"),
        ("s.n.a.p", "snap"),
        ("k-i-k", "kik"),
        ("soooo prettyyyy", "soo prettyy"),
        ("pleaseeee", "pleasee"),
        ("hoeoud bn je", "hoe oud ben je"),
        ("wanna meet", "want to meet"),
        ("t'as quel âge", "tu as quel age"),
        ("quel âge as-tu", "quel age as tu"),
        ("ѕnар", "snap"),  # Cyrillic look-alikes
        ("ＴＥＬＥＧＲＡＭ", "telegram"),  # fullwidth
        ("tele\u200bgram", "telegram"),  # zero-width space
    ],
)
def test_spellings_are_normalised(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


@pytest.mark.parametrize("raw", ["im 13", "13f", "14/f/nl", "age13", "in 2020", "call 0612345678"])
def test_numbers_stay_numbers(raw: str) -> None:
    digits = [c for c in raw if c.isdigit()]
    assert [c for c in normalize(raw).text if c.isdigit()] == digits


def test_exclamation_and_mentions_are_not_leetspeak() -> None:
    assert normalize("hi!").text == "hi!"
    assert normalize("@lisa").text == "@lisa"


def test_tactic_emoji_become_words() -> None:
    assert "photo" in normalize("send 📸").text
    assert "snapchat" in normalize("👻?").text
    assert "shhemoji" in normalize("our secret 🤫").text


def test_spans_map_back_to_the_original() -> None:
    raw = "OK so... Add me on T E L E G R A M!!"
    n = normalize(raw)
    start = n.text.index("telegram")
    a, b = n.to_original(start, start + len("telegram"))
    assert raw[a:b] == "T E L E G R A M"


def test_span_through_accents_and_expansion() -> None:
    raw = "Tu habites où? t'as quel âge"
    n = normalize(raw)
    start = n.text.index("tu as quel age")
    a, b = n.to_original(start, start + len("tu as quel age"))
    assert raw[a:b] == "t'as quel âge"


def test_fold_is_light() -> None:
    assert fold("Ich bin 14 Jahre ALT") == "ich bin 14 jahre alt"
    assert fold("sn@p") == "sn@p"  # no leetspeak in the light fold


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_offsets_are_in_bounds_for_any_text(raw: str) -> None:
    n = normalize(raw)
    for start in range(0, len(n.text), 7):
        end = min(len(n.text), start + 5)
        a, b = n.to_original(start, end)
        assert 0 <= a <= b <= len(raw)


def test_the_normalisation_cache_holds_ordinary_lines_only() -> None:
    """A 1 MB message is normalised like any line but never cached: 1,024 of them would hold gigabytes."""
    import sys

    nz = sys.modules["waakhond.detectors.text.normalize"]  # the package exports the function under this name
    nz._normalize_cached.cache_clear()
    line = "add me on t e l e g r a m"
    huge = (line + " ") * 40_000
    assert normalize(line).text == normalize(line).text
    assert normalize(huge).text.startswith(normalize(line).text)
    info = nz._normalize_cached.cache_info()
    assert info.currsize == 1 and info.hits == 2  # the line three times: once normalised, twice from the cache
