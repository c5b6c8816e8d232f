"""Telling a reporter what became of their report: ``GET /v1/reports/{report_id}/outcome``.

The platform asks with its API key and shows the reporter the answer (the DSA asks that a notifier be told the
decision). The answer says *whether* something was done, not what was done to whom:

| ``outcome`` | meaning |
|---|---|
| ``received`` | stored; no rule put it in the review queue (the report still counts for the account) |
| ``in_review`` | a person will look at it, or is looking at it |
| ``action_taken`` | reviewed, and the account was warned, restricted or suspended |
| ``no_violation`` | reviewed, and nothing against the rules was found |

Reports from trusted flaggers (a hotline, for example) have a priority lane in the default rules: the same
report is queued one priority higher; ``priority_lane`` says whether it was used.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import select

from waakhond.api.auth import api_key_required
from waakhond.store.schema import CaseActivityRow, CaseRow, DecisionRow, EventRow

#: What the platform may show the reporter, in plain words.
MESSAGES: dict[str, str] = {
    "received": "Thank you. We received your report.",
    "in_review": "Thank you. Our safety team is reviewing your report.",
    "action_taken": "Thank you. We reviewed your report and took action.",
    "no_violation": "Thank you. We reviewed your report and did not find a breach of our rules.",
}
_ACTED = {"warn", "restrict_contact", "suspend", "suspend.approved"}

def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, "problems": []}}, status_code=status)


def report_outcome(s: Any, report_id: str) -> dict[str, Any] | None:
    event = s.get(EventRow, report_id)
    if event is None or event.kind != "report":
        return None
    decision = s.get(DecisionRow, report_id)
    body = decision.body if decision else {}
    case_id = next((a.get("params", {}).get("case_id") for a in body.get("actions", [])
                    if a.get("type") == "queue_case" and a.get("params", {}).get("case_id")), None)
    facts = body.get("facts", {})
    out: dict[str, Any] = {
        "report_id": report_id, "category": (event.payload or {}).get("category"),
        "priority_lane": bool(facts.get("reporter_is_trusted_flagger")), "outcome": "received",
        "updated_at": event.occurred_at.isoformat(),
    }
    case = s.get(CaseRow, int(case_id)) if case_id is not None else None
    if case is not None:
        out["updated_at"] = case.updated_at.isoformat()
        if case.status == "open":
            out["outcome"] = "in_review"
        else:
            acts = s.scalars(select(CaseActivityRow.action).where(CaseActivityRow.case_id == case.id)).all()
            out["outcome"] = "action_taken" if _ACTED & set(acts) else "no_violation"
    out["message"] = MESSAGES[out["outcome"]]
    return out


def outcome_router(engine: Any) -> APIRouter:
    db = engine.db
    router = APIRouter(tags=["reports"], dependencies=[Depends(api_key_required(db))])

    @router.get(
        "/v1/reports/{report_id}/outcome",
        summary="What became of a user report, in words the reporter can be shown",
        description="`outcome` is `received`, `in_review`, `action_taken` or `no_violation`; `message` is a "
                    "sentence for the reporter. It never names the action or the account.",
    )
    def get_outcome(report_id: str) -> JSONResponse:
        with db.reading() as s:
            out = report_outcome(s, report_id)
        if out is None:
            return _error(404, f"no report {report_id!r}")
        return JSONResponse(out)

    return router
