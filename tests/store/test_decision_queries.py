"""Decisions by conversation, acting account and verdict go through the events table's indexes and a partial
index on flagged verdicts (``0006_write_path_indexes``); they must find exactly the decisions the plain filters
on the decisions table find, newest first, on both stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from waakhond.demo.world import demo_events
from waakhond.memory.keys import actor_of
from waakhond.pipeline import Engine
from waakhond.reporting import dsa
from waakhond.store.database import Database
from waakhond.store.schema import DecisionRow, decisions_of


def _ids(db: Database, **where: Any) -> list[str]:
    q = decisions_of(select(DecisionRow).order_by(DecisionRow.created_at.desc(), DecisionRow.event_id), **where)
    with db.reading() as s:
        return [d.event_id for d in s.scalars(q)]


def _plain(db: Database, **where: Any) -> list[str]:
    columns = {"conversation_id": DecisionRow.conversation_id, "account_id": DecisionRow.actor_id,
               "verdict": DecisionRow.verdict}
    q = select(DecisionRow).order_by(DecisionRow.created_at.desc(), DecisionRow.event_id)
    for name, value in where.items():
        q = q.where(columns[name] == value)
    with db.reading() as s:
        return [d.event_id for d in s.scalars(q)]


def test_decision_filters_find_what_the_plain_filters_find(any_db: Database) -> None:
    decisions = Engine(any_db).process(demo_events())
    held = [d.event_id for d in decisions if d.verdict.value == "hold_message"]
    conversation = next(d.conversation_id for d in decisions if d.event_id == held[0])
    sender = _actor(held[0])
    assert conversation and sender
    cases: list[dict[str, Any]] = [
        {"conversation_id": conversation}, {"account_id": sender}, {"verdict": "hold_message"},
        {"verdict": "allow"}, {"verdict": "no such verdict"}, {"conversation_id": conversation, "verdict": "allow"},
        {"conversation_id": conversation, "account_id": sender, "verdict": "hold_message"},
        {"conversation_id": "dm:nobody:none"},
    ]
    for where in cases:
        assert _ids(any_db, **where) == _plain(any_db, **where), where
    assert set(held) <= set(_ids(any_db, verdict="hold_message"))
    assert _ids(any_db, account_id=sender) and _ids(any_db, conversation_id=conversation)
    with any_db.reading() as s:  # the statements of reasons of one account
        mine = dsa.statements(s, account_id=sender, limit=500)
        every = dsa.statements(s, limit=500)
    assert mine and [st.id for st in mine] == [st.id for st in every if st.account_id == sender]


def test_the_api_lists_decisions_by_conversation_account_and_verdict(api: Any, engine: Engine) -> None:
    decisions = engine.process(demo_events())
    held = next(d for d in decisions if d.verdict.value == "hold_message")
    sender = _actor(held.event_id)
    for params in ({"conversation_id": held.conversation_id}, {"account_id": sender}, {"verdict": "hold_message"},
                   {"conversation_id": held.conversation_id, "verdict": "hold_message", "limit": 500}):
        got = api.get("/v1/decisions", params={"limit": 500, **params}).json()["decisions"]
        want = [d.as_dict() for d in reversed(decisions)
                if all(d.as_dict().get(k) == v or (k == "account_id" and _actor(d.event_id) == v)
                       for k, v in params.items() if k != "limit")]
        assert {d["event_id"] for d in got} == {d["event_id"] for d in want} and got, params
        assert held.event_id in {d["event_id"] for d in got}


def _actor(event_id: str) -> str | None:
    return actor_of(next(e for e in demo_events() if e.id == event_id))
