"""Banks in the store (SQLite and PostgreSQL): lifecycle, idempotent all-or-nothing imports, exports, the
incremental index (exact against brute force) and its snapshot."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from waakhond.banks import BankError, BankService, HashError, ImportRejected, export_lines, export_rows, import_file
from waakhond.banks.index import BankIndex
from waakhond.banks.models import parse_hash
from waakhond.store.database import Database
from waakhond.store.schema import MediaEntryRow

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _rand_pdq(rng: np.random.Generator, n: int) -> list[str]:
    return [bytes(row).hex() for row in rng.integers(0, 256, (n, 32), dtype=np.uint8)]


def _near(h: str, d: int, rng: np.random.Generator) -> str:
    v = int(h, 16)
    for b in rng.choice(256, d, replace=False):
        v ^= 1 << int(b)
    return f"{v:064x}"


def _count(db: Database) -> int:
    with db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(MediaEntryRow)) or 0)


def test_parse_hash_types_and_errors() -> None:
    assert parse_hash(MD5.upper()) == ("md5", MD5)
    assert parse_hash(f"sha256:{SHA}") == ("sha256", SHA)
    assert parse_hash(SHA, "pdq") == ("pdq", SHA)
    for bad, msg in [("xyz", "not a hex hash"), ("abcd", "4 hex digits"), (SHA, "PDQ or a SHA-256"),
                     (MD5, None)]:
        if msg is None:
            continue
        with pytest.raises(HashError, match=msg):
            parse_hash(bad)
    with pytest.raises(HashError, match="unknown hash type 'photodna'"):
        parse_hash(MD5, "photodna")
    with pytest.raises(HashError, match="md5 hash has 32"):
        parse_hash(SHA, "md5")


def test_bank_lifecycle(any_db: Database) -> None:
    svc = BankService(any_db)
    b = svc.create_bank("ncmec-test", category="csam", created_by="ops")
    assert b.pdq_threshold == 31 and b.enabled and b.role == "match"
    with pytest.raises(BankError, match="exists already"):
        svc.create_bank("ncmec-test")
    with pytest.raises(BankError, match="unknown role"):
        svc.create_bank("x", role="maybe")
    with pytest.raises(BankError, match="threshold"):
        svc.create_bank("y", pdq_threshold=200)
    svc.create_bank("memes", role="allow")
    e1, created = svc.add_entry("ncmec-test", {"md5": MD5, "sha256": SHA}, category="csam", source="list-1",
                                added_by="ops")
    assert created
    assert svc.add_entry("ncmec-test", {"md5": MD5.upper()}) == (e1, False)  # idempotent
    view = svc.get_entry(e1)
    assert view["md5"] == MD5 and view["source"] == "list-1" and view["added_by"] == "ops"
    assert "bytes" not in json.dumps(view)
    assert svc.set_entry_status(e1, "disabled")["status"] == "disabled"
    assert svc.set_entry_status(e1, "active")["status"] == "active"
    svc.set_entry_status(e1, "tombstoned")
    with pytest.raises(BankError, match="tombstoned"):
        svc.set_entry_status(e1, "active")
    assert svc.add_entry("ncmec-test", {"md5": MD5}) == (e1, False)  # a tombstone is not revived
    assert svc.update_bank("ncmec-test", enabled=False).enabled is False
    assert svc.update_bank("ncmec-test", pdq_threshold=20).pdq_threshold == 20
    assert [(b.name, b.entries) for b in svc.list_banks()] == [("ncmec-test", 0), ("memes", 0)]
    with pytest.raises(BankError, match="no bank"):
        svc.get_bank("nope")
    with pytest.raises(BankError, match="no hash given"):
        svc.add_entry("memes", {})


def test_import_is_idempotent_and_all_or_nothing(any_db: Database) -> None:
    svc = BankService(any_db)
    svc.create_bank("hotline")
    rng = np.random.default_rng(3)
    pdqs = _rand_pdq(rng, 12_000)  # more than one write batch
    plain = ("# a hotline list\n" + "\n".join(f"{h},100" for h in pdqs) + "\n").encode()
    r = import_file(any_db, "hotline", io.BytesIO(plain), fmt="txt", hash_type="pdq", source="hotline-2026-11")
    assert (r.rows, r.created, r.existing) == (12_000, 12_000, 0)
    r = import_file(any_db, "hotline", io.BytesIO(plain), fmt="txt", hash_type="pdq")
    assert (r.created, r.existing) == (0, 12_000)
    assert _count(any_db) == 12_000
    bad = plain + b"not-a-hash\n" + f"{pdqs[0][:60]}\n".encode()
    with pytest.raises(ImportRejected) as err:
        import_file(any_db, "hotline", io.BytesIO(_rand_pdq(rng, 1)[0].encode() + b"\n" + bad), fmt="txt",
                    hash_type="pdq")
    assert err.value.problems == ["line 12003: not a hex hash: 'not-a-hash' contains 'n'",
                                  "line 12004: a pdq hash has 64 hex digits, got 60"]
    assert _count(any_db) == 12_000  # nothing half-imported


def test_csv_and_json_shapes(db: Database) -> None:
    svc = BankService(db)
    svc.create_bank("b")
    rng = np.random.default_rng(4)
    p1, p2, p3 = _rand_pdq(rng, 3)
    long_csv = f"signal_type,signal_value,category\npdq,{p1},csam\nmd5,{MD5},csam\n"
    r = import_file(db, "b", io.BytesIO(long_csv.encode()), filename="te-export.csv")
    assert (r.format, r.created) == ("csv", 2)
    wide_csv = f"MD5;SHA-256;PDQ;PhotoDNA;Category;case_id\n;{SHA};{p2};AAAA;CSAM;NC-1\n"
    r = import_file(db, "b", io.BytesIO(wide_csv.encode()), filename="ncmec.csv")
    assert r.created == 1 and r.ignored_columns == ["photodna"]
    with db.reading() as s:
        row = s.scalars(select(MediaEntryRow).where(MediaEntryRow.sha256 == SHA)).one()
        assert (row.pdq, row.category, row.external_id) == (p2, "csam", "NC-1")
    stopncii = {"hashes": [{"hashes": [{"type": "pdq", "value": p3}, {"type": "md5", "value": "0" * 32}],
                            "case_id": "S-9"}]}
    r = import_file(db, "b", io.BytesIO(json.dumps(stopncii).encode()), filename="cases.json")
    assert r.created == 1
    jsonl = f'{{"hash_type": "md5", "hash": "{"1" * 32}"}}\n{{"md5": "{"2" * 32}", "source": "x"}}\n'
    assert import_file(db, "b", io.BytesIO(jsonl.encode())).created == 2  # format sniffed
    with pytest.raises(ImportRejected, match="line 3: a md5 hash has 32 hex digits, got 3"):
        import_file(db, "b", io.BytesIO(b"hash_type,hash\nmd5," + b"3" * 32 + b"\nmd5,abc\n"), fmt="csv")
    with pytest.raises(ImportRejected, match="item 1: no hash in this object"):
        import_file(db, "b", io.BytesIO(b'[{"photodna": "x"}]'), fmt="json")
    with pytest.raises(ImportRejected, match="no hash column"):
        import_file(db, "b", io.BytesIO(b"name,size\na,1\n"), fmt="csv")
    with pytest.raises(ImportRejected, match="not UTF-8"):
        import_file(db, "b", io.BytesIO(b"\xff\xfe\x00garbage\n"), fmt="txt")
    with pytest.raises(ImportRejected, match="PDQ or a SHA-256"):
        import_file(db, "b", io.BytesIO(f"{p1}\n".encode()), fmt="txt")


def test_export_round_trip(db: Database) -> None:
    svc = BankService(db)
    svc.create_bank("a")
    svc.create_bank("copy")
    rng = np.random.default_rng(5)
    for p in _rand_pdq(rng, 30):
        svc.add_entry("a", {"pdq": p}, category="csam", source="s")
    svc.add_entry("a", {"md5": MD5, "sha256": SHA})
    for fmt in ("csv", "jsonl", "json", "txt"):
        text = "".join(export_lines(export_rows(db, "a", batch=7), fmt))
        bank = f"copy-{fmt}"
        svc.create_bank(bank)
        r = import_file(db, bank, io.BytesIO(text.encode()), fmt=fmt)
        assert r.created == (32 if fmt == "txt" else 31), fmt  # plain lists one hash per line
    with db.reading() as s:
        got = s.scalars(select(MediaEntryRow).where(MediaEntryRow.bank_id == svc.get_bank("copy-csv").id,
                                                    MediaEntryRow.md5 == MD5)).one()
        assert got.sha256 == SHA


def test_index_is_exact_against_brute_force_with_planted_neighbours(db: Database) -> None:
    """A few thousand hashes, neighbours planted at every distance 0..40: the index (per-bank threshold 31)
    finds exactly what brute force finds, before and after incremental adds, disables and tombstones."""
    svc = BankService(db)
    svc.create_bank("big")
    rng = np.random.default_rng(11)
    base = _rand_pdq(rng, 3_000)
    queries = _rand_pdq(rng, 41)
    planted = [_near(q, d, rng) for d, q in enumerate(queries)]  # query d has a neighbour at distance d
    import_file(db, "big", io.BytesIO("\n".join(base + planted).encode()), fmt="txt", hash_type="pdq")
    idx = BankIndex(db)
    idx.load()

    def brute(live: dict[int, str]) -> set[tuple[int, int, int]]:
        out = set()
        for qi, q in enumerate(queries):
            qv = int(q, 16)
            for eid, h in live.items():
                d = (int(h, 16) ^ qv).bit_count()
                if d <= 31:
                    out.add((qi, eid, d))
        return out

    def live_rows() -> dict[int, str]:
        with db.reading() as s:
            return {i: p for i, p in s.execute(select(MediaEntryRow.id, MediaEntryRow.pdq)
                                               .where(MediaEntryRow.status == "active"))}

    def found() -> set[tuple[int, int, int]]:
        idx.sync()
        return {(h.query, h.entry_id, h.distance) for h in idx.search(queries)}

    expect = brute(live_rows())
    assert {d for _, _, d in expect} >= set(range(32))  # every planted distance 0..31 is found …
    assert not any(d > 31 for _, _, d in expect)  # … and 32..40 are not
    assert found() == expect
    # incremental: more entries, some disabled, some tombstoned, one re-enabled
    extra = [_near(q, 10, rng) for q in queries[:5]]
    ids = [svc.add_entry("big", {"pdq": h})[0] for h in extra]
    with db.reading() as s:
        planted_ids = {p: i for p, i in s.execute(select(MediaEntryRow.pdq, MediaEntryRow.id))}
    svc.set_entry_status(planted_ids[planted[3]], "disabled")
    svc.set_entry_status(planted_ids[planted[20]], "tombstoned")
    svc.set_entry_status(ids[0], "disabled")
    svc.set_entry_status(ids[0], "active")
    before = idx.watermark
    assert found() == brute(live_rows())
    assert idx.watermark > before and idx.size() == 3_000 + 41 + 5 - 2


def test_snapshot_makes_start_fast_and_stays_exact(db: Database, tmp_path: Path) -> None:
    svc = BankService(db)
    svc.create_bank("s")
    rng = np.random.default_rng(12)
    hashes = _rand_pdq(rng, 2_000)
    import_file(db, "s", io.BytesIO("\n".join(hashes).encode()), fmt="txt", hash_type="pdq")
    first = BankIndex(db, tmp_path / "snap")
    report = first.load()
    assert report.source == "store" and report.snapshot_written and report.entries == 2_000
    # changes after the snapshot: applied on top of it at the next start
    new, _ = svc.add_entry("s", {"pdq": _near(hashes[0], 1, rng)})
    with db.reading() as s:
        gone = s.scalar(select(MediaEntryRow.id).where(MediaEntryRow.pdq == hashes[1]))
    svc.set_entry_status(int(gone), "tombstoned")
    second = BankIndex(db, tmp_path / "snap")
    report = second.load()
    assert report.source == "snapshot" and report.changes == 2 and report.entries == 2_000
    assert {h.entry_id for h in second.search([hashes[0]])} == {h.entry_id for h in first.search([hashes[0]])} | {new}
    assert second.search([hashes[1]]) == []
    # a snapshot of another store is not used
    other = Database.connect(f"sqlite:///{tmp_path}/other.db")
    assert BankIndex(other, tmp_path / "snap").load().source == "store"
