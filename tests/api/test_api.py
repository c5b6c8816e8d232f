"""The HTTP API as a platform engineer uses it: keys, events in, decisions out, reads, metrics, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.conftest import account, dm

from waakhond.store.schema import DecisionRow, EventRow


def test_health_needs_no_key(api: Any) -> None:
    r = api.get("/healthz", headers={"X-API-Key": ""})
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize("path", ["/v1/cases", "/metrics", "/v1/decisions/x", "/v1/policy"])
def test_everything_else_needs_a_key(api: Any, path: str) -> None:
    r = api.get(path, headers={"X-API-Key": "wh_wrong"})
    assert r.status_code == 401
    assert "API key" in r.json()["error"]["message"]


def test_bearer_token_is_accepted(api: Any) -> None:
    key = api.headers["X-API-Key"]
    r = api.get("/v1/cases", headers={"X-API-Key": "", "Authorization": f"Bearer {key}"})
    assert r.status_code == 200


def test_single_event_gets_a_decision(api: Any) -> None:
    r = api.post("/v1/events", json=dm("m1", "a", "b", "did you finish the homework?"))
    assert r.status_code == 200
    d = r.json()
    assert d["event_id"] == "m1" and d["verdict"] == "allow" and d["explanation"]
    assert api.get("/v1/decisions/m1").json() == d


def test_batch_answers_in_order(api: Any) -> None:
    batch = [account("kid", 2014), account("adult", 1980), dm("m1", "adult", "kid", "how old are you?"),
             dm("m2", "kid", "adult", "why?")]
    r = api.post("/v1/events", json=batch)
    assert r.status_code == 200
    assert [d["event_id"] for d in r.json()["decisions"]] == [e["id"] for e in batch]


def test_adult_stranger_age_question_to_child_nudges_her(api: Any) -> None:
    api.post("/v1/events", json=[account("kid", 2014, language="nl"), account("adult", 1980)])
    d = api.post("/v1/events", json=dm("m1", "adult", "kid", "hoe oud ben je?")).json()
    assert "age_probe" in {s["name"] for s in d["signals"]}
    nudges = [a for a in d["actions"] if a["type"] == "nudge_recipient"]
    assert nudges and nudges[0]["params"]["language"] == "nl"
    assert d["verdict"] in ("nudge_recipient", "hold_message", "block_delivery")
    span = next(s for s in d["signals"] if s["name"] == "age_probe")["spans"][0]
    assert "oud" in span["text"]


def test_idempotent_on_event_id(api: Any, engine: Any) -> None:
    e = dm("m1", "a", "b", "are your parents home?")
    first = api.post("/v1/events", json=e).json()
    again = api.post("/v1/events", json=e).json()
    assert first == again
    with engine.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(EventRow)) == 1
        assert s.scalar(select(func.count()).select_from(DecisionRow)) == 1


def test_same_id_different_content_is_409_and_changes_nothing(api: Any) -> None:
    api.post("/v1/events", json=dm("m1", "a", "b", "hello"))
    r = api.post("/v1/events", json=dm("m1", "a", "b", "something else"))
    assert r.status_code == 409
    assert r.json()["error"]["problems"][0]["event_id"] == "m1"
    assert api.get("/v1/decisions/m1").json()["verdict"] == "allow"


def _count(engine: Any) -> int:
    with engine.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(EventRow)) or 0)


def test_batch_with_one_bad_event_stores_nothing(api: Any, engine: Any) -> None:
    batch = [dm("m1", "a", "b", "hi"), {**dm("m2", "a", "b", "x"), "text": 5}, dm("m3", "a", "b", "yo")]
    r = api.post("/v1/events", json=batch)
    assert r.status_code == 422
    p = r.json()["error"]["problems"]
    assert p[0]["index"] == 1 and p[0]["event_id"] == "m2" and p[0]["field"] == "text"
    assert _count(engine) == 0


def test_batch_with_conflicting_id_rolls_back_whole_batch(api: Any, engine: Any) -> None:
    api.post("/v1/events", json=dm("m1", "a", "b", "hi"))
    r = api.post("/v1/events", json=[dm("m2", "a", "b", "new"), dm("m1", "a", "b", "changed")])
    assert r.status_code == 409
    assert _count(engine) == 1
    assert api.get("/v1/decisions/m2").status_code == 404


@pytest.mark.parametrize(("body", "status", "words"), [
    (b"{not json", 400, "malformed JSON"),
    (b'{"id": "\xff\xfe"}', 400, "UTF-8"),
    (b"", 400, "empty body"),
    (b"[]", 422, "empty batch"),
    (b'"just a string"', 422, "JSON object"),
    (b'{"id": "x", "kind": "dream", "occurred_at": "2026-01-01T00:00:00Z"}', 422, "unknown kind"),
])
def test_bad_bodies_get_clear_errors(api: Any, engine: Any, body: bytes, status: int, words: str) -> None:
    r = api.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    assert words in r.text
    assert _count(engine) == 0


def test_one_megabyte_text_is_refused_not_crashed(api: Any, engine: Any) -> None:
    r = api.post("/v1/events", json=dm("big", "a", "b", "a" * 1_000_000))
    assert r.status_code == 422 and "text too long" in r.text
    assert _count(engine) == 0


def test_oversized_body_is_413(api: Any) -> None:
    r = api.post("/v1/events", content=b"[" + b" " * (9 * 1024 * 1024) + b"]",
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_reads_for_conversation_and_account(api: Any) -> None:
    api.post("/v1/events", json=[account("kid", 2014), account("adult", 1980, created_at="2026-10-30T00:00:00Z"),
                                 dm("m1", "adult", "kid", "how old are you?", minutes=1),
                                 dm("m2", "adult", "kid", "are your parents home?", minutes=2),
                                 dm("m3", "adult", "kid", "don't tell anyone about our chats", minutes=3)])
    conv = api.get("/v1/conversations/dm:adult:kid").json()
    assert conv["message_count"] == 3 and conv["risk"] > 0
    assert {"age_probe", "risk_check", "secrecy"} <= set(conv["tactics"])
    risk = api.get("/v1/accounts/adult/risk").json()
    assert risk["risk"] > 0 and risk["first_contacts_to_minors"] == 1
    assert api.get("/v1/accounts/nobody/risk").status_code == 404
    listed = api.get("/v1/decisions", params={"conversation_id": "dm:adult:kid"}).json()["decisions"]
    assert {d["event_id"] for d in listed} == {"m1", "m2", "m3"}


def test_metrics_are_prometheus_text(api: Any) -> None:
    api.post("/v1/events", json=dm("m1", "a", "b", "hello"))
    r = api.get("/metrics")
    assert r.status_code == 200
    assert "waakhond_events_total" in r.text and 'kind="message"' in r.text


def test_openapi_documents_events_and_auth(api: Any) -> None:
    spec = api.get("/openapi.json").json()
    assert "/v1/events" in spec["paths"]
    assert "MessageEvent" in spec["components"]["schemas"]
    assert "DecisionOut" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def test_bad_query_parameters_are_422(api: Any) -> None:
    r = api.get("/v1/cases", params={"limit": 0})
    assert r.status_code == 422 and r.json()["error"]["problems"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_no_body_makes_a_500(api: Any, body: bytes) -> None:
    r = api.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 400, 409, 413, 422)


def test_a_revoked_key_stops_working(api: Any, engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from waakhond.api import auth
    from waakhond.store.apikeys import create_key, list_keys, revoke_key

    monkeypatch.setattr(auth, "KEY_CACHE_SECONDS", 0.0)  # the cache would let it live up to 2 s longer
    secret, _ = create_key(engine.db, "short-lived")
    assert api.get("/v1/cases", headers={"X-API-Key": secret}).status_code == 200
    revoke_key(engine.db, next(k.id for k in list_keys(engine.db) if k.name == "short-lived"))
    assert api.get("/v1/cases", headers={"X-API-Key": secret}).status_code == 401
