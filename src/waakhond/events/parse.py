"""Turn raw bytes or JSON values into events, with errors a platform engineer can act on.

The API and ``waakhond scan`` share these functions so both reject the same inputs with the same words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from waakhond.events.models import EVENT_KINDS, Event

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (``index`` in a batch, ``field`` path) and what."""

    message: str
    index: int | None = None
    event_id: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class InvalidInput(ValueError):
    """Raised for input that cannot become events. ``problems`` says which event failed and why."""

    def __init__(self, problems: list[Problem], status: int = 422) -> None:
        self.problems = problems
        self.status = status
        first = problems[0]
        where = f"event {first.index}" if first.index is not None else "input"
        if first.event_id:
            where += f" (id {first.event_id!r})"
        if first.field:
            where += f", field {first.field!r}"
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{where}: {first.message}{more}")


def decode_json(raw: bytes) -> Any:
    """Strict UTF-8 JSON decoding. Raises :class:`InvalidInput` with status 400 on bad bytes or syntax."""
    try:
        raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem(f"body is not valid UTF-8 (byte {exc.start})")], status=400) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput([Problem(f"malformed JSON: {exc}")], status=400) from None


def _problems(exc: ValidationError, index: int | None, event_id: str | None) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        # The discriminated union puts the kind in front of the path ("message.text"): drop it.
        if loc and loc[0] in EVENT_KINDS:
            loc = loc[1:]
        message = err["msg"]
        if err["type"] == "union_tag_invalid":
            message = f"unknown kind; expected one of {', '.join(EVENT_KINDS)}"
        elif err["type"] == "union_tag_not_found":
            message = "missing 'kind'; expected one of " + ", ".join(EVENT_KINDS)
        elif err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "string_too_long" and loc and loc[-1] == "text":
            message = f"text too long ({err['msg'].split('at most ')[-1]})"
        out.append(Problem(message=message, index=index, event_id=event_id, field=".".join(loc) or None))
    return out


def parse_event(value: Any, index: int | None = None) -> Event:
    """Validate one JSON value as an event."""
    event_id = value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None
    if not isinstance(value, dict):
        raise InvalidInput([Problem("an event must be a JSON object", index=index)])
    try:
        return _ADAPTER.validate_python(value)
    except ValidationError as exc:
        raise InvalidInput(_problems(exc, index, event_id)) from None


def parse_batch(value: Any, max_events: int = 1_000) -> list[Event]:
    """Validate a single event or a list of events. All are checked; every failing one is named."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise InvalidInput([Problem("empty batch: send one event or a non-empty list")])
    if len(items) > max_events:
        raise InvalidInput([Problem(f"batch too large: {len(items)} events, at most {max_events}")], status=413)
    events: list[Event] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        try:
            events.append(parse_event(item, index=i if isinstance(value, list) else None))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    return events


def read_jsonl(lines: Iterator[bytes]) -> Iterator[tuple[int, Event | InvalidInput]]:
    """Yield ``(line_number, event or error)`` for each non-blank line; never stops on a bad line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, parse_event(decode_json(line))
        except InvalidInput as exc:
            yield number, exc
