"""Memory over the store: reads the facts an event needs and records what the event changed.

One :class:`Memory` lives for one transaction (one batch of events), so everything it writes is committed
together with the decisions, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session

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
from waakhond.memory.ages import UNKNOWN, Age, account_age_days, age_gap, age_of
from waakhond.memory.keys import actor_of, conversation_of, targets_of
from waakhond.memory.rows import Rows
from waakhond.store.direct import Direct
from waakhond.store.schema import (
    AccountRow,
    CaseRow,
    ConversationRow,
    DecisionRow,
    EventRow,
    RelationRow,
    RiskPointRow,
)

R = TypeVar("R")

NUDGE_LANGUAGES = ("nl", "en", "de", "fr")

#: Account risk halves every this many days without new evidence.
ACCOUNT_RISK_HALF_LIFE_DAYS = 30.0

# The batch's own statements, compiled once per dialect and run on the DBAPI cursor (see store/direct.py).
_EVENT_COLUMNS = tuple(c.key for c in EventRow.__table__.columns)
_DECISION_COLUMNS = tuple(c.key for c in DecisionRow.__table__.columns)
_RISK_POINT_COLUMNS = ("account_id", "at", "risk", "event_id")  # the store numbers them
_INSERT_EVENTS = Direct(insert(EventRow))
_INSERT_DECISIONS = Direct(insert(DecisionRow))
_INSERT_RISK_POINTS = Direct(insert(RiskPointRow))
_OPEN_CASE = Direct(select(*CaseRow.__table__.c).where(CaseRow.subject_key == bindparam("subject"),
                                                        CaseRow.status == "open"))
_event_values = itemgetter(*_EVENT_COLUMNS)
_decision_values = itemgetter(*_DECISION_COLUMNS)
_risk_point_values = itemgetter(*_RISK_POINT_COLUMNS)


class Memory:
    """Memory for one transaction. Rows are read once per batch and kept as plain objects (see
    :mod:`waakhond.memory.rows`), so an event costs no query of its own; what the batch changed is written with
    a few bulk statements before any other query of the transaction runs, and before it commits."""

    def __init__(self, session: Session, conn: Connection | None = None) -> None:
        self.session = session
        self._conn: Connection | None = conn  # the session's connection (asked for when first needed if not given)
        self._tables: dict[type, Rows[Any]] = {}
        self.accounts: Rows[AccountRow] = self.rows(AccountRow)
        self.relations: Rows[RelationRow] = self.rows(RelationRow)
        self.conversations: Rows[ConversationRow] = self.rows(ConversationRow)
        self._events: list[dict[str, Any]] = []
        self._decisions: list[dict[str, Any]] = []
        self._risk_points: list[dict[str, Any]] = []
        self._open_cases: dict[str, int | None] = {}  # subject → id of its open case (None: it has none)
        # What the batch wrote becomes visible before any ORM query runs (as the ORM's autoflush would), so
        # detectors and memory that query the store within a batch see the earlier events of the same batch.
        session.info["memory"] = self

    @property
    def conn(self) -> Connection:
        """The transaction's connection (memory reads and writes go through it with Core statements)."""
        if self._conn is None:
            self._conn = self.session.connection()
        return self._conn

    def rows(self, model: type[R]) -> Rows[R]:
        """This transaction's rows of ``model``'s table (created on first use; flushed in that order)."""
        if model not in self._tables:
            self._tables[model] = Rows(model)
        return self._tables[model]

    # ---- the events and decisions of the batch, written together ---------------------------------------
    def append_event(self, event_row: dict[str, Any], decision_row: dict[str, Any]) -> None:
        """Queue an event and its decision; they are written in one statement per table (much cheaper
        than one ORM object each)."""
        self._events.append(event_row)
        self._decisions.append(decision_row)

    def flush(self, everything: bool = True) -> None:
        """Write the queued events, decisions and risk points and the changed memory rows."""
        conn = self.conn
        if self._events:
            events, decisions = self._events, self._decisions
            self._events, self._decisions = [], []
            _INSERT_EVENTS.write(conn, _EVENT_COLUMNS, [_event_values(e) for e in events])
            _INSERT_DECISIONS.write(conn, _DECISION_COLUMNS, [_decision_values(d) for d in decisions])
        if self._risk_points:
            points, self._risk_points = self._risk_points, []
            _INSERT_RISK_POINTS.write(conn, _RISK_POINT_COLUMNS, [_risk_point_values(p) for p in points])
        for rows in self._tables.values():
            rows.flush(conn, everything)

    def prefetch_batch(self, events: Sequence[Event]) -> None:
        """Load in three queries the accounts, relations and conversations a whole batch will read."""
        ids: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        conversations: set[str] = set()
        for event in events:
            actor = actor_of(event)
            targets = targets_of(event)
            ids.update(targets)
            if actor:
                ids.add(actor)
                for t in targets:
                    pairs.update(((actor, t), (t, actor)))
            cid = conversation_of(event)
            if cid:
                conversations.add(cid)
        conn = self.conn
        self.accounts.load(conn, ids)
        self.relations.load(conn, pairs)
        self.conversations.load(conn, conversations)

    # ---- review cases --------------------------------------------------------------------------------------
    def open_case(self, subject: str) -> CaseRow | None:
        """The open review case about ``subject`` (``conversation:…`` or ``account:…``), or None; one query per
        subject per batch."""
        cases = self.rows(CaseRow)
        if subject not in self._open_cases:
            found = _OPEN_CASE.fetch(self.conn, ("subject",), (subject,))
            self._open_cases[subject] = cases.adopt(found[0]).id if found else None
        case_id = self._open_cases[subject]
        return cases.get(self.conn, case_id) if case_id is not None else None

    def new_case(self, **values: Any) -> CaseRow:
        """Open a case; it is inserted at once, since the decision names its id."""
        case = self.rows(CaseRow).insert_now(self.conn, status="open", **values)
        self._open_cases[case.subject_key] = case.id
        return case

    # ---- reads -------------------------------------------------------------------------------------------
    def account(self, account_id: str | None) -> AccountRow | None:
        return self.accounts.get(self.conn, account_id) if account_id else None

    def relation(self, source: str, target: str) -> RelationRow | None:
        return self.relations.get(self.conn, (source, target))

    def conversation(self, conversation_id: str) -> ConversationRow | None:
        return self.conversations.get(self.conn, conversation_id)

    def age(self, account: AccountRow | None, at: datetime) -> Age:
        if account is None:
            return UNKNOWN
        return age_of(birth_year=account.birth_year, age_band=account.age_band, at=at)

    def is_stranger(self, a: str, b: str) -> bool:
        """No mutual follow, no friendship and no two-way conversation between ``a`` and ``b``."""
        ab, ba = self.relation(a, b), self.relation(b, a)
        if (ab and ab.friends) or (ba and ba.friends):
            return False
        if ab and ba and ab.follows and ba.follows:
            return False
        return not (ab and ba and ab.messages > 0 and ba.messages > 0)

    def facts_for(self, event: Event, conversation: ConversationRow | None) -> dict[str, Any]:
        """The facts of :data:`waakhond.memory.facts.FACTS` as they stand *before* this event is recorded."""
        at = event.occurred_at
        actor_id = actor_of(event)
        actor = self.account(actor_id)
        sender_age = self.age(actor, at)
        targets = targets_of(event)
        youngest: Age = UNKNOWN
        language: str | None = None
        for t in targets:
            acc = self.account(t)
            a = self.age(acc, at)
            if a.is_minor and (youngest.years is None or (a.years or 99) < youngest.years):
                youngest = a
            if language is None and acc is not None and acc.language:
                language = acc.language[:2].lower()
        if language is None and isinstance(event, MessageEvent) and event.lang:
            language = event.lang
        first_contact = bool(actor_id) and any(self.relation(actor_id, t) is None for t in targets)  # type: ignore[arg-type]
        stranger = bool(actor_id) and any(self.is_stranger(actor_id, t) for t in targets)  # type: ignore[arg-type]
        facts: dict[str, Any] = {
            "kind": event.kind,
            "channel": event.channel.value if isinstance(event, MessageEvent) else "",
            "sender_age": sender_age.years,
            "sender_is_adult": sender_age.is_adult,
            "sender_is_minor": sender_age.is_minor,
            "sender_age_unknown": sender_age.unknown,
            "sender_age_verified": bool(actor and actor.age_source == "verified"),
            "sender_account_age_days": account_age_days(actor.created_at, at) if actor else None,
            "sender_has_profile_photo": bool(actor and actor.has_profile_photo),
            "sender_risk": round(self.decayed_risk(actor, at), 4) if actor else 0.0,
            "sender_reports_received": actor.reports_received if actor else 0,
            "sender_is_suspended": bool(actor and actor.suspended),
            "sender_is_trusted_flagger": bool(actor and actor.trusted_flagger),
            "sender_blocks_received": actor.blocks_received if actor else 0,
            "sender_first_contacts_to_minors": actor.first_contacts_to_minors if actor else 0,
            "sender_following_count": _count(actor, "following"),
            "sender_posts_count": _count(actor, "posts"),
            "sender_linked_to_suspended": bool(actor and (actor.profile or {}).get("linked_to_suspended")),
            "recipient_age": youngest.years,
            "recipient_is_minor": youngest.is_minor,
            "recipient_language": language if language in NUDGE_LANGUAGES else "en",
            "age_gap": age_gap(sender_age, youngest) if youngest.is_minor else None,
            "is_first_contact": first_contact,
            "is_stranger": stranger,
            "conversation_risk": conversation.risk if conversation else 0.0,
            "conversation_alert": False,
            "conversation_alerted": bool(conversation and conversation.alerted),
            "report_category": event.category.value if isinstance(event, ReportEvent) else None,
            "reporter_is_trusted_flagger": isinstance(event, ReportEvent)
            and (event.trusted_flagger or bool(actor and actor.trusted_flagger)),
            "gift_amount": event.amount if isinstance(event, GiftEvent) else None,
            "contact_action": event.action if isinstance(event, ContactEvent) else None,
            "moderation_action": event.action if isinstance(event, ModerationEvent) else None,
            "media_purpose": event.purpose if isinstance(event, MediaEvent) else None,
        }
        return facts

    @staticmethod
    def decayed_risk(account: AccountRow, at: datetime) -> float:
        days = max(0.0, (at - account.updated_at).total_seconds() / 86400)
        return float(account.risk * 0.5 ** (days / ACCOUNT_RISK_HALF_LIFE_DAYS))

    # ---- writes ------------------------------------------------------------------------------------------
    def _ensure_account(self, account_id: str, at: datetime) -> AccountRow:
        acc = self.account(account_id)
        if acc is None:
            acc = self.accounts.new(
                id=account_id,
                risk=0.0,
                reports_received=0,
                blocks_received=0,
                first_contacts=0,
                first_contacts_to_minors=0,
                has_profile_photo=False,
                trusted_flagger=False,
                suspended=False,
                profile={},
                updated_at=at,
            )
        return acc

    def _touch_relation(self, source: str, target: str, at: datetime) -> tuple[RelationRow, bool]:
        rel = self.relation(source, target)
        created = rel is None
        if rel is None:
            rel = self.relations.new(
                source_id=source, target_id=target, follows=False, friends=False, blocked=False,
                messages=0, first_at=at, last_at=at,
            )
        rel.last_at = max(rel.last_at, at)
        return rel, created

    def apply_account(self, event: AccountEvent) -> None:
        acc = self._ensure_account(event.account_id, event.occurred_at)
        for field in ("birth_year", "created_at", "language"):
            value = getattr(event, field)
            if value is not None:
                setattr(acc, field, value)
        if event.age_band is not None:
            acc.age_band = event.age_band.value
        acc.age_source = event.age_source.value
        acc.trusted_flagger = event.trusted_flagger
        if event.profile_photo is not None:
            acc.has_profile_photo = True
        profile = dict(acc.profile or {})
        for field in ("display_name", "device_hash", "email_hash"):
            value = getattr(event, field)
            if value is not None:
                profile[field] = value
        if event.counts is not None:
            profile["counts"] = event.counts.model_dump()
        if event.profile_photo is not None:
            profile["profile_photo"] = event.profile_photo.model_dump(exclude_none=True)
        acc.profile = profile

    def record(self, event: Event, facts: Mapping[str, Any]) -> None:
        """Update accounts and relations for an event (after detection, before policy)."""
        at = event.occurred_at
        if isinstance(event, AccountEvent):
            self.apply_account(event)
            return
        actor_id = actor_of(event)
        targets = targets_of(event)
        if actor_id is not None:
            actor = self._ensure_account(actor_id, at)
            for t in targets:
                self._ensure_account(t, at)
                rel, created = self._touch_relation(actor_id, t, at)
                if created and not isinstance(event, (ReportEvent, ModerationEvent)):
                    actor.first_contacts += 1
                    if facts.get("recipient_is_minor"):
                        actor.first_contacts_to_minors += 1
                if isinstance(event, MessageEvent):
                    rel.messages += 1
                elif isinstance(event, ContactEvent):
                    self._apply_contact(event, rel, t, at)
        if isinstance(event, ReportEvent) and event.subject_account_id:
            self._ensure_account(event.subject_account_id, at).reports_received += 1

    def _apply_contact(self, event: ContactEvent, rel: RelationRow, target: str, at: datetime) -> None:
        if event.action == "follow":
            rel.follows = True
        elif event.action == "unfollow":
            rel.follows = False
        elif event.action == "friend_accept":
            rel.friends = True
            back, _ = self._touch_relation(target, event.actor_id, at)
            back.friends = True
        elif event.action == "block":
            rel.blocked = True
            self._ensure_account(target, at).blocks_received += 1

    def raise_risk(self, account_id: str, risk: float, at: datetime, event_id: str) -> None:
        """Account risk is the decayed earlier risk or the new evidence, whichever is higher."""
        acc = self._ensure_account(account_id, at)
        current = self.decayed_risk(acc, at)
        new = max(current, min(1.0, risk))
        if new > current + 0.01 or abs(acc.risk - new) > 0.01:
            self._risk_points.append({"account_id": account_id, "at": at, "risk": round(new, 4), "event_id": event_id})
        acc.risk = new
        acc.updated_at = max(acc.updated_at, at)

    def suspend(self, account_id: str, at: datetime) -> None:
        self._ensure_account(account_id, at).suspended = True

    def conversation_row(self, conversation_id: str, channel: str, at: datetime) -> ConversationRow:
        row = self.conversation(conversation_id)
        if row is None:
            row = self.conversations.new(
                id=conversation_id, channel=channel, participants=[], risk=0.0, alerted=False,
                message_count=0, state={}, nudged=[], created_at=at, last_at=at,
            )
        return row

    def risk_history(self, account_id: str, limit: int = 200) -> list[RiskPointRow]:
        q = (
            select(RiskPointRow)
            .where(RiskPointRow.account_id == account_id)
            .order_by(RiskPointRow.at.desc())
            .limit(limit)
        )
        return list(reversed(self.session.scalars(q).all()))


@sa_event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    """Flush the memory of the query's session first (one listener for all sessions: registering one per
    session cost more than the rest of a transaction's set-up)."""
    memory = state.session.info.get("memory")
    if memory is not None:
        memory.flush(everything=False)


def _count(account: AccountRow | None, name: str) -> int | None:
    """A profile count (``following``, ``posts``) from the last account event, if the platform sent one."""
    counts = (account.profile or {}).get("counts") if account is not None else None
    value = counts.get(name) if isinstance(counts, dict) else None
    return int(value) if isinstance(value, int) else None
