"""Hash-bank detectors: ``known_media`` (an upload matches a bank of known material) and ``photo_reuse``
(a profile photo is another account's photo, or a photo a family registered as protected).

Both read hashes the platform sends in the event (``media``: ``pdq``/``pdq_quality``/``md5``/``sha256``, and
for a video ``vpdq``, its sampled frames' PDQ hashes; ``account``: ``profile_photo``); the engine never needs
the picture or the video. They look banks up through the
pipeline's store session (``context.store``) and the process's :class:`~waakhond.banks.index.BankIndex`.

Signals:

================================ ============================================================================
``known_media``                  a match in an enabled ``match`` bank: score 1.0 for an exact match (MD5,
                                 SHA-256 or PDQ distance 0), falling linearly to 0.7 at the bank's threshold;
                                 for a video matched by vPDQ, 1.0 when all of the known video's frames are
                                 matched, down to 0.7 at the bank's ``vpdq_compared_pct``
``known_media_quarantined``      the same for an entry flood control has quarantined (see
                                 :mod:`waakhond.banks.flood`): the shipped policy holds the media but takes no
                                 mass action
``known_media_suppressed``       score 0: a match an allow-list bank suppressed (kept for the explanation)
``photo_reuse``                  0.95 a protected photo; 0.9 the photo of a suspended or banned account; 0.6
                                 another account's photo; 0.2 a photo more than ``common_after`` other
                                 accounts use (a default avatar, a meme)
================================ ============================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import or_, select

from waakhond.detectors.base import DetectionContext, Signal
from waakhond.events import AccountEvent, Event, MediaEvent


def match_score(distance: int, threshold: int, exact: bool) -> float:
    """1.0 for an exact match, linearly down to 0.7 at the bank's threshold (still above the shipped
    policy's 0.5: the threshold is where the operator said a match starts)."""
    if exact or distance <= 0:
        return 1.0
    return round(1.0 - 0.3 * min(1.0, distance / max(threshold, 1)), 4)


def video_score(compared_pct: float, required_pct: float) -> float:
    """1.0 when every frame of the known video is matched, linearly down to 0.7 at the bank's required
    share (the same scale as :func:`match_score`)."""
    if required_pct >= 100.0 or compared_pct >= 100.0:
        return 1.0
    return round(1.0 - 0.3 * min(1.0, (100.0 - compared_pct) / (100.0 - required_pct)), 4)


def _score(m: Any, session: Any) -> float:
    if m.hash_type != "vpdq":
        return match_score(m.distance, m.threshold, m.exact)
    from waakhond.store.schema import MediaBankRow

    bank = session.get(MediaBankRow, m.bank_id)
    return video_score(m.compared_pct or 0.0, bank.vpdq_compared_pct if bank is not None else 80.0)


