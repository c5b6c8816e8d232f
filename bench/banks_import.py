"""Benchmark of hash banks: importing a large list, and starting the engine's index with many entries.

    nice -n 10 .venv/bin/python bench/banks_import.py --n 1000000            # 1 M-line list, SQLite
    nice -n 10 .venv/bin/python bench/banks_import.py --n 10000000 --keep    # 10 M (about 25 minutes)
    WAAKHOND_BENCH_PG=postgresql://… .venv/bin/python bench/banks_import.py --n 1000000   # PostgreSQL

Steps, each timed (figures are printed; nothing is asserted):

1. write an ``N``-line plain PDQ list (random codes) to a temporary file;
2. ``import_file`` it into a new bank of a fresh store (check pass + batched inserts + one activation);
   peak RSS before and after shows the list is streamed, not held;
3. import the same file again (idempotent: nothing created);
4. first start: ``BankIndex.load`` with no snapshot (built from the store) and write of the snapshot;
5. second start, in a fresh process: ``BankIndex.load`` from the snapshot + sync;
6. incremental update: 1,000 entries added one by one through ``BankService`` and 1,000 tombstoned, then
   one ``sync`` (what a running engine does on its next event);
7. lookups/s through the banks index at threshold 31 (batched, random queries), and recall of planted
   neighbours against brute force on the planted ones.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from waakhond.banks import BankService, import_file
from waakhond.banks.index import BankIndex
from waakhond.store.database import Database
from waakhond.store.schema import MediaEntryRow


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_list(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        for lo in range(0, n, 200_000):
            block = rng.integers(0, 256, (min(200_000, n - lo), 32), dtype=np.uint8).tobytes().hex()
            f.write("\n".join(block[i:i + 64] for i in range(0, len(block), 64)) + "\n")


def child_load(url: str, snap: str) -> None:
    """Run in a fresh process: the start-up cost a restarted engine pays."""
    t0 = time.perf_counter()
    db = Database.connect(url, migrate=False)
    idx = BankIndex(db, Path(snap))
    report = idx.load()
    print(json.dumps({**report.as_dict(), "wall": time.perf_counter() - t0, "rss_mib": rss_mib(),
                      "index_mib": idx.stats()["nbytes"] / 2**20}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the store and snapshot")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_load(*args.child)
        return
    work = Path(args.dir or tempfile.mkdtemp(prefix="banks-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("WAAKHOND_BENCH_PG") or f"sqlite:///{work}/bench.db"
    snap = work / "media-index"
    print(f"store {url.split('@')[-1]}, {args.n:,} entries, work dir {work}")

    t = time.perf_counter()
    listing = work / "list.txt"
    write_list(listing, args.n)
    print(f"list written: {listing.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - t:.1f} s")

    db = Database.connect(url)
    svc = BankService(db)
    svc.create_bank("bench")
    rss0 = rss_mib()
    t = time.perf_counter()
    with listing.open("rb") as f:
        r = import_file(db, "bench", f, fmt="txt", hash_type="pdq", source="bench")
    dt = time.perf_counter() - t
    print(f"import: {r.created:,} created in {dt:.1f} s = {r.created / dt:,.0f} rows/s; RSS {rss0:,.0f} → "
          f"{rss_mib():,.0f} MiB (peak {peak_mib():,.0f})")
    t = time.perf_counter()
    with listing.open("rb") as f:
        r2 = import_file(db, "bench", f, fmt="txt", hash_type="pdq")
    dt = time.perf_counter() - t
    print(f"re-import of the same list: {r2.created} created, {r2.existing:,} existing, {dt:.1f} s "
          f"= {r2.rows / dt:,.0f} rows/s")

    t = time.perf_counter()
    first = BankIndex(db, snap)
    rep = first.load()
    print(f"first start (no snapshot, built from the store): {rep.seconds:.1f} s incl. snapshot write "
          f"({time.perf_counter() - t:.1f} s wall), {rep.entries:,} entries, index "
          f"{first.stats()['nbytes'] / 2**20:,.0f} MiB")
    del first

    out = subprocess.run([sys.executable, __file__, "--child", url, str(snap)], capture_output=True, text=True,
                         check=True)
    child = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"restart from snapshot (fresh process): load {child['seconds']:.2f} s ({child['source']}, "
          f"{child['changes']} changes), process wall incl. imports {child['wall']:.2f} s, RSS "
          f"{child['rss_mib']:,.0f} MiB, index {child['index_mib']:,.0f} MiB")

    idx = BankIndex(db, snap)
    idx.load()
    rng = np.random.default_rng(9)
    with db.reading() as s:
        from sqlalchemy import select

        victims = [int(i) for i in s.scalars(select(MediaEntryRow.id).order_by(MediaEntryRow.id).limit(1000))]
        probe = [p for p in s.scalars(select(MediaEntryRow.pdq).order_by(MediaEntryRow.id.desc()).limit(200))]
    new_codes = [bytes(c).hex() for c in rng.integers(0, 256, (1000, 32), dtype=np.uint8)]
    t = time.perf_counter()
    for h in new_codes:
        svc.add_entry("bench", {"pdq": h})
    for v in victims:
        svc.set_entry_status(v, "tombstoned")
    t_store = time.perf_counter() - t
    t = time.perf_counter()
    applied = idx.sync()
    print(f"incremental: 1,000 adds + 1,000 tombstones in the store {t_store:.1f} s; sync applied {applied:,} "
          f"rows in {time.perf_counter() - t:.3f} s (no rebuild); size {idx.size():,}")

    # lookups: random queries (match nothing: the common upload) plus planted neighbours of indexed hashes
    queries = [bytes(c).hex() for c in rng.integers(0, 256, (4000, 32), dtype=np.uint8)]
    t = time.perf_counter()
    idx.search(queries)
    dt = time.perf_counter() - t
    print(f"lookups at threshold 31 through the bank index: {len(queries) / dt:,.0f}/s (batch of {len(queries)})")
    planted = []
    for d, h in enumerate(probe[:64]):
        v = int(h, 16)
        for b in rng.choice(256, d % 32, replace=False):
            v ^= 1 << int(b)
        planted.append((f"{v:064x}", h, d % 32))
    hits = idx.search([p[0] for p in planted])
    found = {(h.query) for h in hits}
    recall = len(found) / len(planted)
    print(f"planted neighbours at 0..31 bits found: {len(found)}/{len(planted)} (recall {recall:.3f})")
    if not args.keep and not args.dir:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 20
    main()
