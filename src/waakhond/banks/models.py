"""Value types of the hash banks: hash types and how a hash string is read, bank roles, entry views.

    >>> parse_hash("D41D8CD98F00B204E9800998ECF8427E")
    ('md5', 'd41d8cd98f00b204e9800998ecf8427e')
    >>> parse_hash("pdq:" + "ab" * 32)[0]
    'pdq'
    >>> parse_hash("ab" * 32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    waakhond.banks.models.HashError: 64 hex digits can be a PDQ or a SHA-256 hash: say which ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from waakhond.store.schema import MediaBankRow, MediaEntryRow


class HashType(StrEnum):
    pdq = "pdq"
    md5 = "md5"
    sha256 = "sha256"
    vpdq = "vpdq"  # a video's frame hashes (matched)
    vpdq_ref = "vpdq_ref"  # a reference to a video's hashes kept elsewhere (a file name, an id): not matched


class BankRole(StrEnum):
    match = "match"  # known abuse (or other) material: matches become known_media signals
    allow = "allow"  # negative bank: suppresses PDQ matches of other banks (memes, stock images)
    protected = "protected"  # photos a family registered: profile photos matching them raise photo_reuse


class EntryStatus(StrEnum):
    active = "active"
    disabled = "disabled"
    tombstoned = "tombstoned"
    pending = "pending"


DEFAULT_PDQ_THRESHOLD = 31
MAX_PDQ_THRESHOLD = 63
#: Hash types whose value is a fixed-length hex string, and that length.
HEX_LENGTHS: dict[HashType, int] = {HashType.pdq: 64, HashType.md5: 32, HashType.sha256: 64}
ALIASES: dict[str, HashType] = {
    "pdq": HashType.pdq, "pdq_hash": HashType.pdq, "photo_pdq": HashType.pdq,
    "md5": HashType.md5, "md5_hash": HashType.md5, "md5hash": HashType.md5,
    "sha256": HashType.sha256, "sha-256": HashType.sha256, "sha_256": HashType.sha256, "sha256_hash": HashType.sha256,
    "vpdq": HashType.vpdq, "video_pdq": HashType.vpdq, "vpdq_ref": HashType.vpdq_ref,
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
CATEGORY_RE = re.compile(r"^[a-z0-9_\-]{1,60}$")


class HashError(ValueError):
    """A hash string that cannot be read; the message says why."""


def hash_type_of(name: str) -> HashType:
    """``"PDQ"``, ``"sha-256"``, ``"MD5"`` … → :class:`HashType`; anything else is a :class:`HashError`."""
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    raise HashError(f"unknown hash type {name.strip()[:40]!r} (known: pdq, md5, sha256, vpdq, vpdq_ref)")


def parse_hash(value: str, hash_type: str | HashType | None = None) -> tuple[HashType, str]:
    """Read one hash: ``(type, normalised value)``. The type is ``hash_type`` when given, a ``type:`` prefix
    (``pdq:…``), or found from the length (32 hex digits are MD5; 64 are ambiguous and refused without a
    type). Hex is lower-cased; surrounding white space is ignored.

    A ``vpdq`` value holding frame hashes (the reference's ``frame_number,quality,pdq_hex,timestamp``
    lines, or ThreatExchange's JSON list of ``"pdq_hex,quality,timestamp"``) is checked and normalised to
    the reference's lines (:func:`~waakhond.detectors.media.video.parse_frames`); a ``vpdq`` value without
    any 64-digit hash in it (and not a JSON list), or a ``vpdq_ref``, is a reference (a file name, an id)
    kept as given, at most 500 characters, and returned as ``vpdq_ref``."""
    text = value.strip()
    if hash_type is None and ":" in text[:12]:
        prefix, rest = text.split(":", 1)
        try:
            hash_type = hash_type_of(prefix)
            text = rest.strip()
        except HashError:
            pass
    kind = hash_type_of(hash_type) if isinstance(hash_type, str) and not isinstance(hash_type, HashType) else hash_type
    if not text:
        raise HashError("empty hash")
    if kind is HashType.vpdq and (_HEX64.search(text) or text.startswith("[")):
        from waakhond.detectors.media.video import parse_frames, to_vpdq_lines

        try:
            return kind, to_vpdq_lines(parse_frames(text))
        except ValueError as exc:
            raise HashError(f"vPDQ: {exc}") from None
    if kind in (HashType.vpdq, HashType.vpdq_ref):
        if len(text) > 500:
            raise HashError(f"a vPDQ reference has at most 500 characters, got {len(text)}")
        return HashType.vpdq_ref, text
    if not _HEX.match(text):
        bad = next(c for c in text if c not in "0123456789abcdefABCDEF")
        raise HashError(f"not a hex hash: {text[:20]!r}{'…' if len(text) > 20 else ''} contains {bad!r}")
    if kind is None:
        if len(text) == 32:
            kind = HashType.md5
        elif len(text) == 64:
            raise HashError("64 hex digits can be a PDQ or a SHA-256 hash: say which (hash type 'pdq' or "
                            "'sha256', or write 'pdq:<hash>')")
        else:
            raise HashError(f"{len(text)} hex digits is no known hash (MD5 has 32, PDQ and SHA-256 have 64)")
    want = HEX_LENGTHS[kind]
    if len(text) != want:
        raise HashError(f"a {kind.value} hash has {want} hex digits, got {len(text)}")
    return kind, text.lower()


def check_pct(value: float, what: str) -> float:
    if not 0.0 <= float(value) <= 100.0:
        raise ValueError(f"{what} must be a percentage in 0..100, got {value}")
    return float(value)


def check_threshold(value: int) -> int:
    if not 0 <= int(value) <= MAX_PDQ_THRESHOLD:
        raise ValueError(f"PDQ threshold must be in 0..{MAX_PDQ_THRESHOLD}, got {value}")
    return int(value)


@dataclass(frozen=True)
class Bank:
    id: int
    name: str
    role: BankRole
    category: str
    pdq_threshold: int
    enabled: bool
    description: str = ""
    entries: int | None = None
    vpdq_compared_pct: float = 80.0
    vpdq_query_pct: float = 0.0

    @classmethod
    def of(cls, row: MediaBankRow, entries: int | None = None) -> Bank:
        return cls(row.id, row.name, BankRole(row.role), row.category, row.pdq_threshold, row.enabled,
                   row.description, entries, row.vpdq_compared_pct, row.vpdq_query_pct)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "role": self.role.value,
                               "category": self.category, "pdq_threshold": self.pdq_threshold,
                               "vpdq_compared_pct": self.vpdq_compared_pct, "vpdq_query_pct": self.vpdq_query_pct,
                               "enabled": self.enabled, "description": self.description}
        if self.entries is not None:
            out["entries"] = self.entries
        return out


def entry_view(row: MediaEntryRow) -> dict[str, Any]:
    """An entry as the API and CLI show it: hashes and metadata (there are never any image bytes)."""

    def iso(t: datetime | None) -> str | None:
        return t.isoformat() if t else None

    return {"id": row.id, "bank_id": row.bank_id, "pdq": row.pdq, "md5": row.md5, "sha256": row.sha256,
            "vpdq_ref": row.vpdq_ref, "vpdq_frames": row.vpdq.count("\n") if row.vpdq else None,
            "status": row.status, "category": row.category, "source": row.source,
            "external_id": row.external_id, "added_by": row.added_by, "added_at": iso(row.added_at),
            "match_count": row.match_count, "last_match_at": iso(row.last_match_at),
            "quarantined": row.quarantined_at is not None, "quarantined_at": iso(row.quarantined_at),
            "quarantine_case_id": row.quarantine_case_id}
