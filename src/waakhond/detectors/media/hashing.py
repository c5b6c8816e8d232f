"""Hashes of an uploaded image: PDQ (with quality and the 8 dihedral variants), MD5 and SHA-256.

Which one to start with? ``hash_image(data)`` returns an :class:`ImageHashes` or raises :class:`MediaError`
with a short ``reason`` — it never raises anything else, whatever the bytes.

    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.linear_gradient("L").convert("RGB").save(buf, "PNG")
    >>> h = hash_image(buf.getvalue())
    >>> (h.width, h.height, len(h.pdq), len(h.dihedral), h.dihedral[0] == h.pdq)
    (256, 256, 64, 8, True)
    >>> try:
    ...     hash_image(b"GIF89a")
    ... except MediaError as e:
    ...     print(e.reason)
    corrupt

Why these choices?

- **Fast path.** Only the luminance is decoded (PDQ uses nothing else): a JPEG's own luma channel, at
  reduced scale for large ones (Pillow ``draft``, libjpeg's DCT scaling, to at least 512 pixels a side), so
  neither the colour channels nor the full-size picture are ever decoded. Other formats larger than that are
  converted to luminance and reduced by an integer box filter. PDQ is then computed by
  :func:`~waakhond.detectors.media.pdq.pdq_from_luma` with the *full-size* picture's filter and sample
  positions, so the hash is the full-resolution one within a few bits (median 0 on 1-megapixel JPEGs).
- **Dihedral.** PDQ is not invariant to flips and 90° rotations, so the 8 variants are computed here (one
  pass: PDQ derives them from the same DCT) and searched as 8 queries. That also makes EXIF orientation
  irrelevant, so it is not applied.
- **Safe decoding.** Only a handful of common raster formats are opened (no EPS/PDF/PSD: fewer decoders,
  no Ghostscript). The pixel count is read from the header and checked *before* decoding, so a
  decompression bomb is refused without allocating it; Pillow's own bomb guard stays on as an outer fence
  with its warning turned into an error. Truncated files are errors, not silently grey images.
- **Margins.** A screenshot or padded repost of a picture has a PDQ hash as far from the original's as an
  unrelated picture (measured: median 104 bits), so when flat margins are found the picture inside them
  is hashed too (:func:`content_box`) and both sets of hashes are looked up.
- **Watermarks.** Outlined text painted onto a picture (a reposter's mark, a caption) moves PDQ a lot on
  dark or flat pictures; when a picture shows some, it is painted out and hashed too (``unmarked``,
  :mod:`~waakhond.detectors.media.overlay`).
- **Quality.** PDQ's quality (0–100) measures how much gradient the image has; below 50 (flat, tiny or
  nearly blank images) PDQ hashes collide a lot, so such hashes are returned but marked not matchable.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import NamedTuple

import numpy as np
from PIL import Image

from waakhond.detectors.media.overlay import remove_overlay
from waakhond.detectors.media.pdq import pdq_from_luma

DEFAULT_MAX_PIXELS = 50_000_000
#: Largest file accepted, in bytes (a 50-megapixel JPEG is 10–30 MB; PNGs of the same size can be larger).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MIN_QUALITY = 50
#: Decode size for the fast path: images are brought down to about this many pixels per side.
TARGET_SIDE = 512
#: Formats we open. Everything else is "unsupported" (Pillow can open many more; each is attack surface).
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")  # JPEG includes MPO (camera files)

Image.init()  # register every plugin now: Image.open(formats=...) only knows the preloaded ones otherwise
# Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice that; a warning would let a bomb through.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


class MediaError(ValueError):
    """The bytes are not an image we can hash. ``reason`` is one of ``empty``, ``too_large``,
    ``unsupported``, ``corrupt``; the message says what was found."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class ImageHashes(NamedTuple):
    """Hashes of one image. ``pdq`` and the ``dihedral`` variants are 64 hex digits (256 bits);
    ``dihedral[0] == pdq``, then PDQ's order: rotated 90°, 180°, 270°, flipped top-bottom, mirrored
    left-right, transposed, anti-transposed. ``width``/``height`` are of the original image.

    ``trimmed`` holds the 8 dihedral hashes of the picture inside its margins when the image has margins
    of a flat colour (a screenshot's bars, letterboxing, a padded repost), else nothing: PDQ of a padded
    copy is as far from the original as an unrelated picture, so the matcher looks up both. ``unmarked``
    holds the 8 dihedral hashes of the picture with outlined text (a watermark, a caption) painted out
    (:mod:`~waakhond.detectors.media.overlay`), when it shows some and the result is still matchable.
    """

    pdq: str
    quality: int
    md5: str
    sha256: str
    dihedral: tuple[str, ...]
    width: int
    height: int
    trimmed: tuple[str, ...] = ()
    unmarked: tuple[str, ...] = ()

    @property
    def matchable(self) -> bool:
        """Whether the PDQ hash is informative enough to match on (quality ≥ 50)."""
        return self.quality >= MIN_QUALITY

    @property
    def lookups(self) -> tuple[str, ...]:
        """Every PDQ hash to look up for this image: the dihedral variants, and those of the trimmed and
        of the unmarked picture when there are such."""
        return self.dihedral + self.trimmed + self.unmarked


