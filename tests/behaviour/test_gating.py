"""Contact gating: the pure answer, the policy-file section that configures it, and POST /v1/contact-check."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import account, at, dm

from waakhond.actions.gating import GATE_ACTIONS, GatingConfig, Party, Relation, may_contact
from waakhond.events import parse_batch
from waakhond.pipeline import Engine
from waakhond.policy import Policy, PolicyError

KID = Party("kid", age=12, is_minor=True, language="nl")
TEEN = Party("teen", age=15, is_minor=True)
ADULT = Party("adult", age=34, is_adult=True)
OTHER_ADULT = Party("other", age=40, is_adult=True)
NO_AGE = Party("unknown")
DEFAULTS = GatingConfig()


def answer(actor: Party, target: Party, action: str, relation: Relation | None = None,
           config: GatingConfig = DEFAULTS) -> Any:
    return may_contact(actor, target, relation or Relation(), action, config)


def test_an_adult_stranger_cannot_message_a_child_and_is_told_why() -> None:
    a = answer(ADULT, KID, "message")
    assert not a.allowed and a.rule == "adult_to_minor_message" and "not connected" in a.reason


@pytest.mark.parametrize("relation", [
    Relation(b_follows_a=True), Relation(friends=True), Relation(shared_groups=1),
    Relation(a_messages=3, b_messages=2),
])
def test_a_connected_adult_may_message_a_child(relation: Relation) -> None:
    assert answer(ADULT, KID, "message", relation).allowed


def test_following_her_is_not_a_connection_she_made() -> None:
    assert not answer(ADULT, KID, "message", Relation(a_follows_b=True, a_messages=5)).allowed


def test_defaults_per_action_for_an_adult_stranger() -> None:
    allowed = {action: answer(ADULT, KID, action).allowed for action in GATE_ACTIONS}
    assert allowed == {"contact": False, "message": False, "follow": True, "gift": False, "join_stream": True,
                       "suggest": False}


def test_an_allowed_stranger_follow_carries_a_nudge_for_the_child() -> None:
    a = answer(ADULT, KID, "follow")
    assert a.allowed and a.nudge == "stranger_contact"


def test_children_may_reach_each_other_and_adults_may_reach_adults() -> None:
    assert answer(TEEN, KID, "message").allowed and answer(ADULT, ADULT, "message").allowed
    assert answer(KID, ADULT, "message").allowed


def test_unknown_age_counts_as_adult_unless_configured() -> None:
    assert not answer(NO_AGE, KID, "message").allowed
    assert answer(NO_AGE, KID, "message", config=replace(DEFAULTS, unknown_age_as="minor")).allowed


def test_risky_accounts_cannot_reach_minors_even_when_connected() -> None:
    risky = replace(ADULT, risk=0.7)
    a = answer(risky, KID, "join_stream", Relation(b_follows_a=True))
    assert not a.allowed and a.rule == "risky_actor_to_minor" and "0.70" in a.reason
    assert not answer(replace(ADULT, linked_to_suspended=True), KID, "suggest", Relation(friends=True)).allowed
    assert answer(risky, OTHER_ADULT, "message").allowed  # gating protects minors; adults have the report button


def test_blocks_and_suspensions_hold_even_in_shadow_mode() -> None:
    shadow = replace(DEFAULTS, mode="shadow")
    assert not answer(TEEN, KID, "message", Relation(b_blocked_a=True), shadow).allowed
    assert not answer(replace(ADULT, suspended=True), OTHER_ADULT, "message", config=shadow).allowed


def test_shadow_mode_allows_and_says_what_would_have_happened() -> None:
    a = answer(ADULT, KID, "message", config=replace(DEFAULTS, mode="shadow"))
    assert a.allowed and a.shadow and a.rule == "adult_to_minor_message" and a.reason.startswith("shadow: would refuse")


def test_a_restricted_account_keeps_its_connections_but_makes_no_new_ones() -> None:
    restricted = replace(ADULT, restricted=True)
    assert answer(restricted, OTHER_ADULT, "message", Relation(a_messages=1, b_messages=1)).allowed
    assert answer(restricted, OTHER_ADULT, "message").rule == "contact_restricted"


def test_the_pure_answer_takes_microseconds() -> None:
    cases = [(ADULT, KID, "message", Relation()), (TEEN, KID, "follow", Relation(friends=True))] * 5_000
    start = time.perf_counter()
    for actor, target, action, relation in cases:
        may_contact(actor, target, relation, action, DEFAULTS)
    per_second = len(cases) / (time.perf_counter() - start)
    assert per_second > 50_000, f"{per_second:.0f} answers per second"


# ---------------------------------------------------------------------------------------------- configuration


def test_the_shipped_policy_file_holds_the_gating_defaults() -> None:
    gating = Policy.load().gating
    assert gating.mode == "enforce" and gating.adult_to_minor["message"] == "connected"
    assert gating.risky_min_risk == 0.5


def test_a_rules_file_without_gating_gets_the_shipped_defaults() -> None:
    assert Policy.from_text("version: 1\nrules: []\n").gating == GatingConfig()


def test_a_platform_can_tighten_or_measure_the_defaults() -> None:
    p = Policy.from_text(
        "version: 1\ngating:\n  mode: shadow\n  adult_to_minor: {follow: mutual}\n"
        "  risky_actor: {min_risk: 0.3, actions: [message]}\nrules: []\n"
    )
    assert p.gating.shadow and p.gating.adult_to_minor["follow"] == "mutual"
    assert p.gating.adult_to_minor["message"] == "connected"  # the rest keep their defaults
    assert p.gating.risky_min_risk == 0.3 and p.gating.risky_actions == frozenset({"message"})


def test_mistakes_in_the_gating_section_are_refused_with_their_place() -> None:
    with pytest.raises(PolicyError) as e:
        Policy.from_text("version: 1\ngating:\n  mode: shadw\n  adult_to_minor: {mesage: friends}\nrules: []\n",
                         source="r.yaml")
    text = str(e.value)
    assert "r.yaml:3:9: gating.mode must be 'enforce' or 'shadow', not 'shadw'" in text
    assert "r.yaml:4:20: unknown key 'mesage' in gating.adult_to_minor" in text
    assert "did you mean 'message'?" in text


# ---------------------------------------------------------------------------------------------- API


def test_contact_check_answers_from_what_the_engine_knows(api: Any, engine: Engine) -> None:
    engine.process(parse_batch([account("lena", 2014, language="de"), account("tom", 1980),
                                account("tante", 1975)]))
    r = api.post("/v1/contact-check", json={"actor_id": "tom", "target_id": "lena", "action": "message"})
    assert r.status_code == 200
    body = r.json()
    assert body["allowed"] is False and body["rule"] == "adult_to_minor_message" and body["shadow"] is False
    assert body["policy_version"] == engine.policy.current.version
    # a follow is allowed, and carries a nudge for her in German
    r = api.post("/v1/contact-check", json={"actor_id": "tom", "target_id": "lena", "action": "follow"})
    assert r.json()["allowed"] is True and r.json()["nudge"]["language"] == "de"
    # a shared group is a connection the platform can tell us about
    r = api.post("/v1/contact-check",
                 json={"actor_id": "tante", "target_id": "lena", "action": "message", "shared_groups": 1})
    assert r.json()["allowed"] is True


def test_contact_check_sees_a_friendship(api: Any, engine: Engine) -> None:
    engine.process(parse_batch([
        account("lena", 2014), account("coach", 1980),
        {"id": "f1", "kind": "contact", "occurred_at": at(1), "actor_id": "lena", "target_id": "coach",
         "action": "follow"},
        dm("m1", "coach", "lena", "training moved to 5pm", minutes=2),
    ]))
    r = api.post("/v1/contact-check", json={"actor_id": "coach", "target_id": "lena", "action": "message"})
    assert r.json()["allowed"] is True


def test_contact_check_validates_and_needs_a_key(api: Any) -> None:
    r = api.post("/v1/contact-check", json={"actor_id": "a", "target_id": "b", "action": "hug"})
    assert r.status_code == 422
    r = api.post("/v1/contact-check", json={"actor_id": "a", "target_id": "b", "action": "message"},
                 headers={"X-API-Key": "nope"})
    assert r.status_code == 401


def test_contact_check_follows_a_policy_reload_into_shadow_mode(api: Any, engine: Engine, tmp_path: Path) -> None:
    engine.process(parse_batch([account("lena", 2014), account("tom", 1980)]))
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\ngating:\n  mode: shadow\nrules: []\n", encoding="utf-8")
    from waakhond.policy import ActivePolicy

    engine.policy = ActivePolicy(rules)
    r = api.post("/v1/contact-check", json={"actor_id": "tom", "target_id": "lena", "action": "message"})
    assert r.json()["allowed"] is True and r.json()["shadow"] is True


def test_an_account_that_behaves_riskily_is_kept_away_from_other_children(api: Any, engine: Engine) -> None:
    """Behaviour signals raise the account's risk; gating then refuses it even a follow to a new child."""
    kids = [account(f"kid{i}", 2014) for i in range(13)]
    engine.process(parse_batch([*kids, account("collector", 1980, counts={"following": 847, "posts": 1})]))
    r = api.post("/v1/contact-check", json={"actor_id": "collector", "target_id": "kid12", "action": "follow"})
    assert r.json()["allowed"] is True
    now = datetime.now(UTC)  # account risk decays with real time, so these follows happen now
    engine.process(parse_batch([
        {"id": f"f{i}", "kind": "contact", "occurred_at": (now - timedelta(minutes=12 - i)).isoformat(),
         "actor_id": "collector", "target_id": f"kid{i}", "action": "follow"} for i in range(12)
    ]))
    time.sleep(1.1)  # the facts cache keeps answers for one second
    r = api.post("/v1/contact-check", json={"actor_id": "collector", "target_id": "kid12", "action": "follow"})
    body = r.json()
    assert body["allowed"] is False and body["rule"] == "risky_actor_to_minor"


def test_contact_check_is_in_the_openapi_document(api: Any) -> None:
    assert "/v1/contact-check" in api.get("/openapi.json").json()["paths"]
