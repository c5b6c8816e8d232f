"""POST /v1/events has two doors: the fast path the app takes from the ASGI scope, and the documented FastAPI
route. Over real HTTP (uvicorn on loopback), both must give every request the same answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
from tests.conftest import dm
from tests.reporting.servers import serving

from waakhond.api.app import create_app
from waakhond.api.events import MAX_BATCH
from waakhond.pipeline import Engine
from waakhond.store.apikeys import create_key
from waakhond.store.database import Database


def _requests(key: str) -> list[tuple[dict[str, str], Any]]:
    ok = {"X-API-Key": key, "Content-Type": "application/json"}

    def chunked() -> Iterator[bytes]:  # sent with Transfer-Encoding: chunked, no Content-Length
        body = orjson.dumps(dm("m5", "c", "d", "how old are you?"))
        yield body[:10]
        yield body[10:]

    return [
        (ok, orjson.dumps(dm("m1", "a", "b", "hi, how old are you? don't tell your parents"))),
        (ok, orjson.dumps([dm("m2", "b", "a", "12"), dm("m3", "a", "b", "add me on snap", minutes=1)])),
        (ok, orjson.dumps(dm("m1", "a", "b", "hi, how old are you? don't tell your parents"))),  # a replay
        (ok, orjson.dumps(dm("m1", "a", "b", "other text"))),  # same id, other event: 409
        (ok, orjson.dumps([dm("m4", "a", "b", "fine"), dm("m2", "b", "a", "13")])),  # 409, batch rolled back
        (ok, b"{not json"),
        (ok, b'{"id": "\xff\xfe"}'),
        (ok, b""),
        (ok, b"[]"),
        (ok, b'{"id": "x", "kind": "dream", "occurred_at": "2026-01-01T00:00:00Z"}'),
        (ok, orjson.dumps([dm(f"b{i}", "a", "b", "x") for i in range(MAX_BATCH + 1)])),
        (ok, b"[" + b" " * (9 * 1024 * 1024) + b"]"),  # 413
        ({"Content-Type": "application/json"}, orjson.dumps(dm("m9", "a", "b", "no key"))),
        ({"X-API-Key": "wh_wrong"}, orjson.dumps(dm("m9", "a", "b", "wrong key"))),
        ({"X-API-Key": "", "Authorization": f"Bearer {key}"}, orjson.dumps(dm("m6", "a", "b", "bearer"))),
        (ok, chunked()),
        (ok, orjson.dumps(dm("m4", "a", "b", "fine"))),  # stored now: the rolled-back batch left nothing
    ]


def _answers(fast_path: bool) -> list[tuple[int, str | None, Any]]:
    engine = Engine(Database.connect("sqlite://"))
    key, _ = create_key(engine.db, "tests")
    app = create_app(engine)
    if not fast_path:
        app.events = None  # every request through Starlette's middleware, routing and FastAPI's route
    out = []
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        for headers, body in _requests(key):
            r = client.post("/v1/events", content=body, headers=headers)
            out.append((r.status_code, r.headers.get("content-type"), r.json()))
        r = client.get("/v1/events", headers={"X-API-Key": key})
        out.append((r.status_code, r.headers.get("content-type"), r.json()))
    return out


def test_fast_path_and_framework_route_answer_every_request_alike() -> None:
    fast, framework = _answers(True), _answers(False)
    assert [a[0] for a in fast] == [200, 200, 200, 409, 409, 400, 400, 400, 422, 422, 413, 413, 401, 401, 200,
                                    200, 200, 405]
    assert fast == framework
