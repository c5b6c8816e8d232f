"""Livestreams and comments: viewers giving orders to a child who streams, gifts made conditional on acts,
sexualised comments and channel ads under content that shows a child; a score per viewer and per room.

Pure like the other detectors: it reads the event, the facts (``recipient_is_minor`` is true when the
streamer or the content owner is a minor), the tactic signals found before it, and the room state memory
prepared (``context.memory["room"]``). :func:`update_room` is the one place the room and viewer scores are
computed; memory calls it again to store the result, so what is stored is exactly what was signalled.

Signals:

========================  =====================================================================================
``stream_command``        a viewer gives the minor streamer an order (camera, show, turn, come closer, …)
``conditional_gift``      points, coins or a gift offered or sent on condition of an act
``sexualised_comment``    a sexualised remark or body-focused compliment under a minor's content or stream
``channel_ad``            a comment that advertises a channel, group or app elsewhere (links, "join my tg")
``viewer_risk``           this viewer's accumulated score in this room (decayed, bounded)
``room_risk``             the room's score: its riskiest viewers together
========================  =====================================================================================

    >>> from waakhond.events import parse_event
    >>> e = parse_event({"id": "l1", "kind": "message", "occurred_at": "2026-01-01T12:00:00Z", "sender_id": "v",
    ...                  "channel": "livestream", "room_id": "r", "recipient_ids": ["kid"],
    ...                  "text": "turn on the other cam now"})
    >>> ctx = DetectionContext({"recipient_is_minor": True}, None, (Signal("image_request", 0.8, "cam"),))
    >>> [s.name for s in LivestreamDetector().detect(e, ctx)]
    ['stream_command', 'viewer_risk', 'room_risk']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from waakhond.detectors.base import DetectionContext, Signal
from waakhond.detectors.text.normalize import fold
from waakhond.events import Event, GiftEvent, MessageEvent

#: Short orders viewers give a streamer, in nl/en/de/fr (after ``fold``: lowercase, no accents).
#: On their own they are weak ("sing another song!" is an order too); with a camera or act request they are not.
_ORDER = re.compile(
    r"(?:^|[.!?]\s*|\b(?:now|pls|please|plz|nu|jetzt|maintenant|allez|come on|kom op|los)\s+)"
    r"(?:show|turn|stand|spin|dance|come|move|open|lift|wear|change|sit|lie|put|switch|zoom|"
    r"laat|doe|draai|sta|kom|ga|zet|trek|"
    r"zeig|dreh|mach|steh|komm|geh|zieh|setz|"
    r"montre|tourne|fais|leve|viens|mets|enleve|va)\b"
)
#: What orders to a streamer are about when they are not about the song: the camera, coming closer, turning.
_CAMERA = re.compile(
    r"\b(?:cam|cams|camera|webcam|kamera|the other cam|closer|dichter(?:bij)?|naher|plus pres|"
    r"turn around|draai je om|dreh dich|tourne[- ]toi)\b"
)
#: An amount of a platform currency, the usual form of a gift offer in a stream ("500 coins").
_OFFER = re.compile(
    r"\b\d+\s*(?:k\s*)?(?:coins?|points?|gems?|diamonds?|robux|vbucks|v-bucks|tokens?|roses?|"
    r"munten|punten|punkte|munzen|diamanten|pieces|jetons)\b"
)
_CONDITION = re.compile(r"\b(?:if (?:you|u)|als (?:je|jij)|wenn du|si tu|for (?:a|one|1) )\b|\bif u\b")
_LINK = re.compile(
    r"(?:https?://|www\.|t\.me/|discord\.gg|wa\.me/|\bjoin (?:my|our)\b|\bkom in mijn\b|\bmeine gruppe\b|"
    r"\brejoins?\b|\bdm me\b|\bcheck my (?:bio|profile)\b|\blink in (?:my )?bio\b)"
)

#: Viewer evidence halves after this many hours in a room.
VIEWER_HALF_LIFE_HOURS = 6.0
MAX_VIEWERS = 100
MAX_VIEWER_EVENTS = 10
#: Signals that feed the viewer score, with their weight.
_FEEDS: dict[str, float] = {
    "stream_command": 0.8,
    "conditional_gift": 1.2,
    "sexualised_comment": 1.2,
    "channel_ad": 0.6,
    "image_request": 0.9,
    "sexual_content": 1.2,
    "off_platform": 0.5,
    "age_probe": 0.3,
    "personal_info": 0.4,
    "secrecy": 0.6,
    "meeting": 0.7,
}
_MIN_SIGNAL = 0.2


def _score(name: str, value: float, explanation: str, related: Mapping[str, Any] | None = None) -> Signal:
    return Signal(name, round(min(1.0, max(0.0, value)), 4), explanation, related=dict(related or {}),
                  detector="livestream")


def adds_evidence(scores: Mapping[str, float]) -> bool:
    """Whether signals with these scores feed a viewer's score (and so are worth storing for the room)."""
    return any(name in _FEEDS and value >= _MIN_SIGNAL for name, value in scores.items())


