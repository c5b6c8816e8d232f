"""Reading labelled chat: the research kit's records and the ``classify`` input format with a ``label``."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


def records(path: Path) -> Iterator[dict[str, Any]]:
    """JSON objects from a ``.jsonl`` or ``.jsonl.gz`` file, one per line (blank lines skipped)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def kit_files(kit: Path) -> dict[str, Path]:
    """The research kit's files by name (``pj``, ``pan12``, ``chitchat``, ``chatterbot``, ``tatoeba``)."""
    return {p.name.split(".")[0]: p for p in sorted(kit.glob("*.jsonl.gz"))}
