"""Exact PDQ search over millions of hashes: multi-index hashing on flat arrays.

Which one to start with? ``PDQIndex``: ``add(ids, codes)``, ``remove(ids)``, ``search(codes, threshold)``,
``save(dir)`` and ``PDQIndex.load(dir)``. Codes are PDQ hashes as ``uint8[n, 32]`` (the 64 hex digits of a
PDQ hash as bytes, see :func:`codes_from_hex`).

    >>> import numpy as np
    >>> idx = PDQIndex()
    >>> codes = codes_from_hex(["f" * 64, "0" * 64])
    >>> idx.add(np.array([7, 8]), codes)
    >>> flipped = codes[:1].copy(); flipped[0, 0] ^= 0b111      # three bits away from id 7
    >>> idx.search(flipped, threshold=31)
    [[Match(id=7, distance=3)]]

How it stays exact. The 256 bits (after a fixed random permutation of bit positions, which keeps every
distance and spreads the correlated bits of real PDQ hashes across substrings) are cut into ``m`` substrings.
If ``d(x, q) ≤ r`` and substring ``j`` is searched within radius ``t_j``, then ``Σ (t_j + 1) > r`` guarantees
that at least one substring of ``x`` lies within ``t_j`` of the query's (pigeonhole: otherwise the distance
would be at least ``Σ (t_j + 1)``). Every row in every probed bucket is verified on the full 256 bits, so
results equal brute force. With 10 million codes the layout is 11 substrings of 23–24 bits searched
within radius 2 (one within 1): about 2,800 bucket probes and as many candidates per query, against 10
million comparisons for brute force.

Why flat arrays and not dicts? Per substring, a direct table with one ``uint32`` per possible key holds
either nothing, the row itself (a bucket of one: one memory access answers the probe), or where a larger
bucket's rows lie in a shared *spill* array; built by counting sort in O(n). The index is a few arrays:
compact (127 bytes per hash at 10 M random codes: tables 448 MiB, spill 373 MiB, codes 305 MiB, ids
76 MiB, tombstones 10 MiB; 1.18 GiB in all), saved as
``.npy`` files and loaded in seconds. Lookups are bound by memory latency (about 3,000 table entries,
1,000 spilled buckets and 3,000 codes per query at 10 M), so the kernel (:mod:`._kernels`) issues them in
flat passes that keep many loads in flight, and a batch is split over threads.

Incremental updates. Added codes go to a small *delta* buffer searched by brute force; removed ids are
tombstoned. When the delta outgrows ``delta_limit`` (or a quarter of the rows are dead) the index is
*compacted*: live rows of both are rebuilt into new tables in O(n) (counting sort; a few tens of seconds at
10 M on this machine). One writer at a time; searches must not run concurrently with
``add``/``remove``/``compact``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from waakhond.detectors.media import _kernels as K

CODE_BYTES = 32
CODE_BITS = 256
DEFAULT_THRESHOLD = 31
FORMAT_VERSION = 1
_MAX_RADIUS = 3  # per substring; the kernel enumerates flips of up to three bits
_MAX_WIDTH = 24  # largest substring: a table of 2**24 offsets (64 MiB)
_CHUNK = 32  # queries per slice handed to a search thread

Codes = npt.NDArray[np.uint8]
Ids = npt.NDArray[np.int64]


class Match(NamedTuple):
    """An indexed id within the threshold of a query, and its Hamming distance."""

    id: int
    distance: int


class SearchResult(NamedTuple):
    """All matches of a batch as flat arrays (``query[i]`` found ``ids[i]`` at ``distances[i]``)."""

    query: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    distances: npt.NDArray[np.int16]


@dataclass(frozen=True)
class Layout:
    """How the 256 bits are cut into substrings, and the bit permutation applied first.

    ``seed`` picks the permutation; ``None`` keeps bits in PDQ order (only for measuring what the
    permutation buys: PDQ bits of neighbouring DCT coefficients are correlated).
    """

    widths: tuple[int, ...]
    seed: int | None = 1

    def __post_init__(self) -> None:
        if sum(self.widths) > CODE_BITS or not self.widths or min(self.widths) < 1:
            raise ValueError(f"substring widths must be positive and sum to at most 256: {self.widths}")
        if max(self.widths) > _MAX_WIDTH:
            raise ValueError(f"substrings wider than {_MAX_WIDTH} bits need too large tables")

    @classmethod
    def even(cls, m: int, seed: int | None = 1) -> Layout:
        """``m`` substrings covering all 256 bits, widths differing by at most one."""
        base, extra = divmod(CODE_BITS, m)
        return cls(tuple(base + 1 if j < extra else base for j in range(m)), seed)

    @property
    def starts(self) -> npt.NDArray[np.int64]:
        return np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(np.int64)

    @property
    def table_size(self) -> int:
        return sum(1 << w for w in self.widths)

    def permutation(self) -> npt.NDArray[np.int64]:
        """Position in the stored code of every PDQ bit (PDQ bit ``i`` is byte ``i // 8``, MSB first)."""
        if self.seed is None:
            return np.arange(CODE_BITS, dtype=np.int64)
        return np.random.default_rng(self.seed).permutation(CODE_BITS).astype(np.int64)

    def radii(self, threshold: int, n: int) -> npt.NDArray[np.int64] | None:
        """Per-substring search radius for ``threshold``; see :func:`_radii` (cached per size)."""
        return _radii(self.widths, threshold, n)

    def expected_cost(self, threshold: int, n: int) -> float:
        """Probes plus candidates per query on uniform codes (the unit is roughly one cache miss)."""
        radii = self.radii(threshold, n)
        if radii is None:
            return math.inf
        total = 0.0
        for w, t in zip(self.widths, radii, strict=True):
            probes = sum(math.comb(w, k) for k in range(int(t) + 1))
            total += probes * (1.0 + n / float(1 << w))
        return total


@functools.lru_cache(maxsize=4096)
def _radii(widths: tuple[int, ...], threshold: int, n: int) -> npt.NDArray[np.int64] | None:
    """Per-substring search radius for ``threshold`` (``-1`` = not probed), cheapest first.

    Needs ``Σ (t_j + 1) ≥ threshold + 1``. Raising ``t_j`` to ``t`` costs ``C(w_j, t)`` probes, each
    finding ``n / 2**w_j`` candidates on uniform codes; costs grow with ``t``, so greedy is optimal.
    ``None`` when the layout cannot cover the threshold (the caller scans instead).
    """
    t = np.full(len(widths), -1, dtype=np.int64)
    for _ in range(threshold + 1):
        best, best_cost = -1, math.inf
        for j, w in enumerate(widths):
            nxt = int(t[j]) + 1
            if nxt > min(_MAX_RADIUS, w):
                continue
            cost = math.comb(w, nxt) * (1.0 + n / float(1 << w))
            if cost < best_cost:
                best, best_cost = j, cost
        if best < 0:
            return None
        t[best] += 1
    t.flags.writeable = False
    return t


def choose_layout(n: int, threshold: int = DEFAULT_THRESHOLD) -> Layout:
    """The even layout with the lowest expected cost at ``threshold`` for ``n`` codes, with offset tables
    no larger than about twice the number of codes per substring (so a small index stays small).

    For 10 million codes this is 11 substrings (3 of 24 bits, 8 of 23).
    """
    table_limit = max(1 << 16, 2 * n)
    best: Layout | None = None
    best_cost = math.inf
    for m in range(-(-CODE_BITS // _MAX_WIDTH), 33):
        layout = Layout.even(m)
        if (1 << max(layout.widths)) > table_limit:
            continue
        cost = layout.expected_cost(threshold, n)
        if cost < best_cost:
            best, best_cost = layout, cost
    return best if best is not None else Layout.even(16)


def codes_from_hex(hashes: Iterable[str]) -> Codes:
    """PDQ hashes as 64 hex digits → ``uint8[n, 32]``."""
    raw = [bytes.fromhex(h) for h in hashes]
    if any(len(r) != CODE_BYTES for r in raw):
        raise ValueError("a PDQ hash has 64 hex digits")
    return np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), CODE_BYTES).copy()


def codes_to_hex(codes: Codes) -> list[str]:
    return [bytes(row).hex() for row in np.asarray(codes, dtype=np.uint8)]


def _check_codes(codes: Any) -> Codes:
    arr = np.ascontiguousarray(codes, dtype=np.uint8)
    if arr.ndim != 2 or arr.shape[1] != CODE_BYTES:
        raise ValueError(f"codes must have shape (n, 32), got {arr.shape}")
    return arr


def _check_ids(ids: Any) -> Ids:
    arr = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
    return arr


@dataclass
class _Tables:
    """The main part: rows sorted by id, one direct table per substring, spilled buckets, tombstones."""

    ids: Ids
    codes: npt.NDArray[np.uint64]  # permuted, uint64[n, 4]
    alive: npt.NDArray[np.bool_]
    table: npt.NDArray[np.uint32]  # one entry per key of every substring (see _kernels)
    spill: npt.NDArray[np.uint32]  # buckets of two rows or more
    sbase: npt.NDArray[np.int64]  # where each substring's part of ``spill`` starts

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


@dataclass
class _Delta:
    """Recent additions, searched by brute force until the next compaction (at most ``delta_limit``
    rows, so plain arrays re-concatenated on each add are cheap)."""

    ids: Ids = field(default_factory=lambda: np.empty(0, np.int64))
    codes: npt.NDArray[np.uint64] = field(default_factory=lambda: np.empty((0, 4), np.uint64))
    alive: npt.NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, np.bool_))

    def __len__(self) -> int:
        return int(self.ids.shape[0])


