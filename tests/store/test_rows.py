"""Memory rows (``waakhond.memory.rows``): read in bulk by key, written back as changed columns only. Both stores."""

from __future__ import annotations

from datetime import UTC, datetime

from waakhond.memory.rows import COMPOSITE_CHUNK, Rows
from waakhond.store.database import Database
from waakhond.store.schema import AccountRow, RelationRow

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_composite_keys_are_read_exactly_in_chunks(any_db: Database) -> None:
    stored = {(f"a{i}", f"b{i % 7}") for i in range(COMPOSITE_CHUNK + 100)}
    with any_db.transaction() as s:
        rows = Rows(RelationRow)
        for source, target in sorted(stored):
            rows.new(source_id=source, target_id=target, follows=False, friends=False, blocked=False, messages=1,
                     first_at=AT, last_at=AT)
        rows.flush(s.connection(), everything=True)
    # every stored pair, the reversed pairs (not stored, but made of the same ids) and pairs of unknown ids
    wanted = stored | {(t, src) for src, t in stored} | {("nobody", "b1")}
    with any_db.reading() as s:
        rows = Rows(RelationRow)
        rows.load(s.connection(), wanted)
        assert {k for k, r in rows.rows.items() if r is not None} == stored
        assert all(rows.rows[k] is None for k in wanted - stored)
        assert rows.rows[("a3", "b3")].messages == 1  # type: ignore[union-attr]


def test_only_changed_columns_are_written(any_db: Database) -> None:
    with any_db.transaction() as s:
        rows = Rows(AccountRow)
        rows.new(id="u1", risk=0.1, suspended=False, updated_at=AT, profile={})
        rows.flush(s.connection(), everything=True)
    with any_db.transaction() as s:  # this transaction reads the account ...
        rows = Rows(AccountRow)
        account = rows.get(s.connection(), "u1")
        assert account is not None
        with any_db.transaction() as other:  # ... while an operator suspends it elsewhere
            other.get(AccountRow, "u1").suspended = True  # type: ignore[union-attr]
        account.risk = 0.5
        rows.flush(s.connection(), everything=True)
    with any_db.reading() as s:
        stored = s.get(AccountRow, "u1")
        assert stored is not None and stored.risk == 0.5 and stored.suspended  # the suspension is kept
