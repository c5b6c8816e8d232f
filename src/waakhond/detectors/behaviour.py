"""Account behaviour: what an account *does* before anything explicit is said.

Much grooming shows first in behaviour: an account that follows 847 people and posted once, writing to a
dozen children in a day; a stranger who contacts children minutes after they used a trending hashtag; a new
account without a photo; an account that children keep blocking and reporting; gifts to a child right after
asking her for a picture; a banned person who comes back with the same phone, e-mail, photo or writing.

The detector is pure: it reads the event, the facts and the behaviour snapshot that memory prepared
(``context.memory``, see :mod:`waakhond.memory.behaviour`) and returns signals. Every signal names the
events and accounts that support it in ``related = {"events": [...], "accounts": [...]}``, so a moderator
sees *which* contacts made the pattern. The scoring functions below are plain functions of counts, with the
constants named, so the benchmark in ``bench/simulated_platform.py`` can replay them.

Signals (public names, usable in rules as ``signal("name")``):

==========================  ==========================================================================
``mass_minor_contact``      first contacts to many different minors in a short time
``hashtag_targeting``       contacting minors shortly after they used the same hashtag or challenge
``faceless_new_account``    a new account without a profile photo reaching out to minors
``reported_by_minors``      an account repeatedly reported or blocked by children
``gift_with_request``       gifts or points to a minor together with a request (note, or just after)
``ban_evasion``             linked to a suspended account by device, e-mail, profile photo or writing
==========================  ==========================================================================

    >>> from waakhond.events import parse_event
    >>> e = parse_event({"id": "c9", "kind": "contact", "occurred_at": "2026-01-01T12:00:00Z",
    ...                  "actor_id": "x", "target_id": "k9", "action": "follow"})
    >>> memory = {"actor": {"minor_contacts": [[1767268800.0 - 60 * (i + 1), f"k{i}", f"c{i}"] for i in range(9)]}}
    >>> facts = {"recipient_is_minor": True, "is_first_contact": True, "sender_following_count": 847,
    ...          "sender_posts_count": 1}
    >>> [s] = BehaviourDetector().detect(e, DetectionContext(facts, None, (), memory))
    >>> s.name, s.score >= 0.6, len(s.related["accounts"]), s.related["events"][0]
    ('mass_minor_contact', True, 10, 'c9')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from waakhond.detectors.base import DetectionContext, Signal
from waakhond.events import AccountEvent, ContactEvent, Event, GiftEvent, MessageEvent, ReportEvent

HOUR = 3600.0
DAY = 24 * HOUR

#: Window and counts for ``mass_minor_contact``: distinct minors first-contacted within a day (or a week).
MASS_WINDOW = DAY
MASS_WEEK_WINDOW = 7 * DAY
MASS_MIN_MINORS = 5
#: Following many accounts while posting almost nothing is the "847 following, 1 post" profile.
FOLLOW_HEAVY_FOLLOWING = 200
FOLLOW_HEAVY_MAX_POSTS = 3

#: A contact counts as hashtag targeting when the minor used the same hashtag at most this long before.
HASHTAG_WINDOW = 72 * HOUR
HASHTAG_COUNT_WINDOW = 7 * DAY

#: "New" for faceless accounts and for ban evasion.
NEW_ACCOUNT_DAYS = 14.0
BAN_EVASION_NEW_DAYS = 90.0

#: Reports and blocks by children count for this long.
CHILD_FLAG_WINDOW = 30 * DAY
CHILD_FLAG_MIN = 2

#: A gift within this time after a request to the same minor is "a gift with a request".
GIFT_AFTER_REQUEST = 48 * HOUR
#: Tactics that make a gift note (or an earlier message) a request. The weaker ones count only from a
#: stranger: a parent who says "call me after practice" and sends birthday points is not trading.
REQUEST_TACTICS = ("image_request", "sexual_content", "secrecy", "meeting", "off_platform", "personal_info")
STRONG_REQUESTS = ("image_request", "sexual_content", "secrecy")

#: How much each kind of link to a suspended account says on its own (combined as independent evidence).
LINK_WEIGHTS: dict[str, float] = {"email": 0.8, "photo": 0.75, "device": 0.6, "style": 0.55}

MAX_RELATED = 20


def _saturate(n: float, start: float, scale: float) -> float:
    """0 below ``start``, then rising towards 1 with diminishing returns: ``1 - exp(-(n - start + 1) / scale)``."""
    if n < start:
        return 0.0
    return 1.0 - math.exp(-(n - start + 1) / scale)


def mass_contact_score(minors_day: int, minors_week: int, following: int | None, posts: int | None) -> float:
    """Score for first contacts to ``minors_day`` distinct minors in 24 h (``minors_week`` in 7 days).

    5 minors in a day ≈ 0.1, 8 ≈ 0.36, 10 ≈ 0.49, 12 ≈ 0.59, 14 ≈ 0.67, 20 ≈ 0.83; a week counts a third
    as much. A follow-heavy profile with almost no posts adds 0.15: that is how these accounts look (a coach
    who follows a new team in an afternoon has posts of her own).

        >>> round(mass_contact_score(12, 12, 847, 1), 2)
        0.74
        >>> mass_contact_score(3, 3, None, None)
        0.0
    """
    base = max(_saturate(minors_day, MASS_MIN_MINORS, 9.0), _saturate(minors_week / 3, MASS_MIN_MINORS, 9.0))
    heavy = following is not None and following >= FOLLOW_HEAVY_FOLLOWING and (posts or 0) <= FOLLOW_HEAVY_MAX_POSTS
    if base and heavy:
        base += 0.15
    return min(1.0, base)


def hashtag_score(minors: int) -> float:
    """One minor contacted right after using the same hashtag ≈ 0.35, two ≈ 0.6, four ≈ 0.85."""
    return 0.0 if minors <= 0 else 1.0 - math.exp(-minors / 2.3)


def faceless_score(account_age_days: float | None, has_photo: bool, minors_week: int) -> float:
    """A new account without a photo writing to minors: 0.3 for the first, rising to 0.9."""
    if has_photo or account_age_days is None or account_age_days > NEW_ACCOUNT_DAYS or minors_week <= 0:
        return 0.0
    return min(0.9, 0.2 + 0.1 * minors_week)


def child_flags_score(distinct_children: int) -> float:
    """Two children reporting or blocking ≈ 0.55, three ≈ 0.7, five ≈ 0.85."""
    if distinct_children < CHILD_FLAG_MIN:
        return 0.0
    return 1.0 - math.exp(-(distinct_children) / 2.5)


def link_score(vias: Iterable[tuple[str, float]], account_age_days: float | None) -> float:
    """Independent evidence: ``1 - Π(1 - w)``; an account older than 90 days counts 0.7 as much.

        >>> round(link_score([("device", 0.6)], 1.0), 2), round(link_score([("device", 0.6), ("email", 0.8)], 1.0), 2)
        (0.6, 0.92)
    """
    keep = 1.0
    for _via, weight in vias:
        keep *= 1.0 - min(1.0, max(0.0, weight))
    score = 1.0 - keep
    if account_age_days is not None and account_age_days > BAN_EVASION_NEW_DAYS:
        score *= 0.7
    return score


def _recent(items: Iterable[Sequence[Any]], now: float, window: float) -> list[Sequence[Any]]:
    return [i for i in items if now - float(i[0]) <= window]


def _distinct(items: Iterable[Sequence[Any]], index: int = 1) -> list[Sequence[Any]]:
    """Newest item per key (items are oldest first), newest first."""
    seen: dict[Any, Sequence[Any]] = {}
    for item in items:
        seen[item[index]] = item
    return sorted(seen.values(), key=lambda i: -float(i[0]))


def _related(items: Sequence[Sequence[Any]], event_index: int, account_index: int = 1) -> dict[str, list[str]]:
    return {
        "events": [str(i[event_index]) for i in items[:MAX_RELATED]],
        "accounts": [str(i[account_index]) for i in items[:MAX_RELATED]],
    }


def _signal(name: str, score: float, explanation: str, related: Mapping[str, Any]) -> Signal:
    return Signal(name, round(min(1.0, max(0.0, score)), 4), explanation, related=dict(related), detector="behaviour")


def is_reaching_out(event: Event) -> bool:
    """A DM, a follow, friend or message request, or a gift: the ways one account reaches out to another.
    Livestream and comment lines, stream joins, blocks and unfollows are not."""
    if isinstance(event, MessageEvent):
        return event.channel.value == "dm"
    if isinstance(event, ContactEvent):
        return event.action in ("follow", "friend_request", "dm_request")
    return isinstance(event, GiftEvent)


def target_of(event: Event) -> str | None:
    if isinstance(event, ContactEvent):
        return event.target_id
    if isinstance(event, GiftEvent):
        return event.recipient_id
    if isinstance(event, MessageEvent) and event.recipient_ids:
        return event.recipient_ids[0]
    return None


class BehaviourDetector:
    """Account-behaviour signals for ``account``, ``contact``, ``message`` and ``gift`` events."""

    name: ClassVar[str] = "behaviour"
    reads: ClassVar[frozenset[str]] = frozenset({"account", "contact", "message", "gift"})

    def detect(self, event: Event, context: DetectionContext) -> list[Signal]:
        facts = context.facts
        memory = context.memory
        now = event.occurred_at.timestamp()
        state: Mapping[str, Any] = memory.get("actor") or {}
        out: list[Signal] = []
        link = self._ban_evasion(memory, facts)
        if link is not None:
            out.append(link)
        if isinstance(event, (AccountEvent, ReportEvent)):
            return out
        sender_minor = bool(facts.get("sender_is_minor"))
        to_minor = bool(facts.get("recipient_is_minor"))
        target = target_of(event)
        first_to_minor = (to_minor and bool(facts.get("is_first_contact")) and target is not None
                          and is_reaching_out(event))

        # The window including this event (memory records it after detection).
        contacts = list(state.get("minor_contacts", ()))
        if first_to_minor:
            contacts.append([now, target, event.id])
        if not sender_minor and first_to_minor:
            day = _distinct(_recent(contacts, now, MASS_WINDOW))
            week = _distinct(_recent(contacts, now, MASS_WEEK_WINDOW))
            following, posts = facts.get("sender_following_count"), facts.get("sender_posts_count")
            score = mass_contact_score(len(day), len(week), following, posts)
            if score > 0:
                profile = f" (following {following}, {posts} posts)" if following is not None else ""
                out.append(_signal(
                    "mass_minor_contact", score,
                    f"first contact with {len(day)} different minors in 24 h, {len(week)} in 7 days{profile}",
                    _related(day or week, 2),
                ))
            faceless = faceless_score(facts.get("sender_account_age_days"),
                                      bool(facts.get("sender_has_profile_photo")), len(week))
            if faceless > 0:
                out.append(_signal(
                    "faceless_new_account", faceless,
                    f"account {facts.get('sender_account_age_days')} days old without a profile photo has "
                    f"contacted {len(week)} minors it did not know",
                    _related(week, 2),
                ))

        if isinstance(event, ContactEvent) and event.hashtag and to_minor and not sender_minor:
            tags: Mapping[str, Any] = memory.get("target_hashtags") or {}
            used = tags.get(_tag(event.hashtag))
            matched = list(_recent(state.get("hashtag_contacts", ()), now, HASHTAG_COUNT_WINDOW))
            if used is not None and 0 <= now - float(used[0]) <= HASHTAG_WINDOW:
                matched.append([now, event.target_id, _tag(event.hashtag), event.id, used[1]])
            if used is not None and matched:
                minors = _distinct(matched)
                out.append(_signal(
                    "hashtag_targeting", hashtag_score(len(minors)),
                    f"contacted {len(minors)} minor(s) shortly after they used the same hashtag "
                    f"(#{_tag(event.hashtag)} {int((now - float(used[0])) // 60)} min before)",
                    {"events": [str(m[3]) for m in minors[:MAX_RELATED]] + [str(used[1])],
                     "accounts": [str(m[1]) for m in minors[:MAX_RELATED]]},
                ))

        flags = _distinct(_recent(state.get("child_flags", ()), now, CHILD_FLAG_WINDOW))
        flag_score = child_flags_score(len(flags))
        if flag_score > 0 and (to_minor or first_to_minor or isinstance(event, ContactEvent)):
            kinds = sorted({str(f[2]) for f in flags})
            out.append(_signal(
                "reported_by_minors", flag_score,
                f"{len(flags)} different children {' or '.join(kinds)} this account in 30 days",
                _related(flags, 3),
            ))

        if isinstance(event, GiftEvent) and to_minor:
            gift = self._gift(event, context, state, now, sender_minor)
            if gift is not None:
                out.append(gift)
        return out

    @staticmethod
    def _gift(event: GiftEvent, context: DetectionContext, state: Mapping[str, Any], now: float,
              sender_minor: bool) -> Signal | None:
        stranger = bool(context.facts.get("is_stranger"))
        kinds = REQUEST_TACTICS if stranger else STRONG_REQUESTS
        in_note = {s.name: s.score for s in context.signals if s.name in kinds and s.score >= 0.5}
        request = (state.get("requests") or {}).get(event.recipient_id)
        recent = (request is not None and 0 <= now - float(request[0]) <= GIFT_AFTER_REQUEST
                  and (stranger or str(request[2]) in STRONG_REQUESTS))
        if not in_note and not recent:
            return None
        score = 0.85 if in_note.get("image_request", 0) >= 0.5 else 0.75
        if in_note and recent:
            score = 0.9
        if sender_minor:
            score *= 0.6  # between children it is more often a game; still worth a look
        parts = []
        if in_note:
            parts.append("the gift note asks for " + ", ".join(sorted(in_note)))
        if recent and request is not None:
            parts.append(f"{int((now - float(request[0])) // 60)} min after a {request[2]} to the same minor")
        events = [event.id] + ([str(request[1])] if recent and request is not None else [])
        return _signal("gift_with_request", score, f"{event.amount:g} {event.currency} to a minor: "
                       + "; ".join(parts), {"events": events, "accounts": [event.recipient_id]})

    @staticmethod
    def _ban_evasion(memory: Mapping[str, Any], facts: Mapping[str, Any]) -> Signal | None:
        links: Sequence[Mapping[str, Any]] = memory.get("links") or ()
        if not links:
            return None
        vias = [(str(lk["via"]), float(lk.get("weight", LINK_WEIGHTS.get(str(lk["via"]), 0.5)))) for lk in links]
        score = link_score(vias, facts.get("sender_account_age_days"))
        if score <= 0:
            return None
        accounts = sorted({str(lk["account"]) for lk in links})
        how = ", ".join(sorted({v for v, _ in vias}))
        return _signal(
            "ban_evasion", score,
            f"linked to suspended account(s) {', '.join(accounts[:5])} by {how}",
            {"events": sorted({str(lk["event"]) for lk in links if lk.get("event")})[:MAX_RELATED],
             "accounts": accounts[:MAX_RELATED],
             "links": [dict(lk) for lk in links[:MAX_RELATED]]},
        )

    @staticmethod
    def examples() -> list[tuple[str, dict[str, Any], dict[str, Any], set[str]]]:
        """(what, facts, memory, expected signal names) for tests and docs; the event is a follow to ``k``."""
        t = 1767268800.0
        many = {"actor": {"minor_contacts": [[t - 300 * i, f"k{i}", f"c{i}"] for i in range(12)]}}
        minor_first = {"recipient_is_minor": True, "is_first_contact": True}
        return [
            ("twelve minors in an hour", {**minor_first, "sender_is_adult": True}, many, {"mass_minor_contact"}),
            ("the same from a classmate", {**minor_first, "sender_is_minor": True}, many, set()),
            ("new faceless account", {**minor_first, "sender_account_age_days": 2.0,
                                      "sender_has_profile_photo": False}, {}, {"faceless_new_account"}),
            ("linked to a banned account", {}, {"links": [{"account": "old", "via": "email", "event": "a1"}]},
             {"ban_evasion"}),
        ]


def _tag(tag: str) -> str:
    return tag.strip().lstrip("#").casefold()[:60]


__all__ = [
    "BehaviourDetector",
    "child_flags_score",
    "faceless_score",
    "hashtag_score",
    "is_reaching_out",
    "link_score",
    "mass_contact_score",
]
