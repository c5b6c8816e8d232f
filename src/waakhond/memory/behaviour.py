"""Behaviour memory: the bounded windows the behaviour and livestream detectors read, and their upkeep.

Per account (table ``account_behaviour``, one JSON row, every list capped):

- ``minor_contacts``: ``[time, minor, event]`` of recent first contacts to minors (DM, request, follow, gift)
- ``hashtag_contacts``: contacts to minors shortly after they used the same hashtag
- ``hashtags``: hashtags this account (a minor) used recently, ``{tag: [time, event]}``
- ``child_flags``: ``[time, child, "reported"|"blocked", event]`` — reports and blocks by children
- ``requests``: the last request (picture, camera, meeting, …) to each minor, for gifts that follow it
- ``links``: suspended accounts this one is linked to, ``{"account", "via", "weight", "event"}``

Identifiers (``account_identifiers``: device hash, e-mail hash, profile-photo hashes) link accounts;
``style_profiles`` keeps a small character n-gram profile of each account's first messages; ``stream_rooms``
keeps room and viewer scores. A platform ban is a ``moderation`` event (``ban``/``suspend`` by a platform
moderator or the system): it marks the account banned and links every account that shares an identifier.

Times are POSIX seconds in the JSON (compact, and the detectors compare them as numbers).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, tuple_

from waakhond.detectors.base import Signal
from waakhond.detectors.behaviour import LINK_WEIGHTS, REQUEST_TACTICS, is_reaching_out
from waakhond.detectors.livestream import adds_evidence, room_of, update_room
from waakhond.events import (
    AccountEvent,
    ContactEvent,
    Event,
    GiftEvent,
    MessageEvent,
    ModerationEvent,
    ReportEvent,
)
from waakhond.memory.ages import account_age_days
from waakhond.memory.keys import actor_of
from waakhond.store.schema import (
    AccountBehaviourRow,
    AccountIdentifierRow,
    AccountRow,
    StreamRoomRow,
    StyleProfileRow,
)

if TYPE_CHECKING:
    from waakhond.memory.state import Memory

R = TypeVar("R")

MAX_MINOR_CONTACTS = 60
MAX_HASHTAG_CONTACTS = 30
MAX_HASHTAGS = 20
MAX_CHILD_FLAGS = 30
MAX_REQUESTS = 30
MAX_LINKS = 10

#: Writing style: profiles are built from an account's first messages only (bounded work and storage) and
#: compared at these message counts, for accounts at most this many days old, with banned accounts' profiles.
STYLE_MAX_MESSAGES = 32
STYLE_MAX_GRAMS = 300
STYLE_CHECKPOINTS = (8, 16, 32)
STYLE_MIN_BANNED_MESSAGES = 8
STYLE_NEW_DAYS = 90.0
#: Cosine similarity above which two profiles count as the same writer (chosen on the simulated platform;
#: shipped rules treat a style link alone as too weak for a case).
STYLE_THRESHOLD = 0.82
#: Reports that count as a child's flag when the reporter is anonymous.
_CHILD_SAFETY_CATEGORIES = ("grooming", "sextortion", "sexual_comment_on_minor", "csam")
#: Behaviour signals raise the account's risk (which contact gating reads) by this factor of their score.
RISK_FROM_SIGNAL: dict[str, float] = {
    "mass_minor_contact": 0.8,
    "hashtag_targeting": 0.7,
    "faceless_new_account": 0.4,
    "reported_by_minors": 0.8,
    "gift_with_request": 0.9,
    "ban_evasion": 0.8,
    "conditional_gift": 0.8,
    "stream_command": 0.6,
    "sexualised_comment": 0.8,
    "viewer_risk": 0.7,
}
_HASHTAG = re.compile(r"#(\w{2,60})")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------- style


def style_grams(text: str) -> Counter[str]:
    """Character 3-grams of a text with case and punctuation kept (style lives there), spaces collapsed.

        >>> sorted(style_grams("Hey!!"))
        [' He', '!! ', 'Hey', 'ey!', 'y!!']
    """
    t = " " + _SPACES.sub(" ", text.strip()) + " "
    return Counter(t[i : i + 3] for i in range(len(t) - 2))


def merge_profile(profile: Mapping[str, float], grams: Counter[str], cap: int = STYLE_MAX_GRAMS) -> dict[str, float]:
    merged: Counter[str] = Counter({k: float(v) for k, v in profile.items()})
    merged.update({k: float(v) for k, v in grams.items()})
    return {k: float(v) for k, v in merged.most_common(cap)}


def style_similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of square-rooted n-gram counts, in [0, 1]."""
    if not a or not b:
        return 0.0
    dot = sum(math.sqrt(v) * math.sqrt(b[k]) for k, v in a.items() if k in b)
    na = math.sqrt(sum(a.values()))
    nb = math.sqrt(sum(b.values()))
    return dot / (na * nb) if na and nb else 0.0


