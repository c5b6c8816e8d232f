"""Where the console finds the media a case refers to.

Events carry hashes, never bytes. A platform that wants reviewers to see the media puts (or syncs, or mounts)
the files in one folder named by media id — ``<media_id>.png|jpg|jpeg|webp|gif`` — and points
``WAAKHOND_MEDIA_DIR`` at it (default ``./var/media``). Nothing is shown without a reveal that is audited;
before the reveal the page gets only a tiny greyscale preview, blurred again by the page.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
          ".gif": "image/gif"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")

PLACEHOLDER_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16">'
    b'<rect width="16" height="16" fill="#9aa0a6"/></svg>'
)


class MediaLibrary:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root or os.environ.get("WAAKHOND_MEDIA_DIR") or "var/media")

    def find(self, media_id: str) -> tuple[Path, str] | None:
        """The file and its content type, or ``None`` (unknown id, no file, or an id that is not a plain name)."""
        if not _SAFE_ID.match(media_id) or media_id.startswith("."):
            return None
        for ext, ctype in _TYPES.items():
            path = self.root / f"{media_id}{ext}"
            if path.is_file():
                return path, ctype
        return None

    def preview(self, media_id: str) -> tuple[bytes, str]:
        """A 12-pixel greyscale thumbnail (PNG) — enough to see that there is a picture, not what it shows.
        Without Pillow, or without the file, a grey square."""
        found = self.find(media_id)
        if found is None:
            return PLACEHOLDER_SVG, "image/svg+xml"
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - Pillow is optional
            return PLACEHOLDER_SVG, "image/svg+xml"
        try:
            with Image.open(found[0]) as im:
                small = im.convert("L").resize((12, 12))
                buf = io.BytesIO()
                small.save(buf, format="PNG")
                return buf.getvalue(), "image/png"
        except (OSError, ValueError):
            return PLACEHOLDER_SVG, "image/svg+xml"