def hash_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImageHashes:
    """Hash an image given as bytes. Raises :class:`MediaError` for anything that is not a decodable
    image of at most ``max_pixels`` pixels (first frame of animations) and ``max_bytes`` bytes."""
    if not data:
        raise MediaError("empty", "no bytes")
    if len(data) > max_bytes:
        raise MediaError("too_large", f"{len(data):,} bytes, limit {max_bytes:,}")
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    sha256 = hashlib.sha256(data).hexdigest()
    luma, width, height = _decode(data, max_pixels)
    dihedral, quality = _pdq(luma, (height, width))
    trimmed: tuple[str, ...] = ()
    box = content_box(luma)
    if box is not None:
        top, bottom, left, right = box
        rows, cols = luma.shape
        # the size the picture inside the margins has in the uploaded file, for PDQ's full-size filter
        inner_size = (max(1, round((bottom - top) * height / rows)), max(1, round((right - left) * width / cols)))
        trimmed, _ = _pdq(luma[top:bottom, left:right], inner_size)
    unmarked: tuple[str, ...] = ()
    painted = remove_overlay(luma)
    if painted is not None:
        unmarked, unmarked_quality = _pdq(painted, (height, width))
        if unmarked_quality < MIN_QUALITY:
            unmarked = ()
    return ImageHashes(dihedral[0], quality, md5, sha256, dihedral, width, height, trimmed, unmarked)


