"""Rules files: loading, error reporting (golden snapshots), evaluation, merging, shadow mode and reload."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from waakhond.actions.model import Action, ActionType
from waakhond.detectors.base import Signal
from waakhond.policy import DEFAULT_RULES, ActivePolicy, Policy, PolicyError, PolicyResult

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))
UPDATE = os.environ.get("WAAKHOND_UPDATE_GOLDEN") == "1"


def policy(rules: str, *, mode: str = "enforce") -> Policy:
    return Policy.from_text(f"version: 1\nmode: {mode}\nrules:\n{rules}")


def run(p: Policy, facts: dict[str, Any] | None = None, **scores: float) -> PolicyResult:
    return p.evaluate([Signal(name, score, "test") for name, score in scores.items()], facts or {})


def by_type(result: PolicyResult) -> dict[ActionType, Action]:
    return {a.type: a for a in result.actions}


# ---------------------------------------------------------------------------------------------- golden errors


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 8
    for case in CASES:
        assert case.with_suffix(".txt").exists() or UPDATE, f"no snapshot for {case.name}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_error_messages_match_golden_snapshots(case: Path) -> None:
    """Regenerate after an intended change with ``WAAKHOND_UPDATE_GOLDEN=1 pytest tests/policy``."""
    with pytest.raises(PolicyError) as info:
        Policy.from_text(case.read_text(encoding="utf-8"), source=case.name)
    actual = str(info.value) + "\n"
    snapshot = case.with_suffix(".txt")
    if UPDATE:
        snapshot.write_text(actual, encoding="utf-8")
    assert actual == snapshot.read_text(encoding="utf-8")


def test_error_lists_every_problem_with_position_rule_and_hint() -> None:
    text = (GOLDEN / "unknown_names.yaml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        Policy.from_text(text, source="rules.yaml")
    found = info.value.problems
    assert len(found) == 6
    first = found[0]
    assert (first.source, first.line, first.column, first.rule) == (
        "rules.yaml",
        5,
        18,
        "adult_stranger_age_probe",
    )
    assert first.hint == "did you mean 'age_probe'?"
    assert str(info.value).startswith(
        "rules.yaml:5:18: rule 'adult_stranger_age_probe': unknown tactic 'age_prob'"
    )


def test_missing_file() -> None:
    with pytest.raises(PolicyError, match="cannot read the rules file"):
        Policy.load("/nonexistent/rules.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "the rules file must be a mapping"),
        ("version: 1\n", "'rules:' is missing"),
        ("rules: []\n", "'version: 1' is missing"),
        ("version: true\nrules: []\n", "unsupported version 'true'"),
        ("version: 1\nrules: {a: 1}\n", "'rules' must be a list"),
        ("version: 1\nrules: [recipient_is_minor]\n", "a rule must be a mapping"),
        ("version: 1\nrules:\n  - name: a\n    when: [x]\n    then: [allow]\n", "'when' must be a condition"),
        (
            "version: 1\nrules:\n  - name: a\n    when: x\n    then: allow\n",
            "'then' must be a non-empty list",
        ),
        ("version: 1\nversion: 1\nrules: []\n", "'version' is given twice"),
        (
            "version: 1\nrules:\n  - name: a\n    when: is_stranger\n    then: [{a: 1, b: 2}]\n",
            "an action is",
        ),
    ],
)
def test_structural_problems(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Policy.from_text(text)


def test_empty_rules_list_is_valid_and_allows_everything() -> None:
    p = Policy.from_text("version: 1\nrules: []\n")
    result = run(p, {"recipient_is_minor": True}, sextortion=1.0)
    assert result.verdict is ActionType.allow
    assert result.actions == ()
    assert result.explanation == "no rule matched → allow"


# ---------------------------------------------------------------------------------------------- evaluation


MINOR_RULES = """
  - name: sextortion_to_minor
    when: tactic("sextortion") >= 0.5 and recipient_is_minor
    then:
      - block_delivery
      - queue_case: {priority: urgent}
      - nudge_recipient: {topic: sextortion}
  - name: adult_stranger_age_probe
    when: tactic("age_probe") >= 0.5 and recipient_is_minor and is_stranger
    then:
      - nudge_recipient: {topic: age_probe}
      - queue_case
