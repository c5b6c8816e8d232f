"""The shipped default rules behave as documented, on hand-built signals and facts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waakhond.actions.model import Action, ActionType
from waakhond.detectors.base import Signal
from waakhond.detectors.text.labels import TACTICS
from waakhond.memory.facts import FACTS
from waakhond.policy import Policy, PolicyResult

DEFAULTS = Policy.load()


def facts(**given: Any) -> dict[str, Any]:
    """Every fact in FACTS, unknown unless given, as memory hands them over."""
    unknown = set(given) - set(FACTS)
    assert not unknown, unknown
    return {name: given.get(name) for name in FACTS}


def people(sender_age: int | None, recipient_age: int | None, **more: Any) -> dict[str, Any]:
    """Facts of a message from someone of ``sender_age`` to someone of ``recipient_age`` (None: unknown)."""
    base: dict[str, Any] = {
        "kind": "message",
        "channel": "dm",
        "sender_age": sender_age,
        "sender_is_adult": None if sender_age is None else sender_age >= 18,
        "sender_is_minor": None if sender_age is None else sender_age < 18,
        "sender_age_unknown": sender_age is None,
        "recipient_age": recipient_age,
        "recipient_is_minor": None if recipient_age is None else recipient_age < 18,
        "age_gap": None if sender_age is None or recipient_age is None else sender_age - recipient_age,
        "recipient_language": "en",
        "is_first_contact": False,
        "is_stranger": False,
        "conversation_alert": False,
    }
    base.update(more)
    return facts(**base)


def decide(f: dict[str, Any], **scores: float) -> PolicyResult:
    result = DEFAULTS.evaluate([Signal(name, score, "test") for name, score in scores.items()], f)
    assert result.errors == ()
    return result


def kinds(result: PolicyResult) -> list[str]:
    return [a.type.value for a in result.actions]


def action(result: PolicyResult, kind: ActionType) -> Action:
    return next(a for a in result.actions if a.type is kind)


def priority(result: PolicyResult) -> str:
    return str(action(result, ActionType.queue_case).params["priority"])


def topic(result: PolicyResult) -> str:
    return str(action(result, ActionType.nudge_recipient).params["topic"])


# ---------------------------------------------------------------------------------------------- ordinary chat


def test_classmates_chatting_is_allowed_without_any_action() -> None:
    # "wanna play after school?" between two classmates: both minors, friends, no tactic above noise.
    result = decide(people(12, 11), compliment=0.2, age_probe=0.1)
    assert result.verdict is ActionType.allow
    assert result.actions == ()
    assert result.hits == ()


def test_two_adults_talking_about_age_is_allowed() -> None:
    result = decide(people(34, 29, is_stranger=True, is_first_contact=True), age_probe=0.9)
    assert result.verdict is ActionType.allow
    assert result.hits == ()


def test_no_facts_and_no_signals_is_allowed() -> None:
    assert decide(facts()).actions == ()
    assert decide({}).actions == ()


def test_weak_tactic_scores_do_nothing() -> None:
    result = decide(people(40, 11, is_stranger=True), age_probe=0.3, secrecy=0.4, image_request=0.45)
    assert result.actions == ()


# ---------------------------------------------------------------------------------------------- strangers


def test_adult_stranger_asking_an_11_year_old_her_age_gets_a_nudge() -> None:
    # "how old are you?" from a 34-year-old stranger to an 11-year-old.
    result = decide(people(34, 11, is_stranger=True, recipient_language="nl"), age_probe=0.9)
    assert result.verdict is ActionType.nudge_recipient
    assert kinds(result) == ["nudge_recipient"]
    nudge = action(result, ActionType.nudge_recipient)
    assert nudge.params["topic"] == "age_probe"
    assert nudge.params["language"] == "nl"
    assert "leeftijd" in nudge.params["message"]
    assert "stranger_probe_to_minor" in result.explanation
    assert "tactic age_probe 0.90" in result.explanation


def test_same_question_from_a_classmate_is_not_nudged() -> None:
    assert decide(people(12, 11), age_probe=0.9).actions == ()


def test_unknown_age_stranger_moving_to_another_app_gets_a_nudge_but_no_case() -> None:
    # "add me on Telegram" from a stranger without an age.
    result = decide(people(None, 13, is_stranger=True), off_platform=0.85)
    assert kinds(result) == ["nudge_recipient"]
    assert topic(result) == "off_platform"


def test_adult_stranger_checking_for_parents_is_nudged_and_queued() -> None:
    # "are your parents home?"
    result = decide(people(41, 12, is_stranger=True), risk_check=0.8)
    assert kinds(result) == ["nudge_recipient", "queue_case"]
    assert topic(result) == "risk_check"
    assert priority(result) == "normal"


def test_adult_stranger_asking_for_secrecy_and_a_meeting_nudges_about_the_strongest() -> None:
    # "don't tell your mum" + "I can pick you up after school"
    result = decide(people(38, 13, is_stranger=True), secrecy=0.6, meeting=0.9)
    assert topic(result) == "meeting"
    assert priority(result) == "normal"


def test_pressure_from_a_stranger_is_nudged() -> None:
    result = decide(people(25, 14, is_stranger=True), pressure=0.7)
    assert topic(result) == "pressure"


def test_adult_strangers_first_dm_to_a_minor_gets_a_stranger_nudge() -> None:
    result = decide(people(30, 12, is_stranger=True, is_first_contact=True, recipient_language="de"))
    assert kinds(result) == ["nudge_recipient"]
    assert topic(result) == "stranger_contact"
    assert action(result, ActionType.nudge_recipient).params["language"] == "de"


def test_adult_strangers_friend_request_to_a_minor_gets_a_stranger_nudge() -> None:
    f = people(
        30,
        12,
        kind="contact",
        channel="",
        contact_action="friend_request",
        is_stranger=True,
        is_first_contact=True,
    )
    assert topic(decide(f)) == "stranger_contact"
    follow = dict(f, contact_action="follow")
    assert decide(follow).actions == ()


def test_first_contact_in_a_group_or_between_minors_gets_no_stranger_nudge() -> None:
    assert decide(people(30, 12, channel="group", is_stranger=True, is_first_contact=True)).actions == ()
    assert decide(people(13, 12, is_stranger=True, is_first_contact=True)).actions == ()


def test_tactic_nudge_wins_over_the_generic_stranger_nudge() -> None:
    result = decide(people(30, 12, is_stranger=True, is_first_contact=True), personal_info=0.9)
    assert topic(result) == "personal_info"
    assert {h.rule for h in result.hits} == {"stranger_probe_to_minor", "adult_stranger_first_contact"}


# ---------------------------------------------------------------------------------------------- severe harm


def test_known_abuse_media_is_blocked_queued_urgently_and_a_report_prepared() -> None:
    f = facts(kind="media", media_purpose="message_attachment")  # no age needed for a hash match
    result = decide(f, known_media=1.0)
    assert result.verdict is ActionType.block_delivery
    assert kinds(result) == ["block_delivery", "queue_case", "prepare_report"]
    assert priority(result) == "urgent"


def test_sextortion_of_a_minor_is_blocked_with_an_urgent_case_and_a_nudge() -> None:
    # "pay me or I send your photos to your friends"
    result = decide(people(None, 14, recipient_language="nl"), sextortion=0.95)
    assert result.verdict is ActionType.block_delivery
    assert kinds(result) == ["nudge_recipient", "block_delivery", "queue_case"]
    assert priority(result) == "urgent"
    nudge = action(result, ActionType.nudge_recipient)
    assert nudge.params["topic"] == "sextortion"
    assert "niet jouw schuld" in nudge.params["message"]


def test_sextortion_when_the_recipient_age_is_unknown_is_held() -> None:
    result = decide(people(None, None), sextortion=0.8)
    assert kinds(result) == ["hold_message", "queue_case"]
    assert priority(result) == "high"
    assert decide(people(None, None), sextortion=0.6).actions == ()  # needs a stronger signal
    assert decide(people(None, 30), sextortion=0.9).actions == ()  # adults: outside this policy


def test_adult_asking_a_minor_for_pictures_is_held_with_an_urgent_case() -> None:
    result = decide(people(45, 12), image_request=0.8)  # even when they know each other
    assert result.verdict is ActionType.hold_message
    assert kinds(result) == ["nudge_recipient", "hold_message", "queue_case"]
    assert priority(result) == "urgent"
    assert topic(result) == "image_request"


def test_sexual_talk_from_an_unknown_age_sender_to_a_minor_is_held_with_a_high_case() -> None:
    result = decide(people(None, 13), sexual_content=0.7)
    assert result.verdict is ActionType.hold_message
    assert priority(result) == "high"
    assert topic(result) == "sexual_content"


def test_sexual_requests_between_minors_are_only_measured() -> None:
    result = decide(people(15, 14), image_request=0.9)
    assert result.actions == ()
    assert [(h.rule, h.shadow) for h in result.hits] == [("sexual_request_between_minors", True)]


def test_gift_for_a_picture_is_held_and_nudged_about_the_trade() -> None:
    # "500 coins if you turn on your camera" from an unknown-age account, on a gift note.
    f = people(None, 12, kind="gift", channel="", gift_amount=500.0)
    result = decide(f, reward_offer=0.9, image_request=0.7)
    assert result.verdict is ActionType.hold_message
    assert topic(result) == "reward_offer"
    assert priority(result) == "high"
    assert {h.rule for h in result.hits} >= {
        "reward_for_images_to_minor",
        "sexual_request_unknown_age_to_minor",
    }


def test_gift_for_a_picture_from_an_adult_is_urgent() -> None:
    result = decide(people(52, 12, channel="livestream"), reward_offer=0.9, image_request=0.7)
    assert priority(result) == "urgent"
    assert topic(result) == "reward_offer"


def test_a_points_offer_alone_is_not_held() -> None:
    assert decide(people(30, 12), reward_offer=0.9).actions == ()


# ---------------------------------------------------------------------------------------------- conversations


def test_conversation_alert_with_a_minor_queues_a_high_case() -> None:
    result = decide(people(16, 13, conversation_alert=True, conversation_alerted=True))
    assert kinds(result) == ["queue_case"]
    assert priority(result) == "high"


def test_conversation_alert_with_an_adult_stranger_also_restricts_contact() -> None:
    result = decide(people(29, 12, is_stranger=True, conversation_alert=True, conversation_alerted=True))
    assert kinds(result) == ["nudge_recipient", "restrict_contact", "queue_case"]
    assert action(result, ActionType.restrict_contact).params == {"hours": 72}
    assert priority(result) == "high"
    assert topic(result) == "stranger_contact"


def test_an_alert_fires_once_not_on_every_later_message() -> None:
    assert decide(people(29, 12, conversation_alert=False, conversation_alerted=True)).actions == ()


# ---------------------------------------------------------------------------------------------- reports


@pytest.mark.parametrize(
    ("category", "trusted", "expected"),
    [
        ("grooming", False, "normal"),
        ("sextortion", False, "normal"),
        ("sexual_comment_on_minor", False, "normal"),
        ("csam", False, "high"),
        ("grooming", True, "high"),
        ("sextortion", True, "high"),
        ("csam", True, "urgent"),
    ],
)
def test_child_safety_reports_are_queued_higher_from_trusted_flaggers(
    category: str, trusted: bool, expected: str
) -> None:
    f = facts(kind="report", report_category=category, reporter_is_trusted_flagger=trusted)
    result = decide(f)
    assert kinds(result) == ["queue_case"]
    assert priority(result) == expected
    assert result.verdict is ActionType.allow  # a report delivers nothing; it asks for review


@pytest.mark.parametrize("category", ["spam", "harassment", "impersonation", "other"])
def test_other_reports_are_left_to_the_platform(category: str) -> None:
    assert (
        decide(facts(kind="report", report_category=category, reporter_is_trusted_flagger=True)).actions == ()
    )


# ---------------------------------------------------------------------------------------------- whole file


#: One event per default rule that makes exactly that rule fire (among others); keeps new rules tested.
SCENARIOS: dict[str, tuple[dict[str, Any], dict[str, float]]] = {
    "known_abuse_media": (facts(kind="media"), {"known_media": 1.0}),
    "known_media_quarantined_entry": (facts(kind="media"), {"known_media_quarantined": 1.0}),
    "protected_or_banned_photo_reuse": (facts(kind="account"), {"photo_reuse": 0.95}),
    "photo_reuse_other_account": (facts(kind="account"), {"photo_reuse": 0.6}),
    "sextortion_to_minor": (people(None, 14), {"sextortion": 0.9}),
    "sextortion_recipient_age_unknown": (people(None, None), {"sextortion": 0.9}),
    "reward_for_images_to_minor": (people(30, 12), {"reward_offer": 0.9, "image_request": 0.9}),
    "sexual_request_adult_to_minor": (people(30, 12), {"sexual_content": 0.9}),
    "sexual_request_unknown_age_to_minor": (people(None, 12), {"image_request": 0.9}),
    "sexual_request_between_minors": (people(14, 14), {"sexual_content": 0.9}),
    "conversation_alert_minor": (people(15, 12, conversation_alert=True), {}),
    "conversation_alert_adult_stranger": (people(30, 12, is_stranger=True, conversation_alert=True), {}),
    "alerted_conversation_risky_line": (people(30, 12, conversation_alerted=True), {"risk_check": 0.9}),
    "stranger_probe_to_minor": (people(None, 12, is_stranger=True), {"age_probe": 0.9}),
    "adult_stranger_risky_ask_to_minor": (people(30, 12, is_stranger=True), {"secrecy": 0.9}),
    "adult_stranger_first_contact": (people(30, 12, is_stranger=True, is_first_contact=True), {}),
    "child_safety_report": (facts(kind="report", report_category="grooming"), {}),
    "csam_report": (facts(kind="report", report_category="csam"), {}),
    "trusted_flagger_child_safety_report": (
        facts(kind="report", report_category="grooming", reporter_is_trusted_flagger=True),
        {},
    ),
    "trusted_flagger_csam_report": (
        facts(kind="report", report_category="csam", reporter_is_trusted_flagger=True),
        {},
    ),
    # account behaviour, livestreams and comments (issue 6; detectors tested in tests/behaviour)
    "risky_first_contact_to_minor": (people(30, 12, is_first_contact=True), {"faceless_new_account": 0.6}),
    "mass_first_contact_to_minors": (people(30, 12, is_first_contact=True), {"mass_minor_contact": 0.7}),
    "mass_first_contact_restrict": (people(30, 12, is_first_contact=True), {"mass_minor_contact": 0.9}),
    "hashtag_targeting_of_minors": (people(30, 12, is_first_contact=True), {"hashtag_targeting": 0.6}),
    "repeatedly_reported_or_blocked_by_minors": (people(30, 12), {"reported_by_minors": 0.6}),
    "faceless_new_account_to_minors": (people(30, 12, is_first_contact=True), {"faceless_new_account": 0.7}),
    "gift_with_request_to_minor": (people(30, 12, kind="gift"), {"gift_with_request": 0.8}),
    "ban_evasion": (facts(kind="account"), {"ban_evasion": 0.8}),
    "ban_evasion_suspend": (facts(kind="account"), {"ban_evasion": 0.95}),
    "ban_evasion_weak_link": (facts(kind="account"), {"ban_evasion": 0.55}),
    "stream_orders_to_minor": (people(30, 12, channel="livestream"), {"stream_command": 0.8}),
    "conditional_gift_on_minor_stream": (people(30, 12, channel="livestream"), {"conditional_gift": 0.8}),
    "sexualised_comment_on_minor": (people(30, 12, channel="comment"), {"sexualised_comment": 0.8}),
    "channel_ad_to_minor": (people(30, 12, channel="comment"), {"channel_ad": 0.8}),
    "risky_viewer_in_minor_stream": (people(30, 12, channel="livestream"), {"viewer_risk": 0.85}),
    "risky_viewer_restrict": (people(30, 12, channel="livestream"), {"viewer_risk": 0.95}),
    "risky_minor_stream": (people(30, 12, channel="livestream"), {"room_risk": 0.95}),
    # moderator accountability (issue 5; detector tested in tests/console/test_accountability.py)
    "moderator_silences_reporter": (
        facts(kind="moderation", moderation_action="ban", target_reported_abuse_recently=1),
        {"moderator_silences_reporter": 0.6},
    ),
    "moderator_silences_reporter_in_minor_stream": (
        facts(kind="moderation", moderation_action="kick", room_streamer_is_minor=True),
        {"moderator_silences_reporter": 0.8},
    ),
}


def test_every_default_rule_has_a_scenario() -> None:
    assert set(SCENARIOS) == {r.name for r in DEFAULTS.rules}


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_scenario_fires_its_rule(rule: str) -> None:
    f, scores = SCENARIOS[rule]
    assert rule in {h.rule for h in decide(f, **scores).hits}


def test_defaults_are_documented_and_enforced() -> None:
    assert DEFAULTS.mode == "enforce"
    for rule in DEFAULTS.rules:
        assert rule.description, rule.name
    assert [r.name for r in DEFAULTS.rules if r.shadow] == [
        "sexual_request_between_minors", "mass_first_contact_restrict", "ban_evasion_suspend",
        "photo_reuse_other_account", "ban_evasion_weak_link", "channel_ad_to_minor", "risky_viewer_restrict",
    ]


fact_values = {
    bool: st.none() | st.booleans(),
    int: st.none() | st.integers(min_value=0, max_value=120),
    float: st.none() | st.floats(min_value=0, max_value=1),
    str: st.none() | st.sampled_from(["message", "report", "dm", "csam", "grooming", "dm_request", "nl", ""]),
}
any_facts = st.fixed_dictionaries({name: fact_values[f.type] for name, f in FACTS.items()})
any_signals = st.lists(
    st.builds(
        Signal,
        name=st.sampled_from([*TACTICS, "known_media", "conversation_risk"]),
        score=st.floats(min_value=0, max_value=1),
        explanation=st.just("generated"),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(f=any_facts, signals=any_signals)
def test_any_well_typed_input_gets_a_consistent_decision(f: dict[str, Any], signals: list[Signal]) -> None:
    result = DEFAULTS.evaluate(signals, f)
    assert result.errors == ()
    types = [a.type for a in result.actions]
    assert len(types) == len(set(types))
    enforced = [h for h in result.hits if not h.shadow]
    assert bool(enforced) == bool(result.actions)
    for a in result.actions:
        assert any(a.rule == h.rule for h in enforced)
    if ActionType.nudge_recipient in types:
        nudge = next(a for a in result.actions if a.type is ActionType.nudge_recipient)
        assert nudge.params["message"]


def test_evaluating_all_default_rules_costs_microseconds() -> None:
    f = people(34, 11, is_stranger=True)
    signals = [Signal("age_probe", 0.9, "x"), Signal("compliment", 0.4, "y")]
    DEFAULTS.evaluate(signals, f)
    runs = 2_000
    start = time.perf_counter()
    for _ in range(runs):
        DEFAULTS.evaluate(signals, f)
    per_event = (time.perf_counter() - start) / runs
    assert per_event < 500e-6, f"{per_event * 1e6:.0f} µs per event for {len(DEFAULTS.rules)} rules"


def test_an_alerted_conversation_keeps_holding_the_adults_risky_lines() -> None:
    held = decide(people(30, 12, conversation_alerted=True), risk_check=0.9)
    assert held.verdict is ActionType.hold_message and priority(held) == "high"
    # the child's own lines, ordinary lines, and conversations between minors are not held
    assert decide(people(12, 30, conversation_alerted=True), age_probe=0.9).verdict is ActionType.allow
    assert decide(people(30, 12, conversation_alerted=True)).verdict is ActionType.allow
    between_minors = decide(people(14, 13, conversation_alerted=True), compliment=0.9)
    assert "alerted_conversation_risky_line" not in [h.rule for h in between_minors.hits]
