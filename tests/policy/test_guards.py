"""Rules the policy skips without evaluating: a condition's ``needs`` (signal names of which one must score above
0) lets the engine skip most rules for most events. Skipping must change nothing: whenever no needed signal
scores, evaluating the condition gives false and raises nothing, whatever the facts (even of the wrong type)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from waakhond.detectors.text.labels import TACTICS
from waakhond.memory.facts import FACTS
from waakhond.policy import Policy
from waakhond.policy.language import compile_expression

EXTRA = [
    'signal("a") >= 0.5 and age_gap > 10',
    'age_gap > 10 and signal("a") >= 0.5',  # an ordering on a fact first: may raise, so no guard
    'is_stranger and (signal("a") >= 0.4 or tactic("secrecy") > 0)',
    'signal("a") >= 0.5 or recipient_is_minor',
    'not signal("a") >= 0.5',
    '0.3 <= signal("a")',
    'signal("a") >= 0',
    'signal("a") > 0 and kind == "message"',
    'tactic_count(min_score=0.5) >= 1 and recipient_is_minor',
    'tactic_count() >= 0',
    'any_tactic("secrecy", "meeting") >= 0.5 and sender_age < 30',
    'signal("a") >= 0.5 and signal("a") < 0.7',
]
NAMES = ["a", "b", "known_media", "mass_minor_contact", "ban_evasion", "photo_reuse", *TACTICS]
CONDITIONS = [r.when for r in Policy.load().rules] + [compile_expression(s) for s in EXTRA]
ODD = st.one_of(st.none(), st.booleans(), st.integers(-5, 40), st.floats(-1, 2, allow_nan=False), st.text(max_size=3),
                st.lists(st.integers(), max_size=2))


def test_guards_are_found_where_they_are_safe() -> None:
    needs = {s: compile_expression(s).needs for s in EXTRA}
    assert needs['signal("a") >= 0.5 and age_gap > 10'] == {"a"}
    assert needs['age_gap > 10 and signal("a") >= 0.5'] is None
    assert needs['is_stranger and (signal("a") >= 0.4 or tactic("secrecy") > 0)'] == {"a", "secrecy"}
    assert needs['signal("a") >= 0.5 or recipient_is_minor'] is None
    assert needs['not signal("a") >= 0.5'] is None
    assert needs['0.3 <= signal("a")'] == {"a"}
    assert needs['signal("a") >= 0'] is None
    assert needs['tactic_count() >= 0'] is None
    assert sum(r.when.needs is not None for r in Policy.load().rules) >= 25  # most shipped rules are guarded


@settings(max_examples=300, deadline=None)
@given(scores=st.dictionaries(st.sampled_from(NAMES), st.floats(0, 1, allow_nan=False), max_size=4),
       facts=st.dictionaries(st.sampled_from(sorted(FACTS)), ODD, max_size=12))
def test_a_skipped_condition_is_false_and_raises_nothing(scores: dict[str, float], facts: dict[str, Any]) -> None:
    present = {n for n, v in scores.items() if v > 0}
    for condition in CONDITIONS:
        if condition.needs is None or not condition.needs.isdisjoint(present):
            continue
        try:
            held = condition.evaluate(facts, scores)
        except TypeError as exc:  # the policy would have reported this rule as skipped with an error
            raise AssertionError(f"{condition.source!r} raised {exc} but would be skipped") from None
        assert not held, condition.source