def _pdq(luma: np.ndarray, full_size: tuple[int, int]) -> tuple[tuple[str, ...], int]:
    try:
        return pdq_from_luma(luma, full_size)
    except Exception as exc:  # no reason to fail on valid pixels; stay total anyway
        raise MediaError("corrupt", f"PDQ failed: {exc}") from exc


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hashes in hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def content_box(pixels: np.ndarray, *, tolerance: int = 10) -> tuple[int, int, int, int] | None:
    """``(top, bottom, left, right)`` of the picture inside flat-coloured margins, or ``None`` when the
    margins are thin (under 2 % of the size) or the inside would be under a quarter of the image.
    ``pixels`` is luminance (``rows × cols``, what :func:`hash_image` uses) or colour (``rows × cols × 3``).

    From each side inward, a line (row or column) is *margin* when most of its pixels are within
    ``tolerance`` of that side's background colour (the most common colour of its outermost line). The
    picture starts at the first run of consecutive non-margin lines as long as 3 % of the size: thin UI
    elements (a status bar's clock, the outline of a reply box) do not stop the trimming, the picture does.
    """
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    full_h, full_w, channels = pixels.shape
    if full_h < 32 or full_w < 32:
        return None
    step = max(1, min(full_h, full_w) // 128)  # margins are found on a ~128-pixel sample: 1/step² the work

    def content_rows(lines: np.ndarray, bg: np.ndarray) -> list[bool]:
        lines = lines.astype(np.int16)
        # channel by channel: numpy reduces a short last axis slowly
        near = np.abs(lines[..., 0] - bg[0]) <= tolerance
        for c in range(1, channels):
            near &= np.abs(lines[..., c] - bg[c]) <= tolerance
        flags: list[bool] = (near.mean(axis=1) < 0.5).tolist()
        return flags

    def start(lines: np.ndarray) -> int:
        """First line of the picture in ``lines`` (n, length, channels), found on every ``step``-th line
        and pixel in chunks (without margins, the common case, only the first few lines are looked at),
        then refined to the exact line."""
        edge = lines[0, ::step].astype(np.int16)
        q = edge // 16
        key = q[:, 0].copy()
        for c in range(1, channels):
            key = key * 16 + q[:, c]
        bg = np.median(edge[key == np.bincount(key, minlength=16**channels).argmax()], axis=0).astype(np.int16)
        if content_rows(edge[None], bg)[0]:
            return 0  # the outermost line is not flat: no margin on this side (most pictures; 4× faster)
        sample = lines[::step, ::step]
        run = max(3, int(0.03 * len(sample)))
        streak = 0
        for lo in range(0, len(sample), 16):
            for i, is_content in enumerate(content_rows(sample[lo : lo + 16], bg)):
                streak = streak + 1 if is_content else 0
                if streak == run:
                    first = (lo + i - run + 1) * step
                    # the picture starts after the last margin line sampled, at or before ``first``
                    window = lines[max(0, first - step + 1) : first + 1, ::step]
                    flags = content_rows(window, bg)
                    return max(0, first - step + 1) + (flags.index(True) if True in flags else len(flags) - 1)
        return 0

    top = start(pixels)
    bottom = full_h - start(pixels[::-1])
    left = start(pixels.transpose(1, 0, 2))
    right = full_w - start(pixels.transpose(1, 0, 2)[::-1])
    if bottom - top < full_h // 4 or right - left < full_w // 4:
        return None
    if (top + (full_h - bottom)) < 0.02 * full_h and (left + (full_w - right)) < 0.02 * full_w:
        return None
    return top, bottom, left, right


def _to_hex(vector: np.ndarray) -> str:
    """``pdqhash``'s bit vector (256 bits, most significant first, as threatexchange writes them) as hex."""
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()


def _sniff(data: bytes) -> str | None:
    """The supported format whose signature ``data`` starts with, if any."""
    for fmt in FORMATS:
        accept = Image.OPEN[fmt][1]
        try:
            if accept is not None and accept(data[:32]):
                return fmt
        except Exception:
            continue
    return None


def _decode(data: bytes, max_pixels: int) -> tuple[np.ndarray, int, int]:
    """Open, check the size from the header, decode the luminance (reduced) and return it with the
    original size."""
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.UnidentifiedImageError as exc:
        looks_like = _sniff(data)
        if looks_like:
            raise MediaError("corrupt", f"starts like {looks_like} but the header is invalid") from exc
        raise MediaError(
            "unsupported", "not an image in a supported format (" + ", ".join(FORMATS) + ")"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError("too_large", str(exc)) from exc
    except Exception as exc:
        raise MediaError("corrupt", f"cannot read the image header: {exc}") from exc
    with im:
        width, height = im.size
        if width <= 0 or height <= 0:
            raise MediaError("corrupt", f"image has no pixels ({width}×{height})")
        if width * height > max_pixels:
            raise MediaError(
                "too_large", f"{width}×{height} = {width * height:,} pixels, limit {max_pixels:,}"
            )
        try:
            if im.format in ("JPEG", "MPO"):
                # DCT-domain downscaling while decoding: the result is at least TARGET_SIDE on each side.
                # (Decoding the JPEG's own luma channel alone would save 1 ms, but that luma is not clipped
                # like the RGB a viewer shows: on saturated colours it moved hashes up to 8 bits.)
                im.draft("RGB", (TARGET_SIDE, TARGET_SIDE))
            im.load()
            # PDQ's luminance is 0.299 R + 0.587 G + 0.114 B, what Pillow's RGB → L conversion computes
            luma = im if im.mode == "L" else (im if im.mode == "RGB" else im.convert("RGB")).convert("L")
            factor = min(luma.size) // TARGET_SIDE
            if factor >= 2:
                luma = luma.reduce(factor)
            pixels = np.ascontiguousarray(np.asarray(luma, dtype=np.uint8))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise MediaError("too_large", str(exc)) from exc
        except MemoryError as exc:
            raise MediaError("too_large", "not enough memory to decode") from exc
        except Exception as exc:  # truncated data, bad chunks, codec errors: all the same to the caller
            raise MediaError("corrupt", f"cannot decode the image: {exc}") from exc
    if pixels.ndim != 2 or min(pixels.shape) < 1:
        raise MediaError("corrupt", f"unexpected pixel array {pixels.shape}")
    return pixels, width, height
