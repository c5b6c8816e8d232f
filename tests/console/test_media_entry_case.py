"""A flood-control case is about a bank entry, not an account: the queue and the case page show it."""

from __future__ import annotations

from typing import Any

from waakhond.store.schema import CaseRow, utcnow


def test_media_entry_case_renders(world: Any, as_user: Any) -> None:
    with world.db.transaction() as s:
        case = CaseRow(subject_key="media_entry:42", status="open", priority="high", priority_rank=1,
                       account_id=None, conversation_id=None, reason="flood control: entry 42 of bank b matched "
                       "60 uploads in 1 h", event_ids=["up-1"], created_at=utcnow(), updated_at=utcnow())
        s.add(case)
        s.flush()
        cid = case.id
    c = as_user("mo")
    assert c.get("/console/").status_code == 200
    page = c.get(f"/console/cases/{cid}")
    assert page.status_code == 200 and "flood control" in page.text
