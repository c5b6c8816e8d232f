"""What a reviewer can do to a case, and the four-eyes rule.

Every function here changes the store and writes its audit entry in the same transaction. Three kinds of
action are not carried out at once but become a pending :class:`~waakhond.store.schema.ApprovalRow` that a
*second* person (a child-safety lead or admin, never the requester) must approve:

* ``hotline_report`` — submitting a report to a hotline (NCMEC, an INHOPE member);
* ``suspend`` of a protected account — a trusted flagger, or an account that reported abuse in the last
  30 days (suspending reporters is how abusive moderators silence them);
* ``policy_change`` — replacing the policy rules.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from waakhond import audit
from waakhond.console.auth import User
from waakhond.console.views import recent_abuse_reports_by
from waakhond.store.database import Database
from waakhond.store.schema import AccountRow, ApprovalRow, CaseActivityRow, CaseRow, utcnow

ACTIONS: dict[str, str] = {
    "dismiss": "Dismiss (no violation)",
    "warn": "Warn the account",
    "restrict_contact": "Restrict contact",
    "suspend": "Suspend the account",
    "hotline_report": "Prepare hotline report",
    "note": "Add a note",
}
APPROVAL_KINDS: dict[str, str] = {
    "hotline_report": "submit a hotline report",
    "suspend": "suspend a protected account",
    "policy_change": "change the policy rules",
}


class ActionError(ValueError):
    """The action cannot be done; the message says why and can be shown as it is."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _case(s: Session, case_id: int) -> CaseRow:
    c = s.get(CaseRow, case_id)
    if c is None:
        raise ActionError(f"no case {case_id}", 404)
    return c


def _account(s: Session, account_id: str | None) -> AccountRow:
    acc = s.get(AccountRow, account_id) if account_id else None
    if acc is None:
        raise ActionError(f"no account {account_id!r} in the store", 404)
    return acc


def _activity(s: Session, c: CaseRow, user: User, action: str, text: str = "", **params: Any) -> None:
    s.add(CaseActivityRow(case_id=c.id, at=utcnow(), username=user.username, action=action, text=text,
                          params=params))


def _close(c: CaseRow, resolution: str) -> None:
    # the resolution itself is in the case activity and the audit log
    c.status = "closed"
    c.updated_at = utcnow()


def protected_reason(s: Session, acc: AccountRow) -> str | None:
    """Why suspending ``acc`` needs four eyes, or ``None``."""
    if acc.trusted_flagger:
        return "the account is a trusted flagger"
    n = recent_abuse_reports_by(s, acc.id, utcnow())
    if n:
        return f"the account reported abuse {n} time(s) in the last 30 days"
    return None


