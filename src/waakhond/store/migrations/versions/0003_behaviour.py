"""account behaviour, identifiers for ban evasion, writing-style profiles, livestream rooms (issue 6)

Revision ID: 0003_behaviour
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_behaviour"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_behaviour",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    with op.batch_alter_table("account_behaviour", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_behaviour_score"), ["score"], unique=False)

    op.create_table(
        "account_identifiers",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", "account_id"),
    )
    with op.batch_alter_table("account_identifiers", schema=None) as batch_op:
        batch_op.create_index("ix_account_identifiers_account", ["account_id"], unique=False)

    op.create_table(
        "style_profiles",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("grams", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    with op.batch_alter_table("style_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_style_profiles_banned"), ["banned"], unique=False)

    op.create_table(
        "stream_rooms",
        sa.Column("id", sa.String(length=450), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("viewers", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stream_rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stream_rooms_score"), ["score"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stream_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_rooms_score"))
    op.drop_table("stream_rooms")
    with op.batch_alter_table("style_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_style_profiles_banned"))
    op.drop_table("style_profiles")
    with op.batch_alter_table("account_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_account_identifiers_account")
    op.drop_table("account_identifiers")
    with op.batch_alter_table("account_behaviour", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_behaviour_score"))
    op.drop_table("account_behaviour")
