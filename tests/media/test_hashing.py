"""Hashing of benign generated pictures, and refusal of everything that is not a safe image."""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
import zlib

import numpy as np
import pdqhash
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from waakhond.detectors.media.hashing import (
    ImageHashes,
    MediaError,
    content_box,
    hash_image,
    pdq_distance,
)
from waakhond.detectors.media.samples import encode, synthetic_image

PICTURE = synthetic_image(11, (640, 480))
JPEG = encode(PICTURE)
PNG = encode(PICTURE, "PNG")


def full_resolution_pdq(data: bytes) -> str:
    vec, _ = pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    return np.packbits(vec.astype(np.uint8)).tobytes().hex()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_hashes_every_supported_format(fmt: str) -> None:
    data = encode(PICTURE, fmt)
    h = hash_image(data)
    assert isinstance(h, ImageHashes)
    assert (h.width, h.height) == (640, 480)
    assert len(h.pdq) == 64 and int(h.pdq, 16) >= 0
    assert h.md5 == hashlib.md5(data).hexdigest()
    assert h.sha256 == hashlib.sha256(data).hexdigest()
    assert len(h.dihedral) == 8 and h.dihedral[0] == h.pdq and len(set(h.dihedral)) == 8
    assert h.matchable and h.quality >= 50
    # every format of the same picture lands near the same hash (GIF quantises to 256 colours)
    assert pdq_distance(h.pdq, hash_image(PNG).pdq) <= 24


def test_fast_jpeg_path_stays_close_to_the_full_resolution_hash() -> None:
    for seed in range(5):
        data = encode(synthetic_image(seed, (1024, 1024)))
        assert pdq_distance(hash_image(data).pdq, full_resolution_pdq(data)) <= 8


def test_flipped_and_rotated_copies_match_a_dihedral_variant() -> None:
    original = hash_image(PNG)
    for variant in (
        ImageOps.mirror(PICTURE),
        ImageOps.flip(PICTURE),
        PICTURE.rotate(90, expand=True),
        PICTURE.rotate(180),
        PICTURE.transpose(Image.Transpose.TRANSPOSE),
    ):
        copy = hash_image(encode(variant, "PNG")).pdq
        assert pdq_distance(copy, original.pdq) > 31
        assert min(pdq_distance(copy, d) for d in original.dihedral) <= 16


def padded(img: Image.Image) -> Image.Image:
    """A screenshot-like copy: white bars with a clock above and a reply box below."""
    w, h = img.size
    canvas = Image.new("RGB", (w + 40, h + 140), (255, 255, 255))
    canvas.paste(img, (20, 50))
    draw = ImageDraw.Draw(canvas)
    draw.text((20, 10), "12:34", fill=(0, 0, 0), font_size=24)
    draw.rounded_rectangle((20, h + 70, w + 20, h + 120), radius=12, outline=(150, 150, 150), width=2)
    return canvas


def test_margins_are_trimmed_and_hashed_too() -> None:
    original = hash_image(PNG)
    assert original.trimmed == () and original.lookups == original.dihedral
    copy = hash_image(encode(padded(PICTURE), quality=80))
    assert pdq_distance(copy.pdq, original.pdq) > 31  # PDQ alone misses a padded copy
    assert len(copy.trimmed) == 8 and copy.lookups == copy.dihedral + copy.trimmed + copy.unmarked
    assert min(pdq_distance(t, original.pdq) for t in copy.trimmed) <= 10
    flipped = hash_image(encode(padded(ImageOps.mirror(PICTURE)), quality=80))
    assert min(pdq_distance(t, original.pdq) for t in flipped.trimmed) <= 10


def test_content_box_ignores_thin_margins_and_tiny_insides() -> None:
    pixels = np.asarray(PICTURE)
    assert content_box(pixels) is None
    thin = np.pad(pixels, ((2, 2), (2, 2), (0, 0)), constant_values=255)
    assert content_box(thin) is None
    tiny = np.full((400, 400, 3), 255, dtype=np.uint8)
    tiny[190:210, 190:210] = pixels[:20, :20]
    assert content_box(tiny) is None
    framed = np.pad(pixels, ((60, 60), (30, 30), (0, 0)), constant_values=0)
    assert content_box(framed) == (60, 540, 30, 670)