def act(db: Database, user: User, case_id: int, action: str, *, account_id: str | None = None,
        note: str = "", hours: int = 24, close: bool = True, report: dict[str, str] | None = None) -> str:
    """Carry out ``action`` on a case (or open its four-eyes request); returns a message for the reviewer.

    ``report``: for ``hotline_report``, the reviewer's choices (``incident_type``, ``classification``)."""
    if action not in ACTIONS:
        raise ActionError(f"unknown action {action!r}")
    note = note.strip()[:4000]
    need = "case.note" if action == "note" else "report.prepare" if action == "hotline_report" else "case.act"
    if not user.may(need):
        raise ActionError(f"your role ({user.role}) may not do this", 403)
    with audit.audited_transaction(db) as s:
        c = _case(s, case_id)
        subject = f"case:{c.id}"
        if action == "note":
            if not note:
                raise ActionError("the note is empty")
            _activity(s, c, user, "note", note)
            audit.record(s, actor=user.username, action="case.note", subject=subject, details={"length": len(note)})
            return "note added"
        if c.status != "open" and action != "hotline_report":
            raise ActionError(f"case {c.id} is {c.status}; reopen it first", 409)
        if action == "dismiss":
            _activity(s, c, user, "dismiss", note)
            _close(c, "dismissed")
            audit.record(s, actor=user.username, action="case.dismiss", subject=subject, details={"note": note})
            return f"case {c.id} dismissed"
        if action == "hotline_report":
            pending = s.scalars(select(ApprovalRow).where(ApprovalRow.case_id == c.id,
                                                          ApprovalRow.kind == "hotline_report",
                                                          ApprovalRow.status == "pending")).first()
            if pending is not None:
                raise ActionError(f"a hotline report for case {c.id} already waits for approval (#{pending.id})", 409)
            from waakhond.reporting.hotline import report_choices

            choices = report_choices(s, c.id, report or {})
            acc_id = account_id or c.account_id
            appr = ApprovalRow(kind="hotline_report", status="pending", case_id=c.id, account_id=acc_id,
                               params={"hotline": "NCMEC CyberTipline", **choices}, reason=note,
                               requested_by=user.username, requested_at=utcnow(), outcome="")
            s.add(appr)
            s.flush()
            _activity(s, c, user, "hotline_report.prepared", note, approval=appr.id)
            audit.record(s, actor=user.username, action="approval.request", subject=subject,
                         details={"approval": appr.id, "kind": "hotline_report", "account": acc_id})
            return f"hotline report prepared; it is submitted after a second person approves it (request #{appr.id})"

        acc = _account(s, account_id or c.account_id)
        if action == "suspend":
            why = protected_reason(s, acc)
            if why is not None:
                appr = ApprovalRow(kind="suspend", status="pending", case_id=c.id, account_id=acc.id,
                                   params={"protected": why, "close": close}, reason=note,
                                   requested_by=user.username, requested_at=utcnow(), outcome="")
                s.add(appr)
                s.flush()
                _activity(s, c, user, "suspend.requested", note, account=acc.id, approval=appr.id, why=why)
                audit.record(s, actor=user.username, action="approval.request", subject=subject,
                             details={"approval": appr.id, "kind": "suspend", "account": acc.id, "why": why})
                return f"suspending {acc.id} needs a second person's approval: {why} (request #{appr.id})"
            _suspend(s, acc)
        elif action == "warn":
            profile = dict(acc.profile or {})
            profile["warnings"] = [*profile.get("warnings", []),
                                   {"at": utcnow().isoformat(), "by": user.username, "case": c.id}]
            acc.profile = profile
        elif action == "restrict_contact":
            hours = max(1, min(int(hours), 24 * 365))
            until = utcnow() + timedelta(hours=hours)
            acc.profile = {**(acc.profile or {}), "restricted_until": until.isoformat()}
        _activity(s, c, user, action, note, account=acc.id, **({"hours": hours} if action == "restrict_contact"
                                                                 else {}))
        if close:
            _close(c, action)
        audit.record(s, actor=user.username, action=f"case.{action}", subject=subject,
                     details={"account": acc.id, "note": note, "closed": close,
                              **({"hours": hours} if action == "restrict_contact" else {})})
        return f"{ACTIONS[action].lower()}: done for {acc.id}" + (f"; case {c.id} closed" if close else "")


def _suspend(s: Session, acc: AccountRow) -> None:
    acc.suspended = True
    acc.updated_at = utcnow()


def reopen(db: Database, user: User, case_id: int) -> str:
    if not user.may("case.act"):
        raise ActionError(f"your role ({user.role}) may not do this", 403)
    with audit.audited_transaction(db) as s:
        c = _case(s, case_id)
        if c.status == "open":
            return f"case {c.id} is open"
        c.status, c.updated_at = "open", utcnow()
        _activity(s, c, user, "reopen")
        audit.record(s, actor=user.username, action="case.reopen", subject=f"case:{c.id}")
        return f"case {c.id} reopened"


def reveal_media(db: Database, user: User, case_id: int, media_id: str) -> None:
    """Record that ``user`` un-blurred ``media_id`` while reviewing a case (before the bytes are served)."""
    if not user.may("media.reveal"):
        raise ActionError(f"your role ({user.role}) may not reveal media", 403)
    with audit.audited_transaction(db) as s:
        c = _case(s, case_id)
        _activity(s, c, user, "media.reveal", "", media=media_id)
        audit.record(s, actor=user.username, action="media.reveal", subject=f"media:{media_id}",
                     details={"case": c.id})


def revealed_recently(s: Session, user: User, media_id: str, within: timedelta = timedelta(minutes=15)) -> bool:
    """Media bytes are served only after an audited reveal by the same person, for a short while."""
    rows = audit.recent(s, subject=f"media:{media_id}", limit=20)
    since = utcnow() - within
    return any(r.actor == user.username and r.action == "media.reveal" and r.at >= since for r in rows)


