"""Child-facing nudge texts: complete in every language, sensible fallbacks, operator overrides validated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from waakhond.actions import nudges
from waakhond.actions.nudges import (
    OPTION_IDS,
    REQUIRED_TOPICS,
    SHIPPED_DIR,
    NudgeBook,
    NudgeError,
    nudge_book,
    render_nudge,
    topics,
)
from waakhond.policy.rules import Policy, PolicyError

LANGUAGES = ("en", "nl", "de", "fr")


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(nudges.ENV_VAR, raising=False)
    nudges.clear_cache()


@pytest.fixture
def own_dir(tmp_path: Path) -> Path:
    target = tmp_path / "nudges"
    shutil.copytree(SHIPPED_DIR, target)
    return target


def edit(path: Path, change: dict[str, dict[str, str | None]]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, entries in change.items():
        for key, value in entries.items():
            if value is None:
                del data[section][key]
            else:
                data[section][key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- shipped texts


def test_ships_four_languages_with_every_topic_and_option() -> None:
    book = NudgeBook.load(SHIPPED_DIR)
    assert book.languages() == set(LANGUAGES)
    for language in LANGUAGES:
        assert set(book.messages[language]) >= REQUIRED_TOPICS, language
        assert set(book.options[language]) == set(OPTION_IDS), language
    assert topics() >= REQUIRED_TOPICS


@pytest.mark.parametrize("language", ["nl", "de", "fr"])
def test_translations_are_translations_not_copies(language: str) -> None:
    book = nudge_book()
    for topic in REQUIRED_TOPICS:
        assert book.messages[language][topic] != book.messages["en"][topic], (language, topic)
    assert book.options[language]["block"] != book.options["en"]["block"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_messages_are_short_enough_for_a_phone(language: str) -> None:
    for topic, message in nudge_book().messages[language].items():
        assert 40 <= len(message) <= 320, (language, topic, len(message))
        assert "\n" not in message


@pytest.mark.parametrize(
    ("language", "not_your_fault", "dont_pay", "trusted_adult"),
    [
        ("en", "not your fault", "Don't pay", "tell an adult you trust"),
        ("nl", "niet jouw schuld", "Betaal niets", "volwassene die je vertrouwt"),
        ("de", "nicht deine Schuld", "Zahl nichts", "Erwachsenen, dem du vertraust"),
        ("fr", "pas de ta faute", "Ne paie pas", "adulte de confiance"),
    ],
)
def test_sextortion_nudge_says_what_a_child_needs_to_hear(
    language: str, not_your_fault: str, dont_pay: str, trusted_adult: str
) -> None:
    message = render_nudge("sextortion", language)["message"]
    assert not_your_fault in message
    assert dont_pay in message
    assert trusted_adult in message


def test_french_keeps_its_no_break_spaces() -> None:
    assert "privé\u00a0:" in render_nudge("personal_info", "fr")["message"]


# ---------------------------------------------------------------------------------------------- rendering


def test_render_gives_message_and_options_in_the_language() -> None:
    nudge = render_nudge("age_probe", "de")
    assert nudge["topic"] == "age_probe"
    assert nudge["language"] == "de"
    assert nudge["message"].startswith("Du musst keine Fragen zu deinem Alter")
    assert nudge["options"] == [
        {"id": "block", "label": "Blockieren"},
        {"id": "report", "label": "Melden"},
        {"id": "tell_adult", "label": "Einem Erwachsenen erzählen, dem du vertraust"},
    ]


@pytest.mark.parametrize(
    ("asked", "used"),
    [("nl", "nl"), ("NL", "nl"), ("nl-BE", "nl"), ("fr_CA", "fr"), ("pt", "en"), ("", "en"), (None, "en")],
)
def test_language_fallback(asked: str | None, used: str) -> None:
    assert render_nudge("secrecy", asked)["language"] == used


def test_unknown_topic_falls_back_to_default() -> None:
    nudge = render_nudge("no_such_topic", "nl")
    assert nudge["topic"] == "default"
    assert nudge["message"] == nudge_book().messages["nl"]["default"]


def test_render_returns_a_fresh_dict() -> None:
    first = render_nudge("meeting", "en")
    first["options"][0]["label"] = "changed"
    first["message"] = "changed"
    again = render_nudge("meeting", "en")
    assert again["options"][0]["label"] == "Block"
    assert again["message"] != "changed"


# ---------------------------------------------------------------------------------------------- overrides


def test_operator_directory_by_argument(own_dir: Path) -> None:
    edit(own_dir / "en.yaml", {"topics": {"age_probe": "Our own words about age questions."}})
    assert (
        render_nudge("age_probe", "en", directory=own_dir)["message"] == "Our own words about age questions."
    )
    assert render_nudge("age_probe", "en")["message"] != "Our own words about age questions."


def test_operator_directory_by_environment(own_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(own_dir / "nl.yaml", {"options": {"report": "Rapporteren"}})
    monkeypatch.setenv(nudges.ENV_VAR, str(own_dir))
    assert render_nudge("meeting", "nl")["options"][1] == {"id": "report", "label": "Rapporteren"}


def test_operator_may_add_a_language(own_dir: Path) -> None:
    shutil.copy(own_dir / "nl.yaml", own_dir / "af.yaml")
    assert render_nudge("meeting", "af", directory=own_dir)["language"] == "af"


def test_a_missing_topic_is_a_clear_error(own_dir: Path) -> None:
    edit(own_dir / "de.yaml", {"topics": {"meeting": None}})
    with pytest.raises(NudgeError, match=r"de\.yaml: topic 'meeting' is missing \(required\)"):
        NudgeBook.load(own_dir)


def test_an_extra_topic_must_exist_in_every_language(own_dir: Path) -> None:
    edit(
        own_dir / "en.yaml",
        {"topics": {"livestream_gift": "Gifts on a stream never oblige you to do anything."}},
    )
    with pytest.raises(NudgeError) as info:
        NudgeBook.load(own_dir)
    message = str(info.value)
    for language in ("de", "fr", "nl"):
        assert (
            f"{language}.yaml: topic 'livestream_gift' is missing (present in another language file)"
            in message
        )
    assert "en.yaml" not in message


def test_a_topic_added_everywhere_can_be_used_by_rules(own_dir: Path) -> None:
    for language in LANGUAGES:
        edit(
            own_dir / f"{language}.yaml",
            {"topics": {"livestream_gift": f"Gift text in {language}, long enough."}},
        )
    book = NudgeBook.load(own_dir)
    text = """
