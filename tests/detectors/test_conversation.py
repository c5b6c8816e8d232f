"""Conversation risk: the grooming arc, decay, account facts, role attribution, bounds."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from waakhond.detectors.conversation import (
    ALERT_THRESHOLD,
    MAX_EVIDENCE,
    ConversationState,
    score_conversation,
    update_conversation,
)
from waakhond.detectors.text.tactics import classify_text, stated_ages

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _msgs(lines: list[tuple[str, str, float]]) -> list[dict[str, Any]]:
    """(sender, text, days after T0)."""
    return [{"sender": s, "text": t, "sent_at": (T0 + timedelta(days=d)).isoformat()} for s, t, d in lines]


GROOMING_ARC = _msgs(
    [
        ("stranger", "hey cutie, love your videos", 0),
        ("kid", "thanks :)", 0.01),
        ("stranger", "how old are you?", 0.02),
        ("kid", "im 12", 0.03),
        ("stranger", "you're so mature for your age", 0.04),
        ("kid", "haha thx", 0.05),
        ("stranger", "do your parents check your phone?", 1.0),
        ("kid", "no not really", 1.01),
        ("stranger", "good. dont tell them about me ok, this is our secret", 1.02),
        ("stranger", "add me on snap, its more private", 2.0),
        ("stranger", "send me a pic of you in your pjs", 2.1),
        ("kid", "idk", 2.11),
        ("stranger", "come on just once", 2.12),
        ("stranger", "we should meet, i can pick you up after school", 3.0),
        ("kid", "ok", 3.01),
        ("stranger", "nice", 3.02),
    ]
)

CLASSMATES = _msgs(
    [
        ("anna", "did you finish the math homework", 0),
        ("ben", "no lol its so hard", 0.01),
        ("anna", "can you send me the homework pic tomorrow", 0.02),
        ("ben", "sure. are you going to the party on saturday", 0.03),
        ("anna", "yes! my mom is driving me", 0.04),
        ("ben", "see you at school tomorrow", 0.05),
        ("anna", "dm me the answer for question 4", 1.0),
        ("ben", "oh snap i forgot it, sorry", 1.01),
        ("anna", "ur so good at this game btw", 1.02),
        ("ben", "meet at the bridge in minecraft", 1.03),
        ("anna", "im 12 and i still cant beat level 3 haha", 1.04),
    ]
)

ADULT_FLIRTING = _msgs(
    [
        ("sam", "you look so hot in that photo", 0),
        ("kim", "haha thanks, you too", 0.01),
        ("sam", "what are you wearing right now", 0.02),
        ("kim", "wouldn't you like to know", 0.03),
        ("sam", "send me a pic", 0.04),
        ("sam", "we should meet up this weekend", 1.0),
        ("kim", "drinks on friday?", 1.01),
        ("sam", "i'm so horny thinking about you", 1.02),
        ("kim", "i'm 34, not a teenager, be patient :)", 1.03),
    ]
)


def test_grooming_arc_flags_before_the_end() -> None:
    score = score_conversation(GROOMING_ARC)
    assert score.flagged
    assert score.alert_at is not None and score.alert_at < len(GROOMING_ARC) - 1
    assert score.peak_risk >= ALERT_THRESHOLD
    assert score.groomer == "stranger"
    assert {"age_probe", "secrecy", "image_request"} <= set(score.tactics)


def test_evidence_names_the_lines_that_drove_the_risk() -> None:
    score = score_conversation(GROOMING_ARC)
    assert 0 < len(score.evidence) <= MAX_EVIDENCE
    assert all(e["sender"] == "stranger" for e in score.evidence)
    indexes = [e["index"] for e in score.evidence]
    assert indexes == sorted(indexes)
    top = max(score.evidence, key=lambda e: e["contribution"])
    # the line that moved the risk most is a tactic line after the child said she is 12 ("so mature for your age"
    # is the taxonomy's own example of a grooming compliment), never the child's own lines or the greeting
    assert top["index"] > 3
    assert set(top["tactics"]) & {"compliment", "secrecy", "risk_check", "image_request", "meeting", "off_platform"}


def test_classmates_chat_is_not_flagged() -> None:
    score = score_conversation(CLASSMATES)
    assert not score.flagged
    assert score.peak_risk < ALERT_THRESHOLD / 2


def test_adult_flirting_without_minor_cues_stays_below_threshold() -> None:
    score = score_conversation(ADULT_FLIRTING)
    assert score.tactics.get("sexual_content") and score.tactics.get("image_request")
    assert not score.flagged
    assert score.peak_risk < ALERT_THRESHOLD


def test_the_same_flirting_towards_a_stated_minor_is_flagged() -> None:
    to_minor = [*ADULT_FLIRTING[:-1], *_msgs([("kim", "im 13 btw", 1.03)])]
    to_minor += _msgs([("sam", "what are you wearing right now", 1.05), ("sam", "send me a pic", 1.06)])
    assert score_conversation(to_minor).flagged


def test_account_facts_raise_risk() -> None:
    lines = _msgs([("a", "hey how old are you", 0), ("a", "send me a pic", 0.01), ("a", "add me on snap", 0.02)])
    plain = score_conversation(lines)
    adult_to_minor = score_conversation(lines, participants={"a": {"age": 41}, "b": {"age": 11}})
    adults = score_conversation(lines, participants={"a": {"age": 41}, "b": {"age": 39}})
    assert adult_to_minor.peak_risk > plain.peak_risk > adults.peak_risk
    assert adult_to_minor.flagged and not plain.flagged


def test_unknown_ages_count_moderately() -> None:
    state = ConversationState()
    hits = classify_text("send me a pic")
    known_adults, _ = update_conversation(
        state,
        hits=hits,
        index=0,
        at=T0,
        sender="a",
        facts={"sender_is_adult": True, "recipient_is_minor": False},
    )
    unknown, _ = update_conversation(
        state,
        hits=hits,
        index=0,
        at=T0,
        sender="a",
        facts={"sender_is_adult": None, "recipient_is_minor": None, "sender_age_unknown": True},
    )
    minor, _ = update_conversation(
        state,
        hits=hits,
        index=0,
        at=T0,
        sender="a",
        facts={"sender_is_adult": True, "recipient_is_minor": True, "age_gap": 30, "is_stranger": True},
    )
    assert known_adults.risk < unknown.risk < minor.risk


def test_decay_lowers_risk_over_weeks() -> None:
    state = ConversationState()
    for i, text in enumerate(["how old r u", "are your parents home?", "dont tell anyone", "send me a pic"]):
        state, _ = update_conversation(
            state, hits=classify_text(text), index=i, at=T0 + timedelta(hours=i), sender="a", facts={}
        )
    high = state.risk
    later, _ = update_conversation(state, hits={}, index=4, at=T0 + timedelta(weeks=6), sender="b", facts={})
    assert later.risk < high / 2
    assert later.peak_risk == state.peak_risk


def test_repeating_one_tactic_has_diminishing_returns() -> None:
    state = ConversationState()
    risks = []
    for i in range(8):
        state, _ = update_conversation(
            state, hits=classify_text("you're so pretty"), index=i, at=None, sender="a", facts={}
        )
        risks.append(state.risk)
    assert risks[-1] < ALERT_THRESHOLD
    assert risks[-1] - risks[-2] < risks[1] - risks[0]


def test_roles_are_attributed_to_the_right_sender() -> None:
    lines = _msgs(
        [
            ("x1", "how old r u", 0),
            ("y2", "im 13, u?", 0.01),
            ("x1", "r u home alone? dont tell ur mom we talk", 0.02),
            ("y2", "why?", 0.03),
            ("x1", "send me a pic, just once", 0.04),
        ]
    )
    score = score_conversation(lines)
    assert score.groomer == "x1"
    assert score.flagged


def test_update_does_not_mutate_and_fires_once() -> None:
    state = ConversationState()
    fired_at = []
    for i, m in enumerate(GROOMING_ARC):
        before = json.dumps(state.to_dict(), sort_keys=True)
        new, fired = update_conversation(
            state,
            hits=classify_text(m["text"]),
            index=i,
            at=datetime.fromisoformat(m["sent_at"]),
            sender=m["sender"],
            facts={},
            event_id=f"e{i}",
            stated_ages=stated_ages(m["text"]),
            text=m["text"],
        )
        assert json.dumps(state.to_dict(), sort_keys=True) == before
        if fired:
            fired_at.append(i)
        state = new
    assert len(fired_at) == 1
    assert state.alerted and state.alert_index == fired_at[0] and state.alert_event_id == f"e{fired_at[0]}"


def test_state_round_trips_through_json() -> None:
    state = ConversationState()
    for i, m in enumerate(GROOMING_ARC[:10]):
        state, _ = update_conversation(
            state,
            hits=classify_text(m["text"]),
            index=i,
            at=datetime.fromisoformat(m["sent_at"]),
            sender=m["sender"],
            facts={"is_stranger": True},
            stated_ages=stated_ages(m["text"]),
        )
    restored = ConversationState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    nxt = GROOMING_ARC[10]
    a, _ = update_conversation(state, hits=classify_text(nxt["text"]), index=10, at=T0, sender="stranger", facts={})
    b, _ = update_conversation(restored, hits=classify_text(nxt["text"]), index=10, at=T0, sender="stranger", facts={})
    assert a.risk == b.risk


def test_long_conversations_and_messages_are_bounded() -> None:
    lines = [
        {"sender": f"user{i % 60}", "text": f"message {i}: see you at practice, bring the ball"} for i in range(500)
    ]
    lines.append({"sender": "user1", "text": "homework " * 5000})
    start = time.perf_counter()
    score = score_conversation(iter(lines))
    assert time.perf_counter() - start < 10
    assert not score.flagged
    state = ConversationState()
    for i in range(200):
        state, _ = update_conversation(
            state, hits=classify_text("send me a pic"), index=i, at=None, sender=f"s{i}", facts={}
        )
    assert len(state.mass) <= 32 and len(state.evidence) <= MAX_EVIDENCE
    assert len(json.dumps(state.to_dict())) < 20_000


def test_messages_without_senders_or_times_work() -> None:
    score = score_conversation(
        [{"text": "how old r u"}, {"text": "im 12"}, {"text": "dont tell ur parents"}, {"text": "send me a pic of you"}]
    )
    assert score.flagged
    assert score.groomer is None


def test_a_learned_tactic_counts_for_its_weight_a_rule_tactic_in_full() -> None:
    """The learned tier's tactics (no evidence spans) add ``learned_hit_weight`` of their score to the sender's
    tactic mass; the rules' add their whole score; a model without the setting counts both alike."""
    from waakhond.detectors.text.tactics import Span, TacticHit

    rule = TacticHit("age_probe", 0.8, (Span(0, 3, "how"),), "age probe")
    learned = TacticHit("secrecy", 0.8, (), "learned tier: reads as secrecy (0.80)")
    combiner = {"bias": -5.0, "rule": 1.0, "mass": 0.0, "rate": 0.0, "floor": 0.0, "learned_hit_weight": 0.5}

    def mass(comb: dict[str, float] | None) -> dict[str, float]:
        state, _ = update_conversation(ConversationState(), hits={"age_probe": rule, "secrecy": learned}, index=0,
                                       at=None, sender="a", facts={}, combiner=comb)
        return state.mass["a"]

    assert mass(combiner) == {"age_probe": 0.8, "secrecy": 0.4}
    assert mass({k: v for k, v in combiner.items() if k != "learned_hit_weight"}) == {"age_probe": 0.8,
                                                                                      "secrecy": 0.8}
    assert mass(None) == {"age_probe": 0.8, "secrecy": 0.8}


