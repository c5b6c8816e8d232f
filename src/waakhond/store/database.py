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
from typing import Any, cast

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

    @contextmanager
    def writing(self) -> Iterator[tuple[Connection, Session]]:
        """:meth:`transaction` for the engine's batches: a connection in a transaction, and a session on it that
        is only made if something asks for one (an ORM query by a detector, a replayed event's decision).

        The engine's own reads and writes go to the connection (``store/direct.py``); a batch of DMs never needs
        the ORM. Opening a session, asking it for its connection and committing through it cost ≈ 0.1 ms per
        transaction (its state machine, events and bookkeeping), more than a single-event transaction's reads.
        The session joins the connection's transaction ("rollback_only": its commit flushes without committing;
        a rollback rolls back the whole batch), so everything is committed together or not at all."""
        with self.engine.connect() as conn:
            outer = conn.begin()
            lazy = _LazySession(conn)
            try:
                yield conn, cast(Session, lazy)
                if lazy.made is not None:
                    lazy.made.commit()  # flushes what the ORM holds; the connection's transaction stays open
                outer.commit()
            except BaseException:
                if lazy.made is not None:
                    lazy.made.rollback()
                if outer.is_active:
                    outer.rollback()
                raise
            finally:
                if lazy.made is not None:
                    lazy.made.close()

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


class _LazySession:
    """Stands in for a :class:`Session` on ``conn``; the real one is made at the first use of anything but
    ``info`` (see :meth:`Database.writing`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.made: Session | None = None
        self.info: dict[Any, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if self.made is None:
            self.made = Session(bind=self.conn, join_transaction_mode="rollback_only", expire_on_commit=False)
            self.made.info.update(self.info)
            self.info = self.made.info
        return getattr(self.made, name)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg
