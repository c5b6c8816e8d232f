"""Stage 1 of the pipeline: typed, validated events."""

from waakhond.events.models import (
    EVENT_KINDS,
    AccountEvent,
    AgeBand,
    AgeSource,
    Channel,
    ContactEvent,
    Event,
    GiftEvent,
    MediaEvent,
    MessageEvent,
    ModerationEvent,
    ReportCategory,
    ReportEvent,
)
from waakhond.events.parse import InvalidInput, Problem, decode_json, parse_batch, parse_event, read_jsonl

__all__ = [
    "EVENT_KINDS",
    "AccountEvent",
    "AgeBand",
    "AgeSource",
    "Channel",
    "ContactEvent",
    "Event",
    "GiftEvent",
    "InvalidInput",
    "MediaEvent",
    "MessageEvent",
    "ModerationEvent",
    "Problem",
    "ReportCategory",
    "ReportEvent",
    "decode_json",
    "parse_batch",
    "parse_event",
    "read_jsonl",
]