def test_stored_state_is_the_same_in_every_process() -> None:
    """Python orders sets differently in each process (hash randomisation); the stored state must not."""
    import os
    import subprocess
    import sys

    script = (
        "import json\n"
        "from waakhond.detectors.conversation import ConversationState, update_conversation\n"
        "from waakhond.detectors.text.tactics import classify_text\n"
        "s = ConversationState()\n"
        "lines = [('zed', 'how old are you'), ('amy', 'im 13'), ('bob', 'dont tell your mom ok'),\n"
        "         ('kai', 'add me on telegram'), ('amy', 'why'), ('zed', 'are you home alone')]\n"
        "for i, (who, text) in enumerate(lines):\n"
        "    s, _ = update_conversation(s, hits=classify_text(text), index=i, at=None, sender=who, facts={},\n"
        "                               text=text)\n"
        "print(json.dumps(s.to_dict()))\n"
    )
    outs = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                           check=True, capture_output=True, text=True).stdout for seed in ("1", "2", "3", "4")}
    assert len(outs) == 1


def _replay_rule_tier(lines: list[tuple[str, str]]) -> ConversationState:
    state = ConversationState()
    for i, (sender, text) in enumerate(lines):
        state, _ = update_conversation(state, hits=classify_text(text), index=i, at=None, sender=sender, facts={},
                                       stated_ages=stated_ages(text), text=text)
    return state


