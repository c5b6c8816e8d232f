"""Matching uploaded videos against a bank of known videos: import, index, and matches per second.

    nice -n 10 .venv/bin/python bench/banks_video.py --videos 10000            # about a minute

Known videos are random vPDQ frame lists (``--frames`` distinct frames each, one a second: random PDQ
hashes are as far apart as those of unrelated videos). Queries: copies of known videos with every frame
moved by 0–16 bits (a re-encode moves frames a few bits) and a tenth of their frames dropped, and unrelated
videos. Each query is one ``match_hashes(video=…)`` call on a SQLite store: frame lookups in the bank's
video index, candidates read back and compared whole. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time

import numpy as np

from waakhond.banks import BankService, import_file
from waakhond.banks.index import BankIndex
from waakhond.banks.matcher import match_hashes
from waakhond.detectors.media.video import FrameHash
from waakhond.store.database import Database


def random_frames(rng: np.random.Generator, n: int) -> list[FrameHash]:
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    return [FrameHash(i, 100, bytes(c).hex(), float(i)) for i, c in enumerate(codes)]


def moved(rng: np.random.Generator, frames: list[FrameHash]) -> list[FrameHash]:
    out = []
    for f in frames:
        if rng.random() < 0.1:
            continue  # a frame the copy does not have (a cut, a frame sampled a moment later)
        v = int(f.pdq, 16)
        for b in rng.choice(256, int(rng.integers(0, 17)), replace=False):
            v ^= 1 << int(b)
        out.append(f._replace(pdq=f"{v:064x}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    known = [random_frames(rng, args.frames) for _ in range(args.videos)]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.connect(f"sqlite:///{tmp}/bench.db")
        db.migrate()
        BankService(db).create_bank("videos")
        lines = "".join(json.dumps({"vpdq": [f"{f.pdq},{f.quality},{f.timestamp:.3f}" for f in v],
                                    "external_id": f"v{i}"}) + "\n" for i, v in enumerate(known))
        t = time.perf_counter()
        res = import_file(db, "videos", io.BytesIO(lines.encode()), fmt="jsonl")
        print(f"import: {res.created:,} videos × {args.frames} frames in {time.perf_counter() - t:.1f} s")
        index = BankIndex(db, None)
        t = time.perf_counter()
        index.load()
        stats = index.stats()
        print(f"index build from the store: {time.perf_counter() - t:.1f} s, {stats['video_frames']:,} frames, "
              f"{stats['nbytes'] / 2**20:.0f} MiB")
        picks = rng.choice(args.videos, args.queries, replace=False)
        copies = [moved(rng, known[i]) for i in picks]
        others = [random_frames(rng, args.frames) for _ in range(args.queries)]
        with db.reading() as s:
            match_hashes(s, index, video=copies[0])
            for name, queries in (("copies", copies), ("unrelated", others)):
                t, c = time.perf_counter(), time.process_time()
                found = [match_hashes(s, index, video=q).matches for q in queries]
                wall, cpu = time.perf_counter() - t, time.process_time() - c
                right = sum(bool(m) and m[0].external_id == f"v{i}" for m, i in zip(found, picks, strict=False))
                print(f"{name}: {len(queries) / wall:.0f} videos/s ({len(queries) / cpu:.0f} per CPU-second; "
                      f"{args.frames} frame lookups each); matched {sum(bool(m) for m in found)}/{len(queries)}"
                      + (f", the right video {right}/{len(queries)}" if name == "copies" else ""))
        print(f"(load average {os.getloadavg()[0]:.1f})")
        db.close()


if __name__ == "__main__":
    main()
