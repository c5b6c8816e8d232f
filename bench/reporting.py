"""How long the reporting work takes on a store with many grooming conversations.

    .venv/bin/python bench/reporting.py [--conversations 500] [--messages 20] [--url sqlite:///var/bench-reporting.db]

Builds a store (a fresh SQLite file by default, or WAAKHOND_BENCH_URL/--url for PostgreSQL) with N adult→child
conversations of M messages each (benign lines and a few non-graphic tactic lines), then times: gathering a
case and building + validating its CyberTipline XML and EU JSON; listing and exporting statements of reasons;
a retention dry run; and filling the webhook outbox from the decisions. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from waakhond.events import parse_event
from waakhond.pipeline import Engine
from waakhond.reporting import dsa, retention
from waakhond.reporting.config import Reporter, ReportingConfig
from waakhond.reporting.evidence import gather
from waakhond.reporting.exports import eu_document
from waakhond.reporting.ncmec.validate import validate
from waakhond.reporting.ncmec.xml import report_xml
from waakhond.reporting.webhooks import Outbox, WebhookConfig
from waakhond.store.database import Database
from waakhond.store.schema import CaseRow

LINES = ["hey how was school", "lol same", "did you see the match", "how old are you?", "are your parents home?",
         "keep this between us ok", "add me on telegram", "I can send you 500 coins", "ok bye", "haha nice"]


def build(db: Database, conversations: int, messages: int) -> float:
    engine = Engine(db)
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    started = time.perf_counter()
    for c in range(conversations):
        adult, kid = f"adult{c}", f"kid{c}"
        batch = [{"id": f"a-{adult}", "kind": "account", "occurred_at": t0.isoformat(), "account_id": adult,
                  "birth_year": 1985},
                 {"id": f"a-{kid}", "kind": "account", "occurred_at": t0.isoformat(), "account_id": kid,
                  "birth_year": 2013}]
        for m in range(messages):
            sender, to = (adult, kid) if m % 3 else (kid, adult)
            batch.append({"id": f"m-{c}-{m}", "kind": "message", "channel": "dm", "sender_id": sender,
                          "recipient_ids": [to], "text": LINES[(m * 7 + c) % len(LINES)],
                          "occurred_at": (t0 + timedelta(days=c % 20, minutes=m)).isoformat()})
        engine.process([parse_event(e) for e in batch])
    return time.perf_counter() - started


def timed(fn: object, repeat: int = 1) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=500)
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("--url", default=os.environ.get("WAAKHOND_BENCH_URL", "sqlite:///var/bench-reporting.db"))
    args = ap.parse_args()
    if args.url.startswith("sqlite:///"):
        Path(args.url[len("sqlite:///"):]).unlink(missing_ok=True)
    db = Database.connect(args.url)
    outbox = Outbox(db, WebhookConfig.of(["http://127.0.0.1:9/hook"], "bench webhook secret"))
    outbox.fill()
    took = build(db, args.conversations, args.messages)
    events = args.conversations * (args.messages + 2)
    print(f"store: {db.dialect}, {events} events in {args.conversations} conversations, loaded in {took:.1f} s")
    config = ReportingConfig(reporter=Reporter("Ada", "Admin", "safety@example.org"))
    with db.reading() as s:
        case_ids = list(s.scalars(select(CaseRow.id).limit(50)))
    print(f"cases: {len(case_ids)} sampled")

    def one_report() -> None:
        for cid in case_ids:
            with db.reading() as s:
                ev = gather(s, cid)
            assert validate(report_xml(ev, config, {})).ok
            eu_document(ev, config, [])

    per_case = timed(one_report, 3) / max(1, len(case_ids))
    print(f"gather + CyberTipline XML + XSD validation + EU JSON: {per_case * 1000:.1f} ms per case (median of 3)")

    def list_statements() -> None:
        with db.reading() as s:
            dsa.statements(s, limit=1000)

    print(f"statements of reasons, newest 1,000: {timed(list_statements, 3) * 1000:.0f} ms")
    with db.reading() as s:
        items = dsa.statements(s, limit=100_000)
    started = time.perf_counter()
    body = b"".join(__import__("orjson").dumps(st.transparency_db(config)) + b"\n" for st in items)
    print(f"Transparency Database export: {len(items)} statements, {len(body) / 1e6:.1f} MB in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    later = datetime(2028, 1, 1, tzinfo=UTC)
    policy = retention.RetentionPolicy.parse("messages=30,media_hashes=30,decisions=30,cases=30")
    started = time.perf_counter()
    report = retention.purge(db, policy, dry_run=True, now=later)
    print(f"retention dry run over everything: {report.counts} in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    added = 0
    while True:
        n = outbox.fill(limit=1_000)
        added += n
        if not n:
            break
    took = time.perf_counter() - started
    print(f"webhook outbox fill: {added} deliveries queued from {events} decisions in {took:.2f} s")
    db.close()


if __name__ == "__main__":
    main()
