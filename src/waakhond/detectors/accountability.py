"""Moderator accountability: a room admin or moderator who silences the people who report abuse.

Reads ``moderation`` events and the facts of :mod:`waakhond.memory.accountability`; emits
``moderator_silences_reporter`` when a ban, kick, mute or suspension falls on a trusted flagger or on an
account that reported abuse in the last 30 days — more strongly when the target had reported this very
moderator, when it happens in a minor's livestream, and when the moderator has done it before. The
default policy turns the signal into a case about the moderator.

    >>> from waakhond.detectors import DetectionContext
    >>> [s] = ModeratorAccountabilityDetector().detect(*ModeratorAccountabilityDetector.examples()[0])
    >>> s.name, s.score >= 0.8
    ('moderator_silences_reporter', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from waakhond.detectors.base import DetectionContext, Signal
from waakhond.events import Event, ModerationEvent, parse_event


class ModeratorAccountabilityDetector:
    name: ClassVar[str] = "accountability"
    reads: ClassVar[frozenset[str]] = frozenset({"moderation"})

    def detect(self, event: Event, context: DetectionContext) -> Sequence[Signal]:
        if not isinstance(event, ModerationEvent):
            return []
        f = context.facts
        reported = int(f.get("target_reported_abuse_recently") or 0)
        trusted = bool(f.get("target_is_trusted_flagger"))
        if not (reported or trusted):
            return []
        score = 0.6
        why = [f"{event.actor_role.replace('_', ' ')} {event.actor_id} did '{event.action}' on {event.target_id}, "
               + ("a trusted flagger" if trusted else "")
               + (" who " if trusted and reported else "")
               + (f"who reported abuse {reported} time(s) in the last 30 days" if reported and not trusted
                  else f"reported abuse {reported} time(s) in the last 30 days" if reported else "")]
        if f.get("target_reported_actor"):
            score += 0.25
            why.append(f"the target had reported {event.actor_id}")
        if f.get("room_streamer_is_minor"):
            score += 0.2
            why.append(f"in room {event.room_id}, where a minor is streaming")
        before = int(f.get("actor_silenced_reporters") or 0)
        if before:
            score += min(0.3, 0.1 * before)
            why.append(f"{before} other reporter(s) silenced by the same person in 30 days")
        related = {"moderator": event.actor_id, "target": event.target_id, "room": event.room_id,
                   "action": event.action}
        return [Signal("moderator_silences_reporter", min(1.0, score), "; ".join(why), related=related,
                       detector=self.name)]

    @staticmethod
    def examples() -> list[tuple[Event, DetectionContext]]:
        """A room admin kicking a child's reporter from a minor's stream, after being reported by her."""
        ev = parse_event({"id": "ex-mod-1", "kind": "moderation", "occurred_at": "2026-11-02T16:10:00+00:00",
                          "actor_id": "room_admin_1", "actor_role": "room_admin", "action": "kick",
                          "target_id": "fan_jo", "room_id": "karaoke-mia"})
        facts = {"target_is_trusted_flagger": False, "target_reported_abuse_recently": 1,
                 "target_reported_actor": True, "room_streamer_is_minor": True, "actor_silenced_reporters": 0}
        return [(ev, DetectionContext(facts))]
