"""Who acts in an event, whom it reaches, and which conversation it belongs to."""

from __future__ import annotations

from waakhond.events import (
    AccountEvent,
    ContactEvent,
    Event,
    GiftEvent,
    MediaEvent,
    MessageEvent,
    ModerationEvent,
    ReportEvent,
)


def actor_of(event: Event) -> str | None:
    """The account that did something (sender, uploader, follower, reporter, moderator)."""
    match event:
        case MessageEvent():
            return event.sender_id
        case MediaEvent() | AccountEvent():
            return event.account_id
        case ContactEvent() | ModerationEvent():
            return event.actor_id
        case GiftEvent():
            return event.sender_id
        case ReportEvent():
            return event.reporter_id
    return None


def targets_of(event: Event) -> list[str]:
    """The accounts an event reaches: recipients, the streamer or content owner, the followed account …"""
    match event:
        case MessageEvent():
            out = list(event.recipient_ids)
            if event.content_owner_id and event.content_owner_id not in out:
                out.append(event.content_owner_id)
            return [t for t in out if t != event.sender_id]
        case MediaEvent():
            return list(event.recipient_ids)
        case ContactEvent():
            return [event.target_id]
        case GiftEvent():
            return [event.recipient_id]
        case ReportEvent():
            return [event.subject_account_id] if event.subject_account_id else []
        case ModerationEvent():
            return [event.target_id]
    return []


def conversation_of(event: Event) -> str | None:
    """A DM pair (order-free), a group or livestream room, or the comment thread under one piece of content."""
    if isinstance(event, MessageEvent):
        if event.channel == "dm":
            a, b = sorted((event.sender_id, event.recipient_ids[0]))
            return f"dm:{a}:{b}"
        if event.channel == "comment":
            return f"comment:{event.content_id}"
        return f"{event.channel.value}:{event.room_id}"
    if isinstance(event, GiftEvent):
        if event.room_id:
            return f"livestream:{event.room_id}"
        a, b = sorted((event.sender_id, event.recipient_id))
        return f"dm:{a}:{b}"
    return None
