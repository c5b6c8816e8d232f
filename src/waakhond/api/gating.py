"""``POST /v1/contact-check``: may account A contact, message, follow, gift, join the stream of, or be
suggested to account B? Answers in milliseconds, with the reason and the rule.

The answer uses the ``gating:`` section of the active policy file (reloaded with the rules) and the facts
the engine has stored about both accounts, cached for one second (:class:`GateFactsCache`).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from waakhond.actions.gating import GateFactsCache, may_contact
from waakhond.api.auth import api_key_required


class ContactCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: str = Field(min_length=1, max_length=200, description="the account that wants to act (A)")
    target_id: str = Field(min_length=1, max_length=200, description="the account it wants to reach (B)")
    action: Literal["contact", "message", "follow", "gift", "join_stream", "suggest"]
    shared_groups: int = Field(default=0, ge=0, le=1_000_000,
                               description="groups both accounts are in, if the platform knows (a connection)")


class ContactCheckOut(BaseModel):
    allowed: bool
    reason: str
    rule: str
    shadow: bool = Field(description="true when a refusal was turned into 'allowed' by gating shadow mode")
    nudge: dict[str, Any] | None = Field(
        default=None, description="a safety message to show the target (in her language) when the contact goes through")
    policy_version: str


def router(engine: Any) -> APIRouter:
    """The contact-check routes for one engine (added to the app with ``app.include_router``)."""
    api = APIRouter(tags=["gating"])
    cache = GateFactsCache(ttl=1.0)
    db = engine.db

    @api.post(
        "/v1/contact-check",
        dependencies=[Depends(api_key_required(db))],
        response_model=ContactCheckOut,
        summary="May account A contact, message, follow, gift, join the stream of, or be suggested to B?",
        description=(
            "Answers from both accounts' ages, their relation (follows, friendship, a two-way conversation, "
            "shared groups), A's risk and the `gating:` section of the policy file. `rule` names the default "
            "that decided; `shadow` is true when the gating section is in shadow mode and the answer would "
            "have been a refusal. Blocks and suspensions are always enforced."
        ),
    )
    def contact_check(body: ContactCheckIn) -> dict[str, Any]:
        policy = engine.policy.current
        actor, target, relation = cache.get(db.engine.connect, body.actor_id, body.target_id, body.shared_groups)
        answer = may_contact(actor, target, relation, body.action, policy.gating)
        out = answer.as_dict()
        out["nudge"] = policy.nudges.render(answer.nudge, target.language) if answer.nudge else None
        out["policy_version"] = policy.version
        return out

    return api


__all__ = ["ContactCheckIn", "ContactCheckOut", "router"]
