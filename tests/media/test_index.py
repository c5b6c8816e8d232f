"""Exactness of the PDQ index against brute force, updates, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waakhond.detectors.media.index import (
    Layout,
    Match,
    PDQIndex,
    choose_layout,
    codes_from_hex,
    codes_to_hex,
)


def brute(codes: np.ndarray, ids: np.ndarray, queries: np.ndarray, threshold: int) -> list[list[Match]]:
    d = np.bitwise_count(queries[:, None, :] ^ codes[None, :, :]).sum(-1)
    out = []
    for row in d:
        hits = np.nonzero(row <= threshold)[0]
        out.append(sorted((Match(int(ids[h]), int(row[h])) for h in hits), key=lambda m: (m.distance, m.id)))
    return out


def flip(code: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(code)
    bits[rng.choice(256, size=k, replace=False)] ^= 1
    return np.packbits(bits)


def planted(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random codes, plus queries at every distance 0..40 from some of them, plus random queries."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    ids = rng.permutation(n * 5)[:n].astype(np.int64) * 7 - 1000  # arbitrary, unsorted, some negative
    queries = [flip(codes[i % n], i % 41, rng) for i in range(0, 41 * 3)]
    queries += list(rng.integers(0, 256, (20, 32), dtype=np.uint8))
    return codes, ids, np.array(queries, dtype=np.uint8)


@pytest.mark.parametrize(
    "layout",
    [
        None,
        Layout((16,) * 8),
        Layout.even(11),
        Layout.even(16),
        Layout.even(32),
        Layout.even(11, seed=None),
        Layout((20, 20, 20, 20)),
    ],
)
@pytest.mark.parametrize("threshold", [0, 5, 16, 31])
def test_exact_against_brute_force(layout: Layout | None, threshold: int) -> None:
    codes, ids, queries = planted()
    idx = PDQIndex(layout=layout)
    idx.add(ids, codes)
    idx.compact()
    got = idx.search(queries, threshold)
    assert got == brute(codes, ids, queries, threshold)
    if threshold == 31:
        # every planted distance up to 31 is found, and nothing at 32 or more
        found = {m.distance for ms in got for m in ms}
        assert set(range(32)) <= found
        assert max(found) <= 31


@pytest.mark.parametrize("threshold", [32, 40, 70])
def test_thresholds_beyond_the_layout_fall_back_to_an_exact_scan(threshold: int) -> None:
    codes, ids, queries = planted(1500, seed=1)
    idx = PDQIndex(layout=Layout.even(16))
    idx.add(ids, codes)
    idx.compact()
    assert idx.search(queries, threshold) == brute(codes, ids, queries, threshold)


def test_near_duplicate_clusters_and_many_matches_per_query() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (5, 32), dtype=np.uint8)
    codes = np.array([flip(base[i % 5], int(rng.integers(0, 12)), rng) for i in range(2000)])
    codes = np.concatenate([codes, rng.integers(0, 256, (2000, 32), dtype=np.uint8)])
    ids = np.arange(len(codes), dtype=np.int64)
    idx = PDQIndex(layout=Layout.even(11))
    idx.add(ids, codes)
    idx.compact()
    got = idx.search(base, 31)
    assert all(len(g) > 100 for g in got)  # far more than the first result buffer
    assert got == brute(codes, ids, base, 31)


def test_empty_index_and_empty_queries() -> None:
    idx = PDQIndex()
    q = np.zeros((3, 32), dtype=np.uint8)
    assert idx.search(q) == [[], [], []]
    assert idx.search(np.zeros((0, 32), dtype=np.uint8)) == []
    assert len(idx) == 0
    idx.add(np.array([1]), q[:1])
    assert idx.search(np.zeros((0, 32), dtype=np.uint8)) == []
    assert idx.search(q[:1]) == [[Match(1, 0)]]


def test_delta_remove_readd_and_compaction() -> None:
    codes, ids, queries = planted(2000, seed=2)
    idx = PDQIndex(delta_limit=500)
    idx.add(ids[:1000], codes[:1000])  # over the limit: compacted straight away
    assert idx.stats()["delta"] == 0 and idx.stats()["main"] == 1000
    for lo in range(1000, 2000, 100):  # stays in the delta buffer until it outgrows 500
        idx.add(ids[lo : lo + 100], codes[lo : lo + 100])
        assert idx.search(queries, 31) == brute(codes[: lo + 100], ids[: lo + 100], queries, 31)
    assert len(idx) == 2000
    gone = np.concatenate([ids[:300], ids[1900:1950]])  # from the main part and from the delta
    assert idx.remove(np.concatenate([gone, [10**12]])) == len(gone)
    assert idx.remove(gone) == 0
    keep = ~np.isin(ids, gone)
    assert len(idx) == int(keep.sum())
    assert idx.search(queries, 31) == brute(codes[keep], ids[keep], queries, 31)
    assert int(ids[0]) not in idx and int(ids[500]) in idx
    # an id can come back, with another code
    idx.add(ids[:1], codes[1:2])
    keep[0] = True
    expected_codes = codes.copy()
    expected_codes[0] = codes[1]
    assert idx.search(queries, 31) == brute(expected_codes[keep], ids[keep], queries, 31)
    idx.compact()
    assert idx.stats()["dead"] == 0 and idx.stats()["delta"] == 0
    assert idx.search(queries, 31) == brute(expected_codes[keep], ids[keep], queries, 31)


def test_removing_a_quarter_compacts() -> None:
    codes, ids, _ = planted(400, seed=4)
    idx = PDQIndex()
    idx.add(ids, codes)
    idx.compact()
    idx.remove(ids[:150])
    assert idx.stats()["main"] == 250 and idx.stats()["dead"] == 0


def test_add_rejects_bad_input() -> None:
    idx = PDQIndex()
    idx.add(np.array([1, 2]), np.zeros((2, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="already indexed"):
        idx.add(np.array([2, 3]), np.zeros((2, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="duplicate"):
        idx.add(np.array([5, 5]), np.zeros((2, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="ids for"):
        idx.add(np.array([5]), np.zeros((2, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="shape"):
        idx.add(np.array([5]), np.zeros((1, 31), dtype=np.uint8))
    with pytest.raises(ValueError, match="threshold"):
        idx.search(np.zeros((1, 32), dtype=np.uint8), threshold=-1)
    assert len(idx) == 2


@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(tmp_path: Path, mmap: bool) -> None:
    codes, ids, queries = planted(3000, seed=5)
    idx = PDQIndex(delta_limit=1000)
    idx.add(ids[:2500], codes[:2500])
    idx.add(ids[2500:], codes[2500:])  # stays in the delta
    idx.remove(ids[:10])
    idx.remove(ids[2990:])
    expected = idx.search(queries, 31)
    idx.save(tmp_path / "pdq")
    idx.save(tmp_path / "pdq")  # replacing an existing index
    back = PDQIndex.load(tmp_path / "pdq", mmap=mmap)
    assert back.stats() == idx.stats()
    assert back.search(queries, 31) == expected
    assert back.search(queries, 12) == idx.search(queries, 12)
    # still updatable after loading
    back.remove(ids[10:20])
    back.add(ids[:5], codes[:5])
    back.compact()
    keep = ~np.isin(ids, np.concatenate([ids[5:20], ids[2990:]]))
    assert back.search(queries, 31) == brute(codes[keep], ids[keep], queries, 31)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_load_rejects_other_directories(tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not a waakhond PDQ index"):
        PDQIndex.load(tmp_path)


def test_hex_round_trip_and_doc_example() -> None:
    hexes = ["f" * 64, "0123456789abcdef" * 4]
    assert codes_to_hex(codes_from_hex(hexes)) == hexes
    with pytest.raises(ValueError):
        codes_from_hex(["abc"])
    idx = PDQIndex()
    codes = codes_from_hex(hexes)
    idx.add([7, 8], codes)
    q = codes[:1].copy()
    q[0, 0] ^= 0b111
    assert idx.search(q) == [[Match(7, 3)]]


def test_layout_choice() -> None:
    assert len(choose_layout(10_000_000).widths) == 11
    assert sum(choose_layout(10_000_000).widths) == 256
    small = choose_layout(1000)
    assert max(small.widths) <= 16  # a small index keeps small tables
    radii = Layout.even(11).radii(31, 10_000_000)
    assert radii is not None and int((radii + 1).sum()) == 32
    assert Layout.even(16).radii(63, 10) is not None  # 16 substrings, radius ≤ 3 each: up to 63
    assert Layout.even(16).radii(64, 10) is None
    assert Layout((8,)).radii(9, 10) is None
    with pytest.raises(ValueError):
        Layout((200, 100))


def test_threaded_batches_equal_brute_force() -> None:
    rng = np.random.default_rng(8)
    base = rng.integers(0, 256, (3, 32), dtype=np.uint8)
    cluster = np.array([flip(base[i % 3], int(rng.integers(0, 10)), rng) for i in range(300)])
    codes = np.concatenate([cluster, rng.integers(0, 256, (3000, 32), dtype=np.uint8)])
    ids = np.arange(len(codes), dtype=np.int64)
    queries = np.concatenate([base, codes[::20], rng.integers(0, 256, (100, 32), dtype=np.uint8)])
    expected = brute(codes, ids, queries, 31)
    for threads in (1, 2, 3):
        idx = PDQIndex(threads=threads, delta_limit=1000)
        idx.add(ids[:2000], codes[:2000])
        idx.add(ids[2000:2500], codes[2000:2500])  # main part and delta both searched in slices
        idx.add(ids[2500:], codes[2500:])
        assert idx.search(queries, 31) == expected