def test_evidence_must_be_dense_chance_hits_over_hundreds_of_lines_count_less(monkeypatch: Any) -> None:
    """The same four tactic lines spread over 300 ordinary lines count for less than the chance rate of their
    sender's lines; in a short chat they count (almost) whole: ordinary chat trips a tactic now and then, and over
    hundreds of lines such chance hits add up to a grooming arc's breadth."""
    import waakhond.detectors.conversation as cv

    tactics = ["how old are you", "are your parents home", "send me a pic", "lets meet up"]
    ordinary = [("b", "cool"), ("a", "the match was great yesterday, did you watch it")]
    short = [("a", t) for t in tactics]
    long: list[tuple[str, str]] = []
    for k, t in enumerate(tactics):
        long.append(("a", t))
        long.extend(ordinary * 50 if k < len(tactics) - 1 else [])

    def risks() -> tuple[float, float]:
        return _replay_rule_tier(short).sender_risk["a"], _replay_rule_tier(long).sender_risk["a"]

    dense, sparse = risks()
    monkeypatch.setattr(cv, "CHANCE_RATE", 0.0)
    monkeypatch.setattr(cv, "RULE_CHANCE_RATES", {})
    dense_whole, sparse_whole = risks()
    assert abs(dense - dense_whole) < 0.01
    assert sparse < sparse_whole - 0.02
    assert _replay_rule_tier(long).lines["a"] > 100 > _replay_rule_tier(short).lines["a"]


