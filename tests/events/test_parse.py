"""The event contract: valid events parse; bad ones are refused with a message naming event, field and problem."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waakhond.events import InvalidInput, MessageEvent, decode_json, parse_batch, parse_event
from waakhond.events.models import MAX_TEXT_CHARS

MSG = {"id": "m1", "kind": "message", "occurred_at": "2026-11-01T12:00:00Z", "sender_id": "a",
       "recipient_ids": ["b"], "channel": "dm", "text": "hi"}

EXAMPLES = [
    MSG,
    {"id": "a1", "kind": "account", "occurred_at": "2026-11-01T12:00:00Z", "account_id": "a", "birth_year": 2013,
     "age_source": "verified", "language": "nl", "counts": {"followers": 1, "following": 847, "posts": 1}},
    {"id": "me1", "kind": "media", "occurred_at": "2026-11-01T12:00:00Z", "account_id": "a", "media_id": "x",
     "media_type": "image", "pdq": "f" * 64, "md5": "0" * 32},
    {"id": "c1", "kind": "contact", "occurred_at": "2026-11-01T12:00:00Z", "actor_id": "a", "target_id": "b",
     "action": "follow"},
    {"id": "g1", "kind": "gift", "occurred_at": "2026-11-01T12:00:00Z", "sender_id": "a", "recipient_id": "b",
     "amount": 500, "currency": "coins", "note": "for you"},
    {"id": "r1", "kind": "report", "occurred_at": "2026-11-01T12:00:00Z", "subject_account_id": "b",
     "category": "grooming"},
    {"id": "mo1", "kind": "moderation", "occurred_at": "2026-11-01T12:00:00Z", "actor_id": "mod",
     "actor_role": "room_admin", "action": "kick", "target_id": "b", "room_id": "r"},
]


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: v["kind"])
def test_every_kind_parses(value: dict) -> None:
    event = parse_event(value)
    assert event.kind == value["kind"]
    assert event.occurred_at.tzinfo is not None


def test_naive_timestamps_are_utc() -> None:
    e = parse_event({**MSG, "occurred_at": "2026-11-01T12:00:00"})
    assert e.occurred_at.utcoffset().total_seconds() == 0


def problem_of(value: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_batch(value)
    return info.value


def test_unknown_kind_is_named() -> None:
    exc = problem_of({**MSG, "kind": "telepathy"})
    assert "unknown kind" in str(exc) and "message" in str(exc)


def test_unknown_field_is_refused_with_its_name() -> None:
    exc = problem_of({**MSG, "txet": "typo"})
    assert exc.problems[0].field == "txet" and exc.problems[0].message == "unknown field"


def test_wrong_type_names_field() -> None:
    exc = problem_of({**MSG, "recipient_ids": "b"})
    assert exc.problems[0].field == "recipient_ids"


@pytest.mark.parametrize(("change", "words"), [
    ({"text": ""}, "at least 1"),
    ({"text": "   "}, "white space"),
    ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "text too long"),
    ({"recipient_ids": []}, "exactly one"),
    ({"channel": "livestream", "recipient_ids": []}, "room_id"),
    ({"channel": "comment"}, "content_id"),
])
def test_message_rules(change: dict, words: str) -> None:
    assert words in str(problem_of({**MSG, **change}))


def test_batch_names_every_failing_event_by_index_and_id() -> None:
    exc = problem_of([MSG, {**MSG, "id": "m2", "text": ""}, {**MSG, "id": "m3", "channel": "fax"}])
    assert [(p.index, p.event_id) for p in exc.problems] == [(1, "m2"), (2, "m3")]
    assert str(exc).startswith("event 1 (id 'm2')")


def test_batch_limits() -> None:
    assert problem_of([]).problems[0].message.startswith("empty batch")
    assert problem_of([MSG] * 1001).status == 413


def test_invalid_utf8_and_malformed_json_are_400() -> None:
    for raw in (b'{"id": "\xff"}', b'{"id": ', b""):
        with pytest.raises(InvalidInput) as info:
            decode_json(raw)
        assert info.value.status == 400


def test_report_needs_a_subject() -> None:
    assert "subject" in str(problem_of({"id": "r", "kind": "report", "occurred_at": "2026-11-01T00:00:00Z",
                                         "category": "grooming"}))


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=6),
    max_leaves=20,
))
def test_arbitrary_json_never_crashes(value: object) -> None:
    try:
        parse_batch(value)
    except InvalidInput as exc:
        assert exc.problems and str(exc)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*MSG, "room_id", "lang", "content_id"]),
                       st.none() | st.text(max_size=30) | st.integers() | st.lists(st.text(max_size=5)), max_size=9))
def test_mutated_messages_either_parse_or_explain(value: dict) -> None:
    candidate = {**MSG, **value}
    try:
        assert isinstance(parse_event(candidate), MessageEvent)
    except InvalidInput as exc:
        assert all(p.message for p in exc.problems)
