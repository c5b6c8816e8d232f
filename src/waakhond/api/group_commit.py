"""Group commit: concurrent API requests share one transaction.

Each request still gets its own answer: the writer processes whatever requests have queued while the
previous transaction ran, all in one transaction; if that fails, each request is retried alone, so one bad
request never fails another (see :meth:`waakhond.pipeline.Engine.process_groups`). Under light load a batch
is one request and nothing waits; under heavy load the per-transaction cost is shared by many events.

A group of up to :data:`INLINE_EVENTS` events is processed on the event loop's own thread. Handing it to a
worker thread cost a thread switch per transaction, and while the worker ran, Python's lock went back and forth
between it and the event loop for every request that arrived and every SQLite or numpy call that releases the
lock: on one core that is CPU the engine needs (``bench/api_load.py`` at 500 events/s: 1.42-1.48 ms of server
CPU per event instead of 1.61-1.72, in alternating runs). Requests that arrive meanwhile wait in the socket
buffers and are read right after the transaction, which is when they would have been processed anyway. Larger
groups (a backlog, or batch requests of hundreds of events) still go to a worker thread, so the other endpoints
never wait for long.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from waakhond.actions import Decision
from waakhond.events import Event
from waakhond.pipeline import Engine

#: Most events one shared transaction takes (more wait for the next one).
MAX_GROUP_EVENTS = 1_000
#: Groups of at most this many events are processed on the event loop's thread (a few tens of milliseconds).
INLINE_EVENTS = 64


class GroupCommit:
    def __init__(self, engine: Engine, max_events: int = MAX_GROUP_EVENTS, inline_events: int = INLINE_EVENTS) -> None:
        self.engine = engine
        self.max_events = max_events
        self.inline_events = inline_events
        self._queue: asyncio.Queue[tuple[Sequence[Event], asyncio.Future[list[Decision]]]] | None = None
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, events: Sequence[Event]) -> list[Decision]:
        if self._queue is None or self._writer is None or self._writer.done():
            self._queue = asyncio.Queue()
            self._writer = asyncio.create_task(self._write(self._queue))
        future: asyncio.Future[list[Decision]] = asyncio.get_running_loop().create_future()
        await self._queue.put((events, future))
        return await future

    async def _write(self, queue: asyncio.Queue[tuple[Sequence[Event], asyncio.Future[list[Decision]]]]) -> None:
        while True:
            groups = [await queue.get()]
            # Let the requests whose bytes have already arrived reach the queue first (their handlers are ready
            # to run, but have not run yet): they then share this transaction instead of each waiting for one of
            # their own. Costs one pass of the event loop; nothing waits for new requests.
            await asyncio.sleep(0)
            size = len(groups[0][0])
            while size < self.max_events and not queue.empty():
                item = queue.get_nowait()
                groups.append(item)
                size += len(item[0])
            batches = [g for g, _ in groups]
            try:
                if size <= self.inline_events:
                    results = self.engine.process_groups(batches)
                else:
                    results = await run_in_threadpool(self.engine.process_groups, batches)
            except BaseException as exc:  # never leave a request waiting forever
                for _, future in groups:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("shutting down"))
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(groups, results, strict=True):
                if future.done():  # the client went away
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self._writer = None
