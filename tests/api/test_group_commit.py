"""Group commit: concurrent requests share transactions, but each gets its own answer and its own failure."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from tests.conftest import dm

from waakhond.api.group_commit import GroupCommit
from waakhond.events import InvalidInput, parse_batch
from waakhond.pipeline import Engine


def test_concurrent_requests_each_get_their_own_result(engine: Engine) -> None:
    engine.process(parse_batch(dm("taken", "a", "b", "hello")))
    requests = [
        parse_batch([dm("r1a", "a", "b", "hi"), dm("r1b", "b", "a", "hey")]),
        parse_batch(dm("taken", "a", "b", "a different text")),  # conflicts with a stored event
        parse_batch(dm("r3", "c", "d", "how old are you?")),
    ]

    async def run() -> list[Any]:
        writer = GroupCommit(engine)
        try:
            return await asyncio.gather(*(writer.submit(r) for r in requests), return_exceptions=True)
        finally:
            await writer.close()

    first, second, third = asyncio.run(run())
    assert [d.event_id for d in first] == ["r1a", "r1b"]
    assert isinstance(second, InvalidInput) and second.status == 409
    assert [d.event_id for d in third] == ["r3"]
    assert engine.decision("r1b") is not None and engine.decision("r3") is not None


def test_process_groups_shares_one_transaction_when_all_succeed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = engine.process
    monkeypatch.setattr(engine, "process", lambda events: calls.append(len(events)) or real(events))
    out = engine.process_groups([parse_batch(dm(f"m{i}", "a", "b", "hi")) for i in range(5)])
    assert calls == [5]
    assert [[d.event_id for d in r] for r in out] == [[f"m{i}"] for i in range(5)]  # type: ignore[union-attr]


def test_small_groups_run_on_the_loop_and_large_ones_in_a_worker_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large group (a backlog, a batch request) is processed in a worker thread, so the event loop keeps
    answering other requests meanwhile; a small one on the loop's thread, without the handoff."""
    threads: list[threading.Thread] = []
    real = engine.process_groups

    def record(groups: Any) -> Any:
        threads.append(threading.current_thread())
        return real(groups)

    monkeypatch.setattr(engine, "process_groups", record)

    async def run() -> list[Any]:
        writer = GroupCommit(engine, inline_events=3)
        try:
            small = await writer.submit(parse_batch(dm("s1", "a", "b", "hi")))
            large = await writer.submit(parse_batch([dm(f"l{i}", "a", "b", "hi") for i in range(4)]))
            return [small, large]
        finally:
            await writer.close()

    small, large = asyncio.run(run())
    assert [d.event_id for d in small] == ["s1"] and [d.event_id for d in large] == ["l0", "l1", "l2", "l3"]
    assert threads[0] is threading.main_thread() and threads[1] is not threading.main_thread()
