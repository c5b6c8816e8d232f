"""Tables of the store. One schema for SQLite (embedded default) and PostgreSQL.

Alembic migrations in ``store/migrations`` create these; the ORM classes here are the single source of truth
for column names and types.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones: store UTC, re-attach on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, the same text SQLAlchemy's DATETIME stores (``2026-11-01 12:00:00.000000``, UTC) made in
        one step by ``isoformat``: binding datetimes was a noticeable part of writing a batch. Other
        backends bind as usual (``process_bind_param``)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text


@functools.lru_cache(maxsize=4096)
def _sqlite_text(value: datetime | None) -> str | None:
    """``value`` as SQLite text (see :meth:`UTCDateTime.bind_processor`). Cached: a batch binds the same few
    datetimes many times (an event's time is its relation's, conversation's and account's last time too, and the
    time of processing goes in two columns). Equal datetimes are the same instant, so they have the same text."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class EventRow(Base):
    """Every accepted event, as received. ``digest`` detects an id reused for a different event.

    Every index costs each write transaction at least one more page (see ``0006_write_path_indexes``): there is
    none on ``kind`` alone (every query that reads a kind also reads an actor, a conversation, an id or a date
    range, which have theirs)."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(200), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(450))
    digest: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_events_conversation", "conversation_id", "occurred_at"),)


class DecisionRow(Base):
    """The decision on one event (``body``: what the API answered).

    ``conversation_id`` and ``actor_id`` are the event's own, so queries by conversation or account go through
    the events table's indexes (:func:`decisions_of`); verdicts other than ``allow`` have a partial index
    (``allow`` is most decisions, so ``created_at``'s index finds them). Fewer indexes: fewer pages written per
    transaction (``0006_write_path_indexes``)."""

    __tablename__ = "decisions"

    event_id: Mapped[str] = mapped_column(String(200), ForeignKey("events.id"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[str | None] = mapped_column(String(450))
    actor_id: Mapped[str | None] = mapped_column(String(200))
    policy_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    body: Mapped[dict[str, Any]]


class AccountRow(Base):
    """What memory knows of an account: its facts and its accumulated risk."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[str | None] = mapped_column(String(20))
    age_source: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime | None] = mapped_column()
    language: Mapped[str | None] = mapped_column(String(8))
    has_profile_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted_flagger: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    risk: Mapped[float] = mapped_column(Float, default=0.0)  # no index: nothing lists accounts by risk (0006)
    reports_received: Mapped[int] = mapped_column(Integer, default=0)
    blocks_received: Mapped[int] = mapped_column(Integer, default=0)
    first_contacts: Mapped[int] = mapped_column(Integer, default=0)
    first_contacts_to_minors: Mapped[int] = mapped_column(Integer, default=0)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RelationRow(Base):
    """Directed relation ``source → target``: follows, friendship, messages sent, first contact time."""

    __tablename__ = "relations"

    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    follows: Mapped[bool] = mapped_column(Boolean, default=False)
    friends: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    # no index on target_id alone: every query reads a relation by its source (0006)


class ConversationRow(Base):
    """A DM pair, a room or a comment thread, with the conversation-risk state of the detector."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(450), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    participants: Mapped[list[Any]] = mapped_column(default=list)
    # no index: the risk moves with nearly every message, and nothing lists conversations by it (0006)
    risk: Mapped[float] = mapped_column(Float, default=0.0)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_event_id: Mapped[str | None] = mapped_column(String(200))
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    nudged: Mapped[list[Any]] = mapped_column(default=list)  # "recipient:topic" nudges already shown
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime | None] = mapped_column()


class RiskPointRow(Base):
    """Account risk over time (a point is written when the risk moves), for the console's chart."""

    __tablename__ = "risk_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column()
    risk: Mapped[float] = mapped_column(Float)
    event_id: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_risk_history_account", "account_id", "at"),)


class CaseRow(Base):
    """A review case: one open case per subject (conversation or account), raised in priority as needed."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_key: Mapped[str] = mapped_column(String(460), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    priority: Mapped[str] = mapped_column(String(10))
    priority_rank: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[str | None] = mapped_column(String(200), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(450))
    reason: Mapped[str] = mapped_column(Text)
    event_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_cases_queue", "status", "priority_rank", "created_at"),)


class ApiKeyRow(Base):
    """API keys: only a SHA-256 of the key is kept (keys are long random strings, so no slow hash needed)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