# ---------------------------------------------------------------------------------------------- memory


class BehaviourMemory:
    """Reads the snapshot for one event and records what it changed. Lives for one event in one transaction;
    its rows live in the transaction's :class:`~waakhond.memory.state.Memory` (read once per batch, written
    back in bulk)."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.session = memory.session
        self._links: list[dict[str, Any]] | None = None

    @staticmethod
    def prefetch_batch(memory: Memory, events: Sequence[Event]) -> None:
        """Read the behaviour rows a whole batch will need in one query per table, so a batch does not pay a
        primary-key read per event. Style profiles are read only for senders whose account is new (the only
        ones :meth:`_record_style` keeps a profile for; ``memory``'s accounts are read first); any other row a
        batch turns out to need is read when asked for, as before."""
        accounts: set[str] = set()
        styles: set[str] = set()
        rooms: set[str] = set()
        for event in events:
            actor = actor_of(event)
            if actor:
                accounts.add(actor)
                if isinstance(event, MessageEvent) and _is_new(memory.accounts.rows.get(actor), event.occurred_at):
                    styles.add(actor)
            if isinstance(event, ContactEvent):
                accounts.add(event.target_id)
            where = room_of(event)
            if where is not None:
                rooms.add(where[0])
        conn = memory.conn
        memory.rows(AccountBehaviourRow).load(conn, accounts)
        memory.rows(StyleProfileRow).load(conn, styles)
        memory.rows(StreamRoomRow).load(conn, rooms)

    # ---- reads -------------------------------------------------------------------------------------------
    def get(self, model: type[R], key: Any) -> R | None:
        """A row by primary key: read once per transaction, then kept."""
        return self.memory.rows(model).get(self.memory.conn, key)

    def new(self, model: type[R], **values: Any) -> R:
        """A new row, inserted when the transaction's memory is flushed."""
        return self.memory.rows(model).new(**values)

    def state(self, account_id: str | None) -> dict[str, Any]:
        if not account_id:
            return {}
        row = self.get(AccountBehaviourRow, account_id)
        return dict(row.state) if row is not None and row.state else {}

    def snapshot(self, event: Event, facts: Mapping[str, Any]) -> dict[str, Any]:
        """What the behaviour and livestream detectors may read for ``event`` (before it is recorded)."""
        actor = actor_of(event)
        out: dict[str, Any] = {"actor": self.state(actor)}
        links = list(out["actor"].get("links", ()))
        if isinstance(event, AccountEvent):
            found = self._find_links(event)
            self._links = found
            known = {(lk["account"], lk["via"]) for lk in links}
            links.extend(lk for lk in found if (lk["account"], lk["via"]) not in known)
        if links:
            out["links"] = links
        if isinstance(event, ContactEvent) and event.hashtag:
            out["target_hashtags"] = self.state(event.target_id).get("hashtags", {})
        where = room_of(event)
        if where is not None:
            row = self.get(StreamRoomRow, where[0])
            if row is not None:
                out["room"] = {"viewers": row.viewers or {}}
        return out

    def _find_links(self, event: AccountEvent) -> list[dict[str, Any]]:
        pairs = identifiers_of(event)
        if not pairs:
            return []
        rows = self.session.execute(
            select(AccountIdentifierRow.kind, AccountIdentifierRow.account_id, AccountRow.suspended,
                   AccountRow.profile)
            .join(AccountRow, AccountRow.id == AccountIdentifierRow.account_id)
            .where(tuple_(AccountIdentifierRow.kind, AccountIdentifierRow.value).in_(pairs))
            .where(AccountIdentifierRow.account_id != event.account_id)
            .limit(50)
        ).all()
        out: list[dict[str, Any]] = []
        for kind, other, suspended, profile in rows:
            if suspended or (profile or {}).get("banned_at"):
                via = _via(kind)
                out.append({"account": other, "via": via, "weight": LINK_WEIGHTS[via], "event": event.id})
        return _dedupe_links(out)

    # ---- writes ------------------------------------------------------------------------------------------
    def _row(self, account_id: str, at: datetime) -> AccountBehaviourRow:
        row = self.get(AccountBehaviourRow, account_id)
        if row is None:
            row = self.new(AccountBehaviourRow, account_id=account_id, score=0.0, state={}, updated_at=at)
        return row

    def _edit(self, account_id: str, at: datetime, key: str, item: Any, cap: int) -> None:
        row = self._row(account_id, at)
        state = dict(row.state or {})
        state[key] = [*state.get(key, []), item][-cap:]
        row.state = state
        row.updated_at = max(row.updated_at, at)

    def record(self, memory: Memory, event: Event, facts: Mapping[str, Any], signals: Sequence[Signal]) -> None:
        """Update windows, identifiers, style profiles and rooms for ``event``; raise the actor's risk."""
        at = event.occurred_at
        now = at.timestamp()
        actor = actor_of(event)
        if isinstance(event, AccountEvent):
            self._record_account(event, at)
        elif isinstance(event, ModerationEvent):
            self._record_moderation(memory, event, at)
        elif isinstance(event, ReportEvent):
            child = bool(facts.get("sender_is_minor")) or (
                event.reporter_id is None and event.category.value in _CHILD_SAFETY_CATEGORIES
            )
            if event.subject_account_id and child:
                who = event.reporter_id or f"anonymous:{event.id}"
                self._edit(event.subject_account_id, at, "child_flags", [now, who, "reported", event.id],
                           MAX_CHILD_FLAGS)
        else:
            self._record_activity(event, facts, signals, now, at)
        if actor:
            self._raise(memory, actor, event, signals)

    def _record_account(self, event: AccountEvent, at: datetime) -> None:
        for kind, value in identifiers_of(event):
            if self.get(AccountIdentifierRow, (kind, value, event.account_id)) is None:
                self.new(AccountIdentifierRow, kind=kind, value=value, account_id=event.account_id, first_at=at)
        links = self._links if self._links is not None else self._find_links(event)
        for link in links:
            self._link(event.account_id, link, at)

    def _record_moderation(self, memory: Memory, event: ModerationEvent, at: datetime) -> None:
        if event.actor_role == "room_admin":
            return  # a room ban is the room's business, not a platform suspension
        acc = memory.account(event.target_id)
        if event.action in ("ban", "suspend"):
            if acc is not None:
                acc.profile = {**(acc.profile or {}), "banned_at": at.isoformat()}
            style = self.get(StyleProfileRow, event.target_id)
            if style is not None:
                style.banned = True
            mine = self.session.execute(
                select(AccountIdentifierRow.kind, AccountIdentifierRow.value)
                .where(AccountIdentifierRow.account_id == event.target_id)
            ).all()
            if mine:
                others = self.session.execute(
                    select(AccountIdentifierRow.kind, AccountIdentifierRow.account_id)
                    .where(tuple_(AccountIdentifierRow.kind, AccountIdentifierRow.value).in_([tuple(m) for m in mine]))
                    .where(AccountIdentifierRow.account_id != event.target_id)
                    .limit(200)
                ).all()
                for kind, other in others:
                    via = _via(kind)
                    self._link(other, {"account": event.target_id, "via": via, "weight": LINK_WEIGHTS[via],
                                       "event": event.id}, at)
        elif event.action in ("unban", "restore"):
            if acc is not None and (acc.profile or {}).get("banned_at"):
                acc.profile = {k: v for k, v in acc.profile.items() if k != "banned_at"}
            style = self.get(StyleProfileRow, event.target_id)
            if style is not None:
                style.banned = False

    def _link(self, account_id: str, link: dict[str, Any], at: datetime) -> None:
        row = self._row(account_id, at)
        state = dict(row.state or {})
        state["links"] = _dedupe_links([*state.get("links", []), link])[-MAX_LINKS:]
        row.state = state
        acc = self.memory.account(account_id)
        if acc is not None and not (acc.profile or {}).get("linked_to_suspended"):
            # the fact policy rules and contact gating read (``sender_linked_to_suspended``)
            acc.profile = {**(acc.profile or {}), "linked_to_suspended": True}

    def _record_activity(
        self, event: Event, facts: Mapping[str, Any], signals: Sequence[Signal], now: float, at: datetime,
    ) -> None:
        actor = actor_of(event)
        if actor is None:
            return
        to_minor = bool(facts.get("recipient_is_minor"))
        target = _target(event)
        if to_minor and target and facts.get("is_first_contact") and is_reaching_out(event):
            self._edit(actor, at, "minor_contacts", [now, target, event.id], MAX_MINOR_CONTACTS)
        for s in signals:
            if s.name == "hashtag_targeting" and isinstance(event, ContactEvent) and event.hashtag:
                used = (s.related.get("events") or [None])[-1]
                self._edit(actor, at, "hashtag_contacts",
                           [now, event.target_id, event.hashtag.lstrip("#").casefold(), event.id, used],
                           MAX_HASHTAG_CONTACTS)
        if facts.get("sender_is_minor"):
            tags = set()
            if isinstance(event, MessageEvent):
                tags = {t.casefold() for t in _HASHTAG.findall(event.text)}
            elif isinstance(event, ContactEvent) and event.hashtag:
                tags = {event.hashtag.lstrip("#").casefold()}
            if tags:
                row = self._row(actor, at)
                state = dict(row.state or {})
                used = dict(state.get("hashtags", {}))
                for t in sorted(tags):
                    used[t[:60]] = [now, event.id]
                state["hashtags"] = dict(sorted(used.items(), key=lambda kv: -kv[1][0])[:MAX_HASHTAGS])
                row.state = state
            if isinstance(event, ContactEvent) and event.action == "block":
                self._edit(event.target_id, at, "child_flags", [now, actor, "blocked", event.id], MAX_CHILD_FLAGS)
        if to_minor and target and isinstance(event, MessageEvent):
            asked = [s for s in signals if s.name in REQUEST_TACTICS and s.score >= 0.5]
            if asked:
                row = self._row(actor, at)
                state = dict(row.state or {})
                requests = dict(state.get("requests", {}))
                requests[target] = [now, event.id, max(asked, key=lambda s: s.score).name]
                state["requests"] = dict(sorted(requests.items(), key=lambda kv: -kv[1][0])[:MAX_REQUESTS])
                row.state = state
        if isinstance(event, MessageEvent):
            self._record_style(actor, event, facts, at)
        where = room_of(event)
        if where is not None and to_minor and actor != where[1]:
            scores = {s.name: s.score for s in signals}
            if adds_evidence(scores):
                room_row = self.get(StreamRoomRow, where[0])
                if room_row is None:
                    room_row = self.new(StreamRoomRow, id=where[0], owner_id=where[1], score=0.0, viewers={},
                                        updated_at=at)
                state, _viewer, room = update_room({"viewers": room_row.viewers or {}}, actor, now, event.id, scores)
                room_row.viewers = state["viewers"]
                room_row.score = room
                room_row.updated_at = max(room_row.updated_at, at)

    def _record_style(self, actor: str, event: MessageEvent, facts: Mapping[str, Any], at: datetime) -> None:
        age = facts.get("sender_account_age_days")
        if age is None or age > STYLE_NEW_DAYS:
            return  # profiles are kept for new accounts only: they are the ones that come back, or are banned
        row = self.get(StyleProfileRow, actor)
        if row is None:
            row = self.new(StyleProfileRow, account_id=actor, banned=False, messages=0, chars=0, grams={},
                           updated_at=at)
        if row.messages >= STYLE_MAX_MESSAGES:
            return
        row.grams = merge_profile(row.grams or {}, style_grams(event.text[:2_000]))
        row.messages += 1
        row.chars += min(len(event.text), 2_000)
        row.updated_at = at
        if row.messages in STYLE_CHECKPOINTS and not row.banned:
            banned = self.session.execute(  # columns, not ORM objects: always as the store has them now
                select(StyleProfileRow.account_id, StyleProfileRow.grams)
                .where(StyleProfileRow.banned.is_(True), StyleProfileRow.messages >= STYLE_MIN_BANNED_MESSAGES,
                       StyleProfileRow.account_id != actor).limit(2_000)
            ).all()
            best, best_sim = None, 0.0
            for other, grams in banned:
                sim = style_similarity(row.grams, grams)
                if sim > best_sim:
                    best, best_sim = other, sim
            if best is not None and best_sim >= STYLE_THRESHOLD:
                # a style link alone stays below the shipped case threshold (0.7)
                weight = round(min(0.65, LINK_WEIGHTS["style"] + (best_sim - STYLE_THRESHOLD)), 3)
                self._link(actor, {"account": best, "via": "style", "weight": weight, "event": event.id,
                                   "similarity": round(best_sim, 3)}, at)

    def _raise(self, memory: Memory, actor: str, event: Event, signals: Sequence[Signal]) -> None:
        if isinstance(event, (ReportEvent, ModerationEvent)):
            return
        best = max((RISK_FROM_SIGNAL[s.name] * s.score for s in signals if s.name in RISK_FROM_SIGNAL),
                   default=0.0)
        if best >= 0.3:
            memory.raise_risk(actor, best, event.occurred_at, event.id)
            row = self._row(actor, event.occurred_at)
            row.score = max(row.score or 0.0, best)


def _is_new(account: AccountRow | None, at: datetime) -> bool:
    """Whether a sender's account is at most :data:`STYLE_NEW_DAYS` old (the ``sender_account_age_days`` fact)."""
    age = account_age_days(account.created_at, at) if account is not None else None
    return age is not None and age <= STYLE_NEW_DAYS


def identifiers_of(event: AccountEvent) -> list[tuple[str, str]]:
    """``(kind, value)`` pairs of an account event: device, e-mail and profile-photo hashes (exact match)."""
    out: list[tuple[str, str]] = []
    if event.device_hash:
        out.append(("device", event.device_hash))
    if event.email_hash:
        out.append(("email", event.email_hash))
    photo = event.profile_photo
    if photo is not None:
        for kind in ("md5", "pdq", "sha256"):
            value = getattr(photo, kind)
            if value:
                out.append((f"photo_{kind}", value.lower()))
    return out


def _via(kind: str) -> str:
    return "photo" if kind.startswith("photo") else kind


def _target(event: Event) -> str | None:
    if isinstance(event, ContactEvent):
        return event.target_id
    if isinstance(event, GiftEvent):
        return event.recipient_id
    if isinstance(event, MessageEvent):
        return event.recipient_ids[0] if event.recipient_ids else event.content_owner_id
    return None


def _dedupe_links(links: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for lk in links:
        seen[(str(lk["account"]), str(lk["via"]))] = dict(lk)
    return list(seen.values())


__all__ = ["BehaviourMemory", "identifiers_of", "merge_profile", "style_grams", "style_similarity"]
