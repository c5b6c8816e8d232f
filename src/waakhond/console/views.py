"""What the console pages show, read from the store: the queue, a case in context, an account's history.

Pure reads; every query here is indexed (queue: ``ix_cases_queue``; conversation: ``ix_events_conversation``;
decisions by primary key; risk: ``ix_risk_history_account``; contacts: the relations primary key), so a page
costs the same with 10,000 cases and a million messages as with ten (see ``bench/console_pages.py``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from waakhond.detectors.text.labels import TACTICS
from waakhond.memory.ages import age_of
from waakhond.store.schema import (
    AccountRow,
    ApprovalRow,
    CaseActivityRow,
    CaseRow,
    ConversationRow,
    DecisionRow,
    EventRow,
    RelationRow,
    RiskPointRow,
    utcnow,
)

PAGE_SIZE = 50
#: Messages shown around a case; older ones are counted and summarised.
MAX_MESSAGES = 400
#: Report categories that count as reporting abuse (for the four-eyes check on suspending a reporter).
ABUSE_CATEGORIES = frozenset({"grooming", "sextortion", "sexual_comment_on_minor", "csam"})
RECENT_REPORTER = timedelta(days=30)
#: Tactics whose lines are covered by default (wellness): shown on click.
COVERED_TACTICS = frozenset({"sexual_content", "sextortion"})


# ---- the queue ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cursor:
    """Keyset position in the queue: the last row shown (rank, created_at, id)."""

    rank: int
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.rank}|{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        if not value:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            rank, created, cid = raw.split("|")
            return cls(int(rank), datetime.fromisoformat(created), int(cid))
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass
class QueuePage:
    cases: list[dict[str, Any]]
    next_cursor: str | None
    total_open: int
    status: str


def queue_page(s: Session, *, status: str = "open", after: Cursor | None = None,
               limit: int = PAGE_SIZE) -> QueuePage:
    """Open cases most urgent first (priority rank), then oldest first; keyset-paginated.

    Closed cases are listed most recently updated first.
    """
    q = select(CaseRow).where(CaseRow.status == status)
    if status == "open":
        q = q.order_by(CaseRow.priority_rank, CaseRow.created_at, CaseRow.id)
        if after is not None:
            q = q.where(tuple_(CaseRow.priority_rank, CaseRow.created_at, CaseRow.id)
                        > tuple_(after.rank, after.created_at, after.id))
    else:
        q = q.order_by(CaseRow.updated_at.desc(), CaseRow.id.desc())
        if after is not None:
            q = q.where(tuple_(CaseRow.updated_at, CaseRow.id) < tuple_(after.created_at, after.id))
    rows = list(s.scalars(q.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r.id for r in rows]
    pending: dict[int, int] = {}
    if ids:
        for cid, n in s.execute(select(ApprovalRow.case_id, func.count()).where(
                ApprovalRow.case_id.in_(ids), ApprovalRow.status == "pending").group_by(ApprovalRow.case_id)):
            if cid is not None:
                pending[int(cid)] = int(n)
    total = s.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.status == "open")) or 0
    now = utcnow()
    reporters = _reporters(s, rows)
    cases = [{**case_summary(r, now), "pending_approvals": pending.get(r.id, 0), "about": r.account_id,
              "reporter": reporters.get(r.id)} for r in rows]
    nxt = None
    if more and rows:
        last = rows[-1]
        key = last.created_at if status == "open" else last.updated_at
        nxt = Cursor(last.priority_rank, key, last.id).encode()
    return QueuePage(cases, nxt, int(total), status)


def _reporters(s: Session, rows: list[CaseRow]) -> dict[int, str]:
    """For cases opened by a user report, who reported (``anonymous`` when the reporter is not named)."""
    first = {r.id: r.event_ids[0] for r in rows if r.conversation_id is None and r.event_ids}
    if not first:
        return {}
    reports = {e.id: (e.payload or {}).get("reporter_id") or "anonymous" for e in s.scalars(
        select(EventRow).where(EventRow.id.in_(list(first.values())), EventRow.kind == "report")).all()}
    return {cid: str(reports[eid]) for cid, eid in first.items() if eid in reports}


def case_summary(c: CaseRow, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "id": c.id, "status": c.status, "priority": c.priority, "priority_rank": c.priority_rank,
        "subject": c.subject_key, "account_id": c.account_id, "conversation_id": c.conversation_id,
        "reason": c.reason, "events": len(c.event_ids or []), "created_at": c.created_at,
        "updated_at": c.updated_at, "age": ago(c.created_at, now),
    }


def ago(at: datetime, now: datetime) -> str:
    secs = max(0, int((now - at).total_seconds()))
    if secs < 90:
        return f"{secs}s"
    if secs < 5400:
        return f"{secs // 60}m"
    if secs < 2 * 86400:
        return f"{secs // 3600}h"
    return f"{secs // 86400}d"


# ---- a case in context -------------------------------------------------------------------------------------
@dataclass
class Line:
    """One event in the conversation view, with its risky spans marked."""

    event_id: str
    kind: str
    at: datetime
    sender: str | None
    segments: list[tuple[str, str | None]]  # (text, tactic or None)
    tactics: list[dict[str, Any]] = field(default_factory=list)  # name, score, explanation
    findings: list[dict[str, Any]] = field(default_factory=list)  # other detectors' signals on this event
    verdict: str = "allow"
    explanation: str = ""
    in_case: bool = False
    covered: bool = False
    media_id: str | None = None
    extra: str = ""

    @property
    def risky(self) -> bool:
        return bool(self.tactics or self.findings)


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """Cut ``text`` into plain and highlighted pieces. Overlapping spans are merged; the first tactic names
    the merged piece.

    >>> segments("how old are you?", [(0, 7, "age_probe")])
    [('how old', 'age_probe'), (' are you?', None)]
    """
    spans = sorted((max(0, a), min(len(text), b), t) for a, b, t in spans if b > a)
    merged: list[list[Any]] = []
    for a, b, t in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b, t])
    out: list[tuple[str, str | None]] = []
    pos = 0
    for a, b, t in merged:
        if a > pos:
            out.append((text[pos:a], None))
        out.append((text[a:b], t))
        pos = b
    if pos < len(text):
        out.append((text[pos:], None))
    return out or [(text, None)]


def _line(ev: EventRow, decision: dict[str, Any] | None, in_case: bool) -> Line:
    p = ev.payload or {}
    kind = ev.kind
    text = ""
    extra = ""
    media_id = None
    if kind == "message":
        text = str(p.get("text", ""))
    elif kind == "gift":
        text = str(p.get("note") or "")
        extra = f"gift: {p.get('amount')} {p.get('currency', '')} to {p.get('recipient_id')}"
    elif kind == "report":
        text = str(p.get("text") or "")
        who = p.get("reporter_id") or "anonymous"
        extra = f"report by {who}: {p.get('category')} about {p.get('subject_account_id') or p.get('subject_event_id')}"
    elif kind == "media":
        media_id = str(p.get("media_id"))
        extra = f"{p.get('media_type', 'media')} ({p.get('purpose', 'post')})"
    elif kind == "moderation":
        extra = f"{p.get('actor_role')} {p.get('action')} {p.get('target_id')}"
    elif kind == "contact":
        extra = f"{p.get('action')} → {p.get('target_id')}"
    spans: list[tuple[int, int, str]] = []
    tactics: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    verdict, explanation = "allow", ""
    if decision:
        verdict = decision.get("verdict", "allow")
        explanation = decision.get("explanation", "")
        for sig in decision.get("signals", []):
            if sig.get("name") in TACTICS:
                tactics.append({"name": sig["name"], "score": sig.get("score", 0),
                                "explanation": sig.get("explanation", "")})
                spans.extend((sp["start"], sp["end"], sig["name"]) for sp in sig.get("spans", []))
            elif sig.get("name") != "conversation_risk" and float(sig.get("score", 0)) >= 0.3:
                findings.append({"name": sig["name"], "score": sig.get("score", 0),
                                 "explanation": sig.get("explanation", "")})
    names = {t["name"] for t in tactics}
    return Line(
        event_id=ev.id, kind=kind, at=ev.occurred_at, sender=ev.actor_id, segments=segments(text, spans) if text
        else [], tactics=tactics, findings=findings, verdict=verdict, explanation=explanation, in_case=in_case,
        covered=bool(names & COVERED_TACTICS), media_id=media_id, extra=extra,
    )


@dataclass
class CaseContext:
    case: dict[str, Any]
    lines: list[Line]
    earlier_messages: int
    conversation: dict[str, Any] | None
    subject_account: str | None
    accounts: list[dict[str, Any]]
    media: list[dict[str, Any]]
    activity: list[CaseActivityRow]
    approvals: list[ApprovalRow]
    evidence: list[dict[str, Any]]


def case_context(s: Session, case_id: int) -> CaseContext | None:
    c = s.get(CaseRow, case_id)
    if c is None:
        return None
    now = utcnow()
    case_events = set(c.event_ids or [])
    events: list[EventRow]
    earlier = 0
    conv = s.get(ConversationRow, c.conversation_id) if c.conversation_id else None
    if c.conversation_id:
        q = (select(EventRow).where(EventRow.conversation_id == c.conversation_id)
             .order_by(EventRow.occurred_at.desc()).limit(MAX_MESSAGES))
        events = list(reversed(s.scalars(q).all()))
        if len(events) == MAX_MESSAGES:
            earlier = (conv.message_count if conv else MAX_MESSAGES) - MAX_MESSAGES
    else:
        events = list(s.scalars(select(EventRow).where(EventRow.id.in_(list(case_events)[:MAX_MESSAGES]))
                                .order_by(EventRow.occurred_at)).all())
    # the case's own events that are not part of the conversation (a report, a media upload)
    shown = {e.id for e in events}
    extra_ids = [i for i in case_events if i not in shown][:50]
    if extra_ids:
        events.extend(s.scalars(select(EventRow).where(EventRow.id.in_(extra_ids))).all())
        events.sort(key=lambda e: e.occurred_at)
    decisions = {d.event_id: d.body for d in s.scalars(
        select(DecisionRow).where(DecisionRow.event_id.in_([e.id for e in events]))).all()} if events else {}
    lines = [_line(e, decisions.get(e.id), e.id in case_events) for e in events]

    subject = subject_account(c, events)
    participants: list[str] = []
    if subject:
        participants.append(subject)
    for p in (conv.participants if conv else []):
        if p not in participants:
            participants.append(p)
    for e in events:
        target = (e.payload or {}).get("target_id") if e.kind == "moderation" else None  # whom a moderator hit
        for who in (e.actor_id, target):
            if who and who not in participants and len(participants) < 12:
                participants.append(str(who))
    accounts = [a for a in (account_card(s, aid, now, full=(aid == subject)) for aid in participants[:12]) if a]

    media = [{"media_id": ln.media_id, "event_id": ln.event_id, "sender": ln.sender, "at": ln.at,
              "what": ln.extra} for ln in lines if ln.media_id]
    if subject:  # the subject's other recent uploads
        seen = {m["media_id"] for m in media}
        for e in s.scalars(select(EventRow).where(EventRow.actor_id == subject, EventRow.kind == "media")
                           .order_by(EventRow.occurred_at.desc()).limit(12)).all():
            mid = str((e.payload or {}).get("media_id"))
            if mid not in seen:
                seen.add(mid)
                media.append({"media_id": mid, "event_id": e.id, "sender": e.actor_id, "at": e.occurred_at,
                              "what": str((e.payload or {}).get("purpose", "post"))})
    activity = list(s.scalars(select(CaseActivityRow).where(CaseActivityRow.case_id == c.id)
                              .order_by(CaseActivityRow.at.desc(), CaseActivityRow.id.desc()).limit(200)).all())
    approvals = list(s.scalars(select(ApprovalRow).where(ApprovalRow.case_id == c.id)
                               .order_by(ApprovalRow.requested_at.desc())).all())
    conversation = None
    evidence: list[dict[str, Any]] = []
    if conv is not None:
        state = conv.state or {}
        evidence = list(state.get("evidence", []))
        conversation = {"id": conv.id, "channel": conv.channel, "risk": conv.risk, "alerted": conv.alerted,
                        "alert_event_id": conv.alert_event_id, "message_count": conv.message_count,
                        "tactics": dict(state.get("tactic_counts", {}))}
    return CaseContext(case_summary(c, now), lines, max(0, earlier), conversation, subject, accounts, media,
                       activity, approvals, evidence)


def subject_account(c: CaseRow, events: list[EventRow]) -> str | None:
    """Whom the case is about. A case opened by a report is about the reported account, not the reporter."""
    for e in events:
        if e.kind == "report" and e.id in (c.event_ids or []):
            subj = (e.payload or {}).get("subject_account_id")
            if subj:
                return str(subj)
    return c.account_id


# ---- an account's history ----------------------------------------------------------------------------------
def recent_abuse_reports_by(s: Session, account_id: str, now: datetime) -> int:
    """How many abuse reports ``account_id`` made in the last 30 days (a reporter is protected by four-eyes)."""
    rows = s.scalars(select(EventRow.payload).where(
        EventRow.actor_id == account_id, EventRow.kind == "report",
        EventRow.occurred_at >= now - RECENT_REPORTER)).all()
    return sum(1 for p in rows if (p or {}).get("category") in ABUSE_CATEGORIES)


def account_card(s: Session, account_id: str, now: datetime, *, full: bool) -> dict[str, Any] | None:
    acc = s.get(AccountRow, account_id)
    if acc is None:
        return {"id": account_id, "known": False, "full": False}
    age = age_of(birth_year=acc.birth_year, age_band=acc.age_band, at=now)
    profile = acc.profile or {}
    card: dict[str, Any] = {
        "id": acc.id, "known": True, "full": full, "age": age.years if acc.birth_year else None,
        "age_band": acc.age_band, "is_minor": age.is_minor, "is_adult": age.is_adult,
        "account_age_days": (now - acc.created_at).days if acc.created_at else None,
        "has_profile_photo": acc.has_profile_photo, "trusted_flagger": acc.trusted_flagger,
        "suspended": acc.suspended, "risk": acc.risk, "reports_received": acc.reports_received,
        "blocks_received": acc.blocks_received, "first_contacts": acc.first_contacts,
        "first_contacts_to_minors": acc.first_contacts_to_minors, "counts": profile.get("counts") or {},
        "restricted_until": profile.get("restricted_until"), "warnings": len(profile.get("warnings", [])),
    }
    if not full:
        return card
    card["recent_abuse_reports_made"] = recent_abuse_reports_by(s, acc.id, now)
    points = list(reversed(s.scalars(select(RiskPointRow).where(RiskPointRow.account_id == acc.id)
                                     .order_by(RiskPointRow.at.desc()).limit(200)).all()))
    card["risk_points"] = [(p.at, p.risk) for p in points]
    card["risk_svg"] = risk_chart(card["risk_points"])
    card["contacts"] = [
        {"target": r.target_id, "messages": r.messages, "follows": r.follows, "friends": r.friends,
         "first_at": r.first_at, "last_at": r.last_at}
        for r in s.scalars(select(RelationRow).where(RelationRow.source_id == acc.id)
                           .order_by(RelationRow.last_at.desc()).limit(15)).all()
    ]
    card["contacts_total"] = s.scalar(select(func.count()).select_from(RelationRow)
                                      .where(RelationRow.source_id == acc.id)) or 0
    reports = s.scalars(select(EventRow).where(
        EventRow.kind == "report", EventRow.payload["subject_account_id"].as_string() == acc.id)
        .order_by(EventRow.occurred_at.desc()).limit(10)).all()
    card["reports"] = [{"event_id": r.id, "at": r.occurred_at, "category": (r.payload or {}).get("category"),
                        "reporter": (r.payload or {}).get("reporter_id") or "anonymous",
                        "trusted": bool((r.payload or {}).get("trusted_flagger"))} for r in reports]
    card["linked"] = linked_accounts(s, acc)
    return card


def linked_accounts(s: Session, acc: AccountRow, limit: int = 10) -> list[dict[str, str]]:
    """Other accounts seen with the same device, e-mail hash or profile-photo hash (a banned person coming back).

    Read from ``account_identifiers`` (kept by account-behaviour memory; indexed on both sides of the join),
    or, on a store without it, from the account profiles.
    """
    try:
        from waakhond.store.schema import AccountIdentifierRow  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - a store without account-behaviour memory
        return _linked_by_profile(s, acc, limit)
    mine = AccountIdentifierRow.__table__.alias("mine")
    other = AccountIdentifierRow.__table__.alias("other")
    rows = s.execute(
        select(other.c.account_id, other.c.kind, AccountRow.suspended)
        .select_from(mine.join(other, (mine.c.kind == other.c.kind) & (mine.c.value == other.c.value)))
        .join(AccountRow, AccountRow.id == other.c.account_id)
        .where(mine.c.account_id == acc.id, other.c.account_id != acc.id)
        .limit(limit * 3)
    ).all()
    found: dict[str, dict[str, str]] = {}
    for rid, kind, suspended in rows:
        entry = found.setdefault(rid, {"id": rid, "why": "", "suspended": "suspended" if suspended else ""})
        label = str(kind).replace("_", " ")
        entry["why"] = f"{entry['why']}, {label}" if entry["why"] else label
    return list(found.values())[:limit]


def _linked_by_profile(s: Session, acc: AccountRow, limit: int) -> list[dict[str, str]]:
    profile = acc.profile or {}
    conds = [(key, AccountRow.profile[key].as_string() == str(profile[key]))
             for key in ("device_hash", "email_hash") if profile.get(key)]
    if not conds:
        return []
    rows = s.execute(select(AccountRow.id, AccountRow.profile, AccountRow.suspended)
                     .where(AccountRow.id != acc.id, or_(*[c for _, c in conds])).limit(limit)).all()
    return [{"id": rid, "why": ", ".join(k for k, _ in conds if (rprofile or {}).get(k) == profile.get(k)),
             "suspended": "suspended" if suspended else ""} for rid, rprofile, suspended in rows]


def risk_chart(points: list[tuple[datetime, float]], width: int = 280, height: int = 64) -> str:
    """A small inline SVG line chart of risk (0..1) over time. Empty string without points.

    >>> from datetime import UTC, datetime
    >>> risk_chart([(datetime(2026, 1, 1, tzinfo=UTC), 0.2), (datetime(2026, 1, 2, tzinfo=UTC), 0.9)])[:4]
    '<svg'
    """
    if not points:
        return ""
    pad = 4
    t0 = points[0][0].timestamp()
    t1 = points[-1][0].timestamp()
    span = max(t1 - t0, 1.0)

    def xy(at: datetime, risk: float) -> tuple[float, float]:
        x = pad + (at.timestamp() - t0) / span * (width - 2 * pad) if len(points) > 1 else width / 2
        y = pad + (1 - max(0.0, min(1.0, risk))) * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    coords = [xy(a, r) for a, r in points]
    if len(coords) == 1:
        coords = [(pad, coords[0][1]), (width - pad, coords[0][1])]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(coords))
    hi = pad + 0.3 * (height - 2 * pad)  # risk 0.7 line
    last = points[-1][1]
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="2"/>' for x, y in coords[-30:])
    return (
        f'<svg class="risk-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="risk over time, {len(points)} points, now {last:.2f}">'
        f'<line class="grid" x1="{pad}" x2="{width - pad}" y1="{hi:.1f}" y2="{hi:.1f}"/>'
        f'<path d="{path}"/><g class="dots">{dots}</g></svg>'
    )
