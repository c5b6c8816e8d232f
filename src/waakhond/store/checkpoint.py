"""Checkpoint SQLite's write-ahead log from a background thread, so the writer does not wait for it.

    >>> checkpointer = Checkpointer(db); checkpointer.start()      # doctest: +SKIP
    >>> checkpointer.stop()                                         # doctest: +SKIP

In WAL mode a commit appends the pages it changed to the log. Once the log holds 1,000 pages, SQLite copies it
back into the database file and syncs the file (a checkpoint), inside whichever commit crossed the mark. Under
the API's load that was a 15-25 ms stall every twenty-odd transactions, and every request of that transaction
and of the ones queued behind it waited: the slowest percent of requests. ``waakhond serve`` runs a
:class:`Checkpointer`: a thread with its own connection that checkpoints a few times a second, well before the
log reaches the mark. It uses PASSIVE checkpoints, which never block a reader or the writer; SQLite releases
Python's lock while it copies and syncs, so the engine and the HTTP layer keep running. Nothing changes for the
data: the same pages are written, only by another thread and in smaller steps. With PostgreSQL or an in-memory
SQLite store it does nothing.
"""

from __future__ import annotations

import logging
import threading

from waakhond.store.database import Database

log = logging.getLogger("waakhond.store")

#: Seconds between checkpoints: at 500 events/s the log grows by ~100-150 pages in this time, far below 1,000.
INTERVAL = 0.1


class Checkpointer:
    def __init__(self, db: Database, interval: float = INTERVAL) -> None:
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def applies(self) -> bool:
        """Only a SQLite file has a write-ahead log to checkpoint."""
        url = self.db.engine.url
        return url.get_backend_name() == "sqlite" and bool(url.database) and url.database != ":memory:"

    def start(self) -> None:
        if self.applies and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="waakhond-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        connection = self.db.engine.raw_connection()
        try:
            while not self._stop.wait(self.interval):
                try:
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.fetchall()
                    cursor.close()
                except Exception:  # a busy or locked store: the writer's own checkpoint remains the fallback
                    log.warning("WAL checkpoint failed; retrying", exc_info=True)
        finally:
            connection.close()


__all__ = ["Checkpointer"]
