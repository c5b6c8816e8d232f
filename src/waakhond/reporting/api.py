"""HTTP API of reporting (API key): hotline reports and their failures, case exports for hotlines, DSA
statements of reasons, legal holds."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from waakhond import audit
from waakhond.api.auth import api_key_required
from waakhond.reporting import dsa, exports, hotline, retention
from waakhond.reporting.evidence import EvidenceError
from waakhond.store.schema import HotlineReportRow

API_ACTOR = "api"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, "problems": []}}, status_code=status)


class LegalHoldIn(BaseModel):
    case_id: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=4000)


def reporting_router(engine: Any) -> APIRouter:
    db = engine.db
    router = APIRouter(dependencies=[Depends(api_key_required(db))])

    # ---- hotline reports -----------------------------------------------------------------------------------
    @router.get("/v1/hotline-reports", tags=["hotline reports"],
                summary="Hotline reports: queued, submitted and failed (with the error), newest first")
    def list_hotline_reports(
        status: Annotated[str | None, Query(pattern="^(queued|submitting|submitted|failed)$")] = None,
        case_id: int | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> JSONResponse:
        with db.reading() as s:
            return JSONResponse({"reports": [hotline.as_dict(r) for r in
                                             hotline.list_reports(s, status=status, case_id=case_id, limit=limit)]})

    @router.get("/v1/hotline-reports/{report_row_id}", tags=["hotline reports"], summary="One hotline report")
    def get_hotline_report(report_row_id: int) -> JSONResponse:
        with db.reading() as s:
            row = s.get(HotlineReportRow, report_row_id)
            if row is None:
                return _error(404, f"no hotline report #{report_row_id}")
            return JSONResponse(hotline.as_dict(row))

    @router.post("/v1/hotline-reports/{report_row_id}/retry", tags=["hotline reports"],
                 summary="Queue a failed report again (it was approved already)")
    def retry_hotline_report(report_row_id: int) -> JSONResponse:
        try:
            row = hotline.retry(db, API_ACTOR, report_row_id)
        except LookupError as exc:
            return _error(404, str(exc))
        except ValueError as exc:
            return _error(409, str(exc))
        return JSONResponse(hotline.as_dict(row))

    # ---- case exports --------------------------------------------------------------------------------------
    @router.get("/v1/cases/{case_id}/export", tags=["hotline reports"], response_model=None,
                summary="A case as CyberTipline XML, EU hotline JSON or an HTML summary",
                description="`format`: `ncmec-xml` (the report as it would be sent now, with `X-Validation` "
                            "saying whether it passes the schema), `eu-json` or `eu-html`. Each export is "
                            "written to the audit log.")
    def export_case(case_id: int,
                    format: Annotated[str, Query(pattern="^(ncmec-xml|eu-json|eu-html)$")] = "eu-json") -> Response:
        try:
            body, media_type, note = exports.export(db, case_id, format)
        except EvidenceError as exc:
            return _error(404, str(exc))
        with audit.audited_transaction(db) as s:
            audit.record(s, actor=API_ACTOR, action="case.export", subject=f"case:{case_id}",
                         details={"format": format})
        headers = {"X-Validation": note} if note else {}
        return Response(body, media_type=media_type, headers=headers)

    # ---- DSA statements of reasons -------------------------------------------------------------------------
    @router.get("/v1/statements-of-reasons", tags=["dsa"],
                summary="Statements of reasons (DSA Art. 17) for enforcement actions, newest first")
    def list_statements(
        account_id: str | None = None,
        since: str | None = Query(None, description="ISO date-time; only statements from then on"),
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONResponse:
        with db.reading() as s:
            items = dsa.statements(s, account_id=account_id, since=dsa.parse_since(since), limit=limit)
        return JSONResponse({"statements": [st.as_dict() for st in items]})

    @router.get("/v1/statements-of-reasons/export", tags=["dsa"], response_class=Response,
                summary="Statements as JSON lines in the shape of the EU DSA Transparency Database API")
    def export_statements(since: str | None = None,
                          limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000) -> Response:
        with db.reading() as s:
            items = dsa.statements(s, since=dsa.parse_since(since), limit=limit)
        body = b"".join(orjson.dumps(st.transparency_db()) + b"\n" for st in items)
        return Response(body, media_type="application/x-ndjson")

    @router.get("/v1/statements-of-reasons/{statement_id}", tags=["dsa"], summary="One statement of reasons")
    def get_statement(statement_id: str) -> JSONResponse:
        with db.reading() as s:
            st = dsa.statement(s, statement_id)
        if st is None:
            return _error(404, f"no statement of reasons {statement_id!r}")
        return JSONResponse(st.as_dict())

    # ---- retention and legal holds -------------------------------------------------------------------------
    @router.post("/v1/legal-holds", tags=["retention"], status_code=201,
                 summary="Put a case under legal hold: its evidence is never purged while the hold lasts")
    def place_hold(body: LegalHoldIn) -> JSONResponse:
        try:
            hold = retention.place_hold(db, body.case_id, body.reason, API_ACTOR)
        except LookupError as exc:
            return _error(404, str(exc))
        return JSONResponse(hold, status_code=201)

    @router.delete("/v1/legal-holds/{hold_id}", tags=["retention"], summary="Release a legal hold")
    def release_hold(hold_id: int) -> JSONResponse:
        try:
            return JSONResponse(retention.release_hold(db, hold_id, API_ACTOR))
        except LookupError as exc:
            return _error(404, str(exc))

    @router.get("/v1/retention", tags=["retention"],
                summary="The retention policy and what a purge would remove now (a dry run)")
    def retention_status() -> JSONResponse:
        policy = retention.RetentionPolicy.from_env()
        report = retention.purge(db, policy, dry_run=True)
        return JSONResponse({"policy": policy.as_dict(), "would_purge": report.as_dict()})

    return router
