"""Tables of the store. One schema for SQLite (embedded default) and PostgreSQL.

Alembic migrations in ``store/migrations`` create these; the ORM classes here are the single source of truth
for column names and types.
"""

from __future__ import annotations

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
    String,
    Text,
    TypeDecorator,
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


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class EventRow(Base):
    """Every accepted event, as received. ``digest`` detects an id reused for a different event."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(200), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(450))
    digest: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_events_conversation", "conversation_id", "occurred_at"),)


class DecisionRow(Base):
    __tablename__ = "decisions"

    event_id: Mapped[str] = mapped_column(String(200), ForeignKey("events.id"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(40), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(450), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(200), index=True)
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
    risk: Mapped[float] = mapped_column(Float, default=0.0, index=True)
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

    __table_args__ = (Index("ix_relations_target", "target_id"),)


class ConversationRow(Base):
    """A DM pair, a room or a comment thread, with the conversation-risk state of the detector."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(450), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    participants: Mapped[list[Any]] = mapped_column(default=list)
    risk: Mapped[float] = mapped_column(Float, default=0.0, index=True)
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
