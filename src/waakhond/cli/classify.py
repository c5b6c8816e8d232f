"""``waakhond classify``: a streaming filter from JSON lines to JSON lines (a public contract).

Messages in::   {"id": str, "text": str, "lang"?: str}
Messages out::  {"id", "tactics": [label, …], "scores": {label: float}, "risk": float}

Conversations in::   {"id": str, "messages": [{"text", "sender"?, "sent_at"?}], "participants"?: {sender: {"age"?}}}
Conversations out::  {"id", "risk", "flagged", "alert_at", "tactics": {label: count}}

One line out per line in, in input order. A line that cannot be read gives ``{"id", "error"}`` in its place,
so outputs stay aligned with inputs; the command then exits with status 1 after finishing the stream.
Only one line is held in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

import orjson

from waakhond.detectors.conversation import score_conversation
from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.tactics import MIN_SCORE as TACTIC_THRESHOLD
from waakhond.detectors.text.tactics import classify_text, message_risk


class LineError(ValueError):
    pass


def _object(line: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise LineError(f"malformed JSON: {exc}") from None
    if not isinstance(value, dict):
        raise LineError("each line must be a JSON object")
    if not isinstance(value.get("id"), str):
        raise LineError("'id' must be a string")
    return value


def classify_message_line(value: dict[str, Any]) -> dict[str, Any]:
    text = value.get("text")
    if not isinstance(text, str):
        raise LineError("'text' must be a string")
    lang = value.get("lang")
    hits = classify_text(text, lang if isinstance(lang, str) else None)
    scores = {label: 0.0 for label in LABELS}
    for label, hit in hits.items():
        scores[label] = round(hit.score, 4)
    return {
        "id": value["id"],
        "tactics": [label for label in LABELS if scores[label] >= TACTIC_THRESHOLD],
        "scores": scores,
        "risk": round(message_risk(hits), 4),
    }


def classify_conversation_line(value: dict[str, Any], threshold: float | None) -> dict[str, Any]:
    messages = value.get("messages")
    if not isinstance(messages, list):
        raise LineError("'messages' must be a list")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            raise LineError(f"messages[{i}] must be an object with a string 'text'")
    participants = value.get("participants")
    if participants is not None and not isinstance(participants, dict):
        raise LineError("'participants' must be an object")
    kwargs = {} if threshold is None else {"threshold": threshold}
    score = score_conversation(iter(messages), participants, **kwargs)
    return {
        "id": value["id"],
        "risk": round(float(score.risk), 4),
        "flagged": bool(score.flagged),
        "alert_at": score.alert_at,
        "tactics": dict(score.tactics),
    }


def run(kind: str, lines: Iterable[bytes], out: IO[bytes], threshold: float | None = None) -> int:
    """Classify every line; returns the number of lines that could not be read."""
    errors = 0
    write = out.write
    for line in lines:
        if not line.strip():
            continue
        value: dict[str, Any] | None = None
        try:
            value = _object(line)
            result = (classify_message_line(value) if kind == "message"
                      else classify_conversation_line(value, threshold))
        except LineError as exc:
            errors += 1
            ident = value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None
            result = {"id": ident, "error": str(exc)}
        write(orjson.dumps(result))
        write(b"\n")
    out.flush()
    return errors


def iter_lines(stream: IO[bytes]) -> Iterator[bytes]:
    yield from stream
