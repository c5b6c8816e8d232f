"""Child-facing safety nudges: short, kind messages in the recipient's language.

The texts live in one YAML file per language (``nudges/en.yaml``, ``nl.yaml``, ``de.yaml``, ``fr.yaml``) so a
platform can edit them without touching code. Point ``WAAKHOND_NUDGES_DIR`` (or the ``directory`` argument) at
a copy of that folder to use your own texts or add a language. Every file must hold every topic and every
option label; a gap is a load error rather than a child who sees nothing.

    >>> n = render_nudge("age_probe", "nl")
    >>> n["topic"], n["language"], [o["id"] for o in n["options"]]
    ('age_probe', 'nl', ['block', 'report', 'tell_adult'])
    >>> render_nudge("age_probe", "xx")["language"]  # unknown language: English
    'en'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

#: Environment variable naming an operator's directory of nudge files.
ENV_VAR = "WAAKHOND_NUDGES_DIR"
SHIPPED_DIR = Path(__file__).with_name("nudges")
FALLBACK_LANGUAGE = "en"
DEFAULT_TOPIC = "default"

#: Topics every language file must have (the shipped default rules use them). Files may add more topics,
#: as long as every language has them.
REQUIRED_TOPICS: frozenset[str] = frozenset(
    {
        "default",
        "stranger_contact",
        "age_probe",
        "personal_info",
        "risk_check",
        "secrecy",
        "off_platform",
        "image_request",
        "sexual_content",
        "meeting",
        "sextortion",
        "reward_offer",
        "pressure",
    }
)

#: The choices shown under every nudge, in display order.
OPTION_IDS: tuple[str, ...] = ("block", "report", "tell_adult")

_LANGUAGE_FILE = re.compile(r"^[a-z]{2,3}\.yaml$")
_TOPIC = re.compile(r"^[a-z][a-z0-9_]*$")
_SPACES = re.compile(r"[ \t\r\n]+")


class NudgeError(ValueError):
    """The nudge files are missing, unreadable or incomplete. The message lists every problem."""


@dataclass(frozen=True)
class NudgeBook:
    """All nudge texts of one directory: ``messages[language][topic]`` and ``options[language][id]``."""

    directory: Path
    messages: Mapping[str, Mapping[str, str]]
    options: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, directory: Path | str) -> NudgeBook:
        """Read and validate every ``<language>.yaml`` in ``directory`` (uncached; see :func:`nudge_book`)."""
        folder = Path(directory)
        if not folder.is_dir():
            raise NudgeError(f"nudge directory {folder} does not exist")
        files = sorted(p for p in folder.iterdir() if _LANGUAGE_FILE.match(p.name))
        if not files:
            raise NudgeError(f"no nudge files (like en.yaml) in {folder}")
        problems: list[str] = []
        messages: dict[str, dict[str, str]] = {}
        options: dict[str, dict[str, str]] = {}
        for path in files:
            language = path.stem
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
                problems.append(f"{path.name}: cannot read: {e}")
                continue
            if not isinstance(data, dict):
                problems.append(f"{path.name}: expected a mapping with 'options' and 'topics'")
                continue
            for key in sorted(set(data) - {"options", "topics"}, key=str):
                problems.append(f"{path.name}: unknown key '{key}' (expected 'options' and 'topics')")
            messages[language] = _texts(path.name, "topics", data.get("topics"), problems)
            options[language] = _texts(path.name, "options", data.get("options"), problems)
        if FALLBACK_LANGUAGE not in messages and not any(
            p.startswith(f"{FALLBACK_LANGUAGE}.") for p in problems
        ):
            problems.append(
                f"{FALLBACK_LANGUAGE}.yaml is missing: it is the fallback for every other language"
            )
        all_topics = REQUIRED_TOPICS.union(*(set(m) for m in messages.values()))
        for language in sorted(messages):
            for topic in sorted(all_topics - set(messages[language])):
                where = "required" if topic in REQUIRED_TOPICS else "present in another language file"
                problems.append(f"{language}.yaml: topic '{topic}' is missing ({where})")
            for topic in sorted(messages[language]):
                if not _TOPIC.match(topic):
                    problems.append(
                        f"{language}.yaml: topic name '{topic}' must be lowercase letters, digits, '_'"
                    )
            for option in OPTION_IDS:
                if option not in options[language]:
                    problems.append(f"{language}.yaml: option label '{option}' is missing")
            for option in sorted(set(options[language]) - set(OPTION_IDS)):
                problems.append(
                    f"{language}.yaml: unknown option '{option}' (expected {', '.join(OPTION_IDS)})"
                )
        if problems:
            raise NudgeError(f"bad nudge files in {folder}:\n  " + "\n  ".join(problems))
        return cls(folder, messages, options)

    def topics(self) -> frozenset[str]:
        return frozenset(self.messages[FALLBACK_LANGUAGE])

    def languages(self) -> frozenset[str]:
        return frozenset(self.messages)

    def language_for(self, language: str | None) -> str:
        """The file to use for ``language``: ``"nl-BE"`` → ``nl``; unknown or missing → ``en``."""
        if language:
            primary = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
            if primary in self.messages:
                return primary
        return FALLBACK_LANGUAGE

    def render(self, topic: str, language: str | None) -> dict[str, Any]:
        """``{"topic", "language", "message", "options"}`` for the platform to show; a fresh dict every call.

        An unknown topic falls back to ``default``; the returned ``topic``/``language`` are the ones used.
        """
        lang = self.language_for(language)
        used = topic if topic in self.messages[lang] else DEFAULT_TOPIC
        labels = self.options[lang]
        return {
            "topic": used,
            "language": lang,
            "message": self.messages[lang][used],
            "options": [{"id": option, "label": labels[option]} for option in OPTION_IDS],
        }


def _texts(filename: str, section: str, value: Any, problems: list[str]) -> dict[str, str]:
    if value is None:
        problems.append(f"{filename}: '{section}' is missing")
        return {}
    if not isinstance(value, dict):
        problems.append(f"{filename}: '{section}' must map names to texts")
        return {}
    out: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{filename}: {section}.{key} must be a non-empty text")
            continue
        # Collapse ordinary whitespace only: French texts keep their no-break spaces before '?' and ':'.
        out[str(key)] = _SPACES.sub(" ", text).strip()
    return out


def nudges_directory(directory: Path | str | None = None) -> Path:
    """The directory in use: the argument, else ``$WAAKHOND_NUDGES_DIR``, else the shipped texts."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else SHIPPED_DIR


@lru_cache(maxsize=8)
def _cached(directory: str) -> NudgeBook:
    return NudgeBook.load(directory)


def nudge_book(directory: Path | str | None = None) -> NudgeBook:
    """The validated nudge texts of a directory, read once and cached (see :func:`nudges_directory`)."""
    return _cached(str(nudges_directory(directory).resolve()))


def clear_cache() -> None:
    """Forget cached nudge files after editing them (:class:`~waakhond.policy.ActivePolicy` reads fresh)."""
    _cached.cache_clear()


def render_nudge(topic: str, language: str | None, directory: Path | str | None = None) -> dict[str, Any]:
    """The nudge for ``topic`` in ``language`` (falls back to ``en`` and to the ``default`` topic)."""
    return nudge_book(directory).render(topic, language)


def topics(directory: Path | str | None = None) -> set[str]:
    """Every topic a rule may name in ``nudge_recipient: {topic: ...}``."""
    return set(nudge_book(directory).topics())


def languages(directory: Path | str | None = None) -> set[str]:
    return set(nudge_book(directory).languages())
