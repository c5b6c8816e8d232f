"""Do the engine's decisions and stored rows stay the same? A fingerprint of a fixed, mixed stream of events.

    .venv/bin/python bench/decision_check.py --save /tmp/before.json     # on the code before a change
    .venv/bin/python bench/decision_check.py --compare /tmp/before.json  # after it: exits 1 on any difference

Speed work on the write path must not change a single decision. This feeds a fixed stream through
:meth:`waakhond.pipeline.Engine.process_groups` on a fresh SQLite file, in seeded random groups of 1 to 100
requests (as group commit forms them), with requests of several events, replays of stored events, the same id
twice in one group and conflicting ids (a 409 that makes the group retry request by request). The stream mixes a
small simulated platform (``bench/simulated_platform.py``: accounts, contacts, DMs, livestreams, comments, gifts,
reports, moderation), the API load generator's DMs with their own texts and with its 15 repeated lines, and the
demo world. It records every answer (the decision as the API returns it, or the error's status) and every row
of every table as SQLite stores it (JSON as stored text, datetimes as stored strings), except the wall-clock
columns that differ from run to run (``events.received_at``, ``decisions.created_at``, the random store id): those
are only checked to be present. ``--compare`` prints the first differences.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from api_load import make_events
from simulated_platform import generate

from waakhond.demo.world import demo_raw
from waakhond.events import Event, InvalidInput, parse_event
from waakhond.pipeline import Engine
from waakhond.store.database import Database

#: columns holding the time of processing or a random store id, not anything the engine decided
WALL_CLOCK = {("events", "received_at"), ("decisions", "created_at"), ("media_bank_state", "store_id")}


def stream(seed: int = 11) -> list[dict[str, Any]]:
    """The fixed stream of raw events (about 4,500)."""
    sim = generate(0.02, seed=seed).events
    unique = [orjson.loads(b) for b in make_events(1200, seed=seed, unique_texts=True)]
    repeated = [orjson.loads(b) for b in make_events(600, seed=seed + 1)][200:]  # its accounts are in `unique`
    for e in unique:
        e["id"] = "u-" + e["id"]
    for e in repeated:
        e["id"] = "r-" + e["id"]
    return [*demo_raw(), *sim, *unique, *repeated]


def requests(raw: list[dict[str, Any]], seed: int) -> list[list[list[Event]]]:
    """Groups of requests: mostly one event each, some of 2-10; replays, twins and conflicts mixed in."""
    rng = random.Random(seed)
    out: list[list[list[Event]]] = []
    i = 0
    seen: list[dict[str, Any]] = []
    while i < len(raw):
        group: list[list[Event]] = []
        for _ in range(rng.randint(1, 100)):
            if i >= len(raw):
                break
            n = 1 if rng.random() < 0.9 else rng.randint(2, 10)
            events = raw[i : i + n]
            i += n
            req = [parse_event(e) for e in events]
            roll = rng.random()
            if seen and roll < 0.03:  # a replay of a stored event in the same request
                req.append(parse_event(rng.choice(seen)))
            elif seen and roll < 0.04:  # an id already used, with other content: 409
                twin = dict(rng.choice(seen))
                twin["occurred_at"] = "2031-01-01T00:00:00+00:00"
                req.append(parse_event(twin))
            elif roll < 0.05:  # the same event twice in one request
                req.append(req[0])
            group.append(req)
            seen.extend(events)
        out.append(group)
    return out


def answers(engine: Engine, groups: list[list[list[Event]]]) -> list[Any]:
    out: list[Any] = []
    for group in groups:
        for result in engine.process_groups(group):
            if isinstance(result, InvalidInput):
                out.append(["error", result.status])
            elif isinstance(result, Exception):
                out.append(["error", type(result).__name__, str(result)])
            else:
                out.append([d.as_dict() for d in result])
    return out


def tables(path: Path) -> dict[str, list[list[Any]]]:
    """Every row of every table as SQLite stores it (wall-clock columns only checked for presence)."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table' order by name")]
        out: dict[str, list[list[Any]]] = {}
        for name in names:
            if name == "alembic_version":
                continue
            cur = con.execute(f'select * from "{name}"')
            cols = [d[0] for d in cur.description]
            rows = []
            for r in cur:
                rows.append([("<set>" if v is not None else None) if (name, c) in WALL_CLOCK else
                             (v.hex() if isinstance(v, bytes) else v) for c, v in zip(cols, r, strict=True)])
            out[name] = [cols, *sorted(rows, key=repr)]
        return out
    finally:
        con.close()


def fingerprint(seed: int) -> dict[str, Any]:
    raw = stream(seed)
    groups = requests(raw, seed)
    with tempfile.TemporaryDirectory(prefix="waakhond-check-") as tmp:
        path = Path(tmp) / "check.db"
        db = Database.connect(f"sqlite:///{path}")
        got = answers(Engine(db), groups)
        db.close()
        stored = tables(path)
    return {"events": len(raw), "transactions": len(groups), "answers": got, "tables": stored}


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value)).hexdigest()[:16]


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    a, b = before["answers"], after["answers"]
    if len(a) != len(b):
        problems.append(f"answers: {len(a)} before, {len(b)} after")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            problems.append(f"answer {i} differs:\n  before {orjson.dumps(x)[:600]!r}\n"
                            f"  after  {orjson.dumps(y)[:600]!r}")
            if len(problems) > 5:
                return problems
    for name in sorted(set(before["tables"]) | set(after["tables"])):
        x, y = before["tables"].get(name), after["tables"].get(name)
        if x != y:
            if x is None or y is None:
                problems.append(f"table {name} only {'after' if x is None else 'before'}")
                continue
            problems.append(f"table {name}: {len(x) - 1} rows before, {len(y) - 1} after")
            for rx, ry in zip(x, y, strict=False):
                if rx != ry:
                    problems.append(f"  first different row:\n  before {rx!r:.600}\n  after  {ry!r:.600}")
                    break
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--save", type=Path, help="write the fingerprint to this JSON file")
    ap.add_argument("--compare", type=Path, help="compare with a fingerprint saved before")
    args = ap.parse_args()
    now = fingerprint(args.seed)
    rows = sum(len(t) - 1 for t in now["tables"].values())
    errors = sum(1 for a in now["answers"] if a and a[0] == "error")
    print(f"{now['events']:,} events in {now['transactions']:,} transactions: {len(now['answers']):,} answers "
          f"({errors} errors), {rows:,} stored rows; answers {_digest(now['answers'])}, "
          f"tables {_digest(now['tables'])}")
    if args.save:
        args.save.write_bytes(orjson.dumps(now))
    if args.compare:
        problems = compare(orjson.loads(args.compare.read_bytes()), now)
        print("\n".join(problems) if problems else "same answers and same stored rows as " + str(args.compare))
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
