"""Importing and exporting hash lists: plain (one hash a line), CSV and JSON / JSON Lines.

    >>> from io import BytesIO
    >>> rows = list(read_rows(BytesIO(b"# md5 list\\nd41d8cd98f00b204e9800998ecf8427e\\n"), fmt="txt"))
    >>> rows[0].line, rows[0].hashes
    (2, {<HashType.md5: 'md5'>: 'd41d8cd98f00b204e9800998ecf8427e'})

The accepted shapes are described in ``docs/media-banks.md``. In short:

- **plain** (``.txt``, ``.lst``): one hash a line; blank lines and ``#`` comments skipped; anything after the
  first comma, tab or space is ignored (ThreatExchange's ``pdq_hash,quality`` lines work). The type comes
  from ``hash_type``, a ``type:`` prefix (``pdq:…``) or the length (32 hex digits = MD5; 64 are ambiguous).
- **CSV** with a header, either *long* (a type column — ``hash_type``, ``type``, ``signal_type`` or
  ``algorithm`` — and a value column — ``hash``, ``value``, ``signal_value`` or ``hash_value``) or *wide*
  (one column per hash type: ``md5``, ``sha256``/``sha-256``, ``pdq``, ``vpdq``; one row = one picture
  with all its hashes). Optional columns: ``category``, ``source``, ``external_id`` (or ``id``,
  ``case_id``, ``reference``). Other hash columns (``photodna``, ``sha1``) are ignored and reported.
- **JSON**: a list of objects, or an object holding that list under ``entries``, ``hashes``, ``items``,
  ``signals`` or ``data``; **JSON Lines**: one object a line. Each object is long (``{"hash_type": "pdq",
  "hash": "…"}``), wide (``{"pdq": "…", "md5": "…"}``) or nested (``{"hashes": {"pdq": "…"}}`` or
  ``{"hashes": [{"type": "md5", "value": "…"}]}``), with the same optional metadata keys.

All or nothing per file: the file is read once to check every row (every problem is reported with its
line or item number, at most 20), and only a file without problems is imported. Rows are written in
batches as ``pending`` (never matched), committed batch by batch so the engine keeps writing meanwhile,
and made active together in one short transaction at the end; a failure on the way removes them. Importing
the same list again changes nothing: a row any of whose hashes is already in the bank (in any status,
tombstones included) is skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import delete, select, update

from waakhond.banks.models import ALIASES, CATEGORY_RE, EntryStatus, HashError, HashType, hash_type_of, parse_hash
from waakhond.banks.service import BankError, find_bank, next_seq, vpdq_digest
from waakhond.store.database import Database
from waakhond.store.schema import MediaEntryRow, utcnow

FORMATS = ("txt", "csv", "json", "jsonl")
BATCH = 5_000
MAX_PROBLEMS = 20
#: A JSON document (not JSON Lines) is parsed whole; larger lists must be CSV, plain or JSON Lines.
MAX_JSON_BYTES = 256 * 1024 * 1024
TYPE_COLUMNS = ("hash_type", "type", "signal_type", "algorithm", "hash_algorithm")
VALUE_COLUMNS = ("hash", "value", "signal_value", "hash_value")
EXTERNAL_COLUMNS = ("external_id", "id", "case_id", "reference", "ref")
OTHER_HASHES = ("photodna", "sha1", "sha-1", "pdna", "tmk", "md5_video")
LIST_KEYS = ("entries", "hashes", "items", "signals", "data")


@dataclass(frozen=True)
class Row:
    line: int
    hashes: dict[HashType, str]
    category: str | None = None
    source: str | None = None
    external_id: str | None = None


class RowError(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


class ImportRejected(ValueError):
    """The file has problems; nothing was imported. ``problems`` holds ``"line N: …"`` strings."""

    def __init__(self, problems: list[str], rows_checked: int) -> None:
        more = "" if len(problems) < MAX_PROBLEMS else f" (first {MAX_PROBLEMS} shown)"
        super().__init__(f"nothing imported: {len(problems)} problem(s){more}:\n  " + "\n  ".join(problems))
        self.problems, self.rows_checked = problems, rows_checked


@dataclass
class ImportResult:
    bank: str
    format: str
    rows: int = 0
    created: int = 0
    existing: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"bank": self.bank, "format": self.format, "rows": self.rows, "created": self.created,
                "existing": self.existing, "ignored_columns": self.ignored_columns}


# ---- reading -----------------------------------------------------------------------------------------------
def detect_format(head: bytes, filename: str | None = None) -> str:
    """The format from the file name's extension, else from the first bytes."""
    name = (filename or "").lower()
    for ext, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"),
                     (".txt", "txt"), (".lst", "txt")):
        if name.endswith(ext):
            return fmt
    text = head.lstrip(codecs.BOM_UTF8).decode("utf-8", "replace").lstrip()
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        first = text.split("\n", 1)[0].strip()
        try:
            json.loads(first)
            return "jsonl"
        except ValueError:
            return "json"
    first_line = text.split("\n", 1)[0].lower()
    if any(c in first_line for c in ",;\t") and any(w in first_line for w in (*TYPE_COLUMNS, *VALUE_COLUMNS, *ALIASES)):
        return "csv"
    return "txt"


