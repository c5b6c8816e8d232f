"""Pages of the store one transaction writes, by table and index: what each index costs the write path.

    .venv/bin/python bench/wal_pages.py                  # groups of 1 and 4 single-event requests
    .venv/bin/python bench/wal_pages.py --groups 8 --events 800

Feeds the API load generator's DMs (every text its own) through :meth:`waakhond.pipeline.Engine.process_groups` on
a fresh SQLite file with automatic checkpoints off, then reads the write-ahead log: every frame is one page
written by a commit, and SQLite's ``dbstat`` table says which table or index owns that page. In WAL mode a commit
writes each changed page to the log (two ``pwrite`` calls and a checksum per page), and a checkpoint later writes
it again to the database file, so pages per transaction are a good part of what a transaction costs the store.
``sqlite_schema`` is page 1, the file header, written whenever the file grows.
"""

from __future__ import annotations

import argparse
import collections
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from api_load import make_events

import waakhond.store.database as database
from waakhond.events import parse_event
from waakhond.pipeline import Engine

_pragmas = database._sqlite_pragmas


def _no_autocheckpoint(dbapi_conn: Any, record: Any) -> None:
    _pragmas(dbapi_conn, record)
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")


def pages(group: int, n: int) -> tuple[float, collections.Counter[str]]:
    """Pages per transaction, and per table or index, for ``n`` DMs in groups of ``group`` requests."""
    database._sqlite_pragmas = _no_autocheckpoint  # the log keeps every frame of the measured transactions
    try:
        bodies = [orjson.loads(b) for b in make_events(n + 300, unique_texts=True)]
        with tempfile.TemporaryDirectory(prefix="waakhond-pages-") as tmp:
            path = Path(tmp) / "pages.db"
            db = database.Database.connect(f"sqlite:///{path}")
            engine = Engine(db)
            warm, rest = bodies[:300], bodies[300:]
            for i in range(0, len(warm), 8):  # accounts + warm-up
                engine.process_groups([[parse_event(v)] for v in warm[i : i + 8]])
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            transactions = 0
            for i in range(0, len(rest), group):
                engine.process_groups([[parse_event(v)] for v in rest[i : i + group]])
                transactions += 1
            log = (Path(tmp) / "pages.db-wal").read_bytes()
            db.close()
            con = sqlite3.connect(path)
            try:
                size = con.execute("PRAGMA page_size").fetchone()[0]
                owner = {p: name for name, p in con.execute("select name, pageno from dbstat")}
            finally:
                con.close()
    finally:
        database._sqlite_pragmas = _pragmas
    written = [struct.unpack(">I", log[o : o + 4])[0] for o in range(32, len(log) - 24 - size + 1, 24 + size)]
    by = collections.Counter(owner.get(p, "?") for p in written)
    return len(written) / transactions, collections.Counter({k: v / transactions for k, v in by.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--groups", type=int, nargs="+", default=[1, 4], help="requests per transaction")
    ap.add_argument("--events", type=int, default=600, help="message events per group size")
    args = ap.parse_args()
    for g in args.groups:
        total, by = pages(g, args.events)
        print(f"groups of {g}: {total:.1f} pages per transaction ({total / g:.1f} per event)")
        for name, n in by.most_common():
            print(f"  {name:40s} {n:6.2f}")


if __name__ == "__main__":
    main()