def room_of(event: Event) -> tuple[str, str | None] | None:
    """``(room key, owner)`` for livestream lines, comments and room gifts; ``None`` for anything else."""
    if isinstance(event, MessageEvent):
        if event.channel.value == "livestream" and event.room_id:
            return f"livestream:{event.room_id}", (event.recipient_ids[0] if event.recipient_ids else None)
        if event.channel.value == "comment" and event.content_id:
            return f"comment:{event.content_id}", event.content_owner_id
    if isinstance(event, GiftEvent) and event.room_id:
        return f"livestream:{event.room_id}", event.recipient_id
    return None


def update_room(
    room: Mapping[str, Any] | None, viewer: str, at: float, event_id: str, scores: Mapping[str, float],
) -> tuple[dict[str, Any], float, float]:
    """The room state after one viewer event: ``(state, viewer score, room score)``. Pure and bounded.

    A viewer's evidence mass is the weighted sum of the stream signals in their lines, halving every
    :data:`VIEWER_HALF_LIFE_HOURS`; the viewer score is ``1 - exp(-mass)``. The room score combines its three
    riskiest viewers as independent evidence, so one persistent viewer and a crowd of milder ones both count.

        >>> s, v, r = update_room(None, "v", 0.0, "e1", {"stream_command": 0.8})
        >>> round(v, 2), round(r, 2)
        (0.47, 0.47)
    """
    viewers: dict[str, Any] = {k: dict(v) for k, v in ((room or {}).get("viewers") or {}).items()}
    mass = sum(_FEEDS[n] * s for n, s in scores.items() if n in _FEEDS and s >= _MIN_SIGNAL)
    entry = viewers.get(viewer, {"mass": 0.0, "at": at, "events": []})
    age_hours = max(0.0, (at - float(entry.get("at", at))) / 3600.0)
    entry["mass"] = float(entry.get("mass", 0.0)) * 0.5 ** (age_hours / VIEWER_HALF_LIFE_HOURS) + mass
    entry["at"] = max(at, float(entry.get("at", at)))
    if mass > 0:
        entry["events"] = [*entry.get("events", []), event_id][-MAX_VIEWER_EVENTS:]
    viewers[viewer] = entry
    if len(viewers) > MAX_VIEWERS:  # keep the riskiest viewers
        keep = sorted(viewers.items(), key=lambda kv: -float(kv[1]["mass"]))[:MAX_VIEWERS]
        viewers = dict(keep)
        viewers.setdefault(viewer, entry)
    viewer_score = 1.0 - math.exp(-float(entry["mass"]))
    top = sorted((1.0 - math.exp(-float(v["mass"])) for v in viewers.values()), reverse=True)[:3]
    keep_prob = 1.0
    for s in top:
        keep_prob *= 1.0 - s
    return {"viewers": viewers}, viewer_score, 1.0 - keep_prob