class PDQIndex:
    """Exact Hamming search over 256-bit PDQ codes (see the module docstring for how and why).

    ``layout``: substring layout, chosen from the size at each compaction when not given.
    ``delta_limit``: number of pending additions that triggers a compaction.
    ``threads``: threads used by one batched search (default: the CPUs this process may use).
    """

    def __init__(
        self, *, layout: Layout | None = None, delta_limit: int = 65_536, threads: int | None = None
    ) -> None:
        self.threads = threads if threads is not None else len(os.sched_getaffinity(0))
        self._fixed_layout = layout
        self.layout = layout or choose_layout(0)
        self.delta_limit = delta_limit
        self._set_permutation()
        self._main = self._empty_tables()
        self._delta = _Delta()

    # --- sizes -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._main.alive.sum()) + int(self._delta.alive.sum())

    def __contains__(self, id_: object) -> bool:
        if not isinstance(id_, int | np.integer):
            return False
        return bool(self._live(np.array([id_], dtype=np.int64))[0])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays of the index (main tables and delta)."""
        m, d = self._main, self._delta
        return int(
            m.ids.nbytes
            + m.codes.nbytes
            + m.alive.nbytes
            + m.table.nbytes
            + m.spill.nbytes
            + d.ids.nbytes
            + d.codes.nbytes
            + d.alive.nbytes
        )

    def stats(self) -> dict[str, Any]:
        """Size and bucket skew (largest bucket; rows per probe of a key drawn like the data)."""
        m = self._main
        out: dict[str, Any] = {
            "main": m.n,
            "dead": int(m.n - m.alive.sum()),
            "delta": len(self._delta),
            "layout": list(self.layout.widths),
            "nbytes": self.nbytes,
            "mib": {
                "codes": round(m.codes.nbytes / 2**20),
                "ids": round(m.ids.nbytes / 2**20),
                "table": round(m.table.nbytes / 2**20),
                "spill": round(m.spill.nbytes / 2**20),
            },
        }
        if m.n:
            largest, weighted = K.bucket_stats(self._widths, self._tbase, m.table, m.spill, m.sbase, m.n)
            uniform = [m.n / float(1 << w) for w in self.layout.widths]
            out["largest_bucket"] = int(largest.max())
            out["rows_per_data_probe"] = round(float(weighted.mean()), 2)
            out["rows_per_uniform_probe"] = round(float(np.mean(uniform)), 2)
        return out

    # --- updates ---------------------------------------------------------------------------------
    def add(self, ids: Sequence[int] | npt.ArrayLike, codes: Codes) -> None:
        """Add codes under new ids (``int64``). An id already in the index raises ``ValueError``."""
        ids_a = _check_ids(ids)
        codes_a = _check_codes(codes)
        if len(ids_a) != len(codes_a):
            raise ValueError(f"{len(ids_a)} ids for {len(codes_a)} codes")
        if not len(ids_a):
            return
        if len(np.unique(ids_a)) != len(ids_a):
            raise ValueError("duplicate ids in one add()")
        clash = ids_a[self._live(ids_a)]
        if len(clash):
            raise ValueError(f"ids already indexed: {clash[:5].tolist()}")
        d = self._delta
        new = _Delta(ids_a.copy(), self._permute(codes_a), np.ones(len(ids_a), dtype=np.bool_))
        if len(d) + len(new) > self.delta_limit:
            self.compact(extra=new)
        else:
            self._delta = _Delta(
                np.concatenate([d.ids, new.ids]),
                np.concatenate([d.codes, new.codes]),
                np.concatenate([d.alive, new.alive]),
            )

    def remove(self, ids: Sequence[int] | npt.ArrayLike) -> int:
        """Tombstone ids; unknown ids are ignored. Returns how many were removed."""
        ids_a = np.unique(_check_ids(ids))
        m, d = self._main, self._delta
        removed = 0
        if m.n and len(ids_a):
            pos = np.minimum(np.searchsorted(m.ids, ids_a), m.n - 1)
            hit = (m.ids[pos] == ids_a) & m.alive[pos]
            if not m.alive.flags.writeable:  # memory-mapped: copy the small tombstone array
                m.alive = m.alive.copy()
            m.alive[pos[hit]] = False
            removed += int(hit.sum())
        if len(d) and len(ids_a):
            hit = np.isin(d.ids, ids_a) & d.alive
            d.alive[hit] = False
            removed += int(hit.sum())
        if m.n and (m.n - int(m.alive.sum())) > m.n // 4:
            self.compact()
        return removed

    def compact(self, extra: _Delta | None = None) -> None:
        """Merge the delta (and ``extra``) into new main tables, dropping tombstoned rows.

        Counting sort per substring: O(n), a few seconds for 10 million codes. Rows are kept sorted by id
        so an id is found by binary search without a separate id map.
        """
        m, d = self._main, self._delta
        parts = [(m.ids[m.alive], m.codes[m.alive]), (d.ids[d.alive], d.codes[d.alive])]
        if extra is not None:
            parts.append((extra.ids, extra.codes))
        ids = np.concatenate([p[0] for p in parts])
        codes = _aligned_empty((len(ids), 4))
        np.concatenate([p[1] for p in parts], out=codes)
        del parts
        if len(ids) > 1 and not bool(np.all(ids[:-1] < ids[1:])):
            order = np.argsort(ids, kind="stable")
            ids = ids[order]
            codes = np.take(codes, order, axis=0, out=_aligned_empty(codes.shape))
            del order
        self._main = self._empty_tables()  # free the old tables before building the new ones
        if self._fixed_layout is None:
            layout = choose_layout(len(ids))
            if layout != self.layout:
                # Same seed, so the same bit permutation: stored codes stay valid, only the cut changes.
                assert layout.seed == self.layout.seed
                self.layout = layout
                self._set_permutation()
        self._main = self._build(ids, codes)
        self._delta = _Delta()

    # --- search ----------------------------------------------------------------------------------
    def search(self, codes: Codes, threshold: int = DEFAULT_THRESHOLD) -> list[list[Match]]:
        """Every indexed id within ``threshold`` bits of each query, nearest first (ties by id)."""
        res = self.search_arrays(codes, threshold)
        out: list[list[Match]] = [[] for _ in range(len(codes))]
        order = np.lexsort((res.ids, res.distances, res.query))
        for q, i, d in zip(
            res.query[order].tolist(), res.ids[order].tolist(), res.distances[order].tolist(), strict=True
        ):
            out[q].append(Match(i, d))
        return out

    def search_arrays(self, codes: Codes, threshold: int = DEFAULT_THRESHOLD) -> SearchResult:
        """Like :meth:`search`, as flat arrays (no Python object per match; for bulk use)."""
        if not 0 <= threshold <= CODE_BITS:
            raise ValueError(f"threshold must be in [0, 256], got {threshold}")
        q = self._permute(_check_codes(codes))
        parts: list[SearchResult] = []
        m = self._main
        if m.n:
            radii = self.layout.radii(threshold, m.n)
            found = self._run(
                q, _scan(m.codes, m.alive, threshold) if radii is None else _mih(self, radii, threshold)
            )
            parts.append(SearchResult(found.query, m.ids[found.ids], found.distances))
        d = self._delta
        if len(d):
            found = self._run(q, _scan(d.codes, d.alive, threshold))
            parts.append(SearchResult(found.query, d.ids[found.ids], found.distances))
        if not parts:
            return SearchResult(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int16))
        return SearchResult(*(np.concatenate(cols) for cols in zip(*parts, strict=True)))

    def _run(self, queries: npt.NDArray[np.uint64], kernel: _Kernel, cap: int = 16) -> SearchResult:
        """Run a search kernel with ``cap`` result slots per query; queries that found more (rare:
        near-duplicate clusters) are run again with room for all their results."""
        counts, rows, dists = self._call(queries, kernel, cap)
        mask = np.arange(cap)[None, :] < np.minimum(counts, cap)[:, None]
        qi, found, dist = np.nonzero(mask)[0].astype(np.int64), rows[mask], dists[mask]
        over = np.nonzero(counts > cap)[0]
        if len(over):
            keep = counts[qi] <= cap
            qi, found, dist = qi[keep], found[keep], dist[keep]
            counts2, rows2, dists2 = self._call(queries[over], kernel, int(counts[over].max()))
            mask2 = np.arange(rows2.shape[1])[None, :] < counts2[:, None]
            qi = np.concatenate([qi, over[np.nonzero(mask2)[0]]])
            found = np.concatenate([found, rows2[mask2]])
            dist = np.concatenate([dist, dists2[mask2]])
        return SearchResult(qi, found, dist)

    def _call(self, queries: npt.NDArray[np.uint64], kernel: _Kernel, cap: int) -> tuple[Any, Any, Any]:
        """Slices of ``_CHUNK`` queries, handed out to ``threads`` threads as they come free (the kernels
        release the GIL). Why threads and not numba's ``prange``? On a shared machine a busy core stalls
        an OpenMP barrier: measured 3× slower than one thread while another process held one core;
        slices pulled from a queue simply go to whichever thread runs."""
        nq = len(queries)
        counts = np.zeros(nq, dtype=np.int64)
        rows = np.empty((nq, cap), dtype=np.int64)
        dists = np.empty((nq, cap), dtype=np.int16)
        slices = [(lo, min(nq, lo + _CHUNK)) for lo in range(0, nq, _CHUNK)]
        if self.threads <= 1 or len(slices) <= 1:
            for lo, hi in slices:
                kernel(queries, lo, hi, counts, rows, dists)
        else:
            list(_pool(self.threads).map(lambda s: kernel(queries, s[0], s[1], counts, rows, dists), slices))
        return counts, rows, dists

    # --- persistence -----------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the index as ``.npy`` files plus ``meta.json``; replaces ``directory`` atomically enough
        that a crash leaves either the old or the new index (written beside it, then renamed)."""
        target = Path(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        m, d = self._main, self._delta
        arrays = {
            "ids": m.ids,
            "codes": m.codes,
            "alive": m.alive,
            "table": m.table,
            "spill": m.spill,
            "sbase": m.sbase,
            "delta_ids": d.ids,
            "delta_codes": d.codes,
            "delta_alive": d.alive,
        }
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr)
        meta = {
            "format": "waakhond-pdq-index",
            "version": FORMAT_VERSION,
            "widths": list(self.layout.widths),
            "seed": self.layout.seed,
            "fixed_layout": self._fixed_layout is not None,
            "delta_limit": self.delta_limit,
            "n": m.n,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old)

    @classmethod
    def load(
        cls, directory: str | os.PathLike[str], *, mmap: bool = False, threads: int | None = None
    ) -> PDQIndex:
        """Read an index written by :meth:`save`. ``mmap=True`` maps the files read-only instead of
        reading them: instant start, pages come in on first use (slower first lookups, no huge pages);
        updates still work (tombstones are copied to memory, compaction builds new tables in memory)."""
        src = Path(directory)
        meta = json.loads((src / "meta.json").read_text())
        if meta.get("format") != "waakhond-pdq-index" or meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{src} is not a waakhond PDQ index of version {FORMAT_VERSION}")
        layout = Layout(tuple(meta["widths"]), meta["seed"])
        idx = cls(
            layout=layout if meta["fixed_layout"] else None,
            delta_limit=int(meta["delta_limit"]),
            threads=threads,
        )
        idx.layout = layout
        idx._set_permutation()

        def arr(name: str) -> Any:
            return np.load(src / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False)

        # A mapped .npy starts 128 bytes into a page-aligned mapping, so it is aligned too.
        codes = arr("codes") if mmap else _read_aligned(src / "codes.npy")
        idx._main = _Tables(
            arr("ids"), codes, np.array(arr("alive")), arr("table"), arr("spill"), np.array(arr("sbase"))
        )
        if idx._main.n != meta["n"] or idx._main.table.shape[0] != layout.table_size:
            raise ValueError(f"{src}: arrays do not match meta.json")
        idx._delta = _Delta(
            np.array(arr("delta_ids")), np.array(arr("delta_codes")), np.array(arr("delta_alive"))
        )
        return idx

    # --- internals -------------------------------------------------------------------------------
    def _set_permutation(self) -> None:
        self._lut = _permutation_lut(self.layout.permutation())
        self._starts = self.layout.starts
        self._widths = np.array(self.layout.widths, dtype=np.int64)
        self._tbase = np.concatenate([[0], np.cumsum([1 << w for w in self.layout.widths])[:-1]]).astype(
            np.int64
        )

    def _permute(self, codes8: Codes) -> npt.NDArray[np.uint64]:
        out = _aligned_empty((len(codes8), 4))
        out[...] = 0
        K.permute_codes(codes8, self._lut, out)
        return out

    def _live(self, ids: Ids) -> npt.NDArray[np.bool_]:
        """Which of ``ids`` are indexed and not removed."""
        m, d = self._main, self._delta
        out = np.zeros(len(ids), dtype=np.bool_)
        if m.n:
            pos = np.minimum(np.searchsorted(m.ids, ids), m.n - 1)
            out |= (m.ids[pos] == ids) & m.alive[pos]
        if len(d):
            out |= np.isin(ids, d.ids[d.alive])
        return out

    def _empty_tables(self) -> _Tables:
        return self._build(np.empty(0, np.int64), np.empty((0, 4), np.uint64))

    def _build(self, ids: Ids, codes: npt.NDArray[np.uint64]) -> _Tables:
        if len(ids) > K.MAX_ROWS:
            raise ValueError(f"at most {K.MAX_ROWS:,} codes per index")
        table = np.empty(self.layout.table_size, dtype=np.uint32)
        spills = []
        for j, (start, width) in enumerate(zip(self._starts, self._widths, strict=True)):
            base = int(self._tbase[j])
            spills.append(K.build_substring(codes, int(start), int(width), table[base : base + (1 << width)]))
        sbase = np.concatenate([[0], np.cumsum([len(sp) for sp in spills])[:-1]]).astype(np.int64)
        spill = np.concatenate(spills) if spills else np.empty(0, np.uint32)
        return _Tables(ids, codes, np.ones(len(ids), dtype=np.bool_), table, spill, sbase)


