"""Error answers of the HTTP API: always a JSON body naming the problem, never a stack trace.

    {"error": {"status": 422, "message": "event 1 (id 'm2'), field 'text': ...", "problems": [...]}}

:func:`error_response` maps an exception to that answer. The app's exception handlers and the fast path for
``POST /v1/events`` (:mod:`waakhond.api.events`) both use it, so both answer the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from waakhond import metrics
from waakhond.events import InvalidInput, Problem

log = logging.getLogger("waakhond.api")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class ApiError(Exception):
    def __init__(self, status: int, message: str, problems: list[Problem] | None = None) -> None:
        self.status, self.message, self.problems = status, message, problems or []


def error(status: int, message: str, problems: list[Problem] | None = None) -> JSONResponse:
    body = {"error": {"status": status, "message": message, "problems": [p.as_dict() for p in problems or []]}}
    return JSONResponse(body, status_code=status)


def error_response(exc: Exception) -> JSONResponse:
    """The answer for an exception raised while handling a request (a 500 for anything unexpected)."""
    if isinstance(exc, ApiError):
        return error(exc.status, exc.message, exc.problems)
    if isinstance(exc, InvalidInput):
        metrics.REJECTED.labels("invalid").inc()
        return error(exc.status, str(exc), exc.problems)
    if isinstance(exc, StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))
    log.exception("unexpected error", exc_info=exc)  # a bug if reached
    return error(500, "internal error; nothing was stored. The error is in the server log.")
