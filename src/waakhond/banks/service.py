"""Managing banks and entries in the store: create, list, enable, disable; add, disable, tombstone.

    >>> svc = BankService(Database.connect("sqlite://"))                      # doctest: +SKIP
    >>> bank = svc.create_bank("ncmec", category="csam", created_by="ops")      # doctest: +SKIP
    >>> entry_id, created = svc.add_entry(bank.id, {"md5": "d41d8cd98f00b204e9800998ecf8427e"})  # doctest: +SKIP

Every change that matters to the in-memory PDQ index takes the next store-wide change number (``seq`` in
``media_bank_state``) and stamps it on the rows it touched; a running engine picks up exactly the rows
above the number it last saw (:mod:`waakhond.banks.index`), so nothing is rebuilt from scratch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from waakhond.banks.models import (
    CATEGORY_RE,
    DEFAULT_PDQ_THRESHOLD,
    NAME_RE,
    Bank,
    BankRole,
    EntryStatus,
    HashError,
    HashType,
    check_pct,
    check_threshold,
    entry_view,
    parse_hash,
)
from waakhond.store.database import Database
from waakhond.store.schema import MediaBankRow, MediaBankStateRow, MediaEntryRow, utcnow


class BankError(ValueError):
    """A bank or entry request that cannot be done; ``status`` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def next_seq(session: Session) -> int:
    """Take the next store-wide change number (the row stays locked until the transaction ends, so change
    numbers become visible in order)."""
    session.execute(update(MediaBankStateRow).where(MediaBankStateRow.id == 1)
                    .values(seq=MediaBankStateRow.seq + 1))
    return int(session.scalar(select(MediaBankStateRow.seq).where(MediaBankStateRow.id == 1)) or 0)


def current_seq(session: Session) -> tuple[int, str]:
    row = session.get(MediaBankStateRow, 1)
    return (int(row.seq), row.store_id) if row else (0, "")


def find_bank(session: Session, ref: str | int) -> MediaBankRow:
    """A bank by id or name; :class:`BankError` (404) when there is none."""
    row: MediaBankRow | None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = session.get(MediaBankRow, int(ref))
    else:
        row = session.scalars(select(MediaBankRow).where(MediaBankRow.name == ref)).first()
    if row is None:
        raise BankError(f"no bank {ref!r}", 404)
    return row


def normalise_hashes(hashes: Mapping[str, Any]) -> dict[HashType, str]:
    """``{"pdq": "…", "md5": "…"}`` → checked, normalised hashes; empty values are left out."""
    out: dict[HashType, str] = {}
    for key, value in hashes.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str):
            raise HashError(f"{key}: a hash is a string, got {type(value).__name__}")
        kind, norm = parse_hash(value, key)
        out[kind] = norm
    if not out:
        raise HashError("no hash given: an entry needs at least one of pdq, md5, sha256, vpdq, vpdq_ref")
    return out