class KnownMediaDetector:
    name: ClassVar[str] = "known_media"
    reads: ClassVar[frozenset[str]] = frozenset({"media"})

    def __init__(self, flood: Any = None) -> None:
        from waakhond.banks.flood import FloodConfig

        self.flood = flood if flood is not None else FloodConfig.from_env()

    def detect(self, event: Event, context: DetectionContext) -> Sequence[Signal]:
        if not isinstance(event, MediaEvent) or context.store is None:
            return []
        if not (event.pdq or event.pdq_lookups or event.md5 or event.sha256 or event.vpdq):
            return []
        from waakhond.banks.flood import observe
        from waakhond.banks.index import BankIndex
        from waakhond.banks.matcher import match_hashes
        from waakhond.detectors.media.video import FrameHash
        from waakhond.store.schema import MediaEntryRow

        session = context.store
        index = BankIndex.for_session(session)
        frames = [FrameHash(f.frame_number if f.frame_number is not None else n, f.quality, f.pdq.lower(), f.timestamp)
                  for n, f in enumerate(event.vpdq or ())]
        pdq = list(dict.fromkeys(p.lower() for p in [*([event.pdq] if event.pdq else []), *(event.pdq_lookups or ())]))
        result = match_hashes(session, index, pdq=pdq, md5=event.md5, sha256=event.sha256,
                              quality=event.pdq_quality, video=frames)
        signals: list[Signal] = []
        live: list[Any] = []
        held: list[Any] = []
        newly: list[int] = []
        for m in result.matches:
            entry = session.get(MediaEntryRow, m.entry_id)
            quarantined = m.quarantined
            if entry is not None and observe(session, entry, event.occurred_at, event.id, self.flood, m.bank):
                quarantined = True
                newly.append(m.entry_id)
            (held if quarantined else live).append(m)
        if live:
            best = live[0]
            signals.append(Signal(
                "known_media", _score(best, session),
                _explain(best) + (f" (and {len(live) - 1} more)" if len(live) > 1 else ""),
                related={"matches": [_related(m) for m in live[:10]], "media_id": event.media_id,
                         "uploader": event.account_id},
                detector=self.name,
            ))
        if held:
            best = held[0]
            case_ids = sorted({c for c in (_case_of(session, m.entry_id) for m in held) if c is not None})
            signals.append(Signal(
                "known_media_quarantined", _score(best, session),
                _explain(best) + "; the entry is quarantined by flood control pending review"
                + (" (quarantined at this upload)" if best.entry_id in newly else ""),
                related={"matches": [{**_related(m), "quarantined": True} for m in held[:10]],
                         "quarantine_case_ids": case_ids, "media_id": event.media_id,
                         "uploader": event.account_id},
                detector=self.name,
            ))
        if result.suppressed:
            s = result.suppressed[0]
            a = result.allowed[0]
            signals.append(Signal(
                "known_media_suppressed", 0.0,
                f"{_explain(s)}, suppressed: the picture is on allow-list {a.bank!r} (entry {a.entry_id}, "
                f"{_how(a)})",
                related={"suppressed": [_related(m) for m in result.suppressed[:10]],
                         "allow_listed_by": [_related(m) for m in result.allowed[:5]]},
                detector=self.name,
            ))
        return signals


def _how(m: Any) -> str:
    if m.hash_type == "vpdq":
        return (f"vPDQ: {m.compared_pct:g} % of the known video's frames and {m.query_pct:g} % of the upload's "
                f"matched, closest frame at PDQ distance {m.distance}")
    return f"exact {m.hash_type}" if m.hash_type != "pdq" else f"PDQ distance {m.distance}"


def _explain(m: Any) -> str:
    src = f", list {m.source}" if m.source else ""
    return (f"matches bank {m.bank!r} entry {m.entry_id} ({m.category}{src}) by {_how(m)}"
            + (f" of at most {m.threshold}" if m.hash_type == "pdq" else ""))


def _related(m: Any) -> dict[str, Any]:
    out = {"bank": m.bank, "entry_id": m.entry_id, "hash_type": m.hash_type, "distance": m.distance,
           "category": m.category, "source": m.source, "external_id": m.external_id}
    if m.hash_type == "vpdq":
        out.update(compared_pct=m.compared_pct, query_pct=m.query_pct)
    return out


def _case_of(session: Any, entry_id: int) -> int | None:
    from waakhond.store.schema import MediaEntryRow

    row = session.get(MediaEntryRow, entry_id)
    return row.quarantine_case_id if row is not None else None