# ---- review console (issue 5) ----
class ConsoleUserRow(Base):
    """A person who works in the review console. Only a scrypt hash of the password is kept."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    last_login_at: Mapped[datetime | None] = mapped_column()


class ConsoleSessionRow(Base):
    """A login session. The cookie holds a random token; the store keeps its SHA-256 and the CSRF token."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("console_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class LoginAttemptRow(Base):
    """Login attempts, for rate limiting by user name and by client address."""

    __tablename__ = "console_login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_login_attempts_user", "username", "at"),
        Index("ix_login_attempts_client", "client", "at"),
    )


class CaseActivityRow(Base):
    """What people did on a case (notes, actions, reveals), shown as the case's timeline."""

    __tablename__ = "case_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_case_activity_case", "case_id", "at"),)


class ApprovalRow(Base):
    """A four-eyes request: an action that waits for a second person's approval before it is carried out."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("cases.id"), index=True)
    account_id: Mapped[str | None] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(Text, default="")


class AuditEntryRow(Base):
    """The append-only, hash-chained audit log (see ``waakhond.audit``). Never updated, never deleted."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(460), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


# "Reports received" for the console's case page: a partial expression index on the reported account.
Index("ix_events_report_subject", EventRow.payload["subject_account_id"].as_string(), EventRow.occurred_at,
      postgresql_where=EventRow.kind == "report", sqlite_where=EventRow.kind == "report")

#: The condition of the partial index on flagged verdicts, as a literal: SQLite uses a partial index only for a
#: query that repeats its condition term for term (a bound parameter does not count).
NOT_ALLOW = DecisionRow.verdict != literal_column("'allow'")
Index("ix_decisions_flagged", DecisionRow.verdict, DecisionRow.created_at,
      postgresql_where=NOT_ALLOW, sqlite_where=NOT_ALLOW)


def decisions_of(query: Select[Any], *, conversation_id: str | None = None, account_id: str | None = None,
                 verdict: str | None = None) -> Select[Any]:
    """``query`` (over :class:`DecisionRow`) narrowed to one conversation, acting account or verdict, written so
    the store answers from an index: conversation and account through the events table (a decision's are its
    event's), a verdict other than ``allow`` through ``ix_decisions_flagged``."""
    if conversation_id is not None or account_id is not None:
        query = query.join(EventRow, EventRow.id == DecisionRow.event_id)
    if conversation_id is not None:
        query = query.where(EventRow.conversation_id == conversation_id, DecisionRow.conversation_id == conversation_id)
    if account_id is not None:
        query = query.where(EventRow.actor_id == account_id, DecisionRow.actor_id == account_id)
    if verdict is not None:
        query = query.where(DecisionRow.verdict == verdict)
        if verdict != "allow":
            query = query.where(NOT_ALLOW)
    return query


# ---- account behaviour (issue 6) ----


class AccountBehaviourRow(Base):
    """Bounded behaviour windows of one account (recent first contacts to minors, reports and blocks by
    children, gifts, links to suspended accounts); see :mod:`waakhond.memory.behaviour`."""

    __tablename__ = "account_behaviour"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountIdentifierRow(Base):
    """An identifier an account was seen with (device hash, e-mail hash, profile-photo hash), for linking a new
    account to a suspended one. Only hashes the platform sends are stored, never raw e-mail addresses."""

    __tablename__ = "account_identifiers"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    first_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_account_identifiers_account", "account_id"),)


class StyleProfileRow(Base):
    """A small character n-gram profile of an account's first messages (bounded), for writing-style links."""

    __tablename__ = "style_profiles"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    banned: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    chars: Mapped[int] = mapped_column(Integer, default=0)
    grams: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StreamRoomRow(Base):
    """Risk of a livestream room or a comment thread, with a bounded score per viewer."""

    __tablename__ = "stream_rooms"

    id: Mapped[str] = mapped_column(String(450), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    viewers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- hotline reporting, legal holds, action webhooks (issue 5, items 6 and 7) ----


class HotlineReportRow(Base):
    """One hotline submission of a case (NCMEC CyberTipline): queued after four-eyes approval, then sent by the
    reporting worker. A failure is kept with its error text until a person retries it."""

    __tablename__ = "hotline_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    approval_id: Mapped[int | None] = mapped_column(Integer)
    hotline: Mapped[str] = mapped_column(String(20), default="ncmec")
    environment: Mapped[str] = mapped_column(String(20), default="test")
    status: Mapped[str] = mapped_column(String(20), index=True)  # queued, submitting, submitted, failed, retracted
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)  # incident type, classification, reviewer note
    prior_report_ids: Mapped[list[Any]] = mapped_column(default=list)
    report_id: Mapped[str | None] = mapped_column(String(40), index=True)  # the hotline's id for the report
    files: Mapped[list[Any]] = mapped_column(default=list)  # [{file_id, name, kind, md5}]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    approved_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()


