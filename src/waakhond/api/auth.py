"""The API-key check every HTTP route but ``/healthz`` depends on.

    >>> router = APIRouter(dependencies=[Depends(api_key_required(db))])     # doctest: +SKIP

The key comes in the ``X-API-Key`` header (or as ``Authorization: Bearer …``). A missing, unknown or revoked
key is a 401 with the engine's usual error body.
"""

from __future__ import annotations

from collections.abc import Callable
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


def api_key_required(db: Database) -> Callable[..., None]:
    """A dependency that refuses requests without a valid API key for ``db``."""

    def require(key: Annotated[str | None, Depends(api_key_header)], request: Request) -> None:
        if key is None:
            auth = request.headers.get("authorization", "")
            key = auth[7:] if auth.lower().startswith("bearer ") else None
        if not verify_key(db, key):
            metrics.REJECTED.labels("auth").inc()
            raise HTTPException(401, UNAUTHORIZED)

    return require
