"""The Python client against the real app (in-process transport)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import account, dm

from waakhond.client import Client, WaakhondError


@pytest.fixture
def client(api: Any) -> Client:
    return Client(api_key=api.headers["X-API-Key"], http=api)


def test_send_and_read_back(client: Client) -> None:
    client.send_batch([account("kid", 2014), account("adult", 1980)])
    d = client.send(dm("m1", "adult", "kid", "are your parents home?"))
    assert "risk_check" in {s["name"] for s in d["signals"]}
    assert client.decision("m1") == d
    assert client.conversation("dm:adult:kid")["message_count"] == 1
    assert client.health()["status"] == "ok"


def test_errors_carry_the_problems(client: Client) -> None:
    with pytest.raises(WaakhondError) as info:
        client.send_batch([dm("m1", "a", "b", "hi"), {"id": "m2", "kind": "message"}])
    assert info.value.status == 422
    assert {p["event_id"] for p in info.value.problems} == {"m2"}


def test_wrong_key(api: Any) -> None:
    with pytest.raises(WaakhondError) as info:
        Client(api_key="wh_nope", http=api).cases()
    assert info.value.status == 401
