"""Connecting to the store: the embedded SQLite default or PostgreSQL, migrated to the current schema.

    >>> db = Database.connect("sqlite://")      # in memory, for a quick try
    >>> with db.transaction() as session:
    ...     _ = session.execute(text("select 1"))
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///var/waakhond.db"

__all__ = ["DEFAULT_URL", "Database", "database_url", "text"]


def database_url() -> str:
    """``WAAKHOND_DATABASE_URL`` or the embedded default (``./var/waakhond.db``)."""
    return os.environ.get("WAAKHOND_DATABASE_URL") or DEFAULT_URL


def _normalise(url: str) -> str:
    # Users paste "postgresql://…" from their provider; we talk to it with psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (API reads, console) run while the pipeline writes; NORMAL sync is safe with WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class Database:
    """One store: an SQLAlchemy engine plus a session factory. ``transaction()`` is all or nothing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def connect(cls, url: str | None = None, *, migrate: bool = True) -> Database:
        url = _normalise(url or database_url())
        # orjson for JSON columns: decisions carry their signals and facts, and the stdlib encoder is slow.
        kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            else:
                kwargs["poolclass"] = StaticPool  # one shared in-memory database
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
        db = cls(engine)
        if migrate:
            db.migrate()
        return db

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self, revision: str = "heads") -> None:
        """Bring the schema to ``revision`` with Alembic (a no-op when it is current). Feature migrations may
        branch from the same parent, so the default is every head."""
        with self.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back whole on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @staticmethod
    def begin_writing(conn: Connection) -> None:
        """Make the transaction on ``conn`` a write transaction from its first statement (SQLite only).

        Python's sqlite3 starts a transaction only at the first ``INSERT``/``UPDATE``/``DELETE``: the engine's
        reads before it (the batch's prefetch, about six queries) each ran as a transaction of their own, each
        taking and releasing SQLite's read lock and re-reading the write-ahead log's index, and they did not
        read the snapshot the batch then wrote to. ``BEGIN IMMEDIATE`` takes the write lock at once (waiting
        up to ``busy_timeout`` for another process's writer, as the first write did before), so the whole batch
        reads and writes one snapshot. Other backends begin their transaction at the first statement anyway."""
        if conn.dialect.name == "sqlite":
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            if not dbapi.in_transaction:
                try:
                    dbapi.execute("BEGIN IMMEDIATE")
                except conn.dialect.loaded_dbapi.Error as exc:
                    raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, conn.dialect.loaded_dbapi.Error,
                                              dialect=conn.dialect) from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()  # closing returns the connection (rolled back) without expiring loaded rows

    def close(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg
