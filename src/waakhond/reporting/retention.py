"""Retention: keep what the law and the policy say, purge the rest on schedule, and audit every purge.

The policy gives a retention period per kind of data (``WAAKHOND_RETENTION``, e.g.
``messages=90,media_hashes=90,decisions=180,cases=365,reported_evidence=365``; ``never`` keeps a kind):

| kind | what is purged after the period |
|---|---|
| ``messages`` | message, gift and user-report events (their text) with their decisions |
| ``media_hashes`` | media events (the hashes of uploads) with their decisions |
| ``decisions`` | the detail of older decisions (signals, facts, explanation); verdict and actions stay |
| ``cases`` | closed cases with their activity and decided approvals |

Whatever the periods, the evidence of a case is **never** purged while

* the case has a hotline report that is not yet with the hotline (awaiting approval, queued, sending, failed),
* the case was reported less than ``reported_evidence`` days ago (one year by default: US law asks providers to
  preserve reported content for a year), or
* the case is under a legal hold (``waakhond retention hold CASE``).

A case's evidence is its events, every event of its conversation, and every event of the account it is about.
A purge runs in one transaction with its audit entry (``retention.purge`` with the counts), or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from waakhond import audit
from waakhond.reporting.config import ConfigError
from waakhond.reporting.hotline import OPEN_STATUSES
from waakhond.store.database import Database
from waakhond.store.schema import (
    ApprovalRow,
    CaseActivityRow,
    CaseRow,
    DecisionRow,
    EventRow,
    HotlineReportRow,
    LegalHoldRow,
    utcnow,
)

KINDS: dict[str, tuple[str, ...]] = {"messages": ("message", "gift", "report"), "media_hashes": ("media",)}
DEFAULTS: dict[str, int | None] = {"messages": 180, "media_hashes": 180, "decisions": 365, "cases": 365,
                                   "reported_evidence": 365}
BATCH = 1_000
#: At most this many rows of one kind per run; a scheduled run picks up the rest next time.
MAX_PER_RUN = 200_000
PURGED = "purged"


@dataclass(frozen=True)
class RetentionPolicy:
    days: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULTS))

    @classmethod
    def parse(cls, text: str) -> RetentionPolicy:
        days = dict(DEFAULTS)
        for part in (p.strip() for p in text.split(",") if p.strip()):
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip().lower()
            if not sep or key not in DEFAULTS:
                raise ConfigError(f"WAAKHOND_RETENTION: {part!r} is not KIND=DAYS with KIND one of "
                                  f"{', '.join(DEFAULTS)}")
            if value == "never" and key != "reported_evidence":
                days[key] = None
                continue
            if not value.isdigit() or int(value) < 1:
                raise ConfigError(f"WAAKHOND_RETENTION: {key} must be a whole number of days (≥ 1)"
                                  + ("" if key == "reported_evidence" else " or 'never'"))
            days[key] = int(value)
        return cls(days)

    @classmethod
    def from_env(cls) -> RetentionPolicy:
        return cls.parse(os.environ.get("WAAKHOND_RETENTION", ""))

    def as_dict(self) -> dict[str, Any]:
        return {k: v if v is not None else "never" for k, v in self.days.items()}


@dataclass
class PurgeReport:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    protected_cases: list[int] = field(default_factory=list)
    cutoffs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "counts": dict(self.counts), "protected_cases": list(self.protected_cases),
                "cutoffs": dict(self.cutoffs)}


# ---- legal holds -------------------------------------------------------------------------------------------
def place_hold(db: Database, case_id: int, reason: str, actor: str) -> dict[str, Any]:
    with audit.audited_transaction(db) as s:
        if s.get(CaseRow, case_id) is None:
            raise LookupError(f"no case {case_id}")
        hold = LegalHoldRow(case_id=case_id, reason=reason.strip()[:4000], placed_by=actor, placed_at=utcnow())
        s.add(hold)
        s.flush()
        audit.record(s, actor=actor, action="legal_hold.place", subject=f"case:{case_id}",
                     details={"hold": hold.id, "reason": hold.reason})
        return _hold(hold)


def release_hold(db: Database, hold_id: int, actor: str) -> dict[str, Any]:
    with audit.audited_transaction(db) as s:
        hold = s.get(LegalHoldRow, hold_id)
        if hold is None or hold.released_at is not None:
            raise LookupError(f"no legal hold #{hold_id} in force")
        hold.released_at, hold.released_by = utcnow(), actor
        audit.record(s, actor=actor, action="legal_hold.release", subject=f"case:{hold.case_id}",
                     details={"hold": hold.id})
        return _hold(hold)


def holds(s: Session) -> list[dict[str, Any]]:
    return [_hold(h) for h in s.scalars(select(LegalHoldRow).where(LegalHoldRow.released_at.is_(None))
                                        .order_by(LegalHoldRow.id))]


def _hold(h: LegalHoldRow) -> dict[str, Any]:
    return {"id": h.id, "case_id": h.case_id, "reason": h.reason, "placed_by": h.placed_by,
            "placed_at": h.placed_at.isoformat(), "released_at": h.released_at.isoformat() if h.released_at else None}


# ---- what must be kept -------------------------------------------------------------------------------------
@dataclass
class Protected:
    cases: set[int]
    events: set[str]
    conversations: set[str]
    accounts: set[str]

    def keeps(self, event_id: str, conversation_id: str | None, actor_id: str | None) -> bool:
        return (event_id in self.events or (conversation_id is not None and conversation_id in self.conversations)
                or (actor_id is not None and actor_id in self.accounts))


def protected(s: Session, now: datetime, policy: RetentionPolicy) -> Protected:
    reported_days = policy.days["reported_evidence"] or DEFAULTS["reported_evidence"]
    assert reported_days is not None
    ids: set[int] = set(s.scalars(select(LegalHoldRow.case_id).where(LegalHoldRow.released_at.is_(None))))
    ids |= set(s.scalars(select(HotlineReportRow.case_id).where(HotlineReportRow.status.in_(OPEN_STATUSES))))
    ids |= set(s.scalars(select(HotlineReportRow.case_id).where(
        HotlineReportRow.status == "submitted", HotlineReportRow.submitted_at >= now - timedelta(days=reported_days))))
    ids |= {int(c) for c in s.scalars(select(ApprovalRow.case_id).where(
        ApprovalRow.kind == "hotline_report", ApprovalRow.status == "pending")) if c is not None}
    out = Protected(ids, set(), set(), set())
    for c in s.scalars(select(CaseRow).where(CaseRow.id.in_(list(ids)))) if ids else ():
        out.events.update(c.event_ids or [])
        if c.conversation_id:
            out.conversations.add(c.conversation_id)
        if c.account_id:
            out.accounts.add(c.account_id)
    return out


# ---- the purge ---------------------------------------------------------------------------------------------
def purge(db: Database, policy: RetentionPolicy | None = None, *, dry_run: bool = False, now: datetime | None = None,
          actor: str = "waakhond") -> PurgeReport:
    """Purge what the policy says may go (or, with ``dry_run``, count it). Returns the counts per kind."""
    policy = policy or RetentionPolicy.from_env()
    now = now or utcnow()
    report = PurgeReport(dry_run)
    with audit.audited_transaction(db) as s:
        keep = protected(s, now, policy)
        report.protected_cases = sorted(keep.cases)
        gone: set[str] = set()  # events purged (or, in a dry run, that would be) with their decisions
        for kind, event_kinds in KINDS.items():
            days = policy.days[kind]
            if days is None:
                continue
            cutoff = now - timedelta(days=days)
            report.cutoffs[kind] = cutoff.isoformat()
            report.counts[kind] = _purge_events(s, event_kinds, cutoff, keep, dry_run, gone)
        if policy.days["decisions"] is not None:
            cutoff = now - timedelta(days=policy.days["decisions"])
            report.cutoffs["decisions"] = cutoff.isoformat()
            report.counts["decisions"] = _strip_decisions(s, cutoff, keep, dry_run, gone)
        if policy.days["cases"] is not None:
            cutoff = now - timedelta(days=policy.days["cases"])
            report.cutoffs["cases"] = cutoff.isoformat()
            report.counts["cases"] = _purge_cases(s, cutoff, keep, dry_run)
        if not dry_run:
            audit.record(s, actor=actor, action="retention.purge", subject="retention",
                         details={"counts": report.counts, "cutoffs": report.cutoffs,
                                  "protected_cases": len(keep.cases), "policy": policy.as_dict()})
    return report


def _batches(s: Session, q: Any, key: Any) -> Iterator[list[Any]]:
    """Keyset-paginate ``q`` (ordered by the columns in ``key``) in batches of :data:`BATCH` rows."""
    after: tuple[Any, ...] | None = None
    seen = 0
    while seen < MAX_PER_RUN:
        page = q if after is None else q.where(tuple_(*key) > tuple_(*after))
        rows = list(s.execute(page.order_by(*key).limit(BATCH)).all())
        if not rows:
            return
        seen += len(rows)
        yield rows
        after = tuple(rows[-1][: len(key)])


def _purge_events(s: Session, kinds: tuple[str, ...], cutoff: datetime, keep: Protected, dry_run: bool,
                  gone: set[str]) -> int:
    q = select(EventRow.occurred_at, EventRow.id, EventRow.conversation_id, EventRow.actor_id).where(
        EventRow.kind.in_(kinds), EventRow.occurred_at < cutoff)
    n = 0
    for rows in _batches(s, q, (EventRow.occurred_at, EventRow.id)):
        ids = [r.id for r in rows if not keep.keeps(r.id, r.conversation_id, r.actor_id)]
        n += len(ids)
        gone.update(ids)
        if ids and not dry_run:
            s.execute(delete(DecisionRow).where(DecisionRow.event_id.in_(ids)))
            s.execute(delete(EventRow).where(EventRow.id.in_(ids)))
    return n


def _strip_decisions(s: Session, cutoff: datetime, keep: Protected, dry_run: bool, gone: set[str]) -> int:
    q = select(DecisionRow.created_at, DecisionRow.event_id, DecisionRow.conversation_id, DecisionRow.actor_id).where(
        DecisionRow.created_at < cutoff, DecisionRow.policy_version != PURGED)
    n = 0
    for rows in _batches(s, q, (DecisionRow.created_at, DecisionRow.event_id)):
        ids = [r.event_id for r in rows
               if r.event_id not in gone and not keep.keeps(r.event_id, r.conversation_id, r.actor_id)]
        n += len(ids)
        if ids and not dry_run:
            for d in s.scalars(select(DecisionRow).where(DecisionRow.event_id.in_(ids))):
                d.body = tombstone(d.body)
                d.policy_version = PURGED
            s.flush()
    return n


def tombstone(body: dict[str, Any]) -> dict[str, Any]:
    """What is left of a purged decision: enough to answer a replay of its event, nothing about the content."""
    return {"event_id": body.get("event_id"), "kind": body.get("kind"), "verdict": body.get("verdict", "allow"),
            "actions": [{k: v for k, v in a.items() if k != "params"} for a in body.get("actions", [])],
            "signals": [], "rules": [{"rule": r.get("rule"), "shadow": r.get("shadow", False),
                                      "actions": r.get("actions", []), "reason": ""} for r in body.get("rules", [])],
            "explanation": "details purged under the retention policy", "facts": {},
            "conversation_id": body.get("conversation_id"), "policy_version": body.get("policy_version", "")}


def _purge_cases(s: Session, cutoff: datetime, keep: Protected, dry_run: bool) -> int:
    q = select(CaseRow.updated_at, CaseRow.id).where(CaseRow.status == "closed", CaseRow.updated_at < cutoff)
    n = 0
    for rows in _batches(s, q, (CaseRow.updated_at, CaseRow.id)):
        ids = [r.id for r in rows if r.id not in keep.cases]
        n += len(ids)
        if ids and not dry_run:
            s.execute(delete(CaseActivityRow).where(CaseActivityRow.case_id.in_(ids)))
            s.execute(delete(ApprovalRow).where(ApprovalRow.case_id.in_(ids), ApprovalRow.status != "pending"))
            s.execute(delete(CaseRow).where(CaseRow.id.in_(ids), ~CaseRow.id.in_(
                select(ApprovalRow.case_id).where(ApprovalRow.case_id.in_(ids)))))
    return n