class LivestreamDetector:
    """Orders, conditional gifts, sexualised comments and channel ads aimed at a minor's stream or content."""

    name: ClassVar[str] = "livestream"
    reads: ClassVar[frozenset[str]] = frozenset({"message", "gift"})

    def detect(self, event: Event, context: DetectionContext) -> list[Signal]:
        where = room_of(event)
        if where is None:
            return []
        room_key, owner = where
        sender = event.sender_id if isinstance(event, (MessageEvent, GiftEvent)) else None
        if sender is None or sender == owner:
            return []  # the streamer's own lines are not orders to herself
        facts = context.facts
        if not facts.get("recipient_is_minor"):
            return []
        tactics = {s.name: s.score for s in context.signals}
        if isinstance(event, MessageEvent):
            text = event.text
        else:
            text = (event.note or "") if isinstance(event, GiftEvent) else ""
        folded = fold(text) if text else ""
        out = self.findings(event, folded, tactics, room_key)
        scores = {s.name: s.score for s in out} | tactics
        # Room and viewer scores are signalled on the lines that add evidence, so a case about the room is
        # opened on a risky line and never on an innocent viewer's message.
        if adds_evidence(scores):
            memory = context.memory
            _, viewer, room = update_room(memory.get("room"), sender, event.occurred_at.timestamp(),
                                          event.id, scores)
            if viewer >= _MIN_SIGNAL:
                out.append(_score("viewer_risk", viewer, f"viewer {sender}'s score in {room_key}: {viewer:.2f}",
                                  {"accounts": [sender], "room": room_key}))
            if room >= _MIN_SIGNAL:
                out.append(_score("room_risk", room, f"{room_key} score {room:.2f} (riskiest viewers together)",
                                  {"room": room_key, "accounts": [owner] if owner else []}))
        return out

    @staticmethod
    def findings(event: Event, folded: str, tactics: Mapping[str, float], room_key: str) -> list[Signal]:
        out: list[Signal] = []
        related = {"events": [event.id], "room": room_key}
        image = tactics.get("image_request", 0.0)
        reward = max(tactics.get("reward_offer", 0.0), 0.6 if folded and _OFFER.search(folded) else 0.0)
        order = bool(_ORDER.search(folded)) if folded else False
        if order and _CAMERA.search(folded):
            image = max(image, 0.75)  # an order about the camera or her body position, even if the lexicon missed it
        is_stream = room_key.startswith("livestream:")
        if is_stream and isinstance(event, MessageEvent) and (order or image >= 0.5):
            score = max(0.35 if order else 0.0, image)
            if order and image >= 0.5:
                score = max(score, 0.85)
            out.append(_score("stream_command", score,
                              "a viewer orders the minor streamer" + (" to use the camera or show something"
                                                                     if image >= 0.5 else ""), related))
        conditional = bool(_CONDITION.search(folded)) if folded else False
        if isinstance(event, GiftEvent):
            if (conditional or order) and (image >= 0.5 or order):
                out.append(_score("conditional_gift", 0.85 if image >= 0.5 else 0.7,
                                  f"a gift of {event.amount:g} {event.currency} tied to an act", related))
        elif reward >= 0.5 and (image >= 0.5 or order or conditional):
            out.append(_score("conditional_gift", max(0.7, min(reward, image) if image else 0.7),
                              "points, coins or gifts offered for an act", related))
        sexual = max(tactics.get("sexual_content", 0.0), 0.6 * tactics.get("compliment", 0.0))
        if (not is_stream or sexual >= 0.5) and sexual >= 0.3:
            out.append(_score("sexualised_comment", sexual,
                              "a sexualised remark or body-focused compliment to a minor", related))
        ad = max(tactics.get("off_platform", 0.0), 0.7 if folded and _LINK.search(folded) else 0.0)
        if ad >= 0.5:
            out.append(_score("channel_ad", ad, "advertises a channel, group or app elsewhere to a minor's "
                              "audience", related))
        return out

    @staticmethod
    def examples() -> list[tuple[str, set[str]]]:
        """Livestream lines to a minor streamer and the signals they raise (tactic signals given by hand)."""
        return [
            ("sing another song pls", set()),
            ("turn on the other cam now", {"stream_command"}),
            ("500 coins if you turn around", {"conditional_gift"}),
            ("join my telegram t.me/example", {"channel_ad"}),
        ]


__all__ = ["LivestreamDetector", "adds_evidence", "room_of", "update_room"]