def test_dihedral_order() -> None:
    original = hash_image(PNG)
    mirrored = hash_image(encode(ImageOps.mirror(PICTURE), "PNG")).pdq
    upside_down = hash_image(encode(ImageOps.flip(PICTURE), "PNG")).pdq
    assert pdq_distance(mirrored, original.dihedral[5]) <= 16
    assert pdq_distance(upside_down, original.dihedral[4]) <= 16


def test_flat_images_are_not_matchable() -> None:
    h = hash_image(encode(Image.new("RGB", (300, 200), (120, 130, 140)), "PNG"))
    assert h.quality < 50 and not h.matchable


def test_other_modes_are_converted() -> None:
    for mode in ("L", "P", "RGBA", "CMYK", "1", "I;16"):
        img = PICTURE.convert("L").convert(mode) if mode == "I;16" else PICTURE.convert(mode)
        fmt = "TIFF" if mode in ("CMYK", "I;16") else "PNG"
        assert len(hash_image(encode(img, fmt)).pdq) == 64


def test_empty_unsupported_and_corrupt_input() -> None:
    with pytest.raises(MediaError) as e:
        hash_image(b"")
    assert e.value.reason == "empty"
    for data in (
        b"hello world",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
        b"\x00" * 100,
        encode(PICTURE, "PPM"),
    ):
        with pytest.raises(MediaError) as e:
            hash_image(data)
        assert e.value.reason == "unsupported", data[:20]
    for data in (JPEG[: len(JPEG) // 2], PNG[: len(PNG) // 2], PNG[:40], b"GIF89a", JPEG[:3]):
        with pytest.raises(MediaError) as e:
            hash_image(data)
        assert e.value.reason == "corrupt"
        assert str(e.value).startswith("corrupt: ")


def png_claiming(width: int, height: int) -> bytes:
    """A small real PNG whose header claims another size (the classic decompression bomb shape)."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(
    "size", [(100_000, 100_000), (60_000, 1000), (10_000, 5_001), (2**31 - 1, 2**31 - 1)]
)
def test_decompression_bombs_are_refused_before_decoding(size: tuple[int, int]) -> None:
    with pytest.raises(MediaError) as e:
        hash_image(png_claiming(*size))
    assert e.value.reason == "too_large"


def test_pixel_limit_per_call() -> None:
    with pytest.raises(MediaError, match="too_large: 640×480"):
        hash_image(JPEG, max_pixels=640 * 480 - 1)
    assert hash_image(JPEG, max_pixels=640 * 480).width == 640


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(MediaError):
        hash_image(data)


SMALL = {
    fmt: encode(synthetic_image(3, (64, 48)), fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SMALL)), st.integers(min_value=0, max_value=10**6), st.data())
def test_truncated_and_damaged_files_never_crash(fmt: str, cut: int, data: st.DataObject) -> None:
    raw = bytearray(SMALL[fmt])
    cut = cut % len(raw)
    if data.draw(st.booleans()):
        raw = raw[:cut]  # truncated
    else:
        for pos in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)):
            raw[pos] = data.draw(st.integers(0, 255))  # damaged in place
    try:
        h = hash_image(bytes(raw))
    except MediaError as exc:
        assert exc.reason in {"empty", "unsupported", "corrupt", "too_large"}
    else:
        assert len(h.pdq) == 64


def test_byte_limit_per_call() -> None:
    with pytest.raises(MediaError, match=f"too_large: {len(JPEG):,} bytes, limit {len(JPEG) - 1:,}") as e:
        hash_image(JPEG, max_bytes=len(JPEG) - 1)
    assert e.value.reason == "too_large"
    assert hash_image(JPEG, max_bytes=len(JPEG)).md5 == hashlib.md5(JPEG).hexdigest()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), quality=90))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def test_jpeg_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(MediaError) as e:
        hash_image(jpeg_claiming(65_000, 65_000))
    assert e.value.reason == "too_large"
