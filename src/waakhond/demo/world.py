"""A small demo world: a karaoke livestream, a few DMs, one grooming conversation escalating over days,
and a benign chat between two classmates. Non-graphic by design: the grooming lines show *tactics* in
plain words (an age question, a secrecy request, a move to another app, a points offer, pressure).

Loading it twice changes nothing (event ids are fixed and the engine is idempotent).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from waakhond.events import Event, parse_event
from waakhond.store.schema import CaseRow, ConversationRow, EventRow

START = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


def _at(day: int, minute: int = 0) -> str:
    return (START + timedelta(days=day, minutes=minute)).isoformat()


def _account(aid: str, birth_year: int | None, lang: str, created_days_before: int, *, photo: bool = True,
             band: str | None = None, followers: int = 10, following: int = 10, posts: int = 5) -> dict[str, Any]:
    e: dict[str, Any] = {
        "id": f"demo-account-{aid}", "kind": "account", "occurred_at": _at(-created_days_before),
        "account_id": aid, "created_at": _at(-created_days_before), "language": lang,
        "counts": {"followers": followers, "following": following, "posts": posts},
    }
    if birth_year is not None:
        e["birth_year"] = birth_year
    if band is not None:
        e["age_band"] = band
    if photo:
        e["profile_photo"] = {"media_id": f"photo-{aid}"}
    return e


def _dm(n: str, sender: str, recipient: str, day: int, minute: int, text: str) -> dict[str, Any]:
    return {"id": f"demo-{n}", "kind": "message", "occurred_at": _at(day, minute), "sender_id": sender,
            "recipient_ids": [recipient], "channel": "dm", "text": text}


def _live(n: str, sender: str, minute: int, text: str) -> dict[str, Any]:
    return {"id": f"demo-live-{n}", "kind": "message", "occurred_at": _at(0, minute), "sender_id": sender,
            "channel": "livestream", "room_id": "karaoke-mia", "recipient_ids": ["mia"], "text": text}


def demo_raw() -> list[dict[str, Any]]:
    """The demo events as JSON values (what a platform would send)."""
    ev: list[dict[str, Any]] = [
        _account("mia", 2013, "en", 400),                   # streamer, 12–13
        _account("lotte", 2014, "en", 300),                 # the child in the grooming conversation
        _account("sam", 2014, "en", 350),                   # classmates sam and noor
        _account("noor", 2014, "nl", 340),
        _account("emma", 2013, "nl", 200),                  # Dutch child receiving a stranger's age question
        _account("fan_jo", 2012, "en", 150),
        _account("choir_teacher", 1979, "en", 900, followers=300, following=80, posts=120),
        _account("ghost_rider", 1987, "en", 3, photo=False, followers=2, following=847, posts=1),
        _account("bigfan99", None, "en", 10, band="adult", photo=False, followers=0, following=312, posts=0),
        _account("onbekende_man", 1983, "nl", 5, photo=False, followers=1, following=400, posts=0),
        # classmates follow each other
        {"id": "demo-follow-1", "kind": "contact", "occurred_at": _at(-200), "actor_id": "sam",
         "target_id": "noor", "action": "follow"},
        {"id": "demo-follow-2", "kind": "contact", "occurred_at": _at(-200, 5), "actor_id": "noor",
         "target_id": "sam", "action": "follow"},
        {"id": "demo-follow-3", "kind": "contact", "occurred_at": _at(-1), "actor_id": "ghost_rider",
         "target_id": "lotte", "action": "follow"},
        # the karaoke livestream of mia
        _live("1", "fan_jo", 1, "great cover!! 🎤"),
        _live("2", "choir_teacher", 2, "Lovely breath control, well done Mia"),
        _live("3", "fan_jo", 3, "sing the next one pls"),
        _live("4", "bigfan99", 4, "turn your camera closer and do a dance for me, I'll send 500 coins"),
        {"id": "demo-gift-1", "kind": "gift", "occurred_at": _at(0, 5), "sender_id": "bigfan99",
         "recipient_id": "mia", "amount": 500, "currency": "coins", "room_id": "karaoke-mia",
         "note": "more coins if you show yourself on camera for me"},
        _live("5", "fan_jo", 6, "lol your cat is in the background 😂"),
        {"id": "demo-report-1", "kind": "report", "occurred_at": _at(0, 7), "reporter_id": "fan_jo",
         "subject_account_id": "bigfan99", "subject_event_id": "demo-live-4", "category": "grooming"},
        # classmates: benign
        _dm("c1", "sam", "noor", 1, 0, "did you finish the math homework?"),
        _dm("c2", "noor", "sam", 1, 2, "yes, question 4 was so hard"),
        _dm("c3", "sam", "noor", 1, 3, "lol same. are you coming to practice tomorrow?"),
        _dm("c4", "noor", "sam", 1, 5, "yes! my mom can drive us both"),
        _dm("c5", "sam", "noor", 1, 6, "cool, see you at school. don't forget your gym bag"),
        _dm("c6", "noor", "sam", 1, 8, "haha ok. did you see mia's stream? she sang so well"),
        # the grooming conversation, escalating over days
        _dm("g1", "ghost_rider", "lotte", 0, 30, "hey! I saw your singing video, you have a really nice voice"),
        _dm("g2", "lotte", "ghost_rider", 0, 40, "thank you!"),
        _dm("g3", "ghost_rider", "lotte", 0, 41, "how old are you?"),
        _dm("g4", "lotte", "ghost_rider", 0, 45, "12"),
        _dm("g5", "ghost_rider", "lotte", 0, 46, "you seem so mature for your age, and you're really pretty"),
        _dm("g6", "ghost_rider", "lotte", 1, 0, "are your parents home right now? do they check your phone?"),
        _dm("g7", "lotte", "ghost_rider", 1, 10, "no they are at work"),
        _dm("g8", "ghost_rider", "lotte", 1, 11, "let's keep our chats just between us ok? don't tell anyone"),
        _dm("g9", "ghost_rider", "lotte", 2, 0, "add me on snap, it's easier to talk there"),
        _dm("g10", "ghost_rider", "lotte", 2, 2, "I can send you 1000 coins if you send me a pic of you"),
        _dm("g11", "lotte", "ghost_rider", 2, 10, "i don't know..."),
        _dm("g12", "ghost_rider", "lotte", 2, 11, "come on, just once, everyone does it"),
        _dm("g13", "ghost_rider", "lotte", 3, 0, "we could meet at the mall on saturday, I can pick you up"),
        # a Dutch stranger's first contact: the nudge comes in Dutch
        _dm("n1", "onbekende_man", "emma", 1, 30, "hoi, hoe oud ben je eigenlijk?"),
    ]
    return ev


def demo_events() -> list[Event]:
    return [parse_event(e) for e in demo_raw()]


def summarise(engine: Any) -> dict[str, Any]:
    with engine.db.reading() as s:
        convs = s.scalars(select(ConversationRow).order_by(ConversationRow.risk.desc())).all()
        return {
            "events": s.scalar(select(func.count()).select_from(EventRow)),
            "open_cases": s.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.status == "open")),
            "conversations": [
                {"conversation_id": c.id, "message_count": c.message_count, "risk": round(c.risk, 3),
                 "alerted": c.alerted, "tactics": sorted((c.state or {}).get("tactic_counts", {}))}
                for c in convs
            ],
        }
