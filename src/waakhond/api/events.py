"""``POST /v1/events``: the endpoint that carries nearly all of the API's traffic.

:meth:`EventsEndpoint.answer` reads one event or a batch, has the engine decide (concurrent requests share a
transaction, see :mod:`waakhond.api.group_commit`) and answers with the decision(s). Two doors lead to it:

- the FastAPI route in :mod:`waakhond.api.app`, which documents the endpoint in the OpenAPI document;
- :meth:`EventsEndpoint.serve`, which :class:`~waakhond.api.app.WaakhondAPI` calls for ``POST /v1/events``
  straight from the ASGI scope. It skips Starlette's middleware stack, routing among the console, reporting,
  media and gating routes, and FastAPI's dependency solving: together about half of the HTTP layer's CPU per
  request, which at 500 requests a second is time the engine needs.

Both doors check the key with the same :class:`~waakhond.api.auth.KeyCheck`, read the body with
:func:`read_body` and turn exceptions into answers with :func:`~waakhond.api.errors.error_response`, so they
answer every request alike (``tests/api/test_events_fast_path.py`` compares them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from waakhond import metrics
from waakhond.api.auth import KeyCheck, key_of
from waakhond.api.errors import ApiError, JSONResponse, error_response
from waakhond.api.group_commit import GroupCommit
from waakhond.events import decode_json, parse_batch

#: Largest request body accepted (a batch of 1,000 events of ordinary size fits easily).
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_BATCH = 1_000


async def read_body(declared: str | None, chunks: AsyncIterator[bytes]) -> bytes:
    """Read the body, refusing (413) more than MAX_BODY_BYTES without buffering all of it."""
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        metrics.REJECTED.labels("too_large").inc()
        raise ApiError(413, f"body too large: {declared} bytes, at most {MAX_BODY_BYTES}")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            metrics.REJECTED.labels("too_large").inc()
            raise ApiError(413, f"body too large: more than {MAX_BODY_BYTES} bytes")
        parts.append(chunk)
    if not size:
        raise ApiError(400, "empty body: send one event object or a list of events")
    return b"".join(parts)


class EventsEndpoint:
    def __init__(self, writer: GroupCommit, keys: KeyCheck) -> None:
        self.writer = writer
        self.keys = keys

    async def answer(self, raw: bytes) -> JSONResponse:
        """The decision for one event (a JSON object) or ``{"decisions": [...]}`` for a batch (a JSON list)."""
        value = decode_json(raw)
        events = parse_batch(value, max_events=MAX_BATCH)
        decisions = await self.writer.submit(events)
        if isinstance(value, list):
            return JSONResponse({"decisions": [d.as_dict() for d in decisions]})
        return JSONResponse(decisions[0].as_dict())

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The whole request as an ASGI app: key, body, decision, answer (or the same error answers the app
        gives). A client that goes away before its body arrived gets nothing."""
        x_api_key: str | None = None
        authorization: str | None = None
        declared: str | None = None
        for name, value in scope["headers"]:  # as Starlette's Headers.get: the first of each name
            if name == b"x-api-key" and x_api_key is None:
                x_api_key = value.decode("latin-1")
            elif name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-length" and declared is None:
                declared = value.decode("latin-1")
        try:
            self.keys.check(key_of(x_api_key, authorization or ""))
            response = await self.answer(await read_body(declared, _chunks(receive)))
        except ClientDisconnect:
            return
        except Exception as exc:
            response = error_response(exc)
        await response(scope, receive, send)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body's chunks from ASGI ``http.request`` messages (as Starlette's ``Request.stream``)."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
