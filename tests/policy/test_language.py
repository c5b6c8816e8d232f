"""The rule condition language: what it computes, what it refuses, and how it explains itself."""

from __future__ import annotations

import time
from typing import Any

import pytest

from waakhond.policy.language import ExpressionError, compile_expression


def holds(source: str, facts: dict[str, Any] | None = None, scores: dict[str, float] | None = None) -> bool:
    return compile_expression(source).evaluate(facts or {}, scores or {})


def problems(source: str) -> list[tuple[str, str]]:
    with pytest.raises(ExpressionError) as info:
        compile_expression(source)
    return [(p.message, p.hint) for p in info.value.problems]


# ---------------------------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("source", "facts", "scores", "expected"),
    [
        ("recipient_is_minor", {"recipient_is_minor": True}, {}, True),
        ("recipient_is_minor", {"recipient_is_minor": False}, {}, False),
        ("not recipient_is_minor", {"recipient_is_minor": False}, {}, True),
        ('tactic("age_probe") >= 0.5', {}, {"age_probe": 0.5}, True),
        ('tactic("age_probe") >= 0.5', {}, {"age_probe": 0.49}, False),
        ('tactic("age_probe") >= 0.5', {}, {}, False),
        ('signal("known_media") > 0', {}, {"known_media": 1.0}, True),
        ('any_tactic("secrecy", "meeting") >= 0.6', {}, {"meeting": 0.7, "secrecy": 0.1}, True),
        ('any_tactic("secrecy", "meeting") >= 0.6', {}, {"age_probe": 0.9}, False),
        ("tactic_count() >= 2", {}, {"age_probe": 0.5, "secrecy": 0.9, "known_media": 1.0}, True),
        (
            "tactic_count() >= 2",
            {},
            {"age_probe": 0.5, "known_media": 1.0},
            False,
        ),  # known_media is no tactic
        ("tactic_count(min_score=0.8) >= 2", {}, {"age_probe": 0.7, "secrecy": 0.9}, False),
        ("tactic_count(0.6) == 1", {}, {"age_probe": 0.7, "secrecy": 0.5}, True),
        ("age_gap >= 10 and recipient_age < 13", {"age_gap": 23, "recipient_age": 11}, {}, True),
        ("13 <= recipient_age < 16", {"recipient_age": 14}, {}, True),
        ("13 <= recipient_age < 16", {"recipient_age": 16}, {}, False),
        (
            'kind == "report" and report_category in ["csam", "grooming"]',
            {"kind": "report", "report_category": "grooming"},
            {},
            True,
        ),
        ('report_category not in ["spam", "other"]', {"report_category": "csam"}, {}, True),
        ("sender_risk > -0.5", {"sender_risk": 0.0}, {}, True),
        ("recipient_is_minor or sender_is_minor", {"sender_is_minor": True}, {}, True),
        ("recipient_is_minor == True", {"recipient_is_minor": True}, {}, True),
        ("sender_age != 30", {"sender_age": 31}, {}, True),
        ("True", {}, {}, True),
        (
            "is_stranger and sender_is_adult and is_first_contact",
            {"is_stranger": True, "sender_is_adult": True, "is_first_contact": True},
            {},
            True,
        ),
        (
            "is_stranger and sender_is_adult and is_first_contact",
            {"is_stranger": True, "sender_is_adult": True, "is_first_contact": False},
            {},
            False,
        ),
        ("is_stranger or sender_is_adult or is_first_contact", {"is_first_contact": True}, {}, True),
        ("is_stranger or sender_is_adult or is_first_contact", {}, {}, False),
    ],
)
def test_evaluates(source: str, facts: dict[str, Any], scores: dict[str, float], expected: bool) -> None:
    assert holds(source, facts, scores) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("recipient_is_minor", False),  # None is false in a test ...
        ("not recipient_is_minor", True),  # ... so its negation holds
        ("sender_age > 17", False),  # a missing fact makes every comparison false,
        ("sender_age <= 17", False),
        ("sender_age != 30", False),  # also the negative ones
        ('report_category in ["csam"]', False),
        ('report_category not in ["csam"]', False),
        ("recipient_is_minor == False", False),
        ("sender_age == None", True),  # '== None' is the way to ask "unknown?"
        ("sender_age != None", False),
    ],
)
def test_missing_facts(source: str, expected: bool) -> None:
    assert holds(source, {"sender_age": None}) is expected