class BankService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- banks ---------------------------------------------------------------------------------------------
    def create_bank(
        self, name: str, *, role: str = "match", category: str | None = None,
        pdq_threshold: int = DEFAULT_PDQ_THRESHOLD, description: str = "", created_by: str | None = None,
        vpdq_compared_pct: float = 80.0, vpdq_query_pct: float = 0.0,
    ) -> Bank:
        if not NAME_RE.match(name or ""):
            raise BankError(f"bank name {name!r}: 1-100 letters, digits, '_', '-' or '.', starting with a letter "
                            "or digit")
        try:
            role_v = BankRole(role)
        except ValueError:
            raise BankError(f"unknown role {role!r} (match, allow or protected)") from None
        cat = category or {"match": "csam", "allow": "allowed", "protected": "protected_photo"}[role_v.value]
        if not CATEGORY_RE.match(cat):
            raise BankError(f"category {cat!r}: lowercase letters, digits, '_' or '-' (at most 60)")
        try:
            threshold = check_threshold(pdq_threshold)
            compared = check_pct(vpdq_compared_pct, "vpdq_compared_pct")
            query = check_pct(vpdq_query_pct, "vpdq_query_pct")
        except ValueError as exc:
            raise BankError(str(exc)) from None
        now = utcnow()
        try:
            with self.db.transaction() as s:
                if s.scalars(select(MediaBankRow.id).where(MediaBankRow.name == name)).first() is not None:
                    raise BankError(f"a bank named {name!r} exists already", 409)
                row = MediaBankRow(name=name, role=role_v.value, category=cat, pdq_threshold=threshold,
                                   vpdq_compared_pct=compared, vpdq_query_pct=query, enabled=True,
                                   description=description[:2000], created_by=created_by,
                                   created_at=now, updated_at=now)
                s.add(row)
                next_seq(s)
                s.flush()
                return Bank.of(row, 0)
        except IntegrityError:
            raise BankError(f"a bank named {name!r} exists already", 409) from None

    def list_banks(self) -> list[Bank]:
        with self.db.reading() as s:
            counts = dict(s.execute(select(MediaEntryRow.bank_id, func.count()).where(
                MediaEntryRow.status == EntryStatus.active.value).group_by(MediaEntryRow.bank_id)).all())
            rows = s.scalars(select(MediaBankRow).order_by(MediaBankRow.id))
            return [Bank.of(r, int(counts.get(r.id, 0))) for r in rows]

    def get_bank(self, ref: str | int) -> Bank:
        with self.db.reading() as s:
            row = find_bank(s, ref)
            n = s.scalar(select(func.count()).select_from(MediaEntryRow).where(
                MediaEntryRow.bank_id == row.id, MediaEntryRow.status == EntryStatus.active.value))
            return Bank.of(row, int(n or 0))

    def update_bank(
        self, ref: str | int, *, enabled: bool | None = None, pdq_threshold: int | None = None,
        description: str | None = None, category: str | None = None, vpdq_compared_pct: float | None = None,
        vpdq_query_pct: float | None = None,
    ) -> Bank:
        with self.db.transaction() as s:
            row = find_bank(s, ref)
            if enabled is not None:
                row.enabled = bool(enabled)
            try:
                if pdq_threshold is not None:
                    row.pdq_threshold = check_threshold(pdq_threshold)
                if vpdq_compared_pct is not None:
                    row.vpdq_compared_pct = check_pct(vpdq_compared_pct, "vpdq_compared_pct")
                if vpdq_query_pct is not None:
                    row.vpdq_query_pct = check_pct(vpdq_query_pct, "vpdq_query_pct")
            except ValueError as exc:
                raise BankError(str(exc)) from None
            if description is not None:
                row.description = description[:2000]
            if category is not None:
                if not CATEGORY_RE.match(category):
                    raise BankError(f"category {category!r}: lowercase letters, digits, '_' or '-'")
                row.category = category
            row.updated_at = utcnow()
            next_seq(s)
            return Bank.of(row)

    # ---- entries -------------------------------------------------------------------------------------------
    def add_entry(
        self, bank: str | int, hashes: Mapping[str, Any], *, category: str | None = None,
        source: str | None = None, external_id: str | None = None, added_by: str | None = None,
        added_at: datetime | None = None,
    ) -> tuple[int, bool]:
        """Add one entry; ``(entry id, created)``. An entry with any of these hashes already in the bank is
        returned as it is (``created`` false): adding is idempotent."""
        try:
            norm = normalise_hashes(hashes)
        except HashError as exc:
            raise BankError(str(exc)) from None
        if category is not None and not CATEGORY_RE.match(category):
            raise BankError(f"category {category!r}: lowercase letters, digits, '_' or '-'")
        with self.db.transaction() as s:
            bank_row = find_bank(s, bank)
            existing = _existing_entry(s, bank_row.id, norm)
            if existing is not None:
                return existing, False
            now = utcnow()
            row = MediaEntryRow(
                bank_id=bank_row.id, pdq=norm.get(HashType.pdq), md5=norm.get(HashType.md5),
                sha256=norm.get(HashType.sha256), vpdq_ref=norm.get(HashType.vpdq_ref), vpdq=norm.get(HashType.vpdq),
                vpdq_digest=vpdq_digest(norm.get(HashType.vpdq)), status=EntryStatus.active.value,
                category=category, source=(source or None) and source[:200], external_id=(external_id or None)
                and external_id[:200], added_by=added_by, added_at=added_at or now, updated_at=now,
                seq=next_seq(s), match_count=0, flood_window_count=0, flood_baseline=0.0,
            )
            s.add(row)
            s.flush()
            return int(row.id), True

    def get_entry(self, entry_id: int) -> dict[str, Any]:
        with self.db.reading() as s:
            row = s.get(MediaEntryRow, entry_id)
            if row is None or row.status == EntryStatus.pending.value:
                raise BankError(f"no entry {entry_id}", 404)
            return entry_view(row)

    def list_entries(self, bank: str | int, *, status: str | None = None, limit: int = 100,
                     after_id: int = 0) -> list[dict[str, Any]]:
        with self.db.reading() as s:
            b = find_bank(s, bank)
            q = select(MediaEntryRow).where(MediaEntryRow.bank_id == b.id, MediaEntryRow.id > after_id,
                                            MediaEntryRow.status != EntryStatus.pending.value)
            if status:
                q = q.where(MediaEntryRow.status == status)
            return [entry_view(r) for r in s.scalars(q.order_by(MediaEntryRow.id).limit(limit))]

    def set_entry_status(self, entry_id: int, status: str, *, by: str | None = None) -> dict[str, Any]:
        """``active`` (re-enable), ``disabled`` or ``tombstoned``. A tombstone is final: it cannot be
        re-enabled and a re-import of the same hash does not bring the entry back."""
        try:
            new = EntryStatus(status)
        except ValueError:
            raise BankError(f"unknown status {status!r} (active, disabled, tombstoned)") from None
        if new is EntryStatus.pending:
            raise BankError("an entry cannot be set to pending")
        with self.db.transaction() as s:
            row = s.get(MediaEntryRow, entry_id)
            if row is None or row.status == EntryStatus.pending.value:
                raise BankError(f"no entry {entry_id}", 404)
            if row.status == EntryStatus.tombstoned.value and new is not EntryStatus.tombstoned:
                raise BankError(f"entry {entry_id} is tombstoned; add the hash to a bank again as a new entry "
                                "if it was removed by mistake", 409)
            if row.status != new.value:
                row.status = new.value
                row.updated_at = utcnow()
                row.seq = next_seq(s)
            return entry_view(row)

    def release_quarantine(self, entry_id: int) -> dict[str, Any]:
        """A reviewer decided a quarantined entry is right: it matches normally again, and its present
        rate becomes its baseline (so the same rate does not quarantine it again at once)."""
        with self.db.transaction() as s:
            row = s.get(MediaEntryRow, entry_id)
            if row is None or row.status == EntryStatus.pending.value:
                raise BankError(f"no entry {entry_id}", 404)
            row.quarantined_at = None
            row.flood_baseline = max(row.flood_baseline, float(row.flood_window_count))
            row.updated_at = utcnow()
            return entry_view(row)


def vpdq_digest(frames_text: str | None) -> str | None:
    """SHA-256 of a video's normalised frame lines: the key that makes a video entry unique in its bank."""
    return hashlib.sha256(frames_text.encode()).hexdigest() if frames_text else None


def _existing_entry(s: Session, bank_id: int, norm: Mapping[HashType, str]) -> int | None:
    keys: dict[HashType, str] = {k: v for k, v in norm.items() if k is not HashType.vpdq}
    if HashType.vpdq in norm:
        keys[HashType.vpdq] = vpdq_digest(norm[HashType.vpdq]) or ""
    for kind, col in ((HashType.pdq, MediaEntryRow.pdq), (HashType.md5, MediaEntryRow.md5),
                      (HashType.sha256, MediaEntryRow.sha256), (HashType.vpdq, MediaEntryRow.vpdq_digest)):
        if kind in keys:
            found = s.scalars(select(MediaEntryRow.id).where(MediaEntryRow.bank_id == bank_id,
                                                             col == keys[kind])).first()
            if found is not None:
                return int(found)
    return None
