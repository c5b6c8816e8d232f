"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("age_band", sa.String(length=20), nullable=True),
        sa.Column("age_source", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("has_profile_photo", sa.Boolean(), nullable=False),
        sa.Column("trusted_flagger", sa.Boolean(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("reports_received", sa.Integer(), nullable=False),
        sa.Column("blocks_received", sa.Integer(), nullable=False),
        sa.Column("first_contacts", sa.Integer(), nullable=False),
        sa.Column("first_contacts_to_minors", sa.Integer(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_risk"), ["risk"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject_key", sa.String(length=460), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("priority_rank", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=450), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_cases_queue", ["status", "priority_rank", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_subject_key"), ["subject_key"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=450), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("alert_event_id", sa.String(length=200), nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("nudged", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_risk"), ["risk"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=450), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_events_conversation", ["conversation_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_occurred_at"), ["occurred_at"], unique=False)

    op.create_table(
        "relations",
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("follows", sa.Boolean(), nullable=False),
        sa.Column("friends", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "target_id"),
    )
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.create_index("ix_relations_target", ["target_id"], unique=False)

    op.create_table(
        "risk_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("risk_history", schema=None) as batch_op:
        batch_op.create_index("ix_risk_history_account", ["account_id", "at"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=450), nullable=True),
        sa.Column("actor_id", sa.String(length=200), nullable=True),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
        ),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_verdict"), ["verdict"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_verdict"))
        batch_op.drop_index(batch_op.f("ix_decisions_created_at"))
        batch_op.drop_index(batch_op.f("ix_decisions_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_actor_id"))

    op.drop_table("decisions")
    with op.batch_alter_table("risk_history", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_history_account")

    op.drop_table("risk_history")
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.drop_index("ix_relations_target")

    op.drop_table("relations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_events_kind"))
        batch_op.drop_index("ix_events_conversation")
        batch_op.drop_index(batch_op.f("ix_events_actor_id"))

    op.drop_table("events")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_risk"))

    op.drop_table("conversations")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_subject_key"))
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index("ix_cases_queue")
        batch_op.drop_index(batch_op.f("ix_cases_account_id"))

    op.drop_table("cases")
    op.drop_table("api_keys")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_risk"))

    op.drop_table("accounts")
