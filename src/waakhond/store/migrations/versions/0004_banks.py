"""media hash banks, their entries, the bank change counter, profile photos (issue 4)

Revision ID: 0004_banks
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004_banks"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_banks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("pdq_threshold", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "media_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("vpdq_ref", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("added_by", sa.String(length=200), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("last_match_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flood_window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flood_window_count", sa.Integer(), nullable=False),
        sa.Column("flood_baseline", sa.Float(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quarantine_case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["bank_id"], ["media_banks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bank_id", "pdq", name="uq_media_entries_bank_pdq"),
        sa.UniqueConstraint("bank_id", "md5", name="uq_media_entries_bank_md5"),
        sa.UniqueConstraint("bank_id", "sha256", name="uq_media_entries_bank_sha256"),
    )
    with op.batch_alter_table("media_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_entries_import_id"), ["import_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_entries_seq"), ["seq"], unique=False)
        batch_op.create_index("ix_media_entries_md5", ["md5"], unique=False)
        batch_op.create_index("ix_media_entries_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_media_entries_bank_status", ["bank_id", "status"], unique=False)

    state = op.create_table(
        "media_bank_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(state, [{"id": 1, "seq": 0, "store_id": str(uuid.uuid4())}])

    op.create_table(
        "profile_photos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("photo_key", sa.String(length=170), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "photo_key", name="uq_profile_photos_account_key"),
    )
    with op.batch_alter_table("profile_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_photos_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_profile_photos_md5"), ["md5"], unique=False)
        batch_op.create_index(batch_op.f("ix_profile_photos_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_table("profile_photos")
    op.drop_table("media_bank_state")
    with op.batch_alter_table("media_entries", schema=None) as batch_op:
        for name in ("ix_media_entries_bank_status", "ix_media_entries_sha256", "ix_media_entries_md5",
                     "ix_media_entries_seq", "ix_media_entries_import_id"):
            batch_op.drop_index(name)
    op.drop_table("media_entries")
    op.drop_table("media_banks")
