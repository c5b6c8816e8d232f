"""fewer indexes on events and decisions: fewer pages written per transaction (issue 2)

Revision ID: 0006_write_path_indexes
Revises: 0001
Create Date: 2026-11-25

A single-event transaction wrote ≈ 24 pages of the store, twelve of them for the event and decision rows and
their indexes; every index costs at least one page per transaction, and one per event when its key is random.
Dropped: ``ix_events_kind`` (every query reading a kind also reads an actor, conversation, id or date range,
which have indexes), ``ix_decisions_conversation_id`` and ``ix_decisions_actor_id`` (a decision's conversation
and actor are its event's: those queries join the events table, see ``schema.decisions_of``).
``ix_decisions_verdict`` becomes ``ix_decisions_flagged`` on (verdict, created_at) for verdicts other than
``allow``, the common one, whose decisions ``ix_decisions_created_at`` finds. Memory tables: no query reads
relations by target alone or lists accounts or conversations by risk, and a conversation's risk moves with
nearly every message (its index entry moved with it): ``ix_relations_target``, ``ix_accounts_risk`` and
``ix_conversations_risk`` are dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_write_path_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOT_ALLOW = sa.text("verdict != 'allow'")


def upgrade() -> None:
    op.drop_index("ix_events_kind", table_name="events")
    op.drop_index("ix_decisions_conversation_id", table_name="decisions")
    op.drop_index("ix_decisions_actor_id", table_name="decisions")
    op.drop_index("ix_decisions_verdict", table_name="decisions")
    op.create_index("ix_decisions_flagged", "decisions", ["verdict", "created_at"],
                    postgresql_where=_NOT_ALLOW, sqlite_where=_NOT_ALLOW)
    op.drop_index("ix_relations_target", table_name="relations")
    op.drop_index("ix_accounts_risk", table_name="accounts")
    op.drop_index("ix_conversations_risk", table_name="conversations")


def downgrade() -> None:
    op.create_index("ix_conversations_risk", "conversations", ["risk"])
    op.create_index("ix_accounts_risk", "accounts", ["risk"])
    op.create_index("ix_relations_target", "relations", ["target_id"])
    op.drop_index("ix_decisions_flagged", table_name="decisions")
    op.create_index("ix_decisions_verdict", "decisions", ["verdict"])
    op.create_index("ix_decisions_actor_id", "decisions", ["actor_id"])
    op.create_index("ix_decisions_conversation_id", "decisions", ["conversation_id"])
    op.create_index("ix_events_kind", "events", ["kind"])
