"""Known-image matching: hashes of uploaded images and an exact PDQ index for millions of known hashes.

Which one to start with? :func:`hash_image` turns image bytes into :class:`ImageHashes` (PDQ with quality
and dihedral variants, MD5, SHA-256) or raises :class:`MediaError`; :class:`PDQIndex` finds every known
hash within a distance of a batch of PDQ hashes, exactly. Banks, storage, API and CLI build on these two.
See ``docs/models/media-matching.md`` for how they work and measured figures.
"""

from waakhond.detectors.media.hashing import ImageHashes, MediaError, hash_image, pdq_distance
from waakhond.detectors.media.index import (
    Layout,
    Match,
    PDQIndex,
    SearchResult,
    choose_layout,
    codes_from_hex,
    codes_to_hex,
)

__all__ = [
    "ImageHashes",
    "Layout",
    "Match",
    "MediaError",
    "PDQIndex",
    "SearchResult",
    "choose_layout",
    "codes_from_hex",
    "codes_to_hex",
    "hash_image",
    "pdq_distance",
]