def test_none_test_sees_known_values() -> None:
    assert holds("sender_age != None", {"sender_age": 0}) is True
    assert holds("sender_age == None", {"sender_age": 0}) is False


def test_records_what_it_reads() -> None:
    cond = compile_expression(
        'tactic("age_probe") >= 0.5 and signal("known_media") > 0 and recipient_is_minor'
    )
    assert cond.facts == {"recipient_is_minor"}
    assert cond.signals == {"known_media"}
    assert cond.tactics == {"age_probe"}
    assert len(compile_expression("tactic_count() > 1").tactics) == 12


def test_multiline_condition_from_a_yaml_block() -> None:
    assert holds(
        'tactic("secrecy") >= 0.5\nand recipient_is_minor\n', {"recipient_is_minor": True}, {"secrecy": 1}
    )


# ---------------------------------------------------------------------------------------------- explanations


def test_explains_the_facts_and_scores_that_held() -> None:
    cond = compile_expression('tactic("age_probe") >= 0.5 and recipient_is_minor and not sender_is_minor')
    facts = {"recipient_is_minor": True, "sender_is_minor": False}
    assert cond.explain(facts, {"age_probe": 0.9}) == [
        "tactic age_probe 0.90",
        "recipient_is_minor",
        "not sender_is_minor",
    ]


def test_explains_only_the_branch_of_an_or_that_held() -> None:
    cond = compile_expression('tactic("meeting") >= 0.5 or (is_stranger and sender_age >= 18)')
    assert cond.explain({"is_stranger": True, "sender_age": 40}, {}) == ["is_stranger", "sender_age=40"]
    assert cond.explain({}, {"meeting": 0.8}) == ["tactic meeting 0.80"]


def test_explains_any_tactic_by_its_strongest_label_and_counts() -> None:
    cond = compile_expression('any_tactic("secrecy", "meeting") >= 0.5 and tactic_count() >= 2')
    out = cond.explain({}, {"meeting": 0.7, "secrecy": 0.6})
    assert out == ["tactic meeting 0.70", "2 tactics >= 0.50 (secrecy, meeting)"]


def test_explains_unknown_facts_under_not() -> None:
    cond = compile_expression("not sender_is_adult and not sender_is_minor")
    assert cond.explain({}, {}) == ["sender_is_adult unknown", "sender_is_minor unknown"]


# ---------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("recipient_is_minor.real", "attribute access"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
        ('__import__("os").system("true")', "attribute access"),
        ('__import__("os")', "unknown function '__import__'"),
        ('open("/etc/passwd")', "unknown function 'open'"),
        ('eval("1")', "unknown function 'eval'"),
        ("recipient_age[0] > 1", "indexing"),
        ("sender_age + 1 > 18", "arithmetic"),
        ("(lambda: True)()", "only the functions"),
        ("[x for x in [1]] == 1", "comprehension"),
        ('f"{sender_age}" == "x"', "f-string"),
        ("(x := recipient_is_minor)", "':=' assignment"),
        ("recipient_is_minor if is_stranger else False", "'x if c else y'"),
        ("recipient_is_minor & is_stranger", "arithmetic"),
        ("~recipient_is_minor", "'~' is not allowed"),
        ("sender_age is None", "'is' is not allowed"),
        ('{"a": 1} == 1', "a dict"),
        ("[1, 2] == [1, 2]", "literal list is only allowed after 'in'"),
        ('tactic(label="x") > 0', "takes no keyword arguments"),
    ],
)
def test_refuses_constructs_outside_the_whitelist(source: str, fragment: str) -> None:
    found = problems(source)
    assert any(fragment in message for message, _ in found), found


