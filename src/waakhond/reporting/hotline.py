"""The hotline submission queue: approved reports wait here, are sent by a worker, and stay visible on failure.

A report's life::

    (four-eyes approval) → queued → submitting → submitted
                                       └──────→ failed ──(a person retries)──→ queued

``failed`` keeps the error text (validation errors, the hotline's ``responseCode`` and description, HTTP status,
network errors) and is shown on the case page, in the queue banner and by ``GET /v1/hotline-reports``. Nothing is
retried silently forever: the client retries a call a few times with backoff; after that a person decides.
Every step is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from waakhond import audit
from waakhond.console.media import MediaLibrary
from waakhond.reporting.config import ConfigError, ReportingConfig
from waakhond.reporting.evidence import EvidenceError, gather
from waakhond.reporting.ncmec.client import CyberTiplineClient, NcmecError, Progress, send_report
from waakhond.reporting.ncmec.validate import InvalidReport, Validation, validate
from waakhond.reporting.ncmec.xml import report_files, report_xml
from waakhond.store.database import Database
from waakhond.store.schema import ApprovalRow, CaseActivityRow, HotlineReportRow, utcnow

SYSTEM = "waakhond"
#: Statuses in which a report is still "open": its case's evidence is never purged.
OPEN_STATUSES = ("queued", "submitting", "failed")
#: A report left in ``submitting`` this long (the process died mid-way) is marked failed for a person to check.
STUCK_AFTER = timedelta(minutes=15)

ClientFactory = Callable[[ReportingConfig], CyberTiplineClient]


def enqueue(s: Session, approval: ApprovalRow, approved_by: str, environment: str | None = None) -> HotlineReportRow:
    """Queue an approved hotline report (called in the approval's transaction)."""
    if environment is None:
        try:
            environment = ReportingConfig.from_env().environment
        except ConfigError:
            environment = "test"
    assert approval.case_id is not None
    prior = [r for r in s.scalars(select(HotlineReportRow.report_id).where(
        HotlineReportRow.case_id == approval.case_id, HotlineReportRow.status == "submitted")) if r]
    row = HotlineReportRow(
        case_id=approval.case_id, approval_id=approval.id, hotline="ncmec", environment=environment, status="queued",
        params={k: v for k, v in (approval.params or {}).items() if k in ("incident_type", "classification")}
        | ({"note": approval.reason} if approval.reason else {}),
        prior_report_ids=prior, files=[], attempts=0, last_error="", requested_by=approval.requested_by,
        approved_by=approved_by, created_at=utcnow(), updated_at=utcnow(),
    )
    s.add(row)
    s.flush()
    return row


def build(db: Database, case_id: int, params: dict[str, Any] | None = None, *,
          config: ReportingConfig | None = None, media: MediaLibrary | None = None) -> tuple[bytes, Validation]:
    """The report XML for a case as it would be sent now, with its validation result (for previews/exports)."""
    config = config or ReportingConfig.from_env()
    with db.reading() as s:
        ev = gather(s, case_id, media=media)
    document = report_xml(ev, config, params or {})
    return document, validate(document)


def as_dict(r: HotlineReportRow) -> dict[str, Any]:
    return {
        "id": r.id, "case_id": r.case_id, "hotline": r.hotline, "environment": r.environment, "status": r.status,
        "report_id": r.report_id, "files": list(r.files or []), "attempts": r.attempts, "last_error": r.last_error,
        "prior_report_ids": list(r.prior_report_ids or []), "kind": "follow-up" if r.prior_report_ids else "initial",
        "requested_by": r.requested_by, "approved_by": r.approved_by, "params": dict(r.params or {}),
        "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
        "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
    }


def list_reports(s: Session, *, status: str | None = None, case_id: int | None = None,
                 limit: int = 100) -> list[HotlineReportRow]:
    q = select(HotlineReportRow).order_by(HotlineReportRow.id.desc()).limit(limit)
    if status:
        q = q.where(HotlineReportRow.status == status)
    if case_id is not None:
        q = q.where(HotlineReportRow.case_id == case_id)
    return list(s.scalars(q))


def failed_count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(HotlineReportRow)
                        .where(HotlineReportRow.status == "failed")) or 0)


def retry(db: Database, actor: str, report_row_id: int) -> HotlineReportRow:
    """Put a failed report back in the queue (it was approved already; a retry needs no new approval)."""
    with audit.audited_transaction(db) as s:
        row = s.get(HotlineReportRow, report_row_id)
        if row is None:
            raise LookupError(f"no hotline report #{report_row_id}")
        if row.status != "failed":
            raise ValueError(f"hotline report #{row.id} is {row.status}; only a failed report can be retried")
        row.status, row.updated_at = "queued", utcnow()
        s.add(CaseActivityRow(case_id=row.case_id, at=utcnow(), username=actor, action="hotline_report.retry",
                              text=row.last_error[:500], params={"report": row.id}))
        audit.record(s, actor=actor, action="hotline.retry", subject=f"case:{row.case_id}",
                     details={"hotline_report": row.id, "last_error": row.last_error[:500]})
        return row


