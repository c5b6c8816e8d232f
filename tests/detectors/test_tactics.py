"""Tactic classification: each tactic in en/nl/de/fr, obfuscation, precision on ordinary chat, speed, spans."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waakhond.detectors.base import DetectionContext, Detector
from waakhond.detectors.text import tactics
from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.normalize import normalize
from waakhond.detectors.text.tactics import (
    TacticDetector,
    _classify,
    classify_text,
    message_risk,
    stated_ages,
)
from waakhond.events import GiftEvent, MessageEvent

from .benign_lines import BENIGN

# Several phrasings per tactic and language, written from the taxonomy (plain, non-graphic words).
POSITIVES: dict[str, list[str]] = {
    "age_probe": [
        "how old are u",
        "hw old r u?",
        "whats ur age",
        "asl",
        "a/s/l?",
        "what grade are you in",
        "are you 13?",
        "hoe oud ben jij",
        "hoeoud bn je",
        "in welke klas zit je?",
        "zit je nog op de basisschool?",
        "wie alt bist du?",
        "wie alt bisst du",
        "in welche klasse gehst du",
        "bist du schon 14?",
        "t'as quel âge ?",
        "tas quel age",
        "quel age as tu",
        "tu es en quelle classe ?",
    ],
    "personal_info": [
        "where do you live?",
        "wat school do u go to",
        "whats ur address",
        "what's your real name",
        "waar woon je?",
        "op welke school zit je",
        "wat is je adres",
        "wo wohnst du",
        "auf welche schule gehst du",
        "was ist deine adresse",
        "tu habites où ?",
        "c'est quoi ton adresse",
        "tu vas dans quel collège ?",
    ],
    "risk_check": [
        "r u home alone?",
        "are your parents home",
        "do your parents check your phone",
        "is anyone with you rn",
        "ben je alleen thuis?",
        "zijn je ouders thuis?",
        "kijken je ouders op je telefoon?",
        "bist du allein zu hause",
        "sind deine eltern da?",
        "wo sind deine eltern",
        "t'es seule chez toi ?",
        "tes parents sont là ?",
        "il y a quelqu'un chez toi ?",
    ],
    "secrecy": [
        "don't tell anyone",
        "dont tell ur mom about us",
        "this is our little secret",
        "delete our chat after",
        "keep it between us ok",
        "nobody will ever know",
        "zeg het tegen niemand",
        "ons geheimpje",
        "verwijder de chat",
        "je ouders hoeven het niet te weten",
        "sag es niemandem",
        "unser geheimnis",
        "lösch den chat",
        "dis rien à personne",
        "c'est notre secret",
        "efface la conversation",
    ],
    "off_platform": [
        "add me on snap",
        "add me on sn@p",
        "do u have t e l e g r a m",
        "tg?",
        "kik?",
        "whats ur insta",
        "lets talk on whatsapp",
        "dm me",
        "👻?",
        "heb je snapchat?",
        "voeg me toe op insta",
        "app me",
        "hast du whatsapp?",
        "schreib mir auf telegram",
        "lass uns auf snap schreiben",
        "t'as snap ?",
        "ajoute moi sur insta",
        "on parle en privé ?",
    ],
    "compliment": [
        "ur so pretty",
        "you're so mature for your age",
        "you look so hot",
        "hey beautiful",
        "u have nice legs",
        "je bent echt heel mooi",
        "je ziet er volwassen uit",
        "volwassen voor je leeftijd",
        "du bist so hübsch",
        "du siehst echt heiss aus",
        "reif für dein alter",
        "t'es trop belle",
        "tu fais plus mature que ton âge",
        "salut ma belle",
    ],
    "reward_offer": [
        "i'll give you 1000 robux",
        "want some free vbucks?",
        "ill buy you a new phone",
        "i can pay you $50",
        "i'll send you a gift card if you do it",
        "ik geef je 500 punten",
        "wil je gratis robux?",
        "ik koop een cadeautje voor je",
        "ich schenk dir 50 euro",
        "willst du robux?",
        "ich kaufe dir was",
        "je te donne des robux",
        "tu veux gagner de l'argent ?",
        "je t'offre un cadeau",
    ],
    "image_request": [
        "send me a pic",
        "send pics",
        "can i see you",
        "turn on ur cam",
        "show me your feet",
        "pic of u pls",
        "send 📸",
        "stuur een foto van jezelf",
        "zet je camera aan",
        "laat je voeten zien",
        "schick mir ein bild",
        "mach die kamera an",
        "zeig mir deine füße",
        "envoie moi une photo",
        "allume ta cam",
        "montre moi tes pieds",
    ],
    "sexual_content": [
        "are you a virgin?",
        "what are you wearing",
        "i'm so horny",
        "ever been kissed?",
        "ben je nog maagd",
        "wat heb je aan?",
        "ik word geil van je",
        "bist du noch jungfrau?",
        "was hast du an",
        "tu es vierge ?",
        "tu portes quoi ?",
    ],
    "pressure": [
        "just once pls",
        "come on dont be shy",
        "everyone does it",
        "if u really loved me u would",
        "you promised",
        "pls pls pls",
        "toe nou, maar 1 keer",
        "iedereen doet het",
        "doe niet zo preuts",
        "komm schon bitte",
        "nur einmal",
        "alle machen das",
        "allez stp juste une fois",
        "tout le monde le fait",
        "fais pas ta timide",
    ],
    "meeting": [
        "we should meet up irl",
        "i can pick you up after school",
        "lets meet this weekend",
        "come to my house",
        "zullen we afspreken?",
        "ik kan je ophalen",
        "in het echt afspreken",
        "lass uns treffen",
        "ich hol dich ab",
        "wann können wir uns treffen",
        "on se voit en vrai ?",
        "je passe te chercher",
        "viens chez moi",
    ],
    "sextortion": [
        "send more or i'll post your pics",
        "i'll send ur nudes to all your friends",
        "pay me $100 or everyone sees",
        "i have your pics",
        "ik stuur je foto's naar je ouders",
        "betaal 100 euro anders",
        "ich schicke die bilder an deine eltern",
        "zahl oder ich poste alles",
        "j'envoie tes photos à tes parents",
        "paie ou je publie tout",
    ],
}


@pytest.mark.parametrize(("label", "line"), [(lab, line) for lab, lines in POSITIVES.items() for line in lines])
def test_tactic_is_found(label: str, line: str) -> None:
    hits = classify_text(line)
    assert label in hits, f"{line!r} → {sorted(hits)}"
    assert 0.5 <= hits[label].score <= 1.0


def test_every_label_has_positives_in_each_language() -> None:
    assert set(POSITIVES) == set(LABELS)
    assert all(len(lines) >= 10 for lines in POSITIVES.values())


@pytest.mark.parametrize(("text", "labels"), TacticDetector.examples())
def test_detector_examples(text: str, labels: set[str]) -> None:
    assert labels <= set(classify_text(text))


def test_examples_cover_all_labels_and_languages() -> None:
    examples = TacticDetector.examples()
    assert {lab for _, labels in examples for lab in labels} == set(LABELS)
    assert len(examples) >= 4 * len(LABELS)


def test_ordinary_chat_is_left_alone() -> None:
    flagged = {line: sorted(classify_text(line)) for line in BENIGN if classify_text(line)}
    assert len(BENIGN) >= 150
    assert len(flagged) <= len(BENIGN) // 20, flagged


@pytest.mark.parametrize(
    "line",
    [
        "how old is your dog?",
        "great cover! your voice is amazing",
        "i love your drawing, the colours are so pretty",
        "oh snap i forgot my lunch",
        "dm me the answer for question 4",
        "meet at the bridge in minecraft",
        "see you at school tomorrow",
        "can you send me the homework pic, i forgot to write it down",
        "ur so good at this game",
        "das spiel ist echt geil",
        "c'est pas grave t'inquiète",
    ],
)
def test_classic_traps_are_not_tactics(line: str) -> None:
    assert classify_text(line) == {}


def test_spans_point_into_the_original_text() -> None:
    text = "Hey!! Add me on T E L E G R A M, ok? And how old r u?"
    hits = classify_text(text)
    for hit in hits.values():
        for span in hit.spans:
            assert text[span.start : span.end] == span.text
    assert "T E L E G R A M" in hits["off_platform"].spans[0].text
    assert hits["age_probe"].spans[0].text.lower().startswith("how old")


def test_explanation_is_one_line_with_the_evidence() -> None:
    hit = classify_text("ben je alleen thuis?")["risk_check"]
    assert "\n" not in hit.explanation
    assert "alleen" in hit.explanation


def test_prefilter_changes_nothing_on_examples_and_positives() -> None:
    lines = [t for t, _ in TacticDetector.examples()] + [x for xs in POSITIVES.values() for x in xs] + BENIGN
    for line in lines:
        assert set(classify_text(line)) == set(_classify(normalize(line), prefilter=False)), line


def test_language_hint_does_not_restrict() -> None:
    assert "age_probe" in classify_text("wie alt bist du", lang="en")


def test_message_risk_orders_messages() -> None:
    assert message_risk({}) == 0.0
    mild = message_risk(classify_text("you look so pretty"))
    strong = message_risk(classify_text("send me a pic and dont tell your parents"))
    assert 0.0 < mild < strong <= 1.0


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("im 13", [13]),
        ("i'm only 12 lol", [12]),
        ("13/f/nl", [13]),
        ("hey 14 f here", [14]),
        ("ik ben 12", [12]),
        ("kben 11 jaar", [11]),
        ("ich bin 14", [14]),
        ("ich bin erst 13 jahre alt", [13]),
        ("j'ai 13 ans", [13]),
        ("jai 12 ans", [12]),
        ("im 5 minutes away", []),
        ("ik ben 10 minuten te laat", []),
        ("my brother is 13", []),
        ("il y a 13 ans", []),
    ],
)
def test_stated_ages(text: str, ages: list[int]) -> None:
    assert stated_ages(text) == ages


def _message(text: str, lang: str | None = None) -> MessageEvent:
    return MessageEvent(
        id="m1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        sender_id="a",
        recipient_ids=["b"],
        channel="dm",
        text=text,
        lang=lang,  # type: ignore[arg-type]
    )


def test_detector_emits_one_signal_per_tactic() -> None:
    det = TacticDetector()
    assert isinstance(det, Detector)
    signals = det.detect(_message("how old r u? dont tell ur parents"), DetectionContext())
    ruled = [s for s in signals if s.spans]
    assert sorted(s.name for s in ruled) == ["age_probe", "secrecy"]
    assert all(s.detector == "tactics" and s.explanation for s in signals)
    # what the learned tier adds has no spans but says so and names its closest example
    assert all(s.explanation.startswith("learned tier") for s in signals if not s.spans)
    # the learned tier may add one more signal: how much the line reads like an offender's, with its logit
    for s in signals:
        if s.name == "grooming_language":
            assert isinstance(s.related["logit"], float) and s.explanation.startswith("learned tier")


def test_detector_reads_gift_notes() -> None:
    gift = GiftEvent(
        id="g1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        sender_id="a",
        recipient_id="b",
        amount=500,
        note="more coins if you turn on your cam",
    )
    names = {s.name for s in TacticDetector().detect(gift, DetectionContext())}
    assert "image_request" in names
    empty = GiftEvent(id="g2", occurred_at=datetime(2026, 1, 1, tzinfo=UTC), sender_id="a", recipient_id="b", amount=5)
    assert TacticDetector().detect(empty, DetectionContext()) == []


def test_long_message_is_linear_and_bounded() -> None:
    text = ("homework is due friday, see you in class. " * 1000)[:40_000] + " r u home alone?"
    start = time.perf_counter()
    hits = classify_text(text)
    assert time.perf_counter() - start < 2.0
    assert set(hits) == {"risk_check"}
    spam = "send me a pic " * 3000
    hit = classify_text(spam)["image_request"]
    assert len(hit.spans) <= 5


def test_fast_enough_for_chat() -> None:
    lines = (BENIGN + [t for t, _ in TacticDetector.examples()]) * 20
    classify_text("warm up")
    start = time.perf_counter()
    for line in lines:
        classify_text(line)
    per_line = (time.perf_counter() - start) / len(lines)
    assert per_line < 1e-3  # generous for shared CI machines; the bench measures the real figure


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_crashes_and_spans_are_in_bounds(text: str) -> None:
    for hit in classify_text(text).values():
        assert hit.label in LABELS
        for span in hit.spans:
            assert 0 <= span.start <= span.end <= len(text)
            assert text[span.start : span.end] == span.text


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["send", "me", "a", "pic", "snap", "🤫", "13", "u", "alone", "é", "@", " "]), max_size=30)
)
def test_never_crashes_on_tactic_vocabulary(words: list[str]) -> None:
    text = " ".join(words)
    for hit in classify_text(text).values():
        for span in hit.spans:
            assert text[span.start : span.end] == span.text


# Rule families added together (picture for a reward, picture in swimwear or sleepwear, "then I'll stop asking",
# "or it goes online", an outing "just the two of us", a cover story, disappearing messages, verb-final requests,
# a bare age question): each in the four languages, phrasings of our own.
FAMILIES: list[tuple[str, str]] = [
    ("image_request", "if u send me one selfie i'll give you 500 coins"),
    ("image_request", "als je me een selfie stuurt krijg je 200 munten"),
    ("image_request", "wenn du mir ein foto schickst kriegst du 300 coins"),
    ("image_request", "si tu m'envoies une photo je te donne des diamants"),
    ("image_request", "robux for a pic?"),
    ("image_request", "skins voor een fotootje?"),
    ("image_request", "gutschein für ein selfie?"),
    ("image_request", "des diamants pour une photo ?"),
    ("sexual_content", "got a photo of you in your swimsuit?"),
    ("sexual_content", "heb je een foto in je badpak?"),
    ("sexual_content", "hast du ein bild im badeanzug"),
    ("sexual_content", "une photo de toi en maillot ?"),
    ("pressure", "send it and then i'll stop asking"),
    ("pressure", "doe het nou en dan laat ik je met rust"),
    ("pressure", "mach es und dann lass ich dich in ruhe"),
    ("pressure", "envoie et après je te laisse tranquille"),
    ("sextortion", "answer me or the video goes online"),
    ("sextortion", "antwoord of die foto gaat op insta"),
    ("sextortion", "antworte oder das video landet im netz"),
    ("sextortion", "réponds ou la vidéo part sur snap"),
    ("meeting", "we could get ice cream, only you and me"),
    ("meeting", "ijsje halen? alleen jij en ik"),
    ("meeting", "kino am samstag, nur wir zwei"),
    ("meeting", "un ciné samedi, que toi et moi"),
    ("secrecy", "if anyone asks, you know me from school"),
    ("secrecy", "als iemand het vraagt ken je me van voetbal"),
    ("secrecy", "wenn jemand fragt, wir kennen uns vom training"),
    ("secrecy", "si quelqu'un te demande, on se connait du club"),
    ("secrecy", "turn on disappearing messages"),
    ("secrecy", "zet verdwijnende berichten aan"),
    ("secrecy", "mach selbstlöschende nachrichten an"),
    ("secrecy", "active les messages éphémères"),
    ("personal_info", "kun je je adres ff sturen"),
    ("personal_info", "kannst du mir deine adresse schicken"),
    ("age_probe", "age? im 19"),
    ("age_probe", "lft? ben zelf 20"),
    ("age_probe", "alter? bin 20"),
]


@pytest.mark.parametrize(("label", "line"), FAMILIES)
def test_rule_families_in_four_languages(label: str, line: str) -> None:
    assert label in classify_text(line), (line, sorted(classify_text(line)))


@pytest.mark.parametrize(
    "line",
    [
        "ich schäm mich so, hab wieder verloren",  # ashamed, not a body word
        "on a capoté sur ta chanson",  # Quebec: we loved it
        "hoe oud is je broertje nu?",  # someone else's age
        "noch ein spiel, dann hör ich auf zu zocken",  # stops playing, not asking
        "si ta mère demande, dis-lui qu'on finit à 18h",  # a friend's errand, no cover identity
        "is ur mum still up? mine wants to ask about the lift",
    ],
)
def test_family_look_alikes_are_not_tactics(line: str) -> None:
    assert classify_text(line) == {}, sorted(classify_text(line))


# Benign frames (lexicon/frames.py): an everyday purpose in the line explains a tactic-like wording away.
FRAMED: list[tuple[str, str]] = [
    ("image_request", "send me a pic of ur dog!!"),
    ("image_request", "stuur een foto van bladzijde 12, ik ben mijn boek vergeten"),
    ("image_request", "schick mir ein foto vom tafelbild bitte"),
    ("image_request", "envoie-moi une photo des devoirs stp"),
    ("pressure", "come on, one more round!!"),
    ("pressure", "kom op, nog één potje"),
    ("pressure", "komm schon, noch eine runde"),
    ("pressure", "allez, encore une partie"),
    ("secrecy", "don't tell anyone, it's a surprise party for dad"),
    ("secrecy", "zeg niks tegen Tim, het is een verrassing voor zijn verjaardag"),
    ("secrecy", "sag nix, das ist eine überraschung für mama"),
    ("secrecy", "ne le dis à personne, c'est une fête surprise"),
    ("off_platform", "can we move the group chat to whatsapp, this app keeps crashing"),
    ("meeting", "i'll pick you up after practice at 5, love mum"),
    ("meeting", "ik kom je ophalen na de training, liefs mama"),
    ("meeting", "ich hol dich ab nach dem training, lg papa"),
    ("meeting", "je viens te chercher à 17h, bisous maman"),
    ("off_platform", "my snap got hacked, add me on insta instead"),
    ("off_platform", "mijn snap is gehackt, stuur het maar via insta"),
    ("pressure", "gg, u owe me 50 coins from that bet"),
]


@pytest.mark.parametrize(("label", "line"), FRAMED)
def test_a_benign_frame_explains_the_tactic_away(label: str, line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    framed = classify_text(line)
    monkeypatch.setattr(tactics, "_FRAMES", ())  # the rules with no frame at all
    assert label in classify_text(line), "the line must read as the tactic without its frame, else this proves nothing"
    assert label not in framed, sorted(framed)


@pytest.mark.parametrize(
    ("label", "line"),
    [
        ("secrecy", "i have a surprise for you, dont tell ur mom"),  # a surprise for the child is no frame
        ("secrecy", "c'est une surprise pour toi, personne doit savoir"),
        ("sextortion", "send a pic of ur dog or everyone will see the video"),  # a threat keeps everything
        ("image_request", "send a pic of ur dog or everyone will see the video"),
        ("image_request", "send me a pic of you in ur room"),  # a person, not an object
        ("meeting", "meet me at the park tomorrow, don't tell your mum"),
        ("off_platform", "my insta is buggy, message me on telegram instead"),  # a broken account is a pretext
    ],
)
def test_no_frame_where_the_purpose_is_the_child(label: str, line: str) -> None:
    assert label in classify_text(line), sorted(classify_text(line))


def test_a_frame_explains_a_chat_line_not_a_long_message() -> None:
    """Appended to a long message, a frame must not hide the tactics sentences away from it."""
    line = "send a pic of ur dog"
    assert "image_request" not in classify_text(line)
    long = "send me a pic of you. " + "tell me about your day and your friends and your week. " * 5 + line
    assert "image_request" in classify_text(long)
    assert "age_probe" in classify_text("how old are u? it's for the team")  # no purpose clears an age question
