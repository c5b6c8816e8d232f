"""Action webhooks against a real local HTTP receiver: signed, retried, and never on the API's path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from tests.conftest import account, dm
from tests.reporting.servers import serving

from waakhond.reporting.config import ConfigError
from waakhond.reporting.webhooks import SIGNATURE_HEADER, Outbox, WebhookConfig, sign, verify_signature
from waakhond.reporting.worker import BackgroundWorker

SECRET = "a shared webhook secret"


class Receiver:
    """Records what it gets; can answer errors first, or be slow."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.errors_first = 0
        self.delay = 0.0
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.delay:
                await asyncio.sleep(self.delay)
            self.got.append({"body": body, "headers": dict(request.headers)})
            if self.errors_first > 0:
                self.errors_first -= 1
                return Response("busy", status_code=503)
            return Response(status_code=204)

        self.app = app


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    r = Receiver()
    with serving(r.app) as url:
        yield r, f"{url}/hook"


def _grooming(api: Any) -> None:
    api.post("/v1/events", json=[account("kid", 2014), account("creep", 1980)])
    for i, text in enumerate(["how old are you?", "are your parents home?", "keep this our secret ok",
                              "add me on telegram, I will send you 500 coins"]):
        api.post("/v1/events", json=dm(f"w-{i}", "creep", "kid", text, minutes=i))


def test_action_decisions_are_delivered_signed_and_retried(api: Any, engine: Any, receiver: Any) -> None:
    rec, url = receiver
    outbox = Outbox(engine.db, WebhookConfig.of([url], SECRET, backoff=0.0))
    outbox.fill()  # a new endpoint starts from now on
    api.post("/v1/events", json=dm("old-benign", "sam", "noor", "see you at school"))
    rec.errors_first = 1
    _grooming(api)
    added = outbox.fill()
    acted = [d for d in api.get("/v1/decisions", params={"limit": 500}).json()["decisions"]
             if d["verdict"] != "allow" or any(a["type"] != "allow" for a in d["actions"])]
    assert added == len(acted) > 0
    first = outbox.deliver_due()
    assert first[0]["status"] == "pending" and "503" in first[0]["error"]  # the receiver was busy: retried
    assert all(r["status"] == "delivered" for r in first[1:])
    again = outbox.deliver_due()
    assert [r["status"] for r in again] == ["delivered"] and again[0]["attempts"] == 2
    assert outbox.deliver_due() == []  # nothing delivered twice

    bodies = {}
    for got in rec.got:
        header = got["headers"][SIGNATURE_HEADER.lower()]
        assert verify_signature(SECRET, header, got["body"])
        assert not verify_signature("another secret here!", header, got["body"])
        assert not verify_signature(SECRET, header, got["body"] + b" ")
        import orjson

        bodies[orjson.loads(got["body"])["event_id"]] = orjson.loads(got["body"])
    assert set(bodies) == {d["event_id"] for d in acted}
    assert "old-benign" not in bodies
    sample = next(iter(bodies.values()))
    assert sample["type"] == "decision" and sample["verdict"] and "explanation" in sample
    outbox.close()


def test_a_receiver_that_stays_down_ends_failed(api: Any, engine: Any) -> None:
    outbox = Outbox(engine.db, WebhookConfig.of(["http://127.0.0.1:9/hook"], SECRET, backoff=0.0, max_attempts=2,
                                                timeout=0.5))
    outbox.fill()
    _grooming(api)
    outbox.fill()
    outbox.deliver_due()
    results = outbox.deliver_due()
    assert results and all(r["status"] == "failed" and r["attempts"] == 2 for r in results)
    assert "ConnectError" in results[0]["error"]
    assert outbox.deliver_due() == []


def test_a_slow_receiver_never_slows_the_api(engine: Any, receiver: Any) -> None:
    from waakhond.api.app import create_app
    from waakhond.store.apikeys import create_key

    rec, url = receiver
    rec.delay = 1.0
    worker = BackgroundWorker(engine.db, webhooks=WebhookConfig.of([url], SECRET, timeout=5.0),
                              purge_every_hours=0, tick=0.05).start()
    try:
        time.sleep(0.2)  # the worker sets the endpoint's cursor
        secret, _ = create_key(engine.db, "tests")
        with TestClient(create_app(engine), headers={"X-API-Key": secret}) as api:
            # warm up first (loading the learned tier on first use takes about a second on its own), with an
            # ordinary line that delivers nothing, so the timing below is the API's answers alone
            assert api.post("/v1/events", json=dm("warm-up", "sam", "noor", "see you at school")).status_code == 200
            started = time.monotonic()
            _grooming(api)
            elapsed = time.monotonic() - started
        assert elapsed < 1.0  # six requests answered while the receiver takes 1 s for each delivery
        deadline = time.monotonic() + 20
        while len(rec.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(rec.got) >= 2  # and the deliveries do arrive
    finally:
        worker.stop()


def test_webhook_configuration_is_checked() -> None:
    with pytest.raises(ConfigError, match="WAAKHOND_WEBHOOK_SECRET"):
        WebhookConfig.of(["https://example.org/hook"], "short")
    with pytest.raises(ConfigError, match="not an http"):
        WebhookConfig.of(["ftp://example.org/hook"], SECRET)
    assert WebhookConfig.of([], "").endpoints == ()


def test_old_signatures_are_refused() -> None:
    body = b'{"x": 1}'
    assert verify_signature(SECRET, sign(SECRET, body), body)
    assert not verify_signature(SECRET, sign(SECRET, body, int(time.time()) - 3600), body)
    assert not verify_signature(SECRET, "garbage", body)
