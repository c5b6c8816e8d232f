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


class KeyCheck:
    """The API keys of one store. A key found valid is remembered for :data:`KEY_CACHE_SECONDS`, so a busy
    client does not cost a store query per request; unknown keys are always looked up (and refused)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._valid_until: dict[str, float] = {}

    def check(self, key: str | None) -> None:
        """Return if ``key`` is valid; raise a 401 ``HTTPException`` if it is missing, unknown or revoked."""
        now = time.monotonic()
        if key is not None and self._valid_until.get(key, 0.0) > now:
            return
        if not verify_key(self.db, key):
            self._valid_until.pop(key or "", None)
            metrics.REJECTED.labels("auth").inc()
            raise HTTPException(401, UNAUTHORIZED)
        if len(self._valid_until) > 1_000:
            self._valid_until.clear()
        self._valid_until[key or ""] = now + KEY_CACHE_SECONDS

    def dependency(self) -> Callable[..., Awaitable[None]]:
        """A FastAPI dependency that refuses requests without a valid key (and documents the header)."""

        async def require(key: Annotated[str | None, Depends(api_key_header)], request: Request) -> None:
            self.check(key_of(key, request.headers.get("authorization", "")))

        return require


def key_of(x_api_key: str | None, authorization: str) -> str | None:
    """The key a request sends: the ``X-API-Key`` header if not empty, else an ``Authorization: Bearer`` token."""
    if x_api_key:
        return x_api_key
    return authorization[7:] if authorization.lower().startswith("bearer ") else None


def api_key_required(db: Database) -> Callable[..., Awaitable[None]]:
    """A dependency that refuses requests without a valid API key for ``db`` (see :class:`KeyCheck`)."""
    return KeyCheck(db).dependency()
