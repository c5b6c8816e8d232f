"""Account-behaviour signals end to end: events through the engine, signals with the events that support them,
and the default rules that act on them. Lines show tactics in plain, non-graphic words."""

from __future__ import annotations

from typing import Any

from tests.conftest import account, at, dm

from waakhond.events import parse_batch
from waakhond.pipeline import Engine

ADULT, CHILD = 1988, 2014


def run(engine: Engine, *events: dict[str, Any]) -> list[Any]:
    return engine.process(parse_batch(list(events)))


def follow(eid: str, actor: str, target: str, minutes: float = 0, hashtag: str | None = None,
           action: str = "follow") -> dict[str, Any]:
    e: dict[str, Any] = {"id": eid, "kind": "contact", "occurred_at": at(minutes), "actor_id": actor,
                         "target_id": target, "action": action}
    if hashtag:
        e["hashtag"] = hashtag
    return e


def children(n: int, prefix: str = "kid", lang: str = "en") -> list[dict[str, Any]]:
    return [account(f"{prefix}{i}", CHILD, language=lang) for i in range(n)]


def signal(decision: Any, name: str) -> Any:
    return next((s for s in decision.signals if s.name == name), None)


def rules(decision: Any) -> set[str]:
    return {h.rule for h in decision.rules}


# ---------------------------------------------------------------------------------------------- many minors


def test_following_many_children_in_an_hour_with_one_post_is_flagged_with_the_contacts(engine: Engine) -> None:
    run(engine, *children(12), account("collector", ADULT, counts={"followers": 3, "following": 847, "posts": 1}))
    decisions = run(engine, *[follow(f"f{i}", "collector", f"kid{i}", minutes=i * 4) for i in range(12)])
    assert signal(decisions[2], "mass_minor_contact") is None  # three children is nothing yet
    last = signal(decisions[-1], "mass_minor_contact")
    assert last is not None and last.score >= 0.7
    assert "847" in last.explanation
    assert set(last.related["events"]) == {f"f{i}" for i in range(12)}
    assert "kid0" in last.related["accounts"]
    assert "mass_first_contact_to_minors" in rules(decisions[-1])
    assert any(a.type.value == "queue_case" for a in decisions[-1].actions)
    # the child gets a kind message about the account, not about herself
    nudge = next(a for a in decisions[-1].actions if a.type.value == "nudge_recipient")
    assert nudge.params["topic"] == "risky_contact"


def test_a_child_following_her_classmates_is_not_flagged(engine: Engine) -> None:
    run(engine, *children(12), account("popular_kid", 2013, counts={"followers": 80, "following": 300, "posts": 2}))
    decisions = run(engine, *[follow(f"f{i}", "popular_kid", f"kid{i}", minutes=i) for i in range(12)])
    assert all(signal(d, "mass_minor_contact") is None for d in decisions)
    assert all(d.actions == () for d in decisions)


def test_the_same_contacts_spread_over_months_are_not_flagged(engine: Engine) -> None:
    run(engine, *children(8), account("coach", ADULT))
    decisions = run(engine, *[follow(f"f{i}", "coach", f"kid{i}", minutes=i * 60 * 24 * 14) for i in range(8)])
    assert all(signal(d, "mass_minor_contact") is None for d in decisions)


# ---------------------------------------------------------------------------------------------- hashtags


def comment(eid: str, sender: str, text: str, minutes: float, content: str = "video1",
            owner: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"id": eid, "kind": "message", "occurred_at": at(minutes), "sender_id": sender,
                         "channel": "comment", "content_id": content, "text": text}
    if owner:
        e["content_owner_id"] = owner
    return e


def test_contacting_children_right_after_they_used_a_hashtag_is_flagged(engine: Engine) -> None:
    run(engine, *children(3), account("trawler", ADULT))
    run(engine, comment("c0", "kid0", "my try at the #DanceChallenge", 0, "v0", "kid0"),
        comment("c1", "kid1", "#dancechallenge day 2", 5, "v1", "kid1"))
    first, second, unrelated = run(
        engine, follow("t0", "trawler", "kid0", 20, hashtag="#dancechallenge"),
        follow("t1", "trawler", "kid1", 30, hashtag="dancechallenge"),
        follow("t2", "trawler", "kid2", 40, hashtag="dancechallenge"),  # kid2 never used it
    )
    one = signal(first, "hashtag_targeting")
    assert one is not None and one.score < 0.55 and "c0" in one.related["events"]
    two = signal(second, "hashtag_targeting")
    assert two is not None and two.score >= 0.55
    assert {"t0", "t1"} <= set(two.related["events"]) and {"kid0", "kid1"} <= set(two.related["accounts"])
    assert "hashtag_targeting_of_minors" in rules(second)
    assert signal(unrelated, "hashtag_targeting") is None


