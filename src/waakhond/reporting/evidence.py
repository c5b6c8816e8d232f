"""Everything a hotline report or an export says about a case, gathered from the store once.

The CyberTipline XML, the EU hotline JSON and its HTML summary are three renderings of one
:class:`CaseEvidence`, so they never disagree about what the case holds. Reading is bounded (at most
:data:`MAX_LINES` lines of a conversation, :data:`MAX_MEDIA` media items) and uses indexed queries only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from waakhond.console.media import MediaLibrary
from waakhond.console.views import subject_account
from waakhond.detectors.text.labels import TACTICS
from waakhond.memory.ages import age_of
from waakhond.store.schema import (
    AccountRow,
    AuditEntryRow,
    CaseActivityRow,
    CaseRow,
    ConversationRow,
    DecisionRow,
    EventRow,
    HotlineReportRow,
    utcnow,
)

MAX_LINES = 5_000
MAX_MEDIA = 50
MAX_IP_EVENTS = 20
#: Console actions that restrict an account (for "account disabled" in reports and for statements of reasons).
ENFORCEMENT_ACTIVITY = ("warn", "restrict_contact", "suspend", "suspend.approved")


class EvidenceError(LookupError):
    """The case does not exist (or has no subject to report)."""


@dataclass(frozen=True)
class IpEvent:
    ip: str
    at: datetime
    event: str  # CyberTipline eventName: Registration, Upload, Other


@dataclass
class Person:
    account_id: str
    known: bool = False
    age: int | None = None
    age_band: str | None = None
    is_minor: bool = False
    suspended: bool = False
    display_name: str | None = None
    birth_year: int | None = None
    ip_events: list[IpEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    """One line of the transcript: a message, a gift note, a report, a media upload."""

    event_id: str
    at: datetime
    kind: str
    sender: str | None
    recipients: tuple[str, ...]
    text: str
    verdict: str
    tactics: tuple[str, ...]


@dataclass
class MediaFile:
    media_id: str
    event_id: str
    at: datetime
    sender: str | None
    media_type: str
    md5: str | None
    sha256: str | None
    pdq: str | None
    path: Path | None  # the file, when the platform put it in the media folder
    viewed_by_esp: bool  # a person revealed it in the console (from the audit log)
    viewed_by: tuple[str, ...] = ()


@dataclass
class CaseEvidence:
    case_id: int
    status: str
    priority: str
    reason: str
    subject_key: str
    conversation_id: str | None
    channel: str | None
    created_at: datetime
    reported: Person | None
    victims: list[Person]
    lines: list[Line]
    earlier_lines: int
    media: list[MediaFile]
    tactics: dict[str, int]
    report_categories: list[str]
    case_viewed_by: list[str]
    actions_taken: list[dict[str, Any]]
    prior_report_ids: list[str]
    gathered_at: datetime = field(default_factory=utcnow)

    @property
    def viewed_by_esp(self) -> bool:
        """Did a person at the platform read the conversation (a ``case.view`` in the audit log)?"""
        return bool(self.case_viewed_by)

    @property
    def incident_at(self) -> datetime:
        """When it happened: the first risky line, else the first line, else when the case was opened."""
        for ln in self.lines:
            if ln.tactics or ln.verdict != "allow":
                return ln.at
        return self.lines[0].at if self.lines else self.created_at

    @property
    def room_id(self) -> str | None:
        if self.conversation_id and self.channel in ("group", "livestream"):
            return self.conversation_id.split(":", 1)[1]
        return None

    def transcript(self) -> str:
        """The conversation as a plain UTF-8 text file, one line per event, times in UTC."""
        head = [f"waakhond case {self.case_id} — {self.subject_key}",
                f"exported {self.gathered_at.strftime('%Y-%m-%dT%H:%M:%SZ')}; times are UTC"]
        if self.earlier_lines:
            head.append(f"({self.earlier_lines} earlier lines are not included)")
        out = [*head, ""]
        for ln in self.lines:
            to = f" → {', '.join(ln.recipients)}" if ln.recipients else ""
            mark = f"  [{', '.join(ln.tactics)}]" if ln.tactics else ""
            body = ln.text.replace("\r", " ").replace("\n", " ⏎ ")
            out.append(f"{ln.at.strftime('%Y-%m-%dT%H:%M:%SZ')}  {ln.sender or 'anonymous'}{to} ({ln.kind}): "
                       f"{body}{mark}")
        return "\n".join(out) + "\n"

    def transcript_bytes(self) -> bytes:
        return self.transcript().encode("utf-8")

    def transcript_md5(self) -> str:
        return hashlib.md5(self.transcript_bytes(), usedforsecurity=False).hexdigest()


# ---- gathering ---------------------------------------------------------------------------------------------
def gather(s: Session, case_id: int, *, media: MediaLibrary | None = None) -> CaseEvidence:
    c = s.get(CaseRow, case_id)
    if c is None:
        raise EvidenceError(f"no case {case_id}")
    library = media or MediaLibrary()
    events, earlier = _events(s, c)
    decisions = {d.event_id: d.body for d in s.scalars(
        select(DecisionRow).where(DecisionRow.event_id.in_([e.id for e in events])))} if events else {}
    lines = [_line(e, decisions.get(e.id)) for e in events]
    subject = subject_account(c, events)
    conv = s.get(ConversationRow, c.conversation_id) if c.conversation_id else None

    participants: list[str] = []
    for who in [*(conv.participants if conv else []), *(_dm_pair(c.conversation_id))]:
        if who not in participants:
            participants.append(who)
    for ln in lines:
        for who in (ln.sender, *ln.recipients):
            if who and who not in participants and len(participants) < 50:
                participants.append(who)
    # ages as they were when the case was opened (a birth year gives the lower of two possible ages)
    reported = _person(s, subject, c.created_at, with_ips=True) if subject else None
    victims = [p for p in (_person(s, a, c.created_at) for a in participants if a != subject) if p.is_minor]

    tactics: Counter[str] = Counter()
    for ln in lines:
        tactics.update(ln.tactics)
    categories = sorted({str((e.payload or {}).get("category")) for e in events if e.kind == "report"})
    media_files = _media(s, events, subject, {v.account_id for v in victims}, library)
    viewers = sorted({r.actor for r in s.scalars(select(AuditEntryRow).where(
        AuditEntryRow.subject == f"case:{c.id}", AuditEntryRow.action == "case.view"))})
    acts = [{"at": a.at, "by": a.username, "action": a.action, "account": (a.params or {}).get("account")}
            for a in s.scalars(select(CaseActivityRow).where(CaseActivityRow.case_id == c.id)
                               .order_by(CaseActivityRow.at)) if a.action in ENFORCEMENT_ACTIVITY]
    prior = [r for r in s.scalars(select(HotlineReportRow.report_id).where(
        HotlineReportRow.case_id == c.id, HotlineReportRow.status == "submitted",
        HotlineReportRow.report_id.is_not(None)).order_by(HotlineReportRow.id)) if r]
    return CaseEvidence(
        case_id=c.id, status=c.status, priority=c.priority, reason=c.reason, subject_key=c.subject_key,
        conversation_id=c.conversation_id, channel=conv.channel if conv else None, created_at=c.created_at,
        reported=reported, victims=victims, lines=lines, earlier_lines=earlier, media=media_files,
        tactics=dict(tactics.most_common()), report_categories=categories, case_viewed_by=viewers,
        actions_taken=acts, prior_report_ids=prior,
    )


def _dm_pair(conversation_id: str | None) -> list[str]:
    if conversation_id and conversation_id.startswith("dm:"):
        return conversation_id.split(":")[1:3]
    return []


def _events(s: Session, c: CaseRow) -> tuple[list[EventRow], int]:
    case_events = list(c.event_ids or [])
    events: list[EventRow] = []
    earlier = 0
    if c.conversation_id:
        q = (select(EventRow).where(EventRow.conversation_id == c.conversation_id)
             .order_by(EventRow.occurred_at.desc()).limit(MAX_LINES + 1))
        events = list(reversed(s.scalars(q).all()))
        if len(events) > MAX_LINES:
            earlier = 1  # at least one; the exact count is not worth a full scan
            events = events[1:]
    shown = {e.id for e in events}
    extra = [i for i in case_events if i not in shown][:500]
    if extra:
        events.extend(s.scalars(select(EventRow).where(EventRow.id.in_(extra))))
    events.sort(key=lambda e: (e.occurred_at, e.id))
    return events, earlier


def _line(e: EventRow, decision: dict[str, Any] | None) -> Line:
    p = e.payload or {}
    recipients: list[str] = [str(r) for r in p.get("recipient_ids", [])]
    if e.kind == "message":
        text = str(p.get("text", ""))
    elif e.kind == "gift":
        recipients = [str(p.get("recipient_id"))]
        text = f"[gift {p.get('amount')} {p.get('currency', '')}] {p.get('note') or ''}".strip()
    elif e.kind == "report":
        recipients = [str(p["subject_account_id"])] if p.get("subject_account_id") else []
        text = f"[user report: {p.get('category')}] {p.get('text') or ''}".strip()
    elif e.kind == "media":
        text = f"[{p.get('media_type', 'media')} {p.get('media_id')} ({p.get('purpose', 'post')})]"
    elif e.kind == "moderation":
        text = f"[{p.get('actor_role')} {p.get('action')} {p.get('target_id')}] {p.get('reason') or ''}".strip()
    elif e.kind == "contact":
        text = f"[{p.get('action')} {p.get('target_id')}]"
    else:
        text = f"[{e.kind}]"
    verdict = str((decision or {}).get("verdict", "allow"))
    tactics = tuple(sorted({str(sig["name"]) for sig in (decision or {}).get("signals", [])
                            if sig.get("name") in TACTICS}))
    return Line(e.id, e.occurred_at, e.kind, e.actor_id, tuple(recipients), text, verdict, tactics)


def _person(s: Session, account_id: str, now: datetime, *, with_ips: bool = False) -> Person:
    acc = s.get(AccountRow, account_id)
    if acc is None:
        return Person(account_id)
    age = age_of(birth_year=acc.birth_year, age_band=acc.age_band, at=now)
    p = Person(account_id, True, age.years if acc.birth_year else None, acc.age_band, age.is_minor, acc.suspended,
               (acc.profile or {}).get("display_name"), acc.birth_year)
    if with_ips:
        p.ip_events = ip_events(s, account_id)
    return p


_IP_EVENT_NAMES = {"account": "Registration", "media": "Upload"}


def ip_events(s: Session, account_id: str) -> list[IpEvent]:
    """IP capture events of an account: the newest events it sent with a ``client_ip``, one per address and
    kind of event. Platforms that do not send addresses get an empty list (and reports say nothing)."""
    seen: set[tuple[str, str]] = set()
    out: list[IpEvent] = []
    rows = s.scalars(select(EventRow).where(EventRow.actor_id == account_id)
                     .order_by(EventRow.occurred_at.desc()).limit(2_000))
    for e in rows:
        ip = (e.payload or {}).get("client_ip")
        if not ip:
            continue
        name = _IP_EVENT_NAMES.get(e.kind, "Other")
        if (ip, name) in seen:
            continue
        seen.add((ip, name))
        out.append(IpEvent(str(ip), e.occurred_at, name))
        if len(out) >= MAX_IP_EVENTS:
            break
    return out


def _media(s: Session, events: list[EventRow], subject: str | None, victims: set[str],
           library: MediaLibrary) -> list[MediaFile]:
    rows = [e for e in events if e.kind == "media"]
    if subject and victims:  # what the reported account sent to the children in the case
        seen = {e.id for e in rows}
        for e in s.scalars(select(EventRow).where(EventRow.actor_id == subject, EventRow.kind == "media")
                           .order_by(EventRow.occurred_at.desc()).limit(500)):
            if e.id not in seen and victims & set((e.payload or {}).get("recipient_ids", [])):
                rows.append(e)
    out: list[MediaFile] = []
    for e in sorted(rows, key=lambda r: r.occurred_at)[:MAX_MEDIA]:
        p = e.payload or {}
        mid = str(p.get("media_id"))
        reveals = s.scalars(select(AuditEntryRow.actor).where(AuditEntryRow.subject == f"media:{mid}",
                                                              AuditEntryRow.action == "media.reveal")).all()
        found = library.find(mid)
        md5, sha, pdq = p.get("md5"), p.get("sha256"), p.get("pdq")
        if found is not None and not (md5 and sha and pdq):
            md5, sha, pdq = _file_hashes(found[0], md5, sha, pdq)
        out.append(MediaFile(mid, e.id, e.occurred_at, e.actor_id, str(p.get("media_type", "image")),
                             md5, sha, pdq, found[0] if found else None, bool(reveals),
                             tuple(sorted(set(reveals)))))
    return out


def _file_hashes(path: Path, md5: str | None, sha: str | None, pdq: str | None) -> tuple[str, str, str | None]:
    """Hashes of a media file the event did not carry: MD5 and SHA-256 of the bytes, PDQ of the picture."""
    from waakhond.detectors.media.hashing import MediaError, hash_image

    data = path.read_bytes()
    md5 = md5 or hashlib.md5(data, usedforsecurity=False).hexdigest()
    sha = sha or hashlib.sha256(data).hexdigest()
    if pdq is None:
        try:
            pdq = hash_image(data).pdq
        except MediaError:
            pdq = None  # not a picture we can hash (a video): MD5 and SHA-256 still identify the file
    return md5, sha, pdq