def request_policy_change(db: Database, user: User, rules_text: str, base_version: str, reason: str) -> int:
    from waakhond.policy import Policy, PolicyError

    if not user.may("policy.propose"):
        raise ActionError(f"your role ({user.role}) may not propose policy changes", 403)
    try:
        proposed = Policy.from_text(rules_text, source="<proposed rules>")
    except PolicyError as exc:
        raise ActionError(f"the proposed rules are not valid:\n{exc}") from None
    with audit.audited_transaction(db) as s:
        appr = ApprovalRow(kind="policy_change", status="pending", case_id=None, account_id=None,
                           params={"text": rules_text, "base_version": base_version,
                                   "version": proposed.version, "rules": len(proposed.rules)},
                           reason=reason.strip()[:4000], requested_by=user.username, requested_at=utcnow(),
                           outcome="")
        s.add(appr)
        s.flush()
        audit.record(s, actor=user.username, action="approval.request", subject="policy",
                     details={"approval": appr.id, "kind": "policy_change", "version": proposed.version,
                              "base_version": base_version})
        return appr.id


def decide(db: Database, engine: Any, user: User, approval_id: int, approve: bool, comment: str = "") -> str:
    """Approve or reject a four-eyes request. The requester can never decide their own request."""
    if not user.may("approval.decide"):
        raise ActionError(f"your role ({user.role}) may not approve or reject requests", 403)
    with audit.audited_transaction(db) as s:
        appr = s.get(ApprovalRow, approval_id)
        if appr is None:
            raise ActionError(f"no request #{approval_id}", 404)
        if appr.status != "pending":
            raise ActionError(f"request #{appr.id} was already {appr.status} by {appr.decided_by}", 409)
        if appr.requested_by == user.username:
            audit.record(s, actor=user.username, action="approval.self_refused", subject=f"approval:{appr.id}")
            s.commit()
            raise ActionError("four eyes: a second person must decide a request you made yourself", 403)
        appr.decided_by, appr.decided_at = user.username, utcnow()
        c = s.get(CaseRow, appr.case_id) if appr.case_id else None
        if not approve:
            appr.status, appr.outcome = "rejected", comment.strip()[:4000] or "rejected"
            if c is not None:
                _activity(s, c, user, f"{appr.kind}.rejected", comment, approval=appr.id)
            audit.record(s, actor=user.username, action="approval.reject",
                         subject=f"case:{c.id}" if c else "policy", details={"approval": appr.id, "kind": appr.kind})
            return f"request #{appr.id} rejected"
        appr.status = "approved"
        if appr.kind == "suspend":
            acc = _account(s, appr.account_id)
            _suspend(s, acc)
            appr.outcome = f"{acc.id} suspended"
            if c is not None and appr.params.get("close", True):
                _close(c, "suspend")
        elif appr.kind == "hotline_report":
            from waakhond.reporting.hotline import enqueue

            queued = enqueue(s, appr, user.username)  # the reporting worker sends it (waakhond serve)
            appr.outcome = f"approved; queued for the CyberTipline ({queued.environment}) as hotline report " \
                           f"#{queued.id}"
        elif appr.kind == "policy_change":
            appr.outcome = _apply_policy(engine, appr.params["text"])
        if c is not None:
            _activity(s, c, user, f"{appr.kind}.approved", comment, approval=appr.id, outcome=appr.outcome)
        audit.record(s, actor=user.username, action="approval.approve",
                     subject=f"case:{c.id}" if c else "policy",
                     details={"approval": appr.id, "kind": appr.kind, "requested_by": appr.requested_by,
                              "outcome": appr.outcome})
        if appr.kind == "policy_change":
            audit.record(s, actor=user.username, action="policy.change", subject="policy",
                         details={"approval": appr.id, "version": appr.params.get("version"),
                                  "requested_by": appr.requested_by})
        return f"request #{appr.id} approved: {appr.outcome}"


def _apply_policy(engine: Any, text: str) -> str:
    """Write the approved rules to the engine's rules file and reload; on any problem nothing changes."""
    from waakhond.policy import PolicyError

    path: Path | None = getattr(engine.policy, "path", None)
    if path is None:
        raise ActionError("the engine runs the shipped default rules; start it with --rules FILE so that "
                          "approved changes can be written to that file", 409)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rules-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    try:
        policy = engine.policy.reload()
    except PolicyError as exc:
        if old is not None:
            path.write_text(old, encoding="utf-8")
        raise ActionError(f"the rules were not applied: {exc}", 422) from None
    return f"policy {policy.version} is active"
