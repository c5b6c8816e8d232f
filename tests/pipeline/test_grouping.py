"""A decision depends on the event and on what came before it, never on which other requests happened to share
its transaction: under load the API puts concurrent requests in one transaction (group commit), and memory is
read once per batch and written back in bulk. Both stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.conftest import _fresh_postgres

from waakhond.demo.world import demo_events
from waakhond.events import Event, InvalidInput
from waakhond.pipeline import Engine
from waakhond.store.database import Database

MEMORY_TABLES = ("accounts", "relations", "conversations", "cases", "risk_history", "account_behaviour",
                 "style_profiles", "stream_rooms", "account_identifiers")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Database]]:
    made: list[Database] = []

    def make() -> Database:
        if request.param == "sqlite":
            db = Database.connect(f"sqlite:///{tmp_path}/{len(made)}.db")
        else:
            db = Database.connect(_fresh_postgres(request.getfixturevalue("postgres_url")))
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()


def _decide(engine: Engine, groups: list[list[Event]]) -> list[Any]:
    out: list[Any] = []
    for result in engine.process_groups(groups):
        out.append(result.status if isinstance(result, InvalidInput) else [d.as_dict() for d in result])
    return out


def _memory(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.db.engine.connect() as conn:
        return {t: sorted(tuple(map(str, r)) for r in conn.execute(text(f"select * from {t}")))
                for t in MEMORY_TABLES}


def test_decisions_and_memory_do_not_depend_on_grouping(new_db: Callable[[], Database]) -> None:
    events = demo_events()
    conflict = events[5].model_copy(update={"occurred_at": events[5].occurred_at.replace(year=2030)})
    replay = events[3]
    # one request per event, each in its own transaction
    alone = Engine(new_db())
    expected = [r for e in events for r in _decide(alone, [[e]])]
    expected_memory = _memory(alone)

    # the same requests, seven to a transaction; one group also carries a conflicting event (409: that group is
    # retried request by request) and one a replay of a stored event
    grouped = Engine(new_db())
    got: list[Any] = []
    for i in range(0, len(events), 7):
        requests = [[e] for e in events[i : i + 7]]
        extra = [[conflict]] if i == 7 else [[replay]] if i == 14 else []
        answers = _decide(grouped, requests + extra)
        got += answers[: len(requests)]
        if extra:
            assert answers[-1] == (409 if i == 7 else _decide(alone, [[replay]])[0])
    assert got == expected
    assert _memory(grouped) == expected_memory

    # and all of them as one batch
    batch = Engine(new_db())
    assert [d.as_dict() for d in batch.process(events)] == [d for r in expected for d in r]
    assert _memory(batch) == expected_memory
