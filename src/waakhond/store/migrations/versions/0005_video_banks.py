"""video entries in hash banks: vPDQ frame hashes, their digest, per-bank vPDQ percentages (issue 4)

Revision ID: 0005_video_banks
Revises: 0004_banks
Create Date: 2026-11-24

It changes the tables ``0004_banks`` creates, so it follows that revision instead of branching from 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_video_banks"
down_revision = "0004_banks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media_banks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vpdq_compared_pct", sa.Float(), server_default="80", nullable=False))
        batch_op.add_column(sa.Column("vpdq_query_pct", sa.Float(), server_default="0", nullable=False))
    with op.batch_alter_table("media_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vpdq", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("vpdq_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_media_entries_bank_vpdq", ["bank_id", "vpdq_digest"])


def downgrade() -> None:
    with op.batch_alter_table("media_entries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_media_entries_bank_vpdq", type_="unique")
        batch_op.drop_column("vpdq_digest")
        batch_op.drop_column("vpdq")
    with op.batch_alter_table("media_banks", schema=None) as batch_op:
        batch_op.drop_column("vpdq_query_pct")
        batch_op.drop_column("vpdq_compared_pct")
