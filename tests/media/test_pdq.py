"""PDQ from luminance (``pdq.py``): the reference's hashes at full size, and close to them from a reduced
decode."""

from __future__ import annotations

import io

import numpy as np
import pdqhash
import pytest
from PIL import Image

from waakhond.detectors.media.hashing import _to_hex, pdq_distance
from waakhond.detectors.media.pdq import pdq_from_luma
from waakhond.detectors.media.samples import encode, synthetic_image


def reference(luma: np.ndarray) -> tuple[list[str], int]:
    """``pdqhash`` (the reference C++ PDQ) on a grey RGB picture: its luminance is ``luma`` exactly."""
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(np.stack([luma] * 3, -1)))
    return [_to_hex(v) for v in vectors], int(quality)


@pytest.mark.parametrize("size", [(640, 480), (1024, 1024), (333, 999), (64, 64), (70, 41), (5, 9), (4, 300)])
def test_full_size_hashes_are_the_reference_hashes_bit_for_bit(size: tuple[int, int]) -> None:
    w, h = size
    if min(w, h) >= 16:
        luma = np.asarray(synthetic_image(w * 7 + h, (w, h)).convert("L"))
    else:
        luma = np.random.default_rng(w * h).integers(0, 256, (h, w), dtype=np.uint8)
    hashes, quality = pdq_from_luma(luma)
    assert (list(hashes), quality) == reference(luma)


def test_reduced_decodes_give_the_full_resolution_hash_within_a_few_bits() -> None:
    """A 1-megapixel JPEG decoded at half and quarter size, hashed with the full size's filter: within a
    few bits of the full-resolution hash, where handing the reduced picture to PDQ as it is drifts more."""
    ours, as_is = 0, 0
    for seed in range(6):
        data = encode(synthetic_image(seed, (1024, 1024)), quality=85)
        full = reference(np.asarray(Image.open(io.BytesIO(data)).convert("L")))[0][0]
        for side, within in ((512, 6), (256, 10)):
            im = Image.open(io.BytesIO(data))
            im.draft("L", (side, side))
            luma = np.asarray(im.convert("L"))
            assert luma.shape == (side, side)
            d = pdq_distance(pdq_from_luma(luma, (1024, 1024))[0][0], full)
            assert d <= within
            ours += d
            as_is += pdq_distance(reference(luma)[0][0], full)  # the reduced picture hashed at its own size
    assert as_is > 2 * ours


def test_tiny_pictures_get_the_empty_hash() -> None:
    hashes, quality = pdq_from_luma(np.zeros((4, 100), dtype=np.uint8))
    assert hashes == ("0" * 64,) * 8 and quality == 0