def _claim(db: Database) -> int | None:
    """Take the oldest queued report (``queued → submitting``); safe with several workers."""
    with db.transaction() as s:
        stuck = s.scalars(select(HotlineReportRow).where(HotlineReportRow.status == "submitting",
                                                         HotlineReportRow.updated_at < utcnow() - STUCK_AFTER))
        for row in stuck:
            row.status, row.updated_at = "failed", utcnow()
            opened = f" (report {row.report_id} was opened: check it with the hotline before retrying)"
            row.last_error = "interrupted while submitting" + (opened if row.report_id else "")
        rid = s.scalar(select(HotlineReportRow.id).where(HotlineReportRow.status == "queued")
                       .order_by(HotlineReportRow.id).limit(1))
        if rid is None:
            return None
        got = s.execute(update(HotlineReportRow).where(HotlineReportRow.id == rid,
                                                       HotlineReportRow.status == "queued")
                        .values(status="submitting", updated_at=utcnow(),
                                attempts=HotlineReportRow.attempts + 1))
        return rid if got.rowcount == 1 else None  # type: ignore[attr-defined]


def process_queue(db: Database, config: ReportingConfig | None = None, *, client_factory: ClientFactory | None = None,
                  media: MediaLibrary | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """Send up to ``limit`` queued reports; returns what happened to each (also stored and audited)."""
    done: list[dict[str, Any]] = []
    for _ in range(limit):
        rid = _claim(db)
        if rid is None:
            break
        done.append(_send_one(db, rid, config, client_factory, media))
    return done


def _send_one(db: Database, rid: int, config: ReportingConfig | None, client_factory: ClientFactory | None,
              media: MediaLibrary | None) -> dict[str, Any]:
    with db.reading() as s:
        row = s.get(HotlineReportRow, rid)
        assert row is not None
        case_id, params, prior = row.case_id, dict(row.params or {}), list(row.prior_report_ids or [])

    def save(progress: Progress) -> None:
        with db.transaction() as s:
            r = s.get(HotlineReportRow, rid)
            assert r is not None
            r.report_id, r.files, r.updated_at = progress.report_id, list(progress.files), utcnow()

    try:
        config = config or ReportingConfig.from_env()
        with db.reading() as s:
            ev = gather(s, case_id, media=media)
        ev.prior_report_ids = prior or ev.prior_report_ids
        document = report_xml(ev, config, params)
        files = report_files(ev, params)
        client = (client_factory or CyberTiplineClient)(config)
        try:
            progress = send_report(client, document, files, supplemental=bool(ev.prior_report_ids),
                                   on_progress=save)
        finally:
            client.close()
    except (NcmecError, InvalidReport, ConfigError, EvidenceError, OSError) as exc:
        return _finish(db, rid, error=str(exc), environment=config.environment if config else None)
    return _finish(db, rid, progress=progress, environment=config.environment)


def _finish(db: Database, rid: int, *, progress: Progress | None = None, error: str = "",
            environment: str | None = None) -> dict[str, Any]:
    with audit.audited_transaction(db) as s:
        row = s.get(HotlineReportRow, rid)
        assert row is not None
        now = utcnow()
        row.updated_at = now
        row.environment = environment or row.environment  # where it was actually sent
        if progress is not None:
            row.status, row.report_id, row.files, row.submitted_at, row.last_error = (
                "submitted", progress.report_id, list(progress.files), now, "")
            text = f"CyberTipline report {progress.report_id} submitted ({row.environment})"
            action = "hotline.submitted"
        else:
            retracted = row.report_id if "was retracted" in error else None
            params = dict(row.params or {})
            if retracted:
                params["retracted"] = [*params.get("retracted", []), retracted]
                row.report_id = None
            row.status, row.last_error, row.params = "failed", error[:4000], params
            text = f"hotline report failed: {error[:500]}"
            action = "hotline.failed"
        s.add(CaseActivityRow(case_id=row.case_id, at=now, username=SYSTEM, action=action.replace("hotline.",
                              "hotline_report."), text=text, params={"report": row.id}))
        audit.record(s, actor=SYSTEM, action=action, subject=f"case:{row.case_id}",
                     details={"hotline_report": row.id, "report_id": row.report_id, "attempt": row.attempts,
                              "environment": row.environment, "error": row.last_error[:500],
                              "files": [f.get("file_id") for f in row.files or []]})
        return as_dict(row)


def report_choices(s: Session, case_id: int, given: dict[str, str]) -> dict[str, str]:
    """Check a reviewer's choices for a new report; refuse while another report of the case is still open."""
    from waakhond.console.actions import ActionError
    from waakhond.reporting.ncmec.xml import CLASSIFICATIONS, INCIDENT_TYPES

    open_row = s.scalars(select(HotlineReportRow).where(HotlineReportRow.case_id == case_id,
                                                        HotlineReportRow.status.in_(OPEN_STATUSES))).first()
    if open_row is not None:
        raise ActionError(f"hotline report #{open_row.id} of case {case_id} is {open_row.status}; "
                          + ("retry it instead of preparing another" if open_row.status == "failed"
                             else "wait until it is sent"), 409)
    out: dict[str, str] = {}
    incident = (given.get("incident_type") or "").strip()
    if incident:
        if incident not in INCIDENT_TYPES:
            raise ActionError(f"unknown incident type {incident!r}")
        out["incident_type"] = incident
    classification = (given.get("classification") or "").strip().upper()
    if classification:
        if classification not in CLASSIFICATIONS:
            raise ActionError(f"industry classification must be one of {', '.join(CLASSIFICATIONS)}")
        out["classification"] = classification
    return out
