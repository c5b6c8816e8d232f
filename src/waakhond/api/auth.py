"""The API-key check every HTTP route but ``/healthz`` depends on.

    >>> router = APIRouter(dependencies=[Depends(api_key_required(db))])     # doctest: +SKIP

The key comes in the ``X-API-Key`` header (or as ``Authorization: Bearer …``). A missing, unknown or revoked
key is a 401 with the engine's usual error body.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException

from waakhond import metrics
from waakhond.store.apikeys import verify_key
from waakhond.store.database import Database

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="created with `waakhond apikey create`")

UNAUTHORIZED = "missing or unknown API key (send it in the X-API-Key header)"


#: How long a verified key is trusted without asking the store again: a revoked key stops working within this.
KEY_CACHE_SECONDS = 2.0


def api_key_required(db: Database) -> Callable[..., Awaitable[None]]:
    """A dependency that refuses requests without a valid API key for ``db``.

    A key found valid is remembered for :data:`KEY_CACHE_SECONDS`, so a busy client does not cost a store
    query per request; unknown keys are always looked up (and refused)."""
    valid_until: dict[str, float] = {}

    async def require(key: Annotated[str | None, Depends(api_key_header)], request: Request) -> None:
        if key is None:
            auth = request.headers.get("authorization", "")
            key = auth[7:] if auth.lower().startswith("bearer ") else None
        now = time.monotonic()
        if key is not None and valid_until.get(key, 0.0) > now:
            return
        if not verify_key(db, key):
            valid_until.pop(key or "", None)
            metrics.REJECTED.labels("auth").inc()
            raise HTTPException(401, UNAUTHORIZED)
        if len(valid_until) > 1_000:
            valid_until.clear()
        valid_until[key or ""] = now + KEY_CACHE_SECONDS

    return require
