"""The store on both back ends: migrations, time zones, all-or-nothing transactions, API keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select

from waakhond.store.apikeys import create_key, list_keys, revoke_key, verify_key
from waakhond.store.database import Database
from waakhond.store.schema import AccountRow, EventRow


def test_migrations_create_every_table(any_db: Database) -> None:
    tables = set(inspect(any_db.engine).get_table_names())
    assert {"events", "decisions", "accounts", "relations", "conversations", "cases", "api_keys"} <= tables
    any_db.migrate()  # a second run is a no-op


def test_datetimes_come_back_aware_utc(any_db: Database) -> None:
    t = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    with any_db.transaction() as s:
        s.add(EventRow(id="e1", kind="message", occurred_at=t, actor_id="a", digest="d", payload={"x": 1}))
    with any_db.reading() as s:
        row = s.get(EventRow, "e1")
        assert row is not None and row.occurred_at == t and row.occurred_at.tzinfo is not None
        assert row.payload == {"x": 1}


def test_transaction_is_all_or_nothing(any_db: Database) -> None:
    with pytest.raises(RuntimeError), any_db.transaction() as s:
        s.add(AccountRow(id="a", risk=0.0, profile={}, updated_at=datetime.now(UTC)))
        s.flush()
        raise RuntimeError("boom")
    with any_db.reading() as s:
        assert s.scalar(select(func.count()).select_from(AccountRow)) == 0


def test_api_keys_lifecycle(any_db: Database) -> None:
    secret, key = create_key(any_db, "backend")
    assert secret.startswith("wh_") and len(secret) > 30
    assert verify_key(any_db, secret)
    assert not verify_key(any_db, secret + "x")
    assert not verify_key(any_db, None)
    assert [k.name for k in list_keys(any_db)] == ["backend"]
    assert revoke_key(any_db, key.id)
    assert not verify_key(any_db, secret)
    assert not revoke_key(any_db, key.id)


def test_database_url_forms(tmp_path) -> None:
    from waakhond.store.database import _normalise

    assert _normalise("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _normalise("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    db = Database.connect(f"sqlite:///{tmp_path}/nested/dir/w.db")
    assert (tmp_path / "nested" / "dir" / "w.db").exists()
    db.close()


def test_migrations_match_the_models(any_db: Database) -> None:
    """Alembic's autogenerate finds nothing to do: the migrations create exactly the ORM schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from waakhond.store.schema import Base

    with any_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


@pytest.mark.parametrize("value", [
    datetime(2026, 11, 1, 12, 0, tzinfo=UTC), datetime(2026, 10, 1, 8, 0, 47, 88797, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30),  # naive: read as UTC
    datetime(2026, 3, 29, 2, 30, 5, 1, tzinfo=timezone(timedelta(hours=-7))), datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
])
def test_sqlite_stores_datetimes_as_sqlalchemy_datetime_text(value: datetime) -> None:
    """UTCDateTime writes SQLite text itself (faster); it must be exactly the text SQLAlchemy's DATETIME writes,
    or comparisons with stored values and older stores would break."""
    from sqlalchemy.dialects import sqlite

    from waakhond.store.schema import UTCDateTime

    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    stock = sqlite.DATETIME().bind_processor(dialect)
    assert ours is not None and stock is not None
    utc_naive = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
    assert ours(value) == stock(utc_naive)
    assert ours(None) is None
