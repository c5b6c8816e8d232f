"""Shared fixtures: stores (SQLite and a real PostgreSQL server), an engine, an API client with a key."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from waakhond.store.database import Database

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def at(minutes: float = 0, days: float = 0) -> str:
    return (T0 + timedelta(days=days, minutes=minutes)).isoformat()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A throw-away PostgreSQL cluster from the Debian package, run as the ``postgres`` user when we are root."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise FileNotFoundError("PostgreSQL is not installed (Debian package 'postgresql')")
        self.bindir = Path(bins[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="waakhond-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                  str(self.root / "log"), "start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``WAAKHOND_TEST_POSTGRES_URL`` if given, else a server started for this test session."""
    given = os.environ.get("WAAKHOND_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        if os.environ.get("WAAKHOND_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"{exc}; `make test` installs it when run as root")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


_pg_counter = 0


def _fresh_postgres(url: str) -> str:
    """A new empty database on the server for one test, so tests do not see each other's rows."""
    global _pg_counter
    import psycopg

    _pg_counter += 1
    name = f"t_{os.getpid()}_{_pg_counter}_{int(time.time() * 1000) % 100000}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test against the embedded SQLite store and a real PostgreSQL server."""
    if request.param == "sqlite":
        db = Database.connect(f"sqlite:///{tmp_path}/test.db")
    else:
        db = Database.connect(_fresh_postgres(request.getfixturevalue("postgres_url")))
    yield db
    db.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = Database.connect(f"sqlite:///{tmp_path}/test.db")
    yield d
    d.close()


@pytest.fixture
def engine(db: Database) -> Any:
    from waakhond.pipeline import Engine

    return Engine(db)


@pytest.fixture
def api(engine: Any) -> Iterator[Any]:
    """A FastAPI test client with a valid key in its default headers."""
    from fastapi.testclient import TestClient

    from waakhond.api.app import create_app
    from waakhond.store.apikeys import create_key

    secret, _ = create_key(engine.db, "tests")
    with TestClient(create_app(engine), headers={"X-API-Key": secret}) as client:
        yield client


def account(aid: str, birth_year: int | None = None, **kw: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"id": f"acc-{aid}-{kw.pop('n', 0)}", "kind": "account", "occurred_at": at(-10_000),
                         "account_id": aid}
    if birth_year is not None:
        e["birth_year"] = birth_year
    e.update(kw)
    return e


def dm(eid: str, sender: str, recipient: str, text: str, minutes: float = 0, days: float = 0) -> dict[str, Any]:
    return {"id": eid, "kind": "message", "occurred_at": at(minutes, days), "sender_id": sender,
            "recipient_ids": [recipient], "channel": "dm", "text": text}