class LegalHoldRow(Base):
    """A legal hold on a case: its evidence is never purged while the hold is in force."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column()


class WebhookDeliveryRow(Base):
    """The webhook outbox: one row per (endpoint, decision), delivered with retries by a background worker."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(64))  # sha256 of the URL, so the row never holds a secret URL
    event_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ux_webhook_deliveries_endpoint_event", "endpoint", "event_id", unique=True),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class WebhookCursorRow(Base):
    """How far the webhook worker has read the decisions table, per endpoint."""

    __tablename__ = "webhook_cursors"

    endpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column()
    event_id: Mapped[str] = mapped_column(String(200), default="")
# ---- media hash banks and profile photos (issue 4) ----


class MediaBankRow(Base):
    """A bank of known hashes: a hotline's list, the platform's own list, an allow-list, protected photos.

    ``role``: ``match`` (matches become ``known_media`` signals), ``allow`` (a negative bank: a match here
    suppresses PDQ matches of other banks — memes, stock images, logos that collide) or ``protected``
    (photos a family registered; only profile photos are compared with them, see ``photo_reuse``)."""

    __tablename__ = "media_banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(String(20), default="match")
    category: Mapped[str] = mapped_column(String(60), default="csam")
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    #: vPDQ: a video matches an entry when this share of the entry's distinct frames is matched …
    vpdq_compared_pct: Mapped[float] = mapped_column(Float, default=80.0, server_default="80")
    #: … and this share of the upload's (0: an upload may contain other footage too).
    vpdq_query_pct: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaEntryRow(Base):
    """One known picture or video in a bank: its hashes and where they came from, never its bytes.

    ``status``: ``active``, ``disabled`` (reversible), ``tombstoned`` (removed for good: kept so that a
    re-import of the same list does not bring it back) or ``pending`` (rows of an import that has not
    finished; never matched). ``seq`` is the store-wide change number of the last change that matters to
    the in-memory index (see :mod:`waakhond.banks.index`). The ``match_*``/``flood_*`` columns are flood
    control's counters (:mod:`waakhond.banks.flood`)."""

    __tablename__ = "media_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(Integer, ForeignKey("media_banks.id"))
    pdq: Mapped[str | None] = mapped_column(String(64))
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    vpdq_ref: Mapped[str | None] = mapped_column(String(500))
    #: a video's frame hashes, the vPDQ reference's lines ``frame_number,quality,pdq_hex,timestamp``
    vpdq: Mapped[str | None] = mapped_column(Text)
    #: SHA-256 of ``vpdq``: one entry per video and bank, so re-importing a list changes nothing
    vpdq_digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="active")
    category: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_id: Mapped[str | None] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0, index=True)
    match_count: Mapped[int] = mapped_column(Integer, default=0)
    last_match_at: Mapped[datetime | None] = mapped_column()
    flood_window_start: Mapped[datetime | None] = mapped_column()
    flood_window_count: Mapped[int] = mapped_column(Integer, default=0)
    flood_baseline: Mapped[float] = mapped_column(Float, default=0.0)
    quarantined_at: Mapped[datetime | None] = mapped_column()
    quarantine_case_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("bank_id", "pdq", name="uq_media_entries_bank_pdq"),
        UniqueConstraint("bank_id", "md5", name="uq_media_entries_bank_md5"),
        UniqueConstraint("bank_id", "sha256", name="uq_media_entries_bank_sha256"),
        UniqueConstraint("bank_id", "vpdq_digest", name="uq_media_entries_bank_vpdq"),
        Index("ix_media_entries_md5", "md5"),
        Index("ix_media_entries_sha256", "sha256"),
        Index("ix_media_entries_bank_status", "bank_id", "status"),
    )


class MediaBankStateRow(Base):
    """One row: the store-wide change number of banks and entries, and a random id of this store (a saved
    index file is only valid for the store that wrote it)."""

    __tablename__ = "media_bank_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    store_id: Mapped[str] = mapped_column(String(36))


class ProfilePhotoRow(Base):
    """A profile photo an account used, by its hashes (never the photo), for ``photo_reuse``."""

    __tablename__ = "profile_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(200), index=True)
    photo_key: Mapped[str] = mapped_column(String(170))
    pdq: Mapped[str | None] = mapped_column(String(64))
    md5: Mapped[str | None] = mapped_column(String(32), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()

    __table_args__ = (UniqueConstraint("account_id", "photo_key", name="uq_profile_photos_account_key"),)
