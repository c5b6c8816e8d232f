"""Contact-gating speed: answers per second on one core.

    .venv/bin/python bench/gating_speed.py                  # 20,000 accounts, 100,000 questions per stage
    .venv/bin/python bench/gating_speed.py --accounts 2000 --questions 20000

Measures three stages, each single-threaded:

1. the pure function :func:`~waakhond.actions.gating.may_contact` on prepared facts;
2. facts read from the store (SQLite, two indexed primary-key queries per question) + the answer;
3. the same through :class:`~waakhond.actions.gating.GateFactsCache` with a realistic repeat rate (a platform
   asks about the same pair again when a user opens the chat, types, sends), + the answer.

The store is filled through the engine's own tables with generated accounts (ages, follows, friendships).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from waakhond.actions.gating import GateFactsCache, GatingConfig, load_gate_facts, may_contact
from waakhond.policy import Policy
from waakhond.store.database import Database
from waakhond.store.schema import AccountRow, RelationRow

ACTIONS = ("contact", "message", "follow", "gift", "join_stream", "suggest")


def fill(db: Database, n: int, rng: random.Random) -> list[str]:
    now = datetime.now(UTC)
    ids = [f"u{i}" for i in range(n)]
    with db.transaction() as s:
        for aid in ids:
            s.add(AccountRow(id=aid, birth_year=rng.choice([rng.randint(2009, 2015), rng.randint(1960, 2005)]),
                             created_at=now - timedelta(days=rng.randint(1, 900)), language=rng.choice(["nl", "en"]),
                             has_profile_photo=True, trusted_flagger=False, suspended=rng.random() < 0.01,
                             risk=rng.random() ** 4, reports_received=0, blocks_received=0, first_contacts=0,
                             first_contacts_to_minors=0, profile={}, updated_at=now))
        s.flush()
        seen: set[tuple[str, str]] = set()
        for _ in range(n * 5):
            a, b = rng.sample(ids, 2)
            if (a, b) in seen:
                continue
            seen.add((a, b))
            s.add(RelationRow(source_id=a, target_id=b, follows=rng.random() < 0.8, friends=rng.random() < 0.2,
                              blocked=rng.random() < 0.01, messages=rng.randint(0, 20), first_at=now, last_at=now))
    return ids


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s  ({seconds / count * 1e6:,.1f} µs each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    config: GatingConfig = Policy.load().gating
    with tempfile.TemporaryDirectory(prefix="waakhond-gating-") as tmp:
        db = Database.connect(f"sqlite:///{Path(tmp) / 'g.db'}")
        t0 = time.perf_counter()
        ids = fill(db, args.accounts, rng)
        print(f"store: {args.accounts:,} accounts, ~{args.accounts * 5:,} relations in {time.perf_counter() - t0:.1f}s")
        # questions: a working set of pairs asked about repeatedly (open chat, type, send), plus new pairs
        pool = [tuple(rng.sample(ids, 2)) for _ in range(max(1, args.questions // 10))]
        questions = [(*(rng.choice(pool) if rng.random() < 0.8 else rng.sample(ids, 2)), rng.choice(ACTIONS))
                     for _ in range(args.questions)]

        with db.reading() as s:
            prepared = [(*load_gate_facts(s, a, b), action) for a, b, action in questions[:20_000]]
        start = time.perf_counter()
        refused = 0
        for _ in range(max(1, args.questions // len(prepared))):
            for actor, target, relation, action in prepared:
                refused += not may_contact(actor, target, relation, action, config).allowed
        pure = time.perf_counter() - start
        n_pure = max(1, args.questions // len(prepared)) * len(prepared)
        print(f"1. pure may_contact:               {rate(n_pure, pure)}  refused {refused / n_pure:.0%}")

        n_db = min(args.questions, 30_000)
        start = time.perf_counter()
        with db.engine.connect() as s:
            for a, b, action in questions[:n_db]:
                actor, target, relation = load_gate_facts(s, str(a), str(b))
                may_contact(actor, target, relation, action, config)
        print(f"2. store read (2 queries) + answer: {rate(n_db, time.perf_counter() - start)}")

        cache = GateFactsCache(ttl=1.0)
        start = time.perf_counter()
        for a, b, action in questions:
            actor, target, relation = cache.get(db.engine.connect, str(a), str(b))
            may_contact(actor, target, relation, action, config)
        print(f"3. 1-second cache + answer:         {rate(len(questions), time.perf_counter() - start)}")
        db.close()


if __name__ == "__main__":
    main()