def test_a_hashtag_used_a_week_ago_does_not_count(engine: Engine) -> None:
    run(engine, *children(1), account("late", ADULT))
    run(engine, comment("c0", "kid0", "#slimechallenge", 0, "v0", "kid0"))
    [d] = run(engine, follow("t0", "late", "kid0", 60 * 24 * 7, hashtag="slimechallenge"))
    assert signal(d, "hashtag_targeting") is None


# ---------------------------------------------------------------------------------------------- faceless, reports


def test_new_account_without_photo_writing_to_children_gets_the_child_a_nudge_in_her_language(engine: Engine) -> None:
    run(engine, *children(3, lang="nl"), account("blank", ADULT, created_at=at(-60 * 24)))
    decisions = run(engine, *[dm(f"d{i}", "blank", f"kid{i}", "hoi, leuke video", minutes=i * 10) for i in range(3)])
    s = signal(decisions[-1], "faceless_new_account")
    assert s is not None and s.score >= 0.5 and set(s.related["events"]) == {"d0", "d1", "d2"}
    nudge = next(a for a in decisions[-1].actions if a.type.value == "nudge_recipient")
    assert nudge.params["topic"] == "risky_contact" and nudge.params["language"] == "nl"
    assert "Pas op" in nudge.params["message"]


def test_an_account_with_a_photo_is_not_faceless(engine: Engine) -> None:
    run(engine, *children(3), account("aunt", ADULT, created_at=at(-60 * 24), profile_photo={"media_id": "p1"}))
    decisions = run(engine, *[dm(f"d{i}", "aunt", f"kid{i}", "happy birthday!", minutes=i) for i in range(3)])
    assert all(signal(d, "faceless_new_account") is None for d in decisions)


def test_an_account_blocked_and_reported_by_several_children_is_queued_high(engine: Engine) -> None:
    run(engine, *children(4), account("pest", ADULT, profile_photo={"media_id": "p"}))
    run(engine, follow("b0", "kid0", "pest", 1, action="block"),
        {"id": "r1", "kind": "report", "occurred_at": at(2), "reporter_id": "kid1", "subject_account_id": "pest",
         "category": "harassment"})
    [d] = run(engine, dm("m1", "pest", "kid2", "hey", minutes=10))
    s = signal(d, "reported_by_minors")
    assert s is not None and set(s.related["events"]) == {"b0", "r1"} and set(s.related["accounts"]) == {"kid0", "kid1"}
    case = next(a for a in d.actions if a.type.value == "queue_case")
    assert case.params["priority"] == "high"


def test_one_block_is_not_a_pattern(engine: Engine) -> None:
    run(engine, *children(2), account("ex_friend", 2013))
    run(engine, follow("b0", "kid0", "ex_friend", 1, action="block"))
    [d] = run(engine, dm("m1", "ex_friend", "kid1", "hey", minutes=10))
    assert signal(d, "reported_by_minors") is None


# ---------------------------------------------------------------------------------------------- gifts


def gift(eid: str, sender: str, recipient: str, minutes: float, note: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"id": eid, "kind": "gift", "occurred_at": at(minutes), "sender_id": sender,
                         "recipient_id": recipient, "amount": 300, "currency": "points"}
    if note:
        e["note"] = note
    return e


def test_a_gift_right_after_asking_a_child_for_a_picture_is_held_and_linked_to_the_request(engine: Engine) -> None:
    run(engine, *children(1), account("giver", ADULT, profile_photo={"media_id": "p"}))
    run(engine, dm("ask", "giver", "kid0", "send me a pic of you", minutes=0))
    [d] = run(engine, gift("g1", "giver", "kid0", 30))
    s = signal(d, "gift_with_request")
    assert s is not None and s.related["events"] == ["g1", "ask"]
    assert d.verdict.value == "hold_message"
    assert "gift_with_request_to_minor" in rules(d)


def test_a_birthday_gift_without_a_request_is_delivered(engine: Engine) -> None:
    run(engine, *children(1), account("grandma", 1950, profile_photo={"media_id": "p"}))
    run(engine, dm("hi", "grandma", "kid0", "happy birthday sweetheart", minutes=0))
    [d] = run(engine, gift("g1", "grandma", "kid0", 30, note="for your birthday"))
    assert signal(d, "gift_with_request") is None and d.verdict.value == "allow"