def read_rows(
    raw: IO[bytes], *, fmt: str, hash_type: str | None = None, ignored: list[str] | None = None,
) -> Iterator[Row]:
    """Rows of a list, one at a time (a plain, CSV or JSON Lines file is never held in memory whole).
    Raises :class:`RowError` naming the line (or item) of the first unreadable row."""
    for item in read_items(raw, fmt=fmt, hash_type=hash_type, ignored=ignored):
        if isinstance(item, RowError):
            raise item
        yield item


def read_items(
    raw: IO[bytes], *, fmt: str, hash_type: str | None = None, ignored: list[str] | None = None,
) -> Iterator[Row | RowError]:
    """Like :func:`read_rows`, but a bad row is yielded as its :class:`RowError` and reading goes on; a
    file-level problem (encoding, a JSON document that does not parse, no hash column) is raised."""
    if fmt not in FORMATS:
        raise RowError("file", f"unknown format {fmt!r} (txt, csv, json, jsonl)")
    forced = None
    if hash_type:
        try:
            forced = hash_type_of(hash_type)
        except HashError as exc:
            raise RowError("file", str(exc)) from None
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
    try:
        if fmt == "txt":
            yield from _plain(text, forced)
        elif fmt == "csv":
            yield from _csv(text, forced, ignored if ignored is not None else [])
        elif fmt == "jsonl":
            yield from _jsonl(text, forced)
        else:
            yield from _json(text, forced)
    except UnicodeDecodeError as exc:
        raise RowError("file", f"not UTF-8 text ({exc.reason} at byte {exc.start} of a chunk)") from None
    finally:
        text.detach()


