"""Tactic lines written for waakhond: the multilingual training and calibration data of the tactic heads.

The kit has offender chat in English only, and its benign chat is clean adult prose, so tactic heads trained on it
alone learn English keywords and are calibrated against the wrong kind of ordinary chat. These files fill both
gaps: for each of nl/en/de/fr, tactic lines in many registers (chat-speak, polite, indirect, obfuscated) and
ordinary children's and teenagers' chat, a good part of it hard negatives (someone else's age, a parent mentioned
normally, a compliment on a song, a homework picture). They were written for waakhond, by people who did not see
the independent line set under ``bench/data/`` that measures the tier, and hold no third-party text.

Format, one JSON object per line: ``{"lang": "nl", "text": "...", "tactics": ["age_probe"]}`` (an empty list for an
ordinary line). Lines are split into train and calibrate by a seeded hash of their text (:func:`split`), so a
line's side never depends on file order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from waakhond.detectors.text.labels import LABELS

WRITTEN = Path(__file__).with_name("written")
#: Share of the written lines kept out of head training to set the tactic thresholds.
CALIBRATE_SHARE = 0.3


class WrittenLinesError(ValueError):
    pass


@dataclass(frozen=True)
class WrittenLine:
    lang: str
    text: str
    tactics: tuple[str, ...]

    @property
    def ordinary(self) -> bool:
        return not self.tactics


def read(path: Path) -> list[WrittenLine]:
    """The lines of one file; a malformed line or an unknown label is an error naming the file and line."""
    out: list[WrittenLine] = []
    for n, raw in enumerate(path.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
            lang, text, tactics = obj["lang"], obj["text"], obj["tactics"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise WrittenLinesError(f"{path.name}:{n}: expected {{lang, text, tactics}}: {exc}") from exc
        if not isinstance(text, str) or not text.strip() or not isinstance(tactics, list):
            raise WrittenLinesError(f"{path.name}:{n}: text must be a non-empty string and tactics a list")
        unknown = [t for t in tactics if t not in LABELS]
        if unknown:
            raise WrittenLinesError(f"{path.name}:{n}: unknown tactic {unknown[0]!r}")
        out.append(WrittenLine(str(lang), text, tuple(dict.fromkeys(tactics))))
    return out


def load(directory: Path = WRITTEN) -> list[WrittenLine]:
    """Every ``*.jsonl`` file of ``directory``, in name order, without repeated texts."""
    seen: set[str] = set()
    out: list[WrittenLine] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in read(path):
            if line.text not in seen:
                seen.add(line.text)
                out.append(line)
    return out


def is_calibration(text: str, seed: int) -> bool:
    h = int.from_bytes(hashlib.sha256(f"{seed}:written:{text}".encode()).digest()[:4], "big")
    return h % 1000 < CALIBRATE_SHARE * 1000


def split(lines: Sequence[WrittenLine], seed: int) -> tuple[list[WrittenLine], list[WrittenLine]]:
    """``(train, calibrate)``, stable for a line's text and the seed."""
    train: list[WrittenLine] = []
    cal: list[WrittenLine] = []
    for line in lines:
        (cal if is_calibration(line.text, seed) else train).append(line)
    return train, cal
