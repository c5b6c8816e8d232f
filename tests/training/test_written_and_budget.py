"""The written training lines and the greedy threshold budget of the tactic heads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waakhond.detectors.text.labels import LABELS
from waakhond.training import written
from waakhond.training.train import spend_budget


def test_shipped_written_lines_cover_every_tactic_in_four_languages() -> None:
    lines = written.load()
    for lang in ("en", "nl", "de", "fr"):
        mine = [w for w in lines if w.lang == lang]
        assert sum(w.ordinary for w in mine) >= 300, lang
        for label in LABELS:
            assert sum(label in w.tactics for w in mine) >= 40, (lang, label)


def test_the_split_is_stable_and_keeps_a_calibration_share() -> None:
    lines = written.load()
    train, cal = written.split(lines, seed=7)
    assert 0.2 < len(cal) / len(lines) < 0.4
    again_train, _ = written.split(list(reversed(lines)), seed=7)
    assert {w.text for w in again_train} == {w.text for w in train}
    assert {w.text for w in written.split(lines, seed=8)[1]} != {w.text for w in cal}


@pytest.mark.parametrize(("line", "message"), [
    (b'{"lang": "en", "text": "hi"}', "expected {lang, text, tactics}"),
    (b'{"lang": "en", "text": "hi", "tactics": ["flirting"]}', "unknown tactic 'flirting'"),
    (b'{"lang": "en", "text": "  ", "tactics": []}', "non-empty string"),
    (b"not json", "expected {lang, text, tactics}"),
])
def test_bad_written_lines_are_refused_with_file_and_line(tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "xx.jsonl"
    path.write_bytes(b'{"lang": "en", "text": "fine", "tactics": []}\n' + line + b"\n")
    with pytest.raises(written.WrittenLinesError, match=r"xx\.jsonl:2") as err:
        written.read(path)
    assert message in str(err.value)


def _two_tactics() -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    # tactic 0: its positives score high and ordinary lines low — cheap recall; tactic 1: positives and ordinary
    # lines overlap — every positive recalled costs ordinary lines
    pos0 = np.array([0.9, 0.8, 0.7, 0.6])
    pos1 = np.array([0.9, 0.5, 0.45, 0.4])
    ordinary = np.zeros((100, 2))
    ordinary[:, 0] = np.linspace(0.0, 0.3, 100)
    ordinary[:, 1] = np.linspace(0.0, 0.6, 100)
    no = np.zeros(4, dtype=bool)
    return [(pos0, no), (pos1, no)], ordinary


def test_budget_buys_the_cheapest_recall_first_and_stays_within_it() -> None:
    positives, ordinary = _two_tactics()
    start = np.array([0.95, 0.95])
    thr = spend_budget(positives, ordinary, np.zeros(100, dtype=bool), start, np.array([0.05, 0.05]), 0.05)
    assert thr[0] <= 0.6  # all of tactic 0 is free
    flagged = (ordinary >= thr).any(axis=1).mean()
    assert flagged <= 0.05
    assert thr[1] < 0.95  # the 0.9 positive of tactic 1 costs nothing either
    assert thr[1] > 0.5  # but 0.5 would flag 17 % of the ordinary lines


def test_budget_respects_the_lowest_threshold_and_lines_already_flagged() -> None:
    positives, ordinary = _two_tactics()
    start = np.array([0.95, 0.95])
    thr = spend_budget(positives, ordinary, np.zeros(100, dtype=bool), start, np.array([0.75, 0.95]), 1.0)
    assert thr[0] >= 0.75 and thr[1] == pytest.approx(0.95)
    # with the budget already spent by other detectors, nothing that costs an ordinary line is bought
    thr = spend_budget(positives, ordinary, np.arange(100) < 5, start, np.array([0.05, 0.05]), 0.05)
    assert (np.asarray(ordinary >= thr).any(axis=1) & ~(np.arange(100) < 5)).sum() == 0


def test_positives_found_elsewhere_buy_nothing() -> None:
    positives, ordinary = _two_tactics()
    caught = [(s, np.ones(4, dtype=bool)) for s, _ in positives]
    start = np.array([0.95, 0.95])
    thr = spend_budget(caught, ordinary, np.zeros(100, dtype=bool), start, np.array([0.05, 0.05]), 0.5)
    assert list(thr) == pytest.approx(list(start))