version: 1
rules:
  - name: gift_to_streaming_minor
    when: kind == "gift" and recipient_is_minor
    then: [{nudge_recipient: {topic: livestream_gift}}]
"""
    policy = Policy.from_text(text, nudges=book)
    result = policy.evaluate([], {"kind": "gift", "recipient_is_minor": True, "recipient_language": "fr"})
    assert result.actions[0].params["message"] == "Gift text in fr, long enough."
    with pytest.raises(PolicyError, match="unknown nudge topic 'livestream_gift'"):
        Policy.from_text(text)  # the shipped texts do not have it


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"options": {"tell_adult": None}}, "nl.yaml: option label 'tell_adult' is missing"),
        ({"options": {"call": "Bel"}}, "nl.yaml: unknown option 'call'"),
        ({"topics": {"meeting": ""}}, "nl.yaml: topics.meeting must be a non-empty text"),
        ({"topics": {"Bad-Name": "x"}}, "topic name 'Bad-Name' must be lowercase"),
    ],
)
def test_bad_entries_are_named(
    own_dir: Path, change: dict[str, dict[str, str | None]], expected: str
) -> None:
    edit(own_dir / "nl.yaml", change)
    with pytest.raises(NudgeError, match=expected.replace(".", r"\.")):
        NudgeBook.load(own_dir)


def test_english_is_required_as_the_fallback(own_dir: Path) -> None:
    (own_dir / "en.yaml").unlink()
    with pytest.raises(NudgeError, match=r"en\.yaml is missing"):
        NudgeBook.load(own_dir)


def test_unreadable_and_empty_directories(own_dir: Path, tmp_path: Path) -> None:
    (own_dir / "fr.yaml").write_text("topics: [unclosed", encoding="utf-8")
    with pytest.raises(NudgeError, match=r"fr\.yaml: cannot read"):
        NudgeBook.load(own_dir)
    with pytest.raises(NudgeError, match="does not exist"):
        NudgeBook.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NudgeError, match="no nudge files"):
        NudgeBook.load(tmp_path / "empty")


def test_files_are_read_once(own_dir: Path) -> None:
    first = nudge_book(own_dir)
    edit(own_dir / "en.yaml", {"topics": {"meeting": "Edited after the first read, still long enough."}})
    assert nudge_book(own_dir) is first  # cached ...
    nudges.clear_cache()
    assert nudge_book(own_dir).messages["en"]["meeting"].startswith("Edited")  # ... until cleared
