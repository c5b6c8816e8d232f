"""The in-memory PDQ indexes of the banks (and of profile photos), kept in step with the store.

Which one to start with? ``BankIndex.shared(db)``: one per store and process, loaded on first use (the API
loads it at start). ``search(pdq_hexes, roles)`` finds every active entry of every *enabled* bank within
that bank's own threshold; ``sync(session)`` applies what changed in the store since the last call.

How it stays current without rebuilding. Every change to banks or entries takes the next store-wide change
number (``media_bank_state.seq``, :func:`waakhond.banks.service.next_seq`) and stamps it on the entry rows
it touched. The index remembers the highest number it has applied (its *watermark*); ``sync`` reads the
store's number (one indexed row) and, when it moved, only the entry rows above the watermark: an added or
re-enabled entry is added to its bank's :class:`PDQIndex`, a disabled or tombstoned one removed (the index
tombstones it; compaction happens inside :class:`PDQIndex` when needed). Bank settings (enabled,
threshold, role) are re-read whole: there are few banks.

Fast start. ``save_snapshot(dir)`` writes every bank's index (``PDQIndex.save``) plus ``state.json`` with
the watermark and the store's random id; ``load`` reads the snapshot when it belongs to this store and then
syncs from the watermark, so a restart costs reading the arrays plus the changes since the snapshot. With
no (valid) snapshot the index is built from the store once and a snapshot is written.

One index per bank rather than one for all: a disabled bank is simply not searched, each bank is searched
at its own threshold, and the allow-list is a bank like the others. Video entries (vPDQ) have a second
index per bank holding each known video's distinct matchable frame hashes (``search_video``): a frame of an
upload finds the known videos that contain a similar frame, the candidates the matcher then compares
whole (:func:`waakhond.detectors.media.video.match_video`), as the vPDQ reference suggests. Searches and
updates are serialised by a lock (``PDQIndex`` allows no search during an update).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import or_, select
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.orm import Session

from waakhond.banks.models import BankRole, EntryStatus
from waakhond.banks.service import current_seq
from waakhond.detectors.media.hashing import MIN_QUALITY
from waakhond.detectors.media.index import PDQIndex
from waakhond.store.database import Database
from waakhond.store.schema import MediaBankRow, MediaEntryRow, ProfilePhotoRow

log = logging.getLogger("waakhond.banks")

SNAPSHOT_FORMAT = "waakhond-bank-index"
SNAPSHOT_VERSION = 2  # 2: video frames indexed too
#: Video entries' frames are indexed under ``entry id × FRAME_SLOTS + frame``: a hit names its entry without
#: a lookup table. A known video holds at most ``video.MAX_FRAMES`` (3,600) frames.
FRAME_SLOTS = 4096
#: Changes applied at load beyond which a new snapshot is written (so the next start is fast again).
RESNAPSHOT_AFTER = 50_000
_CHUNK = 500_000


class PdqHit(NamedTuple):
    query: int
    bank_id: int
    entry_id: int
    distance: int


@dataclass(frozen=True)
class BankConfig:
    id: int
    name: str
    role: str
    category: str
    threshold: int
    enabled: bool


@dataclass
class LoadReport:
    source: str  # "snapshot" or "store"
    entries: int
    changes: int
    seconds: float
    snapshot_written: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "entries": self.entries, "changes": self.changes,
                "seconds": round(self.seconds, 3), "snapshot_written": self.snapshot_written}


def hex_to_codes(hexes: Sequence[str]) -> npt.NDArray[np.uint8]:
    """64-hex-digit PDQ hashes → ``uint8[n, 32]`` in one pass (no Python object per byte)."""
    if not hexes:
        return np.empty((0, 32), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(len(hexes), 32).copy()


def video_lookups(vpdq: str) -> list[str]:
    """Distinct frame hashes of quality ≥ 50 of a video entry (its ``vpdq`` lines, normalised on import):
    what the video index holds for it, in order."""
    hexes: dict[str, None] = {}
    for line in vpdq.splitlines():
        parts = line.split(",")
        if len(parts) == 4 and int(parts[1]) >= MIN_QUALITY:
            hexes[parts[2]] = None
    return list(hexes)[:FRAME_SLOTS]


def default_snapshot_dir(db: Database) -> Path | None:
    """``WAAKHOND_MEDIA_INDEX_DIR``, else ``media-index/`` beside a SQLite file; none for an in-memory store
    or PostgreSQL without the variable (the index is then built from the store at start)."""
    env = os.environ.get("WAAKHOND_MEDIA_INDEX_DIR")
    if env:
        return Path(env)
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "media-index"
    return None


_SHARED: weakref.WeakKeyDictionary[SAEngine, BankIndex] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


class BankIndex:
    def __init__(self, db: Database, snapshot_dir: Path | None = None, *, threads: int | None = None) -> None:
        self.db = db
        self.snapshot_dir = snapshot_dir
        self.threads = threads
        self.banks: dict[int, BankConfig] = {}
        self._pdq: dict[int, PDQIndex] = {}
        self._video: dict[int, PDQIndex] = {}  # per bank: frames of video entries
        self._photos = PDQIndex(threads=threads)
        self.watermark = -1
        self.store_id = ""
        self.loaded = False
        self.last_load: LoadReport | None = None
        self._lock = threading.RLock()

    # ---- one per store ------------------------------------------------------------------------------------
    @classmethod
    def shared(cls, db: Database) -> BankIndex:
        """The index of this store in this process, created (not loaded) on first call."""
        with _SHARED_LOCK:
            idx = _SHARED.get(db.engine)
            if idx is None:
                idx = cls(db, default_snapshot_dir(db))
                _SHARED[db.engine] = idx
            return idx

    @classmethod
    def for_session(cls, session: Session) -> BankIndex:
        bind = session.get_bind()
        engine = bind if isinstance(bind, SAEngine) else bind.engine
        with _SHARED_LOCK:
            idx = _SHARED.get(engine)
        return idx if idx is not None else cls.shared(Database(engine))

    # ---- loading ------------------------------------------------------------------------------------------
    def ensure_loaded(self, session: Session | None = None) -> None:
        if not self.loaded:
            with self._lock:
                if not self.loaded:
                    self.load(session)

    def load(self, session: Session | None = None) -> LoadReport:
        """Read the snapshot if it is valid for this store, else build from the store; then sync."""
        started = time.perf_counter()
        with self._lock:
            source = "store"
            if session is None:
                with self.db.reading() as s:
                    seq, store_id = current_seq(s)
            else:
                seq, store_id = current_seq(session)
            if self.snapshot_dir is not None and self._read_snapshot(self.snapshot_dir, store_id, seq):
                source = "snapshot"
                changes = self.sync(session, force=True)
            else:
                changes = self._build(session)
            self._load_photos(session)
            self.loaded = True
            report = LoadReport(source, self.size(), changes, time.perf_counter() - started)
            has_video = any(len(i) for i in self._video.values())
            if self.snapshot_dir is not None and ((source == "store" and (report.entries or has_video)) or
                                                  changes >= RESNAPSHOT_AFTER):
                try:
                    self.save_snapshot(self.snapshot_dir)
                    report.snapshot_written = True
                except OSError as exc:  # a read-only directory must not stop the engine
                    log.warning("could not write the media index snapshot to %s: %s", self.snapshot_dir, exc)
            self.last_load = report
            log.info("media index loaded from %s: %d entries, %d changes, %.2f s", source, report.entries,
                     changes, report.seconds)
            return report

    def _session_do(self, session: Session | None, fn: Any) -> Any:
        if session is not None:
            return fn(session)
        with self.db.reading() as s:
            return fn(s)

    def _build(self, session: Session | None) -> int:
        def run(s: Session) -> int:
            seq, store_id = current_seq(s)
            self._read_banks(s)
            self._pdq = {}
            self._video = {}
            ids: dict[int, list[int]] = {}
            hexes: dict[int, list[str]] = {}
            parts: dict[int, list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]]] = {}
            n = 0
            q = (select(MediaEntryRow.id, MediaEntryRow.bank_id, MediaEntryRow.pdq)
                 .where(MediaEntryRow.status == EntryStatus.active.value, MediaEntryRow.pdq.is_not(None))
                 .execution_options(yield_per=50_000))
            for entry_id, bank_id, pdq in s.execute(q):
                assert pdq is not None
                ids.setdefault(bank_id, []).append(entry_id)
                hexes.setdefault(bank_id, []).append(pdq)
                n += 1
                if len(ids[bank_id]) >= _CHUNK:
                    parts.setdefault(bank_id, []).append(
                        (np.array(ids.pop(bank_id), dtype=np.int64), hex_to_codes(hexes.pop(bank_id))))
            for bank_id in list(ids):
                parts.setdefault(bank_id, []).append(
                    (np.array(ids.pop(bank_id), dtype=np.int64), hex_to_codes(hexes.pop(bank_id))))
            for bank_id, chunks in parts.items():
                idx = self._index_of(bank_id)
                all_ids = np.concatenate([c[0] for c in chunks])
                all_codes = np.concatenate([c[1] for c in chunks])
                del chunks[:]
                idx.add(all_ids, all_codes)
                idx.compact()
            q = (select(MediaEntryRow.id, MediaEntryRow.bank_id, MediaEntryRow.vpdq)
                 .where(MediaEntryRow.status == EntryStatus.active.value, MediaEntryRow.vpdq.is_not(None))
                 .execution_options(yield_per=5_000))
            frame_ids: dict[int, list[npt.NDArray[np.int64]]] = {}
            frame_hexes: dict[int, list[str]] = {}
            for entry_id, bank_id, vpdq in s.execute(q):
                frames = video_lookups(vpdq or "")
                frame_ids.setdefault(bank_id, []).append(entry_id * FRAME_SLOTS + np.arange(len(frames)))
                frame_hexes.setdefault(bank_id, []).extend(frames)
            for bank_id, id_parts in frame_ids.items():
                idx = self._index_of(bank_id, video=True)
                idx.add(np.concatenate(id_parts).astype(np.int64), hex_to_codes(frame_hexes.pop(bank_id)))
                idx.compact()
            self.watermark, self.store_id = seq, store_id
            return n

        return int(self._session_do(session, run))

    def _load_photos(self, session: Session | None) -> None:
        def run(s: Session) -> None:
            self._photos = PDQIndex(threads=self.threads)
            ids: list[int] = []
            hexes: list[str] = []
            q = (select(ProfilePhotoRow.id, ProfilePhotoRow.pdq).where(ProfilePhotoRow.pdq.is_not(None))
                 .execution_options(yield_per=50_000))
            for pid, pdq in s.execute(q):
                assert pdq is not None
                ids.append(pid)
                hexes.append(pdq)
            if ids:
                self._photos.add(np.array(ids, dtype=np.int64), hex_to_codes(hexes))

        self._session_do(session, run)

    def _read_banks(self, s: Session) -> None:
        self.banks = {r.id: BankConfig(r.id, r.name, r.role, r.category, r.pdq_threshold, r.enabled)
                      for r in s.scalars(select(MediaBankRow))}

    def _index_of(self, bank_id: int, video: bool = False) -> PDQIndex:
        indexes = self._video if video else self._pdq
        idx = indexes.get(bank_id)
        if idx is None:
            idx = indexes[bank_id] = PDQIndex(threads=self.threads)
        return idx

    # ---- keeping in step ----------------------------------------------------------------------------------
    def sync(self, session: Session | None = None, *, force: bool = False) -> int:
        """Apply the store's changes above the watermark; returns the number of entry rows applied. Cheap
        when nothing changed (one primary-key read)."""
        if not self.loaded and not force:
            self.ensure_loaded(session)
            return 0

        def run(s: Session) -> int:
            seq, store_id = current_seq(s)
            if seq == self.watermark and store_id == self.store_id and not force:
                return 0
            with self._lock:
                if store_id != self.store_id or seq < self.watermark:
                    log.warning("media index does not belong to this store (or the store went back): rebuilding")
                    return self._build(s)
                self._read_banks(s)
                applied = 0
                top = self.watermark
                q = (select(MediaEntryRow.id, MediaEntryRow.bank_id, MediaEntryRow.pdq, MediaEntryRow.vpdq,
                            MediaEntryRow.status, MediaEntryRow.seq)
                     .where(MediaEntryRow.seq > self.watermark,
                            or_(MediaEntryRow.pdq.is_not(None), MediaEntryRow.vpdq.is_not(None)))
                     .execution_options(yield_per=50_000))
                batch: list[tuple[int, int, str | None, str | None, str]] = []
                for entry_id, bank_id, pdq, vpdq, status, row_seq in s.execute(q):
                    top = max(top, int(row_seq))
                    batch.append((entry_id, bank_id, pdq, vpdq, status))
                    if len(batch) >= _CHUNK:
                        applied += self._apply(batch)
                        batch = []
                applied += self._apply(batch)
                self.watermark = max(seq, top)
                return applied

        return int(self._session_do(session, run))

    def _apply(self, batch: Iterable[tuple[int, int, str | None, str | None, str]]) -> int:
        """Bring entries ``(id, bank id, pdq, vpdq, status)`` up to date in their bank's indexes."""
        by_bank: dict[int, list[tuple[int, str, str]]] = {}
        videos: dict[int, list[tuple[int, str, str]]] = {}
        n = 0
        for entry_id, bank_id, pdq, vpdq, status in batch:
            if pdq is not None:
                by_bank.setdefault(bank_id, []).append((entry_id, pdq, status))
            if vpdq is not None:
                videos.setdefault(bank_id, []).append((entry_id, vpdq, status))
            n += 1
        for bank_id, rows in by_bank.items():
            idx = self._index_of(bank_id)
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            idx.remove(ids)
            live = [r for r in rows if r[2] == EntryStatus.active.value]
            if live:
                idx.add(np.array([r[0] for r in live], dtype=np.int64), hex_to_codes([r[1] for r in live]))
        for bank_id, rows in videos.items():
            idx = self._index_of(bank_id, video=True)
            gone: list[npt.NDArray[np.int64]] = []
            frame_ids: list[npt.NDArray[np.int64]] = []
            hexes: list[str] = []
            for entry_id, vpdq, status in rows:
                frames = video_lookups(vpdq)  # an entry's hashes never change: these are the ids it has
                ids = entry_id * FRAME_SLOTS + np.arange(len(frames), dtype=np.int64)
                if frames and ids[0] in idx:
                    gone.append(ids)
                if status == EntryStatus.active.value:
                    frame_ids.append(ids)
                    hexes.extend(frames)
            if gone:
                idx.remove(np.concatenate(gone))
            if hexes:
                idx.add(np.concatenate(frame_ids), hex_to_codes(hexes))
        return n

    def add_photo(self, photo_id: int, pdq: str) -> None:
        """A new profile photo (its row id and PDQ hash), searchable at once in this process."""
        with self._lock:
            if photo_id not in self._photos:
                self._photos.add(np.array([photo_id], dtype=np.int64), hex_to_codes([pdq]))

    # ---- searching ----------------------------------------------------------------------------------------
    def search(self, pdq_hexes: Sequence[str], roles: Iterable[str] = (BankRole.match, BankRole.allow),
               *, threshold: int | None = None) -> list[PdqHit]:
        """Every active entry of every enabled bank with one of ``roles`` within the bank's threshold (or
        ``threshold`` when given) of one of the queries."""
        return self._search(self._pdq, pdq_hexes, roles, threshold, 1)

    def search_video(self, pdq_hexes: Sequence[str], roles: Iterable[str] = (BankRole.match, BankRole.allow)
                     ) -> list[PdqHit]:
        """Video entries of enabled banks with one of ``roles`` having a frame within the bank's threshold of
        one of the queries (an upload's frame hashes); ``distance`` is that frame's."""
        return self._search(self._video, pdq_hexes, roles, None, FRAME_SLOTS)

    def _search(self, indexes: dict[int, PDQIndex], pdq_hexes: Sequence[str], roles: Iterable[str],
                threshold: int | None, per_entry: int) -> list[PdqHit]:
        if not pdq_hexes:
            return []
        codes = hex_to_codes(list(pdq_hexes))
        wanted = {str(r) for r in roles}
        out: list[PdqHit] = []
        with self._lock:
            for bank_id, cfg in self.banks.items():
                idx = indexes.get(bank_id)
                if idx is None or not cfg.enabled or cfg.role not in wanted or not len(idx):
                    continue
                res = idx.search_arrays(codes, cfg.threshold if threshold is None else threshold)
                out.extend(PdqHit(int(q), bank_id, int(i) // per_entry, int(d)) for q, i, d in
                           zip(res.query.tolist(), res.ids.tolist(), res.distances.tolist(), strict=True))
        return out

    def search_photos(self, pdq_hexes: Sequence[str], threshold: int) -> list[PdqHit]:
        if not pdq_hexes:
            return []
        with self._lock:
            if not len(self._photos):
                return []
            res = self._photos.search_arrays(hex_to_codes(list(pdq_hexes)), threshold)
        return [PdqHit(int(q), 0, int(i), int(d)) for q, i, d in
                zip(res.query.tolist(), res.ids.tolist(), res.distances.tolist(), strict=True)]

    def size(self) -> int:
        with self._lock:
            return sum(len(i) for i in self._pdq.values())

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"watermark": self.watermark, "entries": self.size(), "profile_photos": len(self._photos),
                    "video_frames": sum(len(i) for i in self._video.values()),
                    "banks": {cfg.name: {"indexed": len(self._pdq[b]) if b in self._pdq else 0,
                                         "video_frames": len(self._video[b]) if b in self._video else 0,
                                         "enabled": cfg.enabled, "threshold": cfg.threshold, "role": cfg.role}
                              for b, cfg in self.banks.items()},
                    "nbytes": sum(i.nbytes for i in (*self._pdq.values(), *self._video.values()))
                    + self._photos.nbytes,
                    "last_load": self.last_load.as_dict() if self.last_load else None}

    # ---- snapshots ----------------------------------------------------------------------------------------
    def save_snapshot(self, directory: Path | None = None) -> Path:
        """Write every bank's index and the watermark; replaces ``directory`` (written beside it, renamed)."""
        target = Path(directory or self.snapshot_dir or "var/media-index")
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            try:
                for bank_id, idx in self._pdq.items():
                    idx.save(tmp / f"bank-{bank_id}")
                for bank_id, idx in self._video.items():
                    idx.save(tmp / f"video-{bank_id}")
                state = {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "store_id": self.store_id,
                         "watermark": self.watermark, "banks": sorted(self._pdq), "video_banks": sorted(self._video)}
                (tmp / "state.json").write_text(json.dumps(state, indent=1))
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return target

    def _read_snapshot(self, directory: Path, store_id: str, seq: int) -> bool:
        try:
            state = json.loads((directory / "state.json").read_text())
        except (OSError, ValueError):
            return False
        if (state.get("format") != SNAPSHOT_FORMAT or state.get("version") != SNAPSHOT_VERSION
                or state.get("store_id") != store_id or int(state.get("watermark", -1)) > seq):
            log.info("media index snapshot in %s is not for this store: building from the store", directory)
            return False
        try:
            indexes = {int(b): PDQIndex.load(directory / f"bank-{b}", threads=self.threads)
                       for b in state["banks"]}
            videos = {int(b): PDQIndex.load(directory / f"video-{b}", threads=self.threads)
                      for b in state["video_banks"]}
        except (OSError, ValueError, KeyError) as exc:
            log.warning("media index snapshot in %s unreadable (%s): building from the store", directory, exc)
            return False
        self._pdq = indexes
        self._video = videos
        self.watermark = int(state["watermark"])
        self.store_id = store_id
        return True
