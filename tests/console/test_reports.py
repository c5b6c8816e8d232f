"""User reports: categories, anonymous reports, the trusted-flagger priority lane, and telling the reporter
the outcome (``GET /v1/reports/{id}/outcome``) as reviewers act in the console."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import account, at
from tests.console.conftest import csrf_of

from waakhond.store.apikeys import create_key
from waakhond.store.schema import CaseRow


def _report(eid: str, category: str, reporter: str | None = "sam", trusted: bool = False,
            subject: str = "creep") -> dict[str, Any]:
    e: dict[str, Any] = {"id": eid, "kind": "report", "occurred_at": at(5), "subject_account_id": subject,
                         "category": category}
    if reporter:
        e["reporter_id"] = reporter
    if trusted:
        e["trusted_flagger"] = True
    return e


def test_report_lane_and_outcome(app: Any, world: Any, as_user: Any) -> None:
    secret, _ = create_key(world.db, "platform")
    with TestClient(app, headers={"X-API-Key": secret}) as api:
        api.post("/v1/events", json=[account("creep", 1980), account("sam", 2012)])
        for body in (_report("r-anon", "sextortion", reporter=None),
                     _report("r-hotline", "grooming", reporter="hotline-nl", trusted=True, subject="creep2"),
                     _report("r-spam", "spam", subject="creep3"),
                     _report("r-comment", "sexual_comment_on_minor", subject="creep4")):
            assert api.post("/v1/events", json=body).status_code == 200, body
        out = api.get("/v1/reports/r-anon/outcome").json()
        assert out["outcome"] == "in_review" and out["priority_lane"] is False  # anonymous reports are accepted
        hot = api.get("/v1/reports/r-hotline/outcome").json()
        assert hot["priority_lane"] is True
        assert api.get("/v1/reports/r-spam/outcome").json()["outcome"] == "received"  # no case for spam
        assert api.get("/v1/reports/nope/outcome").status_code == 404
        assert TestClient(app).get("/v1/reports/r-anon/outcome").status_code == 401

        with world.db.reading() as s:
            cases = {c.event_ids[0]: c for c in s.scalars(select(CaseRow)).all()}
        assert cases["r-hotline"].priority_rank < cases["r-comment"].priority_rank  # the priority lane

        # a reviewer acts; the reporter can be told, without naming the action
        mo = as_user("mo")
        cid = cases["r-anon"].id
        page = mo.get(f"/console/cases/{cid}").text
        assert '<option value="creep" selected>' in page  # the case is about the reported account
        mo.post(f"/console/cases/{cid}/action", data={"csrf": csrf_of(page), "action": "warn", "close": "1",
                                                      "account_id": "creep"})
        out = api.get("/v1/reports/r-anon/outcome").json()
        assert out["outcome"] == "action_taken" and "took action" in out["message"] and "warn" not in str(out)
        cid = cases["r-comment"].id
        page = mo.get(f"/console/cases/{cid}").text
        mo.post(f"/console/cases/{cid}/action", data={"csrf": csrf_of(page), "action": "dismiss"})
        assert api.get("/v1/reports/r-comment/outcome").json()["outcome"] == "no_violation"
        assert "/v1/reports/{report_id}/outcome" in api.get("/openapi.json").json()["paths"]
