"""What memory knows about the target of a moderation action, so the engine can watch the watchers.

A room admin or moderator who bans or kicks the people who report abuse — or removes reporters from a
livestream where a minor is streaming — silences exactly the voices a child-safety system depends on.
:func:`moderation_facts` gives the detector in :mod:`waakhond.detectors.accountability` the facts it needs,
as they stand *before* the moderation event.

    >>> facts = moderation_facts(memory, ban_event)             # doctest: +SKIP
    >>> facts["target_reported_abuse_recently"], facts["target_reported_actor"]    # doctest: +SKIP
    (2, True)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from waakhond.events import Event, ModerationEvent
from waakhond.memory.ages import age_of
from waakhond.store.schema import EventRow

if TYPE_CHECKING:
    from waakhond.memory.state import Memory

#: Reports of these categories count as reporting abuse.
ABUSE_CATEGORIES = frozenset({"grooming", "sextortion", "sexual_comment_on_minor", "csam"})
#: How long a reporter stays protected.
RECENT = timedelta(days=30)
#: Moderation actions that remove or silence an account.
SILENCING = frozenset({"ban", "kick", "mute", "suspend"})

EMPTY: dict[str, Any] = {
    "target_is_trusted_flagger": None, "target_reported_abuse_recently": None, "target_reported_actor": None,
    "room_streamer_is_minor": None, "actor_silenced_reporters": None,
}


def moderation_facts(memory: Memory, event: Event) -> dict[str, Any]:
    """Facts about a moderation event's target and room; all ``None`` for other events. Accounts are read
    through the transaction's memory, so changes earlier in the same batch count."""
    if not isinstance(event, ModerationEvent) or event.action not in SILENCING or event.actor_role == "system":
        return dict(EMPTY)  # every fact is there for every event, unknown (None) unless it applies
    at, target = event.occurred_at, event.target_id
    session = memory.session
    acc = memory.account(target)
    reports = _abuse_reports_by(session, target, at)
    return {
        "target_is_trusted_flagger": bool(acc and acc.trusted_flagger),
        "target_reported_abuse_recently": len(reports),
        "target_reported_actor": any(p.get("subject_account_id") == event.actor_id for p in reports),
        "room_streamer_is_minor": _streamer_is_minor(memory, event.room_id, at) if event.room_id else None,
        "actor_silenced_reporters": _silenced_before(session, event, at),
    }


def _abuse_reports_by(session: Session, account_id: str, at: Any) -> list[dict[str, Any]]:
    rows = session.scalars(select(EventRow.payload).where(
        EventRow.actor_id == account_id, EventRow.kind == "report",
        EventRow.occurred_at >= at - RECENT, EventRow.occurred_at <= at).limit(200)).all()
    return [p for p in rows if (p or {}).get("category") in ABUSE_CATEGORIES]


def _streamer_is_minor(memory: Memory, room_id: str, at: Any) -> bool | None:
    """The room's streamer is a minor: the account the latest livestream lines in the room were addressed to."""
    payload = memory.session.scalar(select(EventRow.payload).where(
        EventRow.conversation_id == f"livestream:{room_id}", EventRow.occurred_at <= at)
        .order_by(EventRow.occurred_at.desc()).limit(1))
    if not payload:
        return None
    owner = payload.get("content_owner_id") or (payload.get("recipient_ids") or [None])[0]
    acc = memory.account(owner) if owner else None
    if acc is None:
        return None
    return age_of(birth_year=acc.birth_year, age_band=acc.age_band, at=at).is_minor


def _silenced_before(session: Session, event: ModerationEvent, at: Any) -> int:
    """How many earlier silencing actions by the same actor, in the last 30 days, hit abuse reporters."""
    targets = session.scalars(select(EventRow.payload).where(
        EventRow.actor_id == event.actor_id, EventRow.kind == "moderation",
        EventRow.occurred_at >= at - RECENT, EventRow.occurred_at <= at).limit(200)).all()
    ids = {p.get("target_id") for p in targets if (p or {}).get("action") in SILENCING} - {event.target_id}
    if not ids:
        return 0
    reporters = session.scalar(select(func.count(func.distinct(EventRow.actor_id))).where(
        EventRow.actor_id.in_(ids), EventRow.kind == "report", EventRow.occurred_at >= at - RECENT))
    return int(reporters or 0)
