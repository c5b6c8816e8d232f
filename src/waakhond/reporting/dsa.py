"""Statements of reasons (DSA Art. 17) for every enforcement action, computed on read from what is stored.

Two sources, no extra writes in the hot path:

* **automated decisions** of the pipeline (``decisions`` table): a held or blocked message, a contact
  restriction, a suspension pending review. Detection and decision are automated.
* **reviewers' actions** in the console (``case_activity``): warn, restrict contact, suspend (also when a
  second person approved it). Detection is automated unless the case came from a user report; the decision is
  a person's.

Each statement carries the Art. 17(3) items: the restriction (visibility, service, account), the facts and
circumstances, the ground (the terms of service, and whether the content is also thought illegal), whether
detection and decision were automated, the redress options, and the date. :meth:`Statement.transparency_db`
gives the same in the field names and values of the EU DSA Transparency Database API, one JSON object per
statement (``GET /v1/statements-of-reasons/export`` writes them as JSON lines).

Statement ids are stable: ``sor-d-<event id>`` for a decision, ``sor-c-<activity id>`` for a console action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from waakhond.reporting.config import ReportingConfig
from waakhond.reporting.evidence import ENFORCEMENT_ACTIVITY
from waakhond.store.schema import ApprovalRow, CaseActivityRow, CaseRow, DecisionRow, EventRow, decisions_of

REDRESS: tuple[str, ...] = (
    "a complaint through the platform's internal complaint-handling system (DSA Art. 20), within six months",
    "an out-of-court dispute settlement body certified under DSA Art. 21",
    "a court, under the law of the member state concerned",
)
ILLEGAL_HINTS = frozenset({"sexual_content", "sextortion", "image_request", "meeting", "grooming", "csam",
                           "sexual_comment_on_minor"})
_AUTOMATED: dict[str, dict[str, Any]] = {
    "hold_message": {"visibility": "DECISION_VISIBILITY_CONTENT_DISABLED", "words": "message held for review"},
    "block_delivery": {"visibility": "DECISION_VISIBILITY_CONTENT_REMOVED", "words": "message not delivered"},
    "restrict_contact": {"provision": "DECISION_PROVISION_PARTIAL_SUSPENSION",
                         "words": "contacting other accounts restricted"},
    "suspend_pending_review": {"account": "DECISION_ACCOUNT_SUSPENDED", "words": "account suspended pending review"},
}
_CONSOLE: dict[str, dict[str, Any]] = {
    "warn": {"visibility_other": "warning issued to the account", "words": "account warned"},
    "restrict_contact": {"provision": "DECISION_PROVISION_PARTIAL_SUSPENSION",
                         "words": "contacting other accounts restricted"},
    "suspend": {"account": "DECISION_ACCOUNT_SUSPENDED", "words": "account suspended"},
    "suspend.approved": {"account": "DECISION_ACCOUNT_SUSPENDED", "words": "account suspended (four-eyes approved)"},
}
_CONTENT_TYPES = {"message": "CONTENT_TYPE_TEXT", "gift": "CONTENT_TYPE_TEXT", "report": "CONTENT_TYPE_TEXT",
                  "media": "CONTENT_TYPE_IMAGE"}


@dataclass
class Statement:
    id: str
    source: str  # automated | console
    decided_at: datetime
    account_id: str | None
    event_id: str | None
    case_id: int | None
    restrictions: list[str]
    visibility: list[str] = field(default_factory=list)
    visibility_other: str | None = None
    provision: str | None = None
    account: str | None = None
    facts: str = ""
    illegal_too: bool = False
    automated_detection: bool = True
    automated_decision: str = "AUTOMATED_DECISION_FULLY"
    source_type: str = "SOURCE_VOLUNTARY"
    content_type: str = "CONTENT_TYPE_TEXT"
    content_date: datetime | None = None
    end_date: str | None = None
    tags: list[str] = field(default_factory=list)

    def as_dict(self, config: ReportingConfig | None = None) -> dict[str, Any]:
        config = config or ReportingConfig.from_env()
        return {
            "id": self.id, "source": self.source, "date": self.decided_at.isoformat(),
            "account_id": self.account_id, "event_id": self.event_id, "case_id": self.case_id,
            "restriction": {"summary": "; ".join(self.restrictions), "visibility": self.visibility,
                            "visibility_other": self.visibility_other, "service": self.provision,
                            "account": self.account, "until": self.end_date},
            "facts_and_circumstances": self.facts,
            "ground": {"terms_of_service": config.tos_url or "the platform's terms of service",
                       "explanation": _tos_explanation(self), "also_considered_illegal": self.illegal_too},
            "automated_detection": self.automated_detection,
            "automated_decision": self.automated_decision != "AUTOMATED_DECISION_NOT_AUTOMATED",
            "redress": list(REDRESS),
        }

    def transparency_db(self, config: ReportingConfig | None = None) -> dict[str, Any]:
        """This statement in the field names and values of the EU DSA Transparency Database API."""
        config = config or ReportingConfig.from_env()
        out: dict[str, Any] = {
            "decision_visibility": self.visibility + (["DECISION_VISIBILITY_OTHER"] if self.visibility_other else []),
            "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "incompatible_content_ground": "Terms of service: protection of minors (grooming and sexual "
                                           "exploitation of children)",
            "incompatible_content_explanation": _tos_explanation(self),
            "incompatible_content_illegal": "Yes" if self.illegal_too else "No",
            "category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            "category_specification": self.tags or ["KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"],
            "content_type": [self.content_type],
            "content_date": _date(self.content_date or self.decided_at),
            "application_date": _date(self.decided_at),
            "decision_facts": self.facts[:5000],
            "source_type": self.source_type,
            "automated_detection": "Yes" if self.automated_detection else "No",
            "automated_decision": self.automated_decision,
            "account_type": "ACCOUNT_TYPE_PRIVATE",
            "territorial_scope": list(config.territorial_scope),
            "puid": self.id,
        }
        if config.tos_url:
            out["decision_ground_reference_url"] = config.tos_url
        if self.visibility_other:
            out["decision_visibility_other"] = self.visibility_other
        if not out["decision_visibility"]:
            del out["decision_visibility"]
        if self.provision:
            out["decision_provision"] = self.provision
            if self.end_date:
                out["end_date_service_restriction"] = self.end_date[:10]
        if self.account:
            out["decision_account"] = self.account
        return out


def _date(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def _tos_explanation(st: Statement) -> str:
    return ("The terms of service forbid approaching children for sexual purposes and every form of their sexual "
            f"exploitation; {'; '.join(st.restrictions)}.")


def parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        from starlette.exceptions import HTTPException

        raise HTTPException(422, f"since must be an ISO date-time, not {value!r}") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


# ---- from decisions ----------------------------------------------------------------------------------------
def from_decision(row: DecisionRow, event_kind: str | None = None) -> Statement | None:
    body = row.body or {}
    acts = [a for a in body.get("actions", []) if a.get("type") in _AUTOMATED]
    if not acts:
        return None
    st = Statement(id=f"sor-d-{row.event_id}", source="automated", decided_at=row.created_at,
                   account_id=row.actor_id, event_id=row.event_id, case_id=None, restrictions=[],
                   content_type=_CONTENT_TYPES.get(event_kind or body.get("kind", ""), "CONTENT_TYPE_OTHER"))
    for a in acts:
        m = _AUTOMATED[a["type"]]
        st.restrictions.append(m["words"])
        if "visibility" in m:
            st.visibility.append(m["visibility"])
        st.provision = m.get("provision", st.provision)
        st.account = m.get("account", st.account)
        if a["type"] == "restrict_contact":
            st.end_date = (a.get("params") or {}).get("until")
        if a.get("params", {}).get("case_id"):
            st.case_id = int(a["params"]["case_id"])
    names = {s.get("name") for s in body.get("signals", [])}
    st.illegal_too = bool(names & ILLEGAL_HINTS)
    st.tags = _tags(names)
    rules = ", ".join(sorted({h["rule"] for h in body.get("rules", []) if not h.get("shadow")}))
    st.facts = (f"Automated detection found: {body.get('explanation', '')}".strip()
                + (f" Rules applied: {rules}." if rules else ""))
    return st


def _tags(names: set[Any]) -> list[str]:
    tags = ["KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"]
    if names & {"csam", "media_match", "known_abuse_media"}:
        tags.append("KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL")
    return tags


# ---- from console actions ----------------------------------------------------------------------------------
def from_activity(s: Session, a: CaseActivityRow, case: CaseRow | None) -> Statement:
    m = _CONSOLE[a.action]
    params = a.params or {}
    account = params.get("account")
    if account is None and params.get("approval"):
        appr = s.get(ApprovalRow, int(params["approval"]))
        account = appr.account_id if appr else None
    source, detected = "SOURCE_VOLUNTARY", True
    first = s.get(EventRow, case.event_ids[0]) if case is not None and case.event_ids else None
    if first is not None and first.kind == "report":
        detected = False
        source = "SOURCE_TRUSTED_FLAGGER" if (first.payload or {}).get("trusted_flagger") else "SOURCE_ARTICLE_16"
    reason = case.reason if case is not None else ""
    st = Statement(id=f"sor-c-{a.id}", source="console", decided_at=a.at, account_id=account, event_id=None,
                   case_id=a.case_id, restrictions=[m["words"]], visibility_other=m.get("visibility_other"),
                   provision=m.get("provision"), account=m.get("account"),
                   facts=f"A reviewer examined case {a.case_id} ({reason}) and decided: {m['words']}.",
                   automated_detection=detected, automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED",
                   source_type=source)
    if a.action == "restrict_contact" and params.get("hours"):
        from datetime import timedelta

        st.end_date = (a.at + timedelta(hours=int(params["hours"]))).isoformat()
    st.illegal_too = any(w in reason for w in ("grooming", "sextortion", "sexual", "csam", "abuse material"))
    return st


# ---- reading ------------------------------------------------------------------------------------------------
def statements(s: Session, *, account_id: str | None = None, since: datetime | None = None,
               limit: int = 100) -> list[Statement]:
    """Statements newest first (decisions and console actions merged by date)."""
    dq = select(DecisionRow).where(or_(
        DecisionRow.verdict.in_(["hold_message", "block_delivery"]),
        cast(DecisionRow.body, Text).like('%"restrict_contact"%'),
        cast(DecisionRow.body, Text).like('%"suspend_pending_review"%'),
    )).order_by(DecisionRow.created_at.desc()).limit(limit * 2)
    aq = (select(CaseActivityRow).where(CaseActivityRow.action.in_(ENFORCEMENT_ACTIVITY))
          .order_by(CaseActivityRow.at.desc()).limit(limit))
    if since is not None:
        dq, aq = dq.where(DecisionRow.created_at >= since), aq.where(CaseActivityRow.at >= since)
    if account_id is not None:
        dq = decisions_of(dq, account_id=account_id)
    out = [st for st in (from_decision(d) for d in s.scalars(dq)) if st is not None]
    activity = list(s.scalars(aq))
    cases = {c.id: c for c in s.scalars(select(CaseRow).where(CaseRow.id.in_({a.case_id for a in activity})))} \
        if activity else {}
    for a in activity:
        st = from_activity(s, a, cases.get(a.case_id))
        if account_id is None or st.account_id == account_id:
            out.append(st)
    out.sort(key=lambda st: (st.decided_at, st.id), reverse=True)
    return out[:limit]


def statement(s: Session, statement_id: str) -> Statement | None:
    if statement_id.startswith("sor-d-"):
        row = s.get(DecisionRow, statement_id[len("sor-d-"):])
        return from_decision(row) if row is not None else None
    if statement_id.startswith("sor-c-") and statement_id[len("sor-c-"):].isdigit():
        a = s.get(CaseActivityRow, int(statement_id[len("sor-c-"):]))
        if a is None or a.action not in _CONSOLE:
            return None
        return from_activity(s, a, s.get(CaseRow, a.case_id))
    return None