"""


def test_matching_rules_contribute_actions_and_explain_themselves() -> None:
    p = policy(MINOR_RULES)
    result = run(p, {"recipient_is_minor": True, "is_stranger": True}, age_probe=0.9)
    assert result.verdict is ActionType.nudge_recipient
    assert [a.type for a in result.actions] == [ActionType.nudge_recipient, ActionType.queue_case]
    assert by_type(result)[ActionType.queue_case].params == {"priority": "normal"}
    assert all(a.rule == "adult_stranger_age_probe" for a in result.actions)
    assert [h.rule for h in result.hits] == ["adult_stranger_age_probe"]
    assert result.hits[0].actions == ("nudge_recipient", "queue_case")
    assert result.explanation == (
        "rule adult_stranger_age_probe: tactic age_probe 0.90, recipient_is_minor, is_stranger"
        " → nudge_recipient(age_probe), queue_case(normal)"
    )
    assert result.hits[0].reason == result.explanation


def test_no_match_when_a_fact_is_missing() -> None:
    result = run(policy(MINOR_RULES), {"is_stranger": True}, age_probe=0.9, sextortion=0.9)
    assert result.hits == ()
    assert result.verdict is ActionType.allow


def test_highest_score_of_a_signal_counts() -> None:
    p = policy(MINOR_RULES)
    signals = [Signal("age_probe", 0.2, "a"), Signal("age_probe", 0.8, "b"), Signal("age_probe", 0.1, "c")]
    result = p.evaluate(signals, {"recipient_is_minor": True, "is_stranger": True})
    assert [h.rule for h in result.hits] == ["adult_stranger_age_probe"]
    assert "tactic age_probe 0.80" in result.explanation


def test_merge_keeps_the_strongest_of_each_action() -> None:
    p = policy(
        MINOR_RULES
        + """
  - name: long_restriction
    when: is_stranger
    then: [{restrict_contact: {hours: 72}}, {queue_case: {priority: low}}]
  - name: short_restriction
    when: is_stranger
    then: [restrict_contact]
"""
    )
    facts = {"recipient_is_minor": True, "is_stranger": True, "recipient_language": "en"}
    result = run(p, facts, age_probe=0.9, sextortion=0.8)
    actions = by_type(result)
    assert result.verdict is ActionType.block_delivery
    assert [a.type for a in result.actions] == [
        ActionType.nudge_recipient,
        ActionType.block_delivery,
        ActionType.restrict_contact,
        ActionType.queue_case,
    ]
    assert actions[ActionType.queue_case].params == {"priority": "urgent"}
    assert actions[ActionType.queue_case].rule == "sextortion_to_minor"
    assert actions[ActionType.restrict_contact].params == {"hours": 72}
    # The first matching rule in file order chooses the nudge: sextortion comes before the age question.
    assert actions[ActionType.nudge_recipient].params["topic"] == "sextortion"
    assert len(result.hits) == 4
    assert result.explanation.count("; ") == 3


def test_allow_never_overrides_and_is_kept_alone() -> None:
    p = policy("""
  - name: trusted_sender
    when: sender_age_verified
    then: [allow]
  - name: hold_strangers
    when: is_stranger
    then: [hold_message]
""")
    alone = run(p, {"sender_age_verified": True})
    assert [a.type for a in alone.actions] == [ActionType.allow]
    assert alone.verdict is ActionType.allow
    both = run(p, {"sender_age_verified": True, "is_stranger": True})
    assert [a.type for a in both.actions] == [ActionType.hold_message]
    assert [h.rule for h in both.hits] == ["trusted_sender", "hold_strangers"]


def test_shadow_rule_is_recorded_but_has_no_effect() -> None:
    p = policy("""
  - name: measured
    when: tactic("meeting") >= 0.5
    then: [hold_message]
    shadow: true
  - name: enforced
    when: tactic("meeting") >= 0.5
    then: [{queue_case: {priority: high}}]
