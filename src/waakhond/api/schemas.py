"""Response shapes of the HTTP API, for the OpenAPI document (handlers return the same dicts directly)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class SignalOut(BaseModel):
    name: str = Field(description="tactic label, conversation_risk, known_media, …")
    score: float = Field(ge=0, le=1)
    explanation: str
    detector: str
    spans: list[SpanOut] = []
    related: dict[str, Any] = {}


class ActionOut(BaseModel):
    type: str = Field(description="allow, nudge_recipient, hold_message, block_delivery, restrict_contact, "
                                  "queue_case, suspend_pending_review, prepare_report")
    params: dict[str, Any] = {}
    rule: str = ""


class RuleHitOut(BaseModel):
    rule: str
    shadow: bool
    actions: list[str]
    reason: str


class DecisionOut(BaseModel):
    event_id: str
    kind: str
    verdict: str = Field(description="what to do with the event's delivery: allow, nudge_recipient, "
                                     "hold_message or block_delivery")
    actions: list[ActionOut]
    signals: list[SignalOut]
    rules: list[RuleHitOut]
    explanation: str
    facts: dict[str, Any]
    conversation_id: str | None
    policy_version: str


class DecisionBatchOut(BaseModel):
    decisions: list[DecisionOut]


class ProblemOut(BaseModel):
    message: str
    index: int | None = None
    event_id: str | None = None
    field: str | None = None


class ErrorBody(BaseModel):
    status: int
    message: str
    problems: list[ProblemOut] = []


class ErrorOut(BaseModel):
    error: ErrorBody


class ConversationOut(BaseModel):
    conversation_id: str
    channel: str
    participants: list[str]
    risk: float
    alerted: bool
    alert_event_id: str | None
    alert_index: int | None
    message_count: int
    tactics: dict[str, int]
    evidence: list[dict[str, Any]]
    last_at: str | None


class RiskPointOut(BaseModel):
    at: str
    risk: float
    event_id: str | None


class AccountRiskOut(BaseModel):
    account_id: str
    risk: float = Field(description="accumulated risk, decayed to now (half-life 30 days)")
    suspended: bool
    reports_received: int
    blocks_received: int
    first_contacts: int
    first_contacts_to_minors: int
    history: list[RiskPointOut]


class CaseOut(BaseModel):
    id: int
    status: str
    priority: str
    subject: str
    account_id: str | None
    conversation_id: str | None
    reason: str
    event_ids: list[str]
    created_at: str
    updated_at: str


class CaseListOut(BaseModel):
    cases: list[CaseOut]


class PolicyOut(BaseModel):
    version: str
    mode: str
    rules: list[dict[str, Any]]
