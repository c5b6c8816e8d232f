"""Hashing speed on 1-megapixel JPEGs: images per second on one core, and how far the fast path's hash
lies from a full-resolution PDQ hash.

    nice -n 10 .venv/bin/python bench/media_hash_speed.py            # about two minutes

The pictures are benign: generated ones, plus scikit-image's shipped sample photos (scaled to 1024×1024)
when it is installed. Figures are printed; nothing is asserted. One process, one thread: the figure is per
core (pdqhash and Pillow's decoder are single-threaded; run one worker per core).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

import numpy as np
import pdqhash
from PIL import Image

from waakhond.detectors.media.hashing import hash_image, pdq_distance
from waakhond.detectors.media.samples import encode, sample_photos, synthetic_image, synthetic_video
from waakhond.detectors.media.video import hash_video


def jpegs(count: int) -> list[bytes]:
    photos = [p.resize((1024, 1024), Image.Resampling.LANCZOS) for p in sample_photos().values()]
    out = [encode(p, quality=85) for p in photos[: count // 4]]
    out += [encode(synthetic_image(1000 + i, (1024, 1024)), quality=85) for i in range(count - len(out))]
    return out


def full_resolution(data: bytes) -> tuple[str, float, float]:
    t0 = time.perf_counter()
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    t1 = time.perf_counter()
    vec, _ = pdqhash.compute(pixels)
    t2 = time.perf_counter()
    return np.packbits(vec.astype(np.uint8)).tobytes().hex(), t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--video-seconds", type=int, default=30, help="length of the generated test videos (0: skip)")
    args = ap.parse_args()
    data = jpegs(args.images)
    print(
        f"{len(data)} JPEGs of 1024×1024 (quality 85), mean {statistics.mean(map(len, data)) / 1024:.0f} KiB"
    )

    hash_image(data[0])
    t, c = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        for d in data:
            hash_image(d)
    fast = args.rounds * len(data) / (time.perf_counter() - t)
    per_cpu = args.rounds * len(data) / (time.process_time() - c)
    print(
        f"hash_image (MD5 + SHA-256 + PDQ with 8 dihedral hashes, JPEG decoded at 512², margin and watermark "
        f"checks): "
        f"{fast:.0f} images/s, {per_cpu:.0f} per CPU-second (load average {os.getloadavg()[0]:.1f}); "
        f"target ≥ 100 per core: {'met' if per_cpu >= 100 else 'MISSED'} (per CPU-second)"
    )

    dist, decode_s, pdq_s = [], 0.0, 0.0
    t = time.perf_counter()
    for d in data:
        ref, dec, pq = full_resolution(d)
        decode_s += dec
        pdq_s += pq
        dist.append(pdq_distance(ref, hash_image(d).pdq))
    n = len(data)
    print(
        f"full-resolution decode + pdqhash.compute: {n / (decode_s + pdq_s):.0f} images/s "
        f"(decode {1000 * decode_s / n:.1f} ms, PDQ {1000 * pdq_s / n:.1f} ms per image)"
    )
    print(
        f"distance fast path vs full resolution: median {statistics.median(dist):.0f}, "
        f"90th pct {np.percentile(dist, 90):.0f}, max {max(dist)} bits (match threshold 31)"
    )
    if args.video_seconds:
        videos(args.video_seconds)


def videos(seconds: int) -> None:
    """Video hashing (every frame decoded, one hashed per second) on generated H.264 videos."""
    for size, fps in (((640, 360), 30), ((1280, 720), 30)):
        data = synthetic_video(7, seconds=seconds, fps=fps, size=size, scene_seconds=3.0)
        hash_video(data)
        t, c = time.perf_counter(), time.process_time()
        h = hash_video(data)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"hash_video {size[0]}×{size[1]} {fps} fps H.264, {seconds} s ({len(data) / 1e6:.1f} MB): "
            f"{seconds / wall:.0f}× real time ({seconds / cpu:.0f}× per CPU-second; decoder threads on), "
            f"{len(h.frames)} frames hashed"
        )


if __name__ == "__main__":
    main()