""")
    result = run(p, meeting=0.9)
    assert [(h.rule, h.shadow) for h in result.hits] == [("measured", True), ("enforced", False)]
    assert [a.type for a in result.actions] == [ActionType.queue_case]
    assert result.hits[0].actions == ("hold_message",)
    assert result.explanation.startswith(
        "shadow rule measured: tactic meeting 0.90 → hold_message; rule enforced"
    )


def test_shadow_mode_file_shadows_every_rule() -> None:
    p = policy(MINOR_RULES, mode="shadow")
    result = run(p, {"recipient_is_minor": True}, sextortion=0.9)
    assert result.actions == ()
    assert result.verdict is ActionType.allow
    assert [(h.rule, h.shadow) for h in result.hits] == [("sextortion_to_minor", True)]
    assert result.explanation.endswith("(shadow only: no effect → allow)")


@pytest.mark.parametrize(
    ("language", "used"), [("nl", "nl"), ("fr-BE", "fr"), ("sv", "en"), (None, "en"), (3, "en")]
)
def test_nudge_is_rendered_in_the_recipient_language(language: Any, used: str) -> None:
    result = run(
        policy(MINOR_RULES), {"recipient_is_minor": True, "recipient_language": language}, sextortion=1.0
    )
    nudge = by_type(result)[ActionType.nudge_recipient]
    assert set(nudge.params) == {"topic", "language", "message", "options"}
    assert nudge.params["language"] == used
    assert nudge.params["topic"] == "sextortion"
    assert nudge.params["message"] == result.actions[0].params["message"]
    assert [o["id"] for o in nudge.params["options"]] == ["block", "report", "tell_adult"]


def test_auto_topic_follows_the_strongest_tactic_the_rule_reads() -> None:
    p = policy("""
  - name: stranger_moves
    when: any_tactic("age_probe", "off_platform", "meeting") >= 0.5 and is_stranger
    then: [{nudge_recipient: {topic: auto}}]
""")
    result = run(p, {"is_stranger": True}, age_probe=0.6, off_platform=0.9, sextortion=1.0)
    assert by_type(result)[ActionType.nudge_recipient].params["topic"] == "off_platform"
    assert "nudge_recipient(off_platform)" in result.explanation


def test_nudge_without_topic_uses_default() -> None:
    result = run(
        policy("  - name: n\n    when: is_stranger\n    then: [nudge_recipient]\n"), {"is_stranger": True}
    )
    assert by_type(result)[ActionType.nudge_recipient].params["topic"] == "default"


def test_a_fact_of_the_wrong_type_skips_that_rule_only() -> None:
    p = policy("""
  - name: age_gap_rule
    when: age_gap > 10
    then: [hold_message]
  - name: stranger_rule
    when: is_stranger
    then: [nudge_recipient]