def test_a_state_stored_before_line_counts_counts_its_evidence_whole() -> None:
    state = _replay_rule_tier([("a", "how old are you"), ("a", "send me a pic")] + [("a", "ok")] * 300)
    old = state.to_dict()
    del old["lines"]
    restored = ConversationState.from_dict(old)
    assert restored.lines == {}
    nxt = dict(hits={}, index=400, at=None, sender="b", facts={})
    risk_old = update_conversation(restored, **nxt)[0].sender_risk["a"]  # type: ignore[arg-type]
    risk_new = update_conversation(state, **nxt)[0].sender_risk["a"]  # type: ignore[arg-type]
    assert risk_old > risk_new


def test_words_that_place_a_minor_in_the_chat() -> None:
    from waakhond.detectors.conversation import _minor_context

    assert _minor_context("wait ur only 13??") == 1.0
    assert _minor_context("does your mom check your phone") == 1.0
    assert _minor_context("ugh so much homework") == 0.5  # students of any age have homework
    assert _minor_context("je suis en 4e au collège") == 0.5
    assert _minor_context("i'm applying to college next year") == 0.0  # the English college is no minor's
    assert _minor_context("see you at the game") == 0.0


def test_an_age_told_as_a_memory_or_an_amount_is_not_a_stated_age() -> None:
    assert stated_ages("we moved house when I turned 11") == []
    assert stated_ages("she learned to swim at age 12") == []
    assert stated_ages("the shop gives me 12$ for each shift") == []
    assert stated_ages("an F-16 flew over the town") == [] and stated_ages("take the f9 bus home") == []
    assert stated_ages("my old lamp only has a 60 w bulb in it and the room stays dark") == []
    # what people do say about themselves still counts
    assert stated_ages("im 13") == [13]
    assert stated_ages("13/f/nl") == [13] and stated_ages("f 14") == [14] and stated_ages("14m") == [14]
    assert stated_ages("i just turned 12") == [12] and stated_ages("ik ben 12") == [12]