# A kernel call on queries ``q0:q1`` of a batch: (queries, q0, q1, counts, rows, dists) -> None.
_Kernel = Callable[[Any, int, int, Any, Any, Any], None]


def _scan(codes: Any, alive: Any, threshold: int) -> _Kernel:
    def run(queries: Any, q0: int, q1: int, counts: Any, rows: Any, dists: Any) -> None:
        K.scan_search(queries, q0, q1, codes, alive, threshold, counts, rows, dists)

    return run


def _mih(index: PDQIndex, radii: Any, threshold: int) -> _Kernel:
    m = index._main

    def run(queries: Any, q0: int, q1: int, counts: Any, rows: Any, dists: Any) -> None:
        K.mih_search(
            queries, q0, q1, index._starts, index._widths, radii, index._tbase, m.table, m.spill, m.sbase,
            m.codes, m.alive, threshold, counts, rows, dists,
        )  # fmt: skip

    return run


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pdq-search")


def _aligned_empty(shape: tuple[int, int]) -> npt.NDArray[np.uint64]:
    """An uninitialised ``uint64`` array starting on a 64-byte boundary: a 32-byte code then never
    straddles two cache lines (numpy only guarantees 16 bytes; straddling costs half a miss more per
    candidate)."""
    nbytes = shape[0] * shape[1] * 8
    buf = np.empty(nbytes + 64, dtype=np.uint8)
    start = -buf.ctypes.data % 64
    return buf[start : start + nbytes].view(np.uint64).reshape(shape)


def _read_aligned(path: Path) -> npt.NDArray[np.uint64]:
    """Read a ``uint64[n, 4]`` ``.npy`` file straight into an aligned array (no second copy)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(f)
        if fortran or dtype != np.dtype(np.uint64) or len(shape) != 2 or shape[1] != 4:
            raise ValueError(f"{path}: expected uint64[n, 4], got {dtype}{list(shape)}")
        out = _aligned_empty((int(shape[0]), 4))
        if f.readinto(out.data) != out.nbytes:
            raise ValueError(f"{path} is truncated")
    return out


def _permutation_lut(perm: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """``lut[b, v]`` = the 4 words holding byte ``b`` of value ``v`` after moving PDQ bit ``i`` to
    position ``perm[i]`` (PDQ bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8``)."""
    lut = np.zeros((CODE_BYTES, 256, 4), dtype=np.uint64)
    values = np.arange(256)
    for i in range(CODE_BITS):
        b, bit = divmod(i, 8)
        on = ((values >> (7 - bit)) & 1).astype(bool)
        p = int(perm[i])
        lut[b, on, p >> 6] |= np.uint64(1) << np.uint64(p & 63)
    return lut