""")
    result = run(p, {"age_gap": "twenty", "is_stranger": True})
    assert [h.rule for h in result.hits] == ["stranger_rule"]
    assert len(result.errors) == 1
    assert result.errors[0].startswith("rule age_gap_rule:")


def test_actions_serialise_for_the_api() -> None:
    result = run(policy(MINOR_RULES), {"recipient_is_minor": True}, sextortion=1.0)
    as_dicts = [a.as_dict() for a in result.actions]
    assert as_dicts[2] == {
        "type": "queue_case",
        "params": {"priority": "urgent"},
        "rule": "sextortion_to_minor",
    }
    assert [Action.from_dict(d) for d in as_dicts] == list(result.actions)


# ---------------------------------------------------------------------------------------------- versions


def test_version_is_a_short_hash_of_the_file_text() -> None:
    a = policy(MINOR_RULES)
    assert len(a.version) == 12
    assert policy(MINOR_RULES).version == a.version
    assert policy(MINOR_RULES + "\n# a comment\n").version != a.version
    assert run(a).policy_version == a.version


def test_load_none_is_the_shipped_default() -> None:
    shipped = Policy.load()
    assert shipped.source == str(DEFAULT_RULES)
    assert shipped.version == Policy.load(DEFAULT_RULES).version
    assert len(shipped.rules) >= 10


# ---------------------------------------------------------------------------------------------- reload


GOOD = "version: 1\nrules:\n  - name: r1\n    when: is_stranger\n    then: [nudge_recipient]\n"


def test_reload_swaps_in_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD, encoding="utf-8")
    active = ActivePolicy(path)
    before = active.current
    path.write_text(GOOD.replace("nudge_recipient", "hold_message"), encoding="utf-8")
    after = active.reload()
    assert active.current is after
    assert after.version != before.version
    assert run(after, {"is_stranger": True}).verdict is ActionType.hold_message
    assert (
        run(before, {"is_stranger": True}).verdict is ActionType.nudge_recipient
    )  # a held reference stays valid


def test_reload_keeps_the_old_rules_when_the_new_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD, encoding="utf-8")
    active = ActivePolicy(path)
    before = active.current
    path.write_text(GOOD.replace("is_stranger", "is_strangr"), encoding="utf-8")
    with pytest.raises(PolicyError, match="did you mean 'is_stranger'"):
        active.reload()
    assert active.current is before
    path.unlink()
    with pytest.raises(PolicyError, match="cannot read"):
        active.reload()
    assert active.current is before


def test_reload_reads_nudge_texts_fresh(tmp_path: Path) -> None:
    import shutil

    from waakhond.actions.nudges import SHIPPED_DIR

    texts = tmp_path / "nudges"
    shutil.copytree(SHIPPED_DIR, texts)
    active = ActivePolicy(None, nudges_dir=texts)
    en = texts / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace("Block\n", "Block them\n"), encoding="utf-8")
    facts = {"recipient_is_minor": True, "is_stranger": True, "sender_is_minor": False}
    assert (
        by_type(run(active.current, facts, age_probe=1))[ActionType.nudge_recipient].params["options"][0][
            "label"
        ]
        == "Block"
    )
    policy_after = active.reload()
    nudge = by_type(run(policy_after, facts, age_probe=1))[ActionType.nudge_recipient]
    assert nudge.params["options"][0]["label"] == "Block them"
    (texts / "de.yaml").unlink()
    (texts / "en.yaml").unlink()
    with pytest.raises(PolicyError, match=r"en\.yaml is missing"):
        active.reload()
    assert active.current is policy_after


def test_concurrent_evaluation_during_reloads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD, encoding="utf-8")
    active = ActivePolicy(path)
    seen: set[ActionType] = set()
    failures: list[BaseException] = []
    stop = threading.Event()

    def evaluate() -> None:
        try:
            while not stop.is_set():
                seen.add(run(active.current, {"is_stranger": True}).verdict)
                time.sleep(0)  # let the reloading thread in
        except BaseException as e:  # pragma: no cover - reported below
            failures.append(e)

    workers = [threading.Thread(target=evaluate) for _ in range(2)]
    for w in workers:
        w.start()
    for i in range(10):
        action = "hold_message" if i % 2 else "nudge_recipient"
        path.write_text(GOOD.replace("nudge_recipient", action), encoding="utf-8")
        active.reload()
    stop.set()
    for w in workers:
        w.join()
    assert not failures
    assert seen <= {ActionType.hold_message, ActionType.nudge_recipient}


def test_active_policy_of_a_loaded_policy(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = Policy.load(path)
    assert loaded.path == path
    active = ActivePolicy.of(loaded)
    assert active.current is loaded
    path.write_text(GOOD.replace("nudge_recipient", "hold_message"), encoding="utf-8")
    assert run(active.reload(), {"is_stranger": True}).verdict is ActionType.hold_message

    from_text = ActivePolicy.of(Policy.from_text(GOOD, source="inline"))
    again = from_text.reload()
    assert again.version == from_text.current.version
    assert again.source == "inline"


def test_describe_for_the_api_and_cli() -> None:
    p = policy(MINOR_RULES, mode="shadow")
    d = p.describe()
    assert d["version"] == p.version
    assert d["mode"] == "shadow"
    first = d["rules"][0]
    assert first["name"] == "sextortion_to_minor"
    assert first["when"] == 'tactic("sextortion") >= 0.5 and recipient_is_minor'
    assert first["then"] == ["block_delivery", "queue_case(urgent)", "nudge_recipient(sextortion)"]
    assert first["shadow"] is True
    assert p.source_text.startswith("version: 1")
    assert Policy.load().source_text == DEFAULT_RULES.read_text(encoding="utf-8")


def test_operator_guide_covers_every_fact_function_action_topic_and_default_rule() -> None:
    from waakhond.actions.nudges import topics
    from waakhond.detectors.text.labels import TACTICS
    from waakhond.memory.facts import FACTS
    from waakhond.policy.language import FUNCTIONS

    guide = (Path(__file__).parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    names = [*FACTS, *FUNCTIONS, *(t.value for t in ActionType), *topics(), *TACTICS]
    names += [r.name for r in Policy.load().rules]
    missing = [name for name in names if f"`{name}" not in guide]
    assert not missing


def test_bad_nudge_directory_is_a_policy_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from waakhond.actions import nudges

    monkeypatch.setenv(nudges.ENV_VAR, str(tmp_path / "missing"))
    nudges.clear_cache()
    try:
        with pytest.raises(PolicyError, match="does not exist"):
            Policy.from_text(GOOD)
    finally:
        nudges.clear_cache()