def _plain(text: IO[str], forced: HashType | None) -> Iterator[Row | RowError]:
    for n, line in enumerate(text, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        token = s.replace("\t", ",").replace(" ", ",").split(",", 1)[0]
        try:
            kind, value = parse_hash(token, forced)
        except HashError as exc:
            yield RowError(f"line {n}", str(exc))
            continue
        yield Row(n, {kind: value})


def _csv(text: IO[str], forced: HashType | None, ignored: list[str]) -> Iterator[Row | RowError]:
    sample = text.read(4096)
    rest = text
    try:
        dialect: Any = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(_chain(sample, rest), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    cols = [h.strip().lower() for h in header]
    type_col = next((cols.index(c) for c in TYPE_COLUMNS if c in cols), None)
    value_col = next((cols.index(c) for c in VALUE_COLUMNS if c in cols), None)
    wide = {i: ALIASES[c] for i, c in enumerate(cols) if c in ALIASES}
    ignored.extend(c for c in cols if c in OTHER_HASHES)
    meta = _meta_columns(cols)
    if value_col is None and not wide:
        raise RowError("line 1", "no hash column in the header (expected hash_type+hash, or columns named "
                                 "pdq, md5, sha256, vpdq)")
    for row in reader:
        n = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if row[0].lstrip().startswith("#"):
            continue
        if len(row) > len(cols):
            yield RowError(f"line {n}", f"{len(row)} fields, the header has {len(cols)}")
            continue
        cell = {i: (row[i].strip() if i < len(row) else "") for i in range(len(cols))}
        try:
            if value_col is not None:
                declared = cell[type_col] if type_col is not None and cell[type_col] else None
                kind_arg: str | HashType | None = declared if declared else forced
                if not cell[value_col]:
                    raise HashError("empty hash")
                kind, value = parse_hash(cell[value_col], kind_arg)
                hashes = {kind: value}
            else:
                hashes = {}
                for i, kind in wide.items():
                    if cell[i]:
                        k, v = parse_hash(cell[i], kind)
                        hashes[k] = v
                if not hashes:
                    raise HashError("no hash in this row")
            yield Row(n, hashes, *_meta(cell, meta))
        except (HashError, ValueError) as exc:
            yield RowError(f"line {n}", str(exc))


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    buf = io.StringIO(first + rest.readline())
    yield from buf
    yield from rest


def _meta_columns(cols: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    if "category" in cols:
        out["category"] = cols.index("category")
    for c in ("source", "source_list", "list"):
        if c in cols:
            out["source"] = cols.index(c)
            break
    for c in EXTERNAL_COLUMNS:
        if c in cols:
            out["external_id"] = cols.index(c)
            break
    return out


def _meta(cell: Mapping[Any, Any], meta: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    def get(key: str) -> str | None:
        if key not in meta:
            return None
        v = cell.get(meta[key])
        if v is None:
            return None
        v = str(v).strip()
        return v or None

    category = get("category")
    if category is not None:
        category = category.lower().replace(" ", "_")
        if not CATEGORY_RE.match(category):
            raise ValueError(f"category {category[:40]!r}: lowercase letters, digits, '_' or '-' (at most 60)")
    source, external = get("source"), get("external_id")
    return category, source[:200] if source else None, external[:200] if external else None


def _object_row(obj: Any, where: str, n: int, forced: HashType | None) -> Row:
    if not isinstance(obj, dict):
        raise RowError(where, f"expected an object, got {type(obj).__name__}")
    keys = {str(k).strip().lower(): v for k, v in obj.items()}
    try:
        hashes: dict[HashType, str] = {}
        type_key = next((k for k in TYPE_COLUMNS if k in keys), None)
        value_key = next((k for k in VALUE_COLUMNS if k in keys and isinstance(keys[k], str | list)), None)
        nested = keys.get("hashes")
        if value_key is not None:
            declared = keys.get(type_key) if type_key else None
            if declared is not None and not isinstance(declared, str):
                raise HashError("the hash type is not a string")
            value = keys[value_key]
            k, v = parse_hash(value if isinstance(value, str) else json.dumps(value), declared or forced)
            hashes[k] = v
        elif isinstance(nested, dict):
            for name, value in nested.items():
                if str(name).lower() in OTHER_HASHES or value in (None, ""):
                    continue
                k, v = parse_hash(_hash_text(str(name), value), str(name))
                hashes[k] = v
        elif isinstance(nested, list):
            for item in nested:
                if not isinstance(item, dict):
                    raise HashError("each item of 'hashes' is an object with type and value")
                sub = _object_row(item, where, n, forced)
                hashes.update(sub.hashes)
        else:
            for name, value in keys.items():
                if name in ALIASES and value not in (None, "", []):
                    k, v = parse_hash(_hash_text(name, value), ALIASES[name])
                    hashes[k] = v
        if not hashes:
            raise HashError("no hash in this object (expected hash_type+hash, pdq/md5/sha256/vpdq keys, or 'hashes')")
        meta = {"category": "category", "source": next((k for k in ("source", "source_list", "list") if k in keys), ""),
                "external_id": next((k for k in EXTERNAL_COLUMNS
                                     if k in keys and not isinstance(keys[k], dict | list)), "")}
        return Row(n, hashes, *_meta(keys, {k: v for k, v in meta.items() if v}))
    except (HashError, ValueError) as exc:
        raise RowError(where, str(exc)) from None


def _hash_text(name: str, value: Any) -> str:
    """A hash value of a JSON object as text: a string, or for ``vpdq`` also a list of frames (ThreatExchange's
    ``"pdq_hex,quality,timestamp"`` strings or ``{"pdq", "quality", "timestamp"}`` objects)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and ALIASES.get(name.strip().lower()) is HashType.vpdq:
        return json.dumps(value)
    raise HashError(f"{name}: a hash is a string" + (" (or, for vpdq, a list of frames)" if name == "vpdq" else ""))


def _jsonl(text: IO[str], forced: HashType | None) -> Iterator[Row | RowError]:
    for n, line in enumerate(text, 1):
        s = line.strip()
        if not s:
            continue
        try:
            yield _object_row(json.loads(s), f"line {n}", n, forced)
        except RowError as exc:
            yield exc
        except ValueError as exc:
            yield RowError(f"line {n}", f"not JSON: {exc}")


def _json(text: IO[str], forced: HashType | None) -> Iterator[Row | RowError]:
    data = text.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise RowError("file", f"a JSON document over {MAX_JSON_BYTES // 2**20} MiB: use JSON Lines or CSV")
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise RowError("file", f"not JSON: {exc}") from None
    del data
    items: Any = doc
    if isinstance(doc, dict):
        key = next((k for k in LIST_KEYS if isinstance(doc.get(k), list)), None)
        items = [doc] if key is None else doc[key]
    if not isinstance(items, list):
        raise RowError("file", "expected a list of objects, or an object with an 'entries' list")
    for i, obj in enumerate(items, 1):
        try:
            yield _object_row(obj, f"item {i}", i, forced)
        except RowError as exc:
            yield exc


# ---- importing ---------------------------------------------------------------------------------------------
def check_file(raw: IO[bytes], *, fmt: str, hash_type: str | None = None) -> tuple[int, list[str], list[str]]:
    """Read every row: ``(good rows, problems, ignored columns)``. At most :data:`MAX_PROBLEMS` problems
    are kept; a file-level problem ends the check."""
    problems: list[str] = []
    ignored: list[str] = []
    rows = 0
    try:
        for item in read_items(raw, fmt=fmt, hash_type=hash_type, ignored=ignored):
            if isinstance(item, RowError):
                if len(problems) < MAX_PROBLEMS:
                    problems.append(str(item))
            else:
                rows += 1
    except RowError as exc:
        problems.append(str(exc))
    return rows, problems, ignored


def import_file(
    db: Database, bank: str | int, raw: IO[bytes], *, fmt: str | None = None, filename: str | None = None,
    hash_type: str | None = None, source: str | None = None, added_by: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a hash list into a bank, all or nothing (see the module docstring). ``raw`` must be seekable
    (a file, or an upload spooled to disk); it is read twice. ``progress`` is called with the number of
    rows written so far and the number of rows in the file (after the check). Raises
    :class:`ImportRejected` (nothing imported) or :class:`BankError`."""
    head = raw.read(4096)
    raw.seek(0)
    fmt = fmt or detect_format(head, filename)
    if fmt not in FORMATS:
        raise BankError(f"unknown format {fmt!r} (txt, csv, json, jsonl)")
    with db.reading() as s:
        bank_row = find_bank(s, bank)
        bank_id, bank_name = bank_row.id, bank_row.name
    rows, problems, ignored = check_file(raw, fmt=fmt, hash_type=hash_type)
    if problems:
        raise ImportRejected(problems, rows)
    raw.seek(0)
    if progress:
        progress(0, rows)
    result = ImportResult(bank_name, fmt, rows=rows, ignored_columns=sorted(set(ignored)))
    import_id = str(uuid.uuid4())
    pg = db.dialect == "postgresql"
    now = utcnow()
    # Raw driver executemany: the ORM's per-row type processing cost 3/4 of the import time.
    stamp: Any = now if pg else now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    cols = ("bank_id", "pdq", "md5", "sha256", "vpdq_ref", "vpdq", "vpdq_digest", "status", "category", "source",
            "external_id", "added_by", "added_at", "updated_at", "import_id", "seq", "match_count",
            "flood_window_count", "flood_baseline")
    mark = "%s" if pg else "?"
    sql = (f"INSERT INTO media_entries ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
           " ON CONFLICT DO NOTHING")
    pending = EntryStatus.pending.value
    written = 0
    try:
        batch: list[tuple[Any, ...]] = []
        for row in read_rows(raw, fmt=fmt, hash_type=hash_type):
            h = row.hashes
            batch.append((bank_id, h.get(HashType.pdq), h.get(HashType.md5), h.get(HashType.sha256),
                          h.get(HashType.vpdq_ref), h.get(HashType.vpdq), vpdq_digest(h.get(HashType.vpdq)), pending,
                          row.category, row.source or source, row.external_id, added_by, stamp, stamp, import_id,
                          0, 0, 0, 0.0))
            if len(batch) >= BATCH:
                written += _write(db, sql, batch)
                batch = []
                if progress:
                    progress(written, rows)
        if batch:
            written += _write(db, sql, batch)
            if progress:
                progress(written, rows)
        with db.transaction() as s:
            seq = next_seq(s)
            res = s.execute(update(MediaEntryRow).where(MediaEntryRow.import_id == import_id)
                            .values(status=EntryStatus.active.value, seq=seq, import_id=None))
            result.created = int(res.rowcount or 0)  # type: ignore[attr-defined]
    except BaseException:
        with db.transaction() as s:
            s.execute(delete(MediaEntryRow).where(MediaEntryRow.import_id == import_id))
        raise
    result.existing = rows - result.created
    return result


def _write(db: Database, sql: str, batch: list[tuple[Any, ...]]) -> int:
    with db.transaction() as s:
        s.connection().exec_driver_sql(sql, batch)
    return len(batch)


# ---- exporting ---------------------------------------------------------------------------------------------
EXPORT_COLUMNS = ("id", "pdq", "md5", "sha256", "vpdq_ref", "vpdq", "category", "source", "external_id", "status",
                  "added_by", "added_at")


def export_rows(db: Database, bank: str | int, *, include_inactive: bool = False,
                batch: int = 10_000) -> Iterator[dict[str, Any]]:
    """Entries of a bank in id order, read in batches (keyset pages: never the whole bank in memory)."""
    with db.reading() as s:
        bank_id = find_bank(s, bank).id
    last = 0
    while True:
        with db.reading() as s:
            q = select(MediaEntryRow).where(MediaEntryRow.bank_id == bank_id, MediaEntryRow.id > last)
            if include_inactive:
                q = q.where(MediaEntryRow.status != EntryStatus.pending.value)
            else:
                q = q.where(MediaEntryRow.status == EntryStatus.active.value)
            rows = s.scalars(q.order_by(MediaEntryRow.id).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield {"id": r.id, "pdq": r.pdq, "md5": r.md5, "sha256": r.sha256, "vpdq_ref": r.vpdq_ref,
                       "vpdq": r.vpdq,
                       "category": r.category, "source": r.source, "external_id": r.external_id,
                       "status": r.status, "added_by": r.added_by,
                       "added_at": r.added_at.isoformat() if r.added_at else None}
            last = rows[-1].id


def export_lines(rows: Iterable[dict[str, Any]], fmt: str, *, hash_type: str | None = None) -> Iterator[str]:
    """Text of an export, piece by piece. ``txt`` writes one hash a line of ``hash_type`` (default: every
    hash of every entry, as ``type:hash``); ``csv`` is wide, with metadata (importable as is); ``jsonl`` and
    ``json`` hold one object per entry. The entry ``id`` is exported as ``external_id`` only when there is
    none, so a re-import into another bank keeps a reference to this one."""
    if fmt == "txt":
        kind = hash_type_of(hash_type) if hash_type else None
        for r in rows:
            for k in (HashType.pdq, HashType.md5, HashType.sha256):
                v = r.get(k.value)
                if v and (kind is None or k is kind):
                    yield (v if kind is not None else f"{k.value}:{v}") + "\n"
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(EXPORT_COLUMNS)
        for r in rows:
            w.writerow(["" if r[c] is None else r[c] for c in EXPORT_COLUMNS])
            if buf.tell() > 65536:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
    elif fmt == "jsonl":
        for r in rows:
            yield json.dumps({k: v for k, v in r.items() if v is not None}) + "\n"
    elif fmt == "json":
        yield "["
        first = True
        for r in rows:
            yield ("" if first else ",\n") + json.dumps({k: v for k, v in r.items() if v is not None})
            first = False
        yield "]\n"
    else:
        raise BankError(f"unknown format {fmt!r} (txt, csv, json, jsonl)")
