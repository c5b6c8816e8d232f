"""Console fixtures: an engine with the demo world, people in every role, a logged-in test client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from waakhond.console import auth
from waakhond.console.demo import gradient_png

PASSWORD = "a long enough test password"
ROLES = {"vera": "viewer", "mo": "moderator", "mina": "moderator", "lee": "child_safety_lead",
         "lars": "child_safety_lead", "ada": "admin"}


@pytest.fixture
def media_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "media"
    d.mkdir()
    (d / "pic-1.png").write_bytes(gradient_png(64, 64))  # a benign generated gradient
    monkeypatch.setenv("WAAKHOND_MEDIA_DIR", str(d))
    return d


@pytest.fixture
def world(engine: Any, media_dir: Path) -> Any:
    """The demo world, one benign upload by the groomer account, and one person for every role."""
    from waakhond.demo.world import demo_events
    from waakhond.events import parse_event

    engine.process(demo_events())
    engine.process([parse_event({
        "id": "up-1", "kind": "media", "occurred_at": "2026-11-04T10:00:00+00:00", "account_id": "ghost_rider",
        "media_id": "pic-1", "media_type": "image", "purpose": "message_attachment", "recipient_ids": ["lotte"]})])
    for name, role in ROLES.items():
        auth.create_user(engine.db, name, role, PASSWORD, created_by="tests")
    return engine


@pytest.fixture
def app(world: Any) -> Any:
    from waakhond.api.app import create_app

    return create_app(world)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/console/login")
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf": csrf_of(page.text), "next": ""}, follow_redirects=False)


@pytest.fixture
def as_user(app: Any) -> Iterator[Callable[[str], TestClient]]:
    """``as_user("mo")`` → a client logged in as mo (each call a separate browser)."""
    clients: list[TestClient] = []

    def make(name: str) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        r = login(c, name)
        assert r.status_code == 303, r.text
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def case_id_for(engine: Any, conversation_id: str) -> int:
    from sqlalchemy import select

    from waakhond.store.schema import CaseRow

    with engine.db.reading() as s:
        cid = s.scalar(select(CaseRow.id).where(CaseRow.conversation_id == conversation_id))
    assert cid is not None
    return int(cid)
