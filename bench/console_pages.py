"""Review console page times with a big store: 10,000 open cases and 1,000,000 messages in PostgreSQL.

    .venv/bin/python bench/console_pages.py                      # the full size (a few minutes to load)
    .venv/bin/python bench/console_pages.py --messages 100000    # a quick run
    WAAKHOND_DATABASE_URL=postgresql://… .venv/bin/python bench/console_pages.py --url env

Starts a throw-away PostgreSQL server (the ``PostgresServer`` of the test set-up; Debian's ``postgresql``
package) unless ``--url`` is given, bulk-loads rows with COPY (not through the pipeline: this measures the
pages, not the engine), then requests the pages in-process through the ASGI app with a logged-in session and
prints server times (median, p95, max). The case page includes its audited ``case.view`` write.

Shape: one DM conversation per case (messages / cases messages each, every 10th adult line a tactic line with
its stored decision, signals and spans); every message has a decision row, as the pipeline stores; 10 risk
points per adult; one report for every fifth reported adult; priorities urgent/high/normal/low.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LINES = ["did you finish the homework?", "lol same", "see you at school", "that level was so hard",
         "what song is next", "my mom says hi"]
TACTIC_LINES = [
    ("how old are you?", "age_probe", 0, 15),
    ("are your parents home right now?", "risk_check", 0, 21),
    ("let's keep this just between us", "secrecy", 6, 31),
    ("add me on snap, easier there", "off_platform", 0, 15),
    ("I can send you 500 coins", "reward_offer", 2, 24),
]
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _copy(conn: Any, table: str, columns: list[str], rows: Any) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load(url: str, cases: int, messages: int, seed: int = 11) -> None:
    import psycopg

    rng = random.Random(seed)
    per = max(2, messages // cases)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        now = datetime.now(UTC)

        def accounts() -> Any:
            for i in range(cases):
                yield (f"a{i}", 1980 + i % 20, None, "self_declared", T0 - timedelta(days=i % 40), "en", i % 3 == 0,
                       False, False, rng.random(), int(i % 5 == 0), 0, 3, 1, orjson.dumps(
                           {"device_hash": f"dev{i % (cases // 2)}"}).decode(), now)
                yield (f"k{i}", 2013, None, "self_declared", T0 - timedelta(days=300), "en", True, False, False, 0.0,
                       0, 0, 0, 0, "{}", now)

        _copy(conn, "accounts", ["id", "birth_year", "age_band", "age_source", "created_at", "language",
                                 "has_profile_photo", "trusted_flagger", "suspended", "risk", "reports_received",
                                 "blocks_received", "first_contacts", "first_contacts_to_minors", "profile",
                                 "updated_at"], accounts())

        case_events: dict[int, list[str]] = {}

        def events() -> Any:
            rng = random.Random(seed)  # the same messages on every pass
            for c in range(cases):
                conv = f"dm:a{c}:k{c}"
                base = T0 + timedelta(minutes=c)
                risky: list[str] = []
                for m in range(per):
                    eid = f"m{c}-{m}"
                    adult = m % 2 == 0
                    sender, recipient = (f"a{c}", f"k{c}") if adult else (f"k{c}", f"a{c}")
                    tactic = TACTIC_LINES[(m // 10) % len(TACTIC_LINES)] if adult and m % 10 == 0 else None
                    text = tactic[0] if tactic else rng.choice(LINES)
                    if tactic:
                        risky.append(eid)
                    at = base + timedelta(minutes=m)
                    payload = {"id": eid, "kind": "message", "occurred_at": at.isoformat(), "sender_id": sender,
                               "recipient_ids": [recipient], "channel": "dm", "text": text}
                    yield (eid, "message", at, at, sender, conv, "0" * 64, orjson.dumps(payload).decode()), tactic
                case_events[c] = risky[-5:]
                if c % 5 == 0:
                    rid = f"r{c}"
                    payload = {"id": rid, "kind": "report", "occurred_at": base.isoformat(), "reporter_id": f"k{c}",
                               "subject_account_id": f"a{c}", "category": "grooming"}
                    yield (rid, "report", base, base, f"k{c}", None, "0" * 64, orjson.dumps(payload).decode()), None

        def decision_rows() -> Any:
            for row, tactic in events():
                eid, conv = row[0], row[5]
                signals = []
                verdict = "allow"
                if tactic:
                    _, name, a, b = tactic
                    signals = [{"name": name, "score": 0.9, "explanation": f"{name.replace('_', ' ')}",
                                "detector": "tactics", "spans": [{"start": a, "end": b, "text": tactic[0][a:b]}]}]
                    verdict = "hold_message" if name == "reward_offer" else "allow"
                body = {"event_id": eid, "kind": row[1], "verdict": verdict, "actions": [], "signals": signals,
                        "rules": [], "explanation": "bench", "facts": {}, "conversation_id": conv,
                        "policy_version": "bench"}
                yield (eid, verdict, conv, row[4], "bench", row[2], orjson.dumps(body).decode())

        n_events = _copy(conn, "events", ["id", "kind", "occurred_at", "received_at", "actor_id", "conversation_id",
                                          "digest", "payload"], (row for row, _ in events()))
        n_dec = _copy(conn, "decisions", ["event_id", "verdict", "conversation_id", "actor_id", "policy_version",
                                          "created_at", "body"], decision_rows())

        def conversations() -> Any:
            for c in range(cases):
                state = {"tactic_counts": {"age_probe": 2, "secrecy": 1}, "evidence": [
                    {"index": 0, "event_id": f"m{c}-0", "sender": f"a{c}", "tactics": ["age_probe"],
                     "contribution": 0.2}]}
                yield (f"dm:a{c}:k{c}", "dm", orjson.dumps([f"a{c}", f"k{c}"]).decode(), 0.8, True, f"m{c}-0", per,
                       orjson.dumps(state).decode(), "[]", T0, T0 + timedelta(minutes=c + per))

        _copy(conn, "conversations", ["id", "channel", "participants", "risk", "alerted", "alert_event_id",
                                      "message_count", "state", "nudged", "created_at", "last_at"], conversations())
        _copy(conn, "relations", ["source_id", "target_id", "follows", "friends", "blocked", "messages", "first_at",
                                  "last_at"],
              ((f"a{c}", f"k{c}", c % 2 == 0, False, False, per // 2, T0, T0 + timedelta(days=1))
               for c in range(cases)))
        _copy(conn, "risk_history", ["account_id", "at", "risk", "event_id"],
              ((f"a{c}", T0 + timedelta(hours=h), min(1.0, 0.1 * (h + 1)), None)
               for c in range(cases) for h in range(10)))
        # device hashes shared by two adults each: "linked accounts" on the case page
        _copy(conn, "account_identifiers", ["kind", "value", "account_id", "first_at"],
              (("device", f"dev{i % (cases // 2)}", f"a{i}", T0) for i in range(cases)))
        prios = [("urgent", 0), ("high", 1), ("normal", 2), ("low", 3)]
        _copy(conn, "cases", ["subject_key", "status", "priority", "priority_rank", "account_id", "conversation_id",
                              "reason", "event_ids", "created_at", "updated_at"],
              ((f"conversation:dm:a{c}:k{c}", "open", *prios[c % 4], f"a{c}", f"dm:a{c}:k{c}",
                "rule bench: tactic age_probe 0.90, recipient_is_minor → queue_case",
                orjson.dumps(case_events.get(c, [])).decode(), T0 + timedelta(minutes=c), T0 + timedelta(minutes=c))
               for c in range(cases)))
        conn.commit()
        conn.execute("ANALYZE")
        print(f"loaded {cases:,} cases, {n_events:,} events ({per} messages per conversation), "
              f"{n_dec:,} decisions in {time.perf_counter() - started:.1f} s")


def measure(url: str, cases: int, repeat: int) -> dict[str, list[float]]:
    import re

    from fastapi.testclient import TestClient

    from waakhond.api.app import create_app
    from waakhond.console import auth
    from waakhond.pipeline import Engine
    from waakhond.store.database import Database

    db = Database.connect(url)
    with contextlib.suppress(auth.AuthError):  # the user exists in a store loaded earlier (--skip-load)
        auth.create_user(db, "bench", "moderator", "bench password 123", created_by="bench")
    app = create_app(Engine(db))
    times: dict[str, list[float]] = {"queue first page": [], "queue deep page (keyset)": [], "case page": []}
    rng = random.Random(3)
    with TestClient(app) as client:
        page = client.get("/console/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = client.post("/console/login", data={"username": "bench", "password": "bench password 123",
                                                "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303, r.text
        client.get("/console/")  # warm up
        deep = None
        html = client.get("/console/").text
        for _ in range(20):  # walk 20 pages (1,000 cases) to get a deep cursor
            m = re.search(r'rel="next" href="([^"]+)"', html)
            if not m:
                break
            deep = m.group(1).replace("&amp;", "&")
            html = client.get(deep).text
        for _ in range(repeat):
            for name, path in (("queue first page", "/console/"), ("queue deep page (keyset)", deep or "/console/"),
                               ("case page", f"/console/cases/{rng.randint(1, cases)}")):
                t = time.perf_counter()
                resp = client.get(path)
                times[name].append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, (path, resp.status_code)
        assert "<mark" in client.get("/console/cases/1").text  # the page really shows highlighted lines
    db.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=50, help="requests per page kind")
    ap.add_argument("--skip-load", action="store_true", help="measure a store loaded by an earlier run (--url)")
    ap.add_argument("--url", default=None, help="a PostgreSQL URL, or 'env' for WAAKHOND_DATABASE_URL "
                                                 "(default: start a throw-away server)")
    args = ap.parse_args()
    server = None
    if args.url == "env":
        import os

        url = os.environ["WAAKHOND_DATABASE_URL"]
    elif args.url:
        url = args.url
    else:
        from tests.conftest import PostgresServer

        server = PostgresServer()
        url = server.start()
    try:
        from waakhond.store.database import Database

        Database.connect(url).close()  # migrate
        if not args.skip_load:
            load(url, args.cases, args.messages)
        times = measure(url, args.cases, args.repeat)
    finally:
        if server is not None:
            server.stop()
    print(f"\nserver time per page, {args.repeat} requests each (ms):")
    print(f"{'page':28} {'median':>8} {'p95':>8} {'max':>8}")
    for name, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(f"{name:28} {statistics.median(values):8.1f} {p95:8.1f} {values[-1]:8.1f}")


if __name__ == "__main__":
    main()
