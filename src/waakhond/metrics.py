"""Prometheus metrics of the engine, served as text at ``/metrics``."""

from __future__ import annotations

from collections import Counter as _Counts

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS = Counter("waakhond_events_total", "Events accepted, by kind", ["kind"], registry=REGISTRY)
DUPLICATES = Counter("waakhond_duplicate_events_total", "Events seen again (idempotent replay)", registry=REGISTRY)
DECISIONS = Counter("waakhond_decisions_total", "Decisions, by verdict", ["verdict"], registry=REGISTRY)
SIGNALS = Counter("waakhond_signals_total", "Signals emitted, by name", ["name"], registry=REGISTRY)
RULE_HITS = Counter("waakhond_rule_hits_total", "Rule hits, by rule and mode", ["rule", "mode"], registry=REGISTRY)
ALERTS = Counter("waakhond_conversation_alerts_total", "Conversations that crossed the threshold", registry=REGISTRY)
CASES = Counter("waakhond_cases_opened_total", "Review cases opened, by priority", ["priority"], registry=REGISTRY)
REJECTED = Counter("waakhond_rejected_requests_total", "Requests refused, by reason", ["reason"], registry=REGISTRY)
BATCH_SECONDS = Histogram(
    "waakhond_batch_seconds",
    "Time to process one batch of events through the pipeline",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)


class Tally:
    """Counter increments of one batch, added to the metrics when the batch is committed: a rolled-back batch
    (retried request by request under group commit) counts nothing, and each label set is looked up once per
    batch rather than once per event."""

    def __init__(self) -> None:
        self._counts: _Counts[tuple[Counter, tuple[str, ...]]] = _Counts()

    def inc(self, counter: Counter, *labels: str) -> None:
        self._counts[(counter, labels)] += 1

    def commit(self) -> None:
        for (counter, labels), n in self._counts.items():
            (counter.labels(*labels) if labels else counter).inc(n)
        self._counts.clear()