class PhotoReuseDetector:
    """Profile photos: every one is recorded (by its hashes) and compared with the photos of all other
    accounts and with protected banks."""

    name: ClassVar[str] = "photo_reuse"
    reads: ClassVar[frozenset[str]] = frozenset({"account", "media"})

    def __init__(self, threshold: int = 31, common_after: int = 20) -> None:
        self.threshold = threshold
        self.common_after = common_after

    def detect(self, event: Event, context: DetectionContext) -> Sequence[Signal]:
        if context.store is None:
            return []
        pdq = md5 = sha256 = None
        if isinstance(event, AccountEvent) and event.profile_photo is not None:
            p = event.profile_photo
            pdq, md5, sha256 = p.pdq, p.md5, p.sha256
        elif isinstance(event, MediaEvent) and event.purpose == "profile_photo" and event.media_type == "image":
            pdq = event.pdq if (event.pdq_quality is None or event.pdq_quality >= 50) else None
            md5, sha256 = event.md5, event.sha256
        else:
            return []
        pdq, md5, sha256 = (v.lower() if v else None for v in (pdq, md5, sha256))
        if not (pdq or md5 or sha256):
            return []
        from waakhond.banks.index import BankIndex
        from waakhond.banks.matcher import match_hashes
        from waakhond.banks.models import BankRole
        from waakhond.store.schema import AccountRow, ProfilePhotoRow

        session = context.store
        account_id = event.account_id
        index = BankIndex.for_session(session)
        banks = match_hashes(session, index, pdq=[pdq] if pdq else [], md5=md5, sha256=sha256,
                             roles=(BankRole.protected, BankRole.allow))
        protected = [m for m in banks.matches if m.role == BankRole.protected]

        # other accounts' photos, nearest first
        others: dict[str, int] = {}
        if not banks.allowed:  # a default avatar or stock picture on an allow-list links nobody
            dist = {h.entry_id: h.distance for h in index.search_photos([pdq], self.threshold)} if pdq else {}
            ids = sorted(dist, key=dist.__getitem__)
            conds: list[Any] = []
            if ids:
                conds.append(ProfilePhotoRow.id.in_(ids[:2000]))
            if md5:
                conds.append(ProfilePhotoRow.md5 == md5)
            if sha256:
                conds.append(ProfilePhotoRow.sha256 == sha256)
            if conds:
                q = select(ProfilePhotoRow).where(or_(*conds), ProfilePhotoRow.account_id != account_id).limit(2000)
                for row in session.scalars(q):
                    d = 0 if (md5 and row.md5 == md5) or (sha256 and row.sha256 == sha256) else dist.get(row.id)
                    if d is None and row.pdq and pdq:
                        d = (int(row.pdq, 16) ^ int(pdq, 16)).bit_count()
                    if d is None or d > self.threshold:
                        continue
                    if row.account_id not in others or d < others[row.account_id]:
                        others[row.account_id] = d
        self._record(session, index, account_id, pdq, md5, sha256, event.occurred_at)

        if not protected and not others:
            return []
        banned: list[str] = []
        if others:
            # columns, not ORM objects: the store as it is now, with this batch's changes (memory flushes first)
            q = (select(AccountRow.id, AccountRow.suspended, AccountRow.profile)
                 .where(AccountRow.id.in_(list(others)[:500])))
            for acc_id, suspended, profile in session.execute(q):
                if suspended or (profile or {}).get("banned_at"):
                    banned.append(acc_id)
        ranked = sorted(others, key=lambda a: (a not in banned, others[a], a))
        parts: list[str] = []
        score = 0.0
        if protected:
            m = protected[0]
            score = 0.95
            parts.append(f"profile photo matches a protected photo in bank {m.bank!r} (entry {m.entry_id}, "
                         f"{'exact ' + m.hash_type if m.hash_type != 'pdq' else f'PDQ distance {m.distance}'})")
        if banned:
            score = max(score, 0.9)
            b = sorted(banned, key=lambda a: others[a])[0]
            parts.append(f"profile photo is the photo of banned or suspended account {b} (distance {others[b]})")
        elif others:
            first = ranked[0]
            if len(others) > self.common_after:
                score = max(score, 0.2)
                parts.append(f"profile photo is used by {len(others)} other accounts (e.g. {first}): probably "
                             "a default avatar or a common picture")
            else:
                score = max(score, 0.6)
                parts.append(f"profile photo is the photo of account {first} (distance {others[first]})"
                             + (f" and {len(others) - 1} more" if len(others) > 1 else ""))
        related: dict[str, Any] = {"account": account_id}
        if others:
            related.update(other_account=ranked[0], accounts=ranked[:20], banned_accounts=sorted(banned)[:20],
                           distances={a: others[a] for a in ranked[:20]})
        if protected:
            related["protected"] = [{"bank": m.bank, "entry_id": m.entry_id, "distance": m.distance,
                                     "hash_type": m.hash_type} for m in protected[:5]]
        return [Signal("photo_reuse", score, "; ".join(parts), related=related, detector=self.name)]

    @staticmethod
    def _record(session: Any, index: Any, account_id: str, pdq: str | None, md5: str | None,
                sha256: str | None, at: Any) -> None:
        from waakhond.store.schema import ProfilePhotoRow

        key = f"{pdq or ''}|{md5 or ''}|{sha256 or ''}"
        row = session.scalars(select(ProfilePhotoRow).where(ProfilePhotoRow.account_id == account_id,
                                                            ProfilePhotoRow.photo_key == key)).first()
        if row is not None:
            if at > row.last_at:
                row.last_at = at
            return
        row = ProfilePhotoRow(account_id=account_id, photo_key=key, pdq=pdq, md5=md5, sha256=sha256,
                              first_at=at, last_at=at)
        session.add(row)
        session.flush()
        if pdq:
            index.add_photo(int(row.id), pdq)
