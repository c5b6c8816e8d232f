"""The server checkpoints SQLite's write-ahead log from a background thread (``waakhond.store.checkpoint``), so
a commit never has to copy the log back into the database file itself."""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from waakhond.store.checkpoint import Checkpointer
from waakhond.store.database import Database
from waakhond.store.schema import EventRow


def _events_in_main_file(db_file: Path, tmp_path: Path) -> int:
    """Events in the database file alone, leaving the log aside: only what a checkpoint has copied back.

    A copy taken while a checkpoint is writing pages into the file can be torn ("malformed"); that counts as
    nothing copied back yet, and the caller looks again."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(db_file, copy)
    with sqlite3.connect(copy) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.DatabaseError:  # the table is still only in the log, or the copy caught a checkpoint midway
            return 0


def test_the_log_is_copied_back_in_the_background(tmp_path: Path) -> None:
    db_file = tmp_path / "c.db"
    db = Database.connect(f"sqlite:///{db_file}")
    with db.transaction() as s:
        s.add_all(EventRow(id=f"e{i}", kind="message", occurred_at=datetime(2026, 1, 1, tzinfo=UTC), actor_id="a",
                           digest="d", payload={"i": i}) for i in range(200))
    assert _events_in_main_file(db_file, tmp_path) == 0  # still in the log: SQLite checkpoints at 1,000 pages
    checkpointer = Checkpointer(db, interval=0.05)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 15
        while _events_in_main_file(db_file, tmp_path) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    assert _events_in_main_file(db_file, tmp_path) == 200
    db.close()


def test_only_sqlite_files_have_a_log() -> None:
    assert not Checkpointer(Database(create_engine("sqlite://"))).applies
    assert not Checkpointer(Database(create_engine("postgresql+psycopg://u@127.0.0.1/x"))).applies
