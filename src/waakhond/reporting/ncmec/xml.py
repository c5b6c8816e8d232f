"""Build CyberTipline report XML from a case's evidence.

The shape follows NCMEC's public CyberTipline Reporting API documentation: a ``<report>`` with
``incidentSummary``, ``internetDetails``, ``reporter``, ``personOrUserReported``, ``victim`` and
``additionalInfo``, posted to ``/submit``; then one ``<fileDetails>`` per uploaded file, posted to ``/fileinfo``.
What waakhond knows and fills:

* **incident type** — ``Child Pornography (…)`` when the case holds a user report of abuse material or media the
  reviewer classified; otherwise ``Online Enticement of Children for Sexual Acts``, which is the right type
  for text-only grooming (ROOST's users could not file those). A reviewer may choose another type.
* **incident time** — the first risky line of the conversation.
* **reported person** — the case's subject: ESP identifier and screen name (the account id), display name,
  IP capture events when the platform sends ``client_ip`` with events, prior CyberTipline report ids for a
  follow-up, and whether the account is disabled.
* **victims** — every minor account in the conversation.
* **files** — the chat transcript as a text file, and media files the platform put in the media folder, each
  with MD5 (and PDQ for pictures), an honest ``fileViewedByEsp`` from the audit log (was it revealed in the
  console?) and the reviewer's industry classification (A1/A2/B1/B2) when one was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from waakhond.reporting.config import ReportingConfig
from waakhond.reporting.evidence import CaseEvidence, IpEvent, Person

ENTICEMENT = "Online Enticement of Children for Sexual Acts"
CSAM = "Child Pornography (possession, manufacture, and distribution)"
INCIDENT_TYPES: tuple[str, ...] = (
    CSAM,
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    ENTICEMENT,
    "Unsolicited Obscene Material Sent to a Child",
)
CLASSIFICATIONS: dict[str, str] = {
    "A1": "prepubescent minor, sex act",
    "A2": "prepubescent minor, lascivious exhibition",
    "B1": "pubescent minor, sex act",
    "B2": "pubescent minor, lascivious exhibition",
}


@dataclass
class ReportFile:
    """One file of a report: the transcript (``data``) or a media file (``path``)."""

    name: str
    kind: str  # transcript | media
    md5: str | None
    viewed_by_esp: bool
    data: bytes | None = None
    path: Path | None = None
    pdq: str | None = None
    sha256: str | None = None
    classification: str | None = None
    note: str = ""
    content_type: str = "application/octet-stream"
    ip_events: list[IpEvent] = field(default_factory=list)

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = str(text).lower() if isinstance(text, bool) else _clean(str(text))
    return el


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters; a chat line may contain them.
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)[:65000]


def incident_type(ev: CaseEvidence, params: Mapping[str, Any]) -> str:
    chosen = str(params.get("incident_type") or "")
    if chosen:
        return chosen  # validated against the XSD enumeration before anything is sent
    if "csam" in ev.report_categories or params.get("classification"):
        return CSAM
    return ENTICEMENT


def report_files(ev: CaseEvidence, params: Mapping[str, Any]) -> list[ReportFile]:
    """The files to upload: the chat transcript, then the media the platform made available."""
    supplemental = bool(ev.prior_report_ids)
    files: list[ReportFile] = []
    if ev.lines:
        data = ev.transcript_bytes()
        files.append(ReportFile(
            name=f"case-{ev.case_id}-chat.txt", kind="transcript", md5=ev.transcript_md5(),
            viewed_by_esp=ev.viewed_by_esp, data=data, content_type="text/plain; charset=utf-8",
            note=f"Chat transcript exported by the ESP from its records ({len(ev.lines)} lines, UTC times)."
                 + (" Follow-up: includes lines since the prior report." if supplemental else "")))
    classification = params.get("classification") or None
    for m in ev.media:
        if m.path is None:
            continue
        files.append(ReportFile(
            name=m.path.name, kind="media", md5=m.md5, viewed_by_esp=m.viewed_by_esp, path=m.path, pdq=m.pdq,
            sha256=m.sha256, classification=classification if m.viewed_by_esp else None,
            note=f"Media {m.media_id} sent by {m.sender} at {_ts(m.at)}.",
            content_type="image/" + m.path.suffix.lstrip(".").replace("jpg", "jpeg"),
            ip_events=[]))
    return files


def report_xml(ev: CaseEvidence, config: ReportingConfig, params: Mapping[str, Any] | None = None) -> bytes:
    """The ``<report>`` document for ``/submit`` (UTF-8 bytes, not yet validated)."""
    params = dict(params or {})
    root = etree.Element("report")
    summary = _sub(root, "incidentSummary")
    _sub(summary, "incidentType", incident_type(ev, params))
    if ev.priority == "urgent":
        _sub(summary, "escalateToHighPriority", "Grooming of a minor or known abuse material; the reviewer "
                                                "marked the case urgent.")
    annotations = []
    if "sextortion" in ev.tactics or "sextortion" in ev.report_categories:
        annotations.append("sextortion")
    if "image_request" in ev.tactics and ev.victims:
        annotations.append("csamSolicitation")
    if ev.reported is not None and ev.reported.is_minor and ev.victims:
        annotations.append("minorToMinorInteraction")
    if annotations:
        ann = _sub(summary, "reportAnnotations")
        for a in annotations:
            _sub(ann, a)
    _sub(summary, "incidentDateTime", _ts(ev.incident_at))
    _sub(summary, "incidentDateTimeDescription",
         "Time of the first message the ESP's detection marked as risky" if any(ln.tactics for ln in ev.lines)
         else "Time of the first event in the case")

    if ev.channel or ev.lines:
        chat = _sub(_sub(root, "internetDetails"), "chatImIncident")
        _sub(chat, "chatClient", config.esp_name)
        if ev.room_id:
            _sub(chat, "chatRoomName", ev.room_id)
        _sub(chat, "additionalInfo", f"{(ev.channel or 'account').replace('dm', 'direct message')} conversation "
                                     f"{ev.conversation_id or ev.subject_key}; the transcript is attached as a file.")

    reporter = _sub(root, "reporter")
    person = _sub(reporter, "reportingPerson")
    rp = config.reporter
    for tag, value in (("firstName", rp.first_name), ("lastName", rp.last_name), ("email", rp.email),
                       ("phone", rp.phone)):
        if value or tag != "phone":
            _sub(person, tag, value or None)
    if config.tos_url:
        _sub(reporter, "termsOfService", config.tos_url)
    if config.legal_url:
        _sub(reporter, "legalURL", config.legal_url)

    if ev.reported is not None:
        _reported(root, ev.reported, ev, config)
    for v in ev.victims:
        victim = _account(root, "victim", "victimPerson", v, config)
        if v.birth_year is not None:
            _sub(victim, "additionalInfo", f"Birth year on the platform: {v.birth_year}; the age given is the "
                                           "lower of the two possible ages when the case was opened.")
        elif v.age_band:
            _sub(victim, "additionalInfo", f"Age band on the platform: {v.age_band.replace('_', ' ')}.")
    _sub(root, "additionalInfo", _additional(ev, params))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _account(root: etree._Element, tag: str, person_tag: str, p: Person, config: ReportingConfig) -> etree._Element:
    """An account on the platform: its age when known, and its id as ESP identifier and screen name."""
    el = _sub(root, tag)
    if p.age is not None:
        _sub(_sub(el, person_tag), "age", p.age)
    _sub(el, "espIdentifier", p.account_id)
    _sub(el, "espService", config.esp_name)
    _sub(el, "screenName", p.account_id)
    return el


def _reported(root: etree._Element, p: Person, ev: CaseEvidence, config: ReportingConfig) -> None:
    el = _account(root, "personOrUserReported", "personOrUserReportedPerson", p, config)
    if p.display_name:
        _sub(el, "displayName", p.display_name)
    for ip in p.ip_events:
        _ip(el, ip)
    if ev.prior_report_ids:
        prior = _sub(el, "priorCTReports")
        for rid in ev.prior_report_ids:
            _sub(prior, "priorCTReport", rid)
    _sub(el, "accountTemporarilyDisabled", p.suspended)
    acts = [f"{a['at'].strftime('%Y-%m-%d')} {a['action'].replace('.approved', '')} by the ESP"
            for a in ev.actions_taken if a.get("account") in (None, p.account_id)]
    if acts:
        _sub(el, "additionalInfo", "Actions taken on the account: " + "; ".join(acts) + ".")


def _ip(parent: etree._Element, ip: IpEvent) -> None:
    el = _sub(parent, "ipCaptureEvent")
    _sub(el, "ipAddress", ip.ip)
    _sub(el, "eventName", ip.event)
    _sub(el, "dateTime", _ts(ip.at))


def _additional(ev: CaseEvidence, params: Mapping[str, Any]) -> str:
    parts = [f"ESP case {ev.case_id}: {ev.reason}"]
    if ev.tactics:
        parts.append("Grooming tactics found in the conversation (counts): "
                     + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in ev.tactics.items()) + ".")
    if ev.report_categories:
        parts.append("User reports in the case: " + ", ".join(ev.report_categories) + ".")
    missing = [m for m in ev.media if m.path is None]
    if missing:
        parts.append("Media referenced by hash only (file not held by the reporting system): " + "; ".join(
            f"{m.media_id} md5 {m.md5 or '?'} pdq {m.pdq or '?'}" for m in missing[:20]) + ".")
    if ev.prior_report_ids:
        parts.append("This is a follow-up to CyberTipline report(s) " + ", ".join(ev.prior_report_ids) + ".")
    if params.get("note"):
        parts.append(f"Reviewer's note: {params['note']}")
    return "\n".join(parts)


def file_details_xml(report_id: str, file_id: str, f: ReportFile, *, supplemental: bool = False) -> bytes:
    """The ``<fileDetails>`` document for ``/fileinfo``."""
    root = etree.Element("fileDetails")
    _sub(root, "reportId", report_id)
    _sub(root, "fileId", file_id)
    _sub(root, "originalFileName", f.name)
    _sub(root, "fileViewedByEsp", f.viewed_by_esp)
    _sub(root, "publiclyAvailable", False)
    _sub(root, "fileRelevance", "Supplemental Reported" if supplemental else "Reported")
    if f.classification:
        _sub(root, "industryClassification", f.classification)
    for kind, value in (("MD5", f.md5), ("PDQ", f.pdq), ("SHA256", f.sha256)):
        if value:
            _sub(root, "originalFileHash", value).set("hashType", kind)
    for ip in f.ip_events:
        _ip(root, ip)
    if f.note:
        _sub(root, "additionalInfo", f.note)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
