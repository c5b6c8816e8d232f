"""Case exports for hotlines: CyberTipline XML, a structured JSON file for EU hotlines (Child Focus, Offlimits and
other INHOPE members) and a readable HTML summary of the same. The JSON schema is described in
``docs/reporting.md`` (``schema: waakhond.eu-hotline-export/1``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from waakhond.console.media import MediaLibrary
from waakhond.reporting.config import ReportingConfig
from waakhond.reporting.evidence import CaseEvidence, Person, gather
from waakhond.reporting.ncmec.validate import validate
from waakhond.reporting.ncmec.xml import CSAM, incident_type, report_xml
from waakhond.store.database import Database
from waakhond.store.schema import HotlineReportRow

SCHEMA = "waakhond.eu-hotline-export/1"
FORMATS = {"ncmec-xml": "application/xml", "eu-json": "application/json", "eu-html": "text/html; charset=utf-8"}

_env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_env.filters["utc"] = lambda d: d.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if d else ""
_env.filters["words"] = lambda t: str(t).replace("_", " ")


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z") if at else None


def _person(p: Person) -> dict[str, Any]:
    return {"platform_id": p.account_id, "display_name": p.display_name, "age": p.age, "age_band": p.age_band,
            "is_minor": p.is_minor, "suspended": p.suspended,
            "ip_events": [{"ip": e.ip, "at": _iso(e.at), "event": e.event} for e in p.ip_events]}


def eu_document(ev: CaseEvidence, config: ReportingConfig, reports: list[dict[str, Any]]) -> dict[str, Any]:
    offence = ("child sexual abuse material" if incident_type(ev, {}) == CSAM
               else "solicitation of a child for sexual purposes (grooming)")
    return {
        "schema": SCHEMA,
        "generated_at": _iso(ev.gathered_at),
        "platform": {"name": config.esp_name, "terms_of_service": config.tos_url or None,
                     "contact": {"name": f"{config.reporter.first_name} {config.reporter.last_name}".strip() or None,
                                 "email": config.reporter.email or None, "phone": config.reporter.phone or None}},
        "case": {"id": ev.case_id, "status": ev.status, "priority": ev.priority, "opened_at": _iso(ev.created_at),
                 "reason": ev.reason, "subject": ev.subject_key, "conversation_id": ev.conversation_id,
                 "channel": ev.channel, "room_id": ev.room_id},
        "assessment": {"suspected_offence": offence, "tactics": ev.tactics, "user_report_categories":
                       ev.report_categories, "incident_at": _iso(ev.incident_at)},
        "reported_account": _person(ev.reported) if ev.reported else None,
        "victims": [_person(v) for v in ev.victims],
        "conversation": {
            "lines": [{"event_id": ln.event_id, "at": _iso(ln.at), "kind": ln.kind, "sender": ln.sender,
                       "recipients": list(ln.recipients), "text": ln.text, "tactics": list(ln.tactics),
                       "verdict": ln.verdict} for ln in ev.lines],
            "earlier_lines_omitted": bool(ev.earlier_lines), "transcript_md5": ev.transcript_md5()},
        "media": [{"media_id": m.media_id, "event_id": m.event_id, "at": _iso(m.at), "sender": m.sender,
                   "type": m.media_type, "md5": m.md5, "sha256": m.sha256, "pdq": m.pdq,
                   "file_held_by_platform": m.path is not None, "viewed_by_platform": m.viewed_by_esp}
                  for m in ev.media],
        "viewed_by_platform": ev.viewed_by_esp,
        "actions_taken": [{"at": _iso(a["at"]), "action": a["action"], "account": a["account"]}
                          for a in ev.actions_taken],
        "hotline_reports": reports,
    }


def export(db: Database, case_id: int, fmt: str, *, config: ReportingConfig | None = None,
           media: MediaLibrary | None = None) -> tuple[bytes, str, str]:
    """``(body, media type, validation note)`` of a case in ``fmt`` (see :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    config = config or ReportingConfig.from_env()
    with db.reading() as s:
        ev = gather(s, case_id, media=media)
        reports = [{"hotline": r.hotline, "report_id": r.report_id, "status": r.status,
                    "submitted_at": _iso(r.submitted_at)}
                   for r in s.scalars(select(HotlineReportRow).where(HotlineReportRow.case_id == case_id)
                                      .order_by(HotlineReportRow.id))]
    if fmt == "ncmec-xml":
        body = report_xml(ev, config, {})
        return body, FORMATS[fmt], str(validate(body))
    doc = eu_document(ev, config, reports)
    if fmt == "eu-json":
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n", FORMATS[fmt], ""
    html = _env.get_template("eu_report.html").render(d=doc, ev=ev)
    return html.encode("utf-8"), FORMATS[fmt], ""
