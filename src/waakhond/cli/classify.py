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
from waakhond.detectors.text.learned.tier import read_lines
from waakhond.detectors.text.tactics import MIN_SCORE as TACTIC_THRESHOLD
from waakhond.detectors.text.tactics import message_risk


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


def _message_text(value: dict[str, Any]) -> str:
    text = value.get("text")
    if not isinstance(text, str):
        raise LineError("'text' must be a string")
    return text


def message_result(ident: str, hits: dict[str, Any]) -> dict[str, Any]:
    scores = {label: 0.0 for label in LABELS}
    for label, hit in hits.items():
        scores[label] = round(hit.score, 4)
    return {
        "id": ident,
        "tactics": [label for label in LABELS if label in hits and scores[label] >= TACTIC_THRESHOLD],
        "scores": scores,
        "risk": round(message_risk(hits), 4),
    }


def classify_message_line(value: dict[str, Any]) -> dict[str, Any]:
    text = _message_text(value)
    lang = value.get("lang")
    [res] = read_lines([text], lang if isinstance(lang, str) else None)
    return message_result(value["id"], res.hits)


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


#: Message lines are read by the learned tier in chunks of this many (bounded memory, fast batched embedding).
CHUNK = 256


def run(kind: str, lines: Iterable[bytes], out: IO[bytes], threshold: float | None = None) -> int:
    """Classify every line; returns the number of lines that could not be read."""
    errors = 0
    write = out.write
    chunk: list[bytes] = []

    def flush() -> None:
        nonlocal errors
        results, failed = (_messages(chunk) if kind == "message" else _conversations(chunk, threshold))
        errors += failed
        for result in results:
            write(orjson.dumps(result))
            write(b"\n")
        chunk.clear()

    for line in lines:
        if not line.strip():
            continue
        chunk.append(line)
        if len(chunk) >= (CHUNK if kind == "message" else 1):
            flush()
    if chunk:
        flush()
    out.flush()
    return errors


def _error(line_value: dict[str, Any] | None, exc: Exception) -> dict[str, Any]:
    ident = line_value.get("id") if isinstance(line_value, dict) and isinstance(line_value.get("id"), str) else None
    return {"id": ident, "error": str(exc)}


def _messages(lines: list[bytes]) -> tuple[list[dict[str, Any]], int]:
    parsed: list[tuple[dict[str, Any] | None, str | None, Exception | None]] = []
    for line in lines:
        value: dict[str, Any] | None = None
        try:
            value = _object(line)
            parsed.append((value, _message_text(value), None))
        except LineError as exc:
            parsed.append((value, None, exc))
    texts = [text for _, text, _ in parsed if text is not None]
    langs = {v.get("lang") for v, text, _ in parsed if text is not None and v is not None}
    lang = next(iter(langs)) if len(langs) == 1 and isinstance(next(iter(langs)), str) else None
    results = iter(read_lines(texts, lang))
    out, errors = [], 0
    for value, text, problem in parsed:
        if text is None or value is None:
            errors += 1
            out.append(_error(value, problem or LineError("unreadable line")))
        else:
            out.append(message_result(value["id"], next(results).hits))
    return out, errors


def _conversations(lines: list[bytes], threshold: float | None) -> tuple[list[dict[str, Any]], int]:
    out, errors = [], 0
    for line in lines:
        value: dict[str, Any] | None = None
        try:
            value = _object(line)
            out.append(classify_conversation_line(value, threshold))
        except LineError as exc:
            errors += 1
            out.append(_error(value, exc))
    return out, errors


def iter_lines(stream: IO[bytes]) -> Iterator[bytes]:
    yield from stream
