"""Moderator accountability: a moderator or room admin who silences the people who report abuse becomes a
case, and the console shows why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from tests.conftest import account, at

from waakhond.events import parse_event
from waakhond.store.schema import CaseRow


def _world(engine: Any) -> None:
    engine.process([parse_event(e) for e in (
        account("rex", 1985), account("mia", 2013), account("fan_jo", 2011), account("spammer", 1990),
        account("hotline", 1970, trusted_flagger=True),
        {"id": "live-1", "kind": "message", "occurred_at": at(0), "sender_id": "fan_jo", "channel": "livestream",
         "room_id": "karaoke-mia", "recipient_ids": ["mia"], "text": "great song!"},
    )])


def _moderate(engine: Any, eid: str, target: str, minutes: float, action: str = "kick", **kw: Any) -> Any:
    [d] = engine.process([parse_event({"id": eid, "kind": "moderation", "occurred_at": at(minutes),
                                       "actor_id": "rex", "actor_role": "room_admin", "action": action,
                                       "target_id": target, **kw})])
    return d


def _signal(decision: Any) -> Any:
    return next((s for s in decision.signals if s.name == "moderator_silences_reporter"), None)


def _case_about(engine: Any, account_id: str) -> CaseRow | None:
    with engine.db.reading() as s:
        return s.scalars(select(CaseRow).where(CaseRow.subject_key == f"account:{account_id}")).first()


def test_kicking_a_reporter_from_a_minors_stream_is_an_urgent_case_about_the_admin(engine: Any) -> None:
    _world(engine)
    engine.process([parse_event({"id": "rep-1", "kind": "report", "occurred_at": at(1), "reporter_id": "fan_jo",
                                 "subject_account_id": "rex", "category": "grooming"})])
    d = _moderate(engine, "mod-1", "fan_jo", 5, room_id="karaoke-mia")
    sig = _signal(d)
    assert sig is not None and sig.score >= 0.8
    assert "had reported rex" in sig.explanation and "minor is streaming" in sig.explanation
    assert d.facts["target_reported_actor"] is True and d.facts["room_streamer_is_minor"] is True
    case = _case_about(engine, "rex")
    assert case is not None and case.priority == "urgent"


def test_banning_a_trusted_flagger_is_a_case(engine: Any) -> None:
    _world(engine)
    d = _moderate(engine, "mod-2", "hotline", 3, action="ban")
    assert _signal(d) is not None and d.facts["target_is_trusted_flagger"] is True
    case = _case_about(engine, "rex")
    assert case is not None and case.priority == "high"


def test_ordinary_moderation_is_not_a_case(engine: Any) -> None:
    _world(engine)
    d = _moderate(engine, "mod-3", "spammer", 3, action="ban", room_id="karaoke-mia")
    assert _signal(d) is None and d.facts["target_reported_abuse_recently"] == 0
    # a report older than 30 days no longer protects, and a warning is not silencing
    engine.process([parse_event({"id": "rep-old", "kind": "report", "occurred_at": at(0, days=-40),
                                 "reporter_id": "spammer", "subject_account_id": "mia", "category": "grooming"})])
    assert _signal(_moderate(engine, "mod-4", "spammer", 4, action="kick")) is None
    assert _signal(_moderate(engine, "mod-5", "fan_jo", 5, action="warn")) is None
    assert _case_about(engine, "rex") is None


def test_a_pattern_of_silencing_reporters_raises_the_score(engine: Any) -> None:
    _world(engine)
    for i, who in enumerate(("fan_jo", "mia")):
        engine.process([parse_event({"id": f"rep-{who}", "kind": "report", "occurred_at": at(i),
                                     "reporter_id": who, "subject_account_id": "spammer", "category": "sextortion"})])
    first = _signal(_moderate(engine, "mod-6", "fan_jo", 10, action="mute"))
    second = _signal(_moderate(engine, "mod-7", "mia", 11, action="mute"))
    assert first is not None and second is not None and second.score > first.score
    assert "1 other reporter(s) silenced" in second.explanation


def test_the_console_shows_why_the_moderator_is_a_case(as_user: Any, world: Any) -> None:
    # fan_jo reported bigfan99 in the demo world (day 0); a recent report makes fan_jo a protected reporter
    world.process([parse_event({"id": "rep-fresh", "kind": "report", "occurred_at": "2026-11-02T17:00:00+00:00",
                                "reporter_id": "fan_jo", "subject_account_id": "bigfan99", "category": "grooming"}),
                   parse_event({"id": "mod-x", "kind": "moderation", "occurred_at": "2026-11-02T17:05:00+00:00",
                                "actor_id": "choir_teacher", "actor_role": "room_admin", "action": "kick",
                                "target_id": "fan_jo", "room_id": "karaoke-mia"})])
    case = _case_about(world, "choir_teacher")
    assert case is not None
    html = as_user("mo").get(f"/console/cases/{case.id}").text
    assert "moderator silences reporter" in html and "minor is streaming" in html
    assert "<li>fan_jo" in html  # the silenced reporter is shown among the participants


def test_the_demo_shows_a_moderator_case(engine: Any, media_dir: Any) -> None:
    from waakhond.console.demo import demo_accountability, demo_media
    from waakhond.demo.world import demo_events

    engine.process(demo_events())
    demo_media(engine)
    demo_accountability(engine)
    demo_accountability(engine)  # loading twice changes nothing
    case = _case_about(engine, "room_mod_max")
    assert case is not None and case.priority == "urgent"
