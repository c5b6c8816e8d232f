"""Text overlays (a reposter's or a platform's watermark, a caption) painted out before a second PDQ hash.

Which one to start with? ``remove_overlay(luma)`` returns the luminance with outlined text filled in from
its surroundings, or ``None`` when the picture shows no such text; :func:`~waakhond.detectors.media.hashing.
hash_image` hashes the result too (``ImageHashes.unmarked``) and the matcher looks those hashes up as well.

Why? Watermarks are drawn to be legible on any background: light letters with a dark outline or shadow
(or the reverse). On a dark or flat picture such a mark outweighs the little structure there is, and PDQ,
a global hash, moves by 32–76 bits: the copy is not found at the threshold of 31. Painted out, most of
them come back within it (measured in ``bench/media_robustness.py``: 13 of the 16 watermarked copies the
plain hash missed are found, recall 0.947 → 0.990).

How. At the decode size (about 512 pixels a side): *stroke* pixels are near-white (≥ 215) with a
near-black (≤ 40) pixel within a few pixels, or the reverse — the edge of an outlined letter. They are
widened by two pixels (anti-aliasing, the rest of the stroke) and replaced by the mean of the unmasked
pixels around them (a box about 1/32 of the side). A picture whose mask covers under 0.1 % (nothing to
remove) or over 8 % (that is the picture's own structure, not an overlay: a page of text, a chessboard) is
left alone. The original hashes are always kept: painting out can only add lookups, and a picture whose
own content has such edges simply gets a second, slightly smoothed hash. Plain text without contrast to
its outline (a faint semi-transparent mark) is not detected; it also moves PDQ less.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

DARK = 40
LIGHT = 215
MIN_SHARE = 0.001
MAX_SHARE = 0.08


def remove_overlay(luma: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32] | None:
    """``luma`` with outlined text painted out, or ``None`` when there is none (or too much to be an
    overlay: see the module docstring)."""
    rows, cols = luma.shape
    side = min(rows, cols)
    if side < 64:
        return None
    reach = max(2, side // 160)
    widen = max(1, side // 256)
    radius = max(4, side // 32)
    luma = np.ascontiguousarray(luma)
    mask, masked, box = _stroke_mask(luma, DARK, LIGHT, reach, widen, int(MAX_SHARE * rows * cols))
    if not MIN_SHARE * rows * cols <= masked <= MAX_SHARE * rows * cols:
        return None
    out: npt.NDArray[np.float32] = _fill(luma, mask, radius, box)
    return out


@njit(cache=True)
def _sat(flags: Any) -> Any:
    """Summed-area table of a 0/1 array (one row and column of zeros in front)."""
    rows, cols = flags.shape
    sat = np.zeros((rows + 1, cols + 1), dtype=np.int32)
    for i in range(rows):
        acc = 0
        for j in range(cols):
            acc += flags[i, j]
            sat[i + 1, j + 1] = sat[i, j + 1] + acc
    return sat


@njit(cache=True)
def _any_near(sat: Any, i: int, j: int, r: int) -> bool:
    rows, cols = sat.shape[0] - 1, sat.shape[1] - 1
    i0, i1 = max(0, i - r), min(rows, i + r + 1)
    j0, j1 = max(0, j - r), min(cols, j + r + 1)
    return bool(sat[i1, j1] - sat[i0, j1] - sat[i1, j0] + sat[i0, j0] > 0)


@njit(cache=True)
def _stroke_mask(luma: Any, dark: int, light: int, reach: int, widen: int, limit: int) -> Any:
    """The mask (stroke pixels widened by ``widen``), how many pixels it holds (counting stops above
    ``limit``) and its bounding box ``(top, bottom, left, right)``. Stroke pixels: light ones with a dark
    one within ``reach``, and dark ones with a light one within ``reach``."""
    rows, cols = luma.shape
    is_dark = np.zeros((rows, cols), dtype=np.uint8)
    is_light = np.zeros((rows, cols), dtype=np.uint8)
    n_dark = 0
    n_light = 0
    for i in range(rows):
        for j in range(cols):
            v = luma[i, j]
            if v <= dark:
                is_dark[i, j] = 1
                n_dark += 1
            elif v >= light:
                is_light[i, j] = 1
                n_light += 1
    mask = np.zeros((rows, cols), dtype=np.bool_)
    box = np.array([rows, 0, cols, 0], dtype=np.int64)
    if n_dark == 0 or n_light == 0:
        return mask, 0, box
    # Strokes of the rarer kind first (a light pixel near a dark one, say); the other kind's stroke pixels
    # are then exactly those within ``reach`` of one of them.
    rare, common = (is_light, is_dark) if n_light <= n_dark else (is_dark, is_light)
    near_common = _sat(common)
    core = np.zeros((rows, cols), dtype=np.uint8)
    n_core = 0
    for i in range(rows):
        for j in range(cols):
            if rare[i, j] and _any_near(near_common, i, j, reach):
                core[i, j] = 1
                n_core += 1
                box[0] = min(box[0], i)
                box[1] = max(box[1], i + 1)
                box[2] = min(box[2], j)
                box[3] = max(box[3], j + 1)
                if n_core > limit:
                    return mask, n_core, box
    if n_core == 0:
        return mask, 0, box
    near_core = _sat(core)
    top, bottom = max(0, box[0] - reach), min(rows, box[1] + reach)
    left, right = max(0, box[2] - reach), min(cols, box[3] + reach)
    for i in range(top, bottom):
        for j in range(left, right):
            if common[i, j] and _any_near(near_core, i, j, reach):
                core[i, j] = 1
    near_stroke = _sat(core)
    top, bottom = max(0, top - widen), min(rows, bottom + widen)
    left, right = max(0, left - widen), min(cols, right + widen)
    masked = 0
    for i in range(top, bottom):
        for j in range(left, right):
            if _any_near(near_stroke, i, j, widen):
                mask[i, j] = True
                masked += 1
    return mask, masked, np.array([top, bottom, left, right], dtype=np.int64)


@njit(cache=True)
def _fill(luma: Any, mask: Any, radius: int, box: Any) -> Any:
    """Masked pixels replaced by the mean of the unmasked ones within ``radius`` (a normalised box filter,
    computed over the mask's bounding box only); where there are none, by the mean of the pixels around the
    box."""
    rows, cols = luma.shape
    top, bottom = max(0, box[0] - radius), min(rows, box[1] + radius)
    left, right = max(0, box[2] - radius), min(cols, box[3] + radius)
    h, w = bottom - top, right - left
    total = np.zeros((h + 1, w + 1), dtype=np.float64)
    count = np.zeros((h + 1, w + 1), dtype=np.float64)
    for i in range(h):
        acc = 0.0
        n = 0.0
        for j in range(w):
            if not mask[top + i, left + j]:
                acc += luma[top + i, left + j]
                n += 1.0
            total[i + 1, j + 1] = total[i, j + 1] + acc
            count[i + 1, j + 1] = count[i, j + 1] + n
    fallback = total[h, w] / count[h, w] if count[h, w] > 0 else 128.0
    out = luma.astype(np.float32)
    for i in range(h):
        i0, i1 = max(0, i - radius), min(h, i + radius + 1)
        for j in range(w):
            if mask[top + i, left + j]:
                j0, j1 = max(0, j - radius), min(w, j + radius + 1)
                c = count[i1, j1] - count[i0, j1] - count[i1, j0] + count[i0, j0]
                t = total[i1, j1] - total[i0, j1] - total[i1, j0] + total[i0, j0]
                out[top + i, left + j] = t / c if c > 0 else fallback
    return out
