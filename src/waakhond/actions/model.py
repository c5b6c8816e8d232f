"""Actions and decisions: what the engine tells the platform to do, and why.

A :class:`Decision` is the engine's answer to one event: a delivery ``verdict`` (allow, nudge, hold, block),
the list of actions (which may also touch accounts and the review queue), the signals that were found, the
rules that fired (and those that would have fired in shadow mode), and a readable explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from waakhond.detectors.base import Signal


class ActionType(StrEnum):
    allow = "allow"
    nudge_recipient = "nudge_recipient"
    hold_message = "hold_message"
    block_delivery = "block_delivery"
    restrict_contact = "restrict_contact"
    queue_case = "queue_case"
    suspend_pending_review = "suspend_pending_review"
    prepare_report = "prepare_report"


class Priority(StrEnum):
    """Case priorities, most urgent first. ``urgent`` is for known abuse material and grooming of a minor."""

    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"


PRIORITY_RANK: dict[str, int] = {"urgent": 0, "high": 1, "normal": 2, "low": 3}

#: How strongly an action affects delivery of the event. The verdict is the strongest one present.
VERDICT_RANK: dict[str, int] = {
    ActionType.allow: 0,
    ActionType.nudge_recipient: 1,
    ActionType.hold_message: 2,
    ActionType.block_delivery: 3,
}


@dataclass(frozen=True)
class Action:
    """One action with its parameters and the rule that asked for it.

    Parameters: ``priority`` for a case, ``message``/``language`` for a nudge, ``hours`` for a restriction.
    """

    type: ActionType
    params: Mapping[str, Any] = field(default_factory=dict)
    rule: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value}
        if self.params:
            out["params"] = dict(self.params)
        if self.rule:
            out["rule"] = self.rule
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Action:
        return cls(ActionType(d["type"]), dict(d.get("params", {})), d.get("rule", ""))


@dataclass(frozen=True)
class RuleHit:
    """A rule whose condition held for the event, with the facts and signals it read."""

    rule: str
    shadow: bool
    actions: tuple[str, ...]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "shadow": self.shadow, "actions": list(self.actions),
                "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuleHit:
        return cls(d["rule"], bool(d["shadow"]), tuple(d["actions"]), d.get("reason", ""))


def verdict_of(actions: Sequence[Action]) -> ActionType:
    """The strongest delivery action among ``actions`` (``allow`` if none)."""
    best = ActionType.allow
    for a in actions:
        if VERDICT_RANK.get(a.type, -1) > VERDICT_RANK[best]:
            best = a.type
    return best


@dataclass(frozen=True)
class Decision:
    event_id: str
    kind: str
    verdict: ActionType
    actions: tuple[Action, ...]
    signals: tuple[Signal, ...]
    rules: tuple[RuleHit, ...]
    explanation: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    conversation_id: str | None = None
    policy_version: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "verdict": self.verdict.value,
            "actions": [a.as_dict() for a in self.actions],
            "signals": [s.as_dict() for s in self.signals],
            "rules": [r.as_dict() for r in self.rules],
            "explanation": self.explanation,
            "facts": dict(self.facts),
            "conversation_id": self.conversation_id,
            "policy_version": self.policy_version,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Decision:
        return cls(
            event_id=d["event_id"],
            kind=d["kind"],
            verdict=ActionType(d["verdict"]),
            actions=tuple(Action.from_dict(a) for a in d.get("actions", ())),
            signals=tuple(Signal.from_dict(s) for s in d.get("signals", ())),
            rules=tuple(RuleHit.from_dict(r) for r in d.get("rules", ())),
            explanation=d.get("explanation", ""),
            facts=dict(d.get("facts", {})),
            conversation_id=d.get("conversation_id"),
            policy_version=d.get("policy_version", ""),
        )