@pytest.mark.parametrize(
    ("source", "fragment", "hint"),
    [
        ("recipient_is_minr", "unknown fact 'recipient_is_minr'", "did you mean 'recipient_is_minor'?"),
        ('tactic("age_prob") > 0.5', "unknown tactic 'age_prob'", "did you mean 'age_probe'?"),
        ('tactic("known_media") > 0.5', "unknown tactic 'known_media'", "tactics are age_probe"),
        ('tactics("age_probe") > 0.5', "unknown function 'tactics'", "did you mean 'tactic'?"),
        (
            "recipient_is_minor >= 0.5",
            "cannot compare recipient_is_minor (true/false) with 0.5 (a number)",
            "use 'recipient_is_minor' on its own",
        ),
        ('sender_age > "18"', 'cannot compare sender_age (a number) with "18" (text)', "without quotes"),
        ('tactic("secrecy")', "must be true or false", "compare it, e.g. 'tactic(\"secrecy\") >= 0.5'"),
        ('tactic("secrecy") and recipient_is_minor', "is a number, not true/false", ">= 0.5"),
        ("sender_age", "must be true or false", "sender_age > 0"),
        ('kind == "mesage"', "'kind' is never \"mesage\"", "did you mean 'message'?"),
        ('channel in ["dm", "livestram"]', "'channel' is never \"livestram\"", "did you mean 'livestream'?"),
        ("report_category in [1, 2]", "but the list holds numbers", ""),
        ('channel in "dm"', "'in' needs a literal list", ""),
        ("tactic(channel) > 0.5", "takes a name in quotes", ""),
        ("tactic() > 0.5", "exactly one name", ""),
        ("any_tactic() > 0.5", "at least one tactic", ""),
        ('any_tactic("meeting", "meeting") > 0.5', "listed twice", ""),
        ('signal("Known Media") > 0.5', "is not a signal name", ""),
        ('tactic("sextortion") >= 5', "scores are between 0 and 1", ""),
        ("tactic_count(min_score=0) > 1", "min_score must be above 0", ""),
        ("tactic_count(threshold=0.5) > 1", "has no argument 'threshold'", ""),
        ("1 < 2", "compares two constants", ""),
        ("true", "unknown name 'true'", "write True"),
        ("tactic", "'tactic' is a function", ""),
        ("sender_age > None", "None can only be compared with a fact", ""),
        ("sender_age = 3", "invalid syntax", "use '==' to compare"),
        ("recipient_is_minor && is_stranger", "invalid syntax", "use 'and' / 'or'"),
        ("", "the condition is empty", ""),
    ],
)
def test_type_and_name_errors_have_precise_messages(source: str, fragment: str, hint: str) -> None:
    found = problems(source)
    assert any(fragment in message and hint in h for message, h in found), found


def test_reports_every_problem_not_only_the_first() -> None:
    found = problems('recipient_is_minr and tactic("age_prob") >= 0.5 and kind == "mesage"')
    assert [m for m, _ in found] == [
        "unknown fact 'recipient_is_minr'",
        "unknown tactic 'age_prob'",
        "'kind' is never \"mesage\"",
    ]


def test_problem_offsets_point_at_the_offending_text() -> None:
    source = '  is_stranger and tactic("age_prob") >= 0.5 and recipient_is_minr'
    with pytest.raises(ExpressionError) as info:
        compile_expression(source)
    spans = [source[p.start : p.end] for p in info.value.problems]
    assert spans == ['"age_prob"', "recipient_is_minr"]


def test_offsets_count_characters_not_bytes() -> None:
    source = 'report_category == "é" and recipient_is_minr'
    with pytest.raises(ExpressionError) as info:
        compile_expression(source)
    assert [source[p.start : p.end] for p in info.value.problems] == [
        'report_category == "é"',
        "recipient_is_minr",
    ]


# ---------------------------------------------------------------------------------------------- cost


def test_evaluation_costs_microseconds() -> None:
    cond = compile_expression(
        'any_tactic("age_probe", "secrecy", "meeting") >= 0.5 and recipient_is_minor and is_stranger'
        ' and not sender_is_minor and report_category not in ["spam"]'
    )
    facts = {
        "recipient_is_minor": True,
        "is_stranger": True,
        "sender_is_minor": False,
        "report_category": "x",
    }
    scores = {"secrecy": 0.8}
    assert cond.evaluate(facts, scores)
    runs = 20_000
    start = time.perf_counter()
    for _ in range(runs):
        cond.evaluate(facts, scores)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 50e-6, f"{per_call * 1e6:.1f} µs per evaluation"
