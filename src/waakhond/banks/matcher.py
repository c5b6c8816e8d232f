"""From hashes to bank matches: PDQ through the index (per-bank thresholds), MD5/SHA-256 exactly through
the store, then allow-list suppression.

    >>> result = match_hashes(session, BankIndex.shared(db), pdq=[h.pdq], md5=h.md5)   # doctest: +SKIP
    >>> [(m.bank, m.entry_id, m.distance) for m in result.matches]                        # doctest: +SKIP

Allow-lists (banks with role ``allow``). A picture that matches an enabled allow-list bank is a meme, a
stock image or a logo the operator has declared harmless, so the PDQ matches of other banks are
*suppressed* (kept in ``suppressed``, never signalled). An exact MD5/SHA-256 match in a ``match`` bank is
only suppressed by an exact match in an allow-list: a near-duplicate of a harmless picture does not
excuse a byte-identical copy of a listed one.

Every entry found in the index is read back from the store before it counts (status ``active``, bank
enabled), so an index a moment behind the store never produces a match for a removed entry.

Videos. An upload's distinct frame hashes (quality ≥ 50) are looked up in the banks' video indexes; every
known video with a frame within its bank's threshold is a *candidate*, read back from the store and
compared whole by the vPDQ rule (:func:`~waakhond.detectors.media.video.match_video`) with its bank's
threshold and percentages (``vpdq_compared_pct``, default 80 %; ``vpdq_query_pct``, default 0 %). A
match has ``hash_type`` ``vpdq``, both percentages, and as ``distance`` the closest frame's. Near-duplicate
matches (PDQ, vPDQ) are suppressed by any allow-list match; exact ones (MD5, SHA-256) only by exact ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from waakhond.banks.index import BankIndex
from waakhond.banks.models import BankRole, EntryStatus
from waakhond.detectors.media.video import FrameHash, from_vpdq_lines, match_video
from waakhond.store.schema import MediaBankRow, MediaEntryRow

MIN_QUALITY = 50
#: Known videos compared whole per upload at most (those sharing the most frames with it first).
MAX_VIDEO_CANDIDATES = 200
NEAR = ("pdq", "vpdq")  # near-duplicate hash types; md5 and sha256 are exact


@dataclass(frozen=True)
class BankMatch:
    bank_id: int
    bank: str
    role: str
    entry_id: int
    hash_type: str  # pdq, md5, sha256 or vpdq: what matched
    distance: int  # PDQ bits apart (for vpdq: of the closest frame); 0 for an exact match
    threshold: int
    category: str
    source: str | None
    external_id: str | None
    quarantined: bool
    query: int = 0  # which of the PDQ queries matched (dihedral variant, trimmed picture)
    compared_pct: float | None = None  # vpdq: share of the known video's distinct frames matched
    query_pct: float | None = None  # vpdq: share of the upload's distinct frames matched

    @property
    def exact(self) -> bool:
        return self.hash_type not in NEAR or (self.hash_type == "pdq" and self.distance == 0)

    def as_dict(self) -> dict[str, Any]:
        out = {"bank": self.bank, "bank_id": self.bank_id, "role": self.role, "entry_id": self.entry_id,
               "hash_type": self.hash_type, "distance": self.distance, "threshold": self.threshold,
               "category": self.category, "source": self.source, "external_id": self.external_id,
               "quarantined": self.quarantined}
        if self.hash_type == "vpdq":
            out.update(compared_pct=self.compared_pct, query_pct=self.query_pct)
        return out


@dataclass
class MatchResult:
    matches: list[BankMatch] = field(default_factory=list)  # role match (or protected), not suppressed
    allowed: list[BankMatch] = field(default_factory=list)  # allow-list matches
    suppressed: list[BankMatch] = field(default_factory=list)  # match-bank hits an allow-list suppressed
    pdq_skipped: str | None = None  # why PDQ was not searched (low quality), if it was not

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"matches": [m.as_dict() for m in self.matches],
                               "allow_listed": [m.as_dict() for m in self.allowed],
                               "suppressed": [m.as_dict() for m in self.suppressed]}
        if self.pdq_skipped:
            out["pdq_skipped"] = self.pdq_skipped
        return out


def match_hashes(
    session: Session, index: BankIndex, *, pdq: Sequence[str] = (), md5: str | None = None,
    sha256: str | None = None, quality: int | None = None,
    roles: Iterable[str] = (BankRole.match, BankRole.allow), video: Sequence[FrameHash] = (),
) -> MatchResult:
    """Matches of one picture, given its PDQ lookups (the hash, its dihedral variants, the trimmed picture),
    MD5 and SHA-256, or of one video, given its ``video`` frames, MD5 and SHA-256, against enabled banks of
    ``roles``. PDQ hashes of quality under 50 are not matched."""
    index.ensure_loaded(session)
    index.sync(session)
    wanted = {str(r) for r in roles}
    result = MatchResult()
    best: dict[int, tuple[str, int, int]] = {}  # entry id → (hash type, distance, query)
    pdq = [p.lower() for p in pdq if p]
    if pdq and quality is not None and quality < MIN_QUALITY:
        result.pdq_skipped = f"PDQ quality {quality} < {MIN_QUALITY}: too little detail to match on"
        pdq = []
    for hit in index.search(pdq, wanted):
        prev = best.get(hit.entry_id)
        if prev is None or hit.distance < prev[1]:
            best[hit.entry_id] = ("pdq", hit.distance, hit.query)
    frames = [f for f in video if f.quality >= MIN_QUALITY]
    shared: dict[int, int] = {}  # video entry id → frames of the upload with a close frame in it
    closest: dict[int, int] = {}
    for hit in index.search_video(list(dict.fromkeys(f.pdq.lower() for f in frames)), wanted):
        shared[hit.entry_id] = shared.get(hit.entry_id, 0) + 1
        closest[hit.entry_id] = min(hit.distance, closest.get(hit.entry_id, 256))
    candidates = sorted(shared, key=lambda e: (-shared[e], e))[:MAX_VIDEO_CANDIDATES]
    exact_conds = []
    if md5:
        exact_conds.append(MediaEntryRow.md5 == md5.lower())
    if sha256:
        exact_conds.append(MediaEntryRow.sha256 == sha256.lower())
    rows: dict[int, tuple[MediaEntryRow, MediaBankRow]] = {}
    base = (select(MediaEntryRow, MediaBankRow).join(MediaBankRow, MediaBankRow.id == MediaEntryRow.bank_id)
            .where(MediaEntryRow.status == EntryStatus.active.value, MediaBankRow.enabled.is_(True),
                   MediaBankRow.role.in_(wanted)))
    if exact_conds:
        for entry, bank in session.execute(base.where(or_(*exact_conds)).limit(1000)):
            rows[entry.id] = (entry, bank)
            kind = "sha256" if sha256 and entry.sha256 == sha256.lower() else "md5"
            best[entry.id] = (kind, 0, 0)
    missing = [i for i in (*best, *candidates) if i not in rows]
    for lo in range(0, len(missing), 500):
        for entry, bank in session.execute(base.where(MediaEntryRow.id.in_(missing[lo:lo + 500]))):
            rows[entry.id] = (entry, bank)
    found: list[BankMatch] = []
    for entry_id, (kind, dist, query) in best.items():
        if entry_id not in rows:
            continue  # removed or disabled since the index last synced
        entry, bank = rows[entry_id]
        if kind == "pdq" and dist > bank.pdq_threshold:
            continue
        found.append(BankMatch(bank.id, bank.name, bank.role, entry.id, kind, dist, bank.pdq_threshold,
                               entry.category or bank.category, entry.source, entry.external_id,
                               entry.quarantined_at is not None, query))
    for entry_id in candidates:
        if entry_id in best or entry_id not in rows or not rows[entry_id][0].vpdq:
            continue  # matched exactly already, or removed or disabled since the index last synced
        entry, bank = rows[entry_id]
        vm = match_video(frames, from_vpdq_lines(entry.vpdq or ""), distance=bank.pdq_threshold,
                         compared_pct=bank.vpdq_compared_pct, query_pct=bank.vpdq_query_pct)
        if vm.is_match:
            found.append(BankMatch(bank.id, bank.name, bank.role, entry.id, "vpdq", closest[entry_id],
                                   bank.pdq_threshold, entry.category or bank.category, entry.source,
                                   entry.external_id, entry.quarantined_at is not None, 0, vm.compared_pct,
                                   vm.query_pct))
    found.sort(key=lambda m: (m.hash_type in NEAR, m.distance, -(m.compared_pct or 0), m.bank_id, m.entry_id))
    result.allowed = [m for m in found if m.role == BankRole.allow]
    allow_exact = any(m.hash_type not in NEAR for m in result.allowed)
    for m in found:
        if m.role == BankRole.allow:
            continue
        if result.allowed and (m.hash_type in NEAR or allow_exact):
            result.suppressed.append(m)
        else:
            result.matches.append(m)
    return result
