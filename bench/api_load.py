"""API load benchmark: one `waakhond serve` worker, an open-loop load generator on loopback.

    .venv/bin/python bench/api_load.py --rate 500 --seconds 20

Starts the engine on a fresh SQLite store in a temporary directory, pinned to one CPU (``--server-cpu``, 0 by
default; the load generator takes the other CPUs), creates an API key, then sends single
events (DM messages among generated accounts, a mix of ordinary chat and tactic lines) at a fixed rate over
keep-alive connections, and prints the achieved throughput and latency percentiles. The load is open-loop:
requests are sent on schedule whether or not earlier ones have answered, so a slow server shows up as
latency instead of silently lowering the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

LINES = [
    "did you finish the homework?", "lol same", "are you coming to practice tomorrow?", "great cover!!",
    "what song is next", "my mom says hi", "see you at school", "that level was so hard",
    "how old are you?", "are your parents home?", "add me on snap", "don't tell anyone about us",
    "i can send you 500 coins", "send me a pic", "you look so mature",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_events(n: int, seed: int = 7, unique_texts: bool = False) -> list[bytes]:
    """200 account events, then ``n`` DMs between random pairs of the first 400 accounts. The DM lines come from
    LINES; ``unique_texts`` appends a made-up word to each, so no two messages read the same (as in real traffic,
    and as the engine cannot read a line once for several messages of a batch)."""
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    users = [f"u{i}" for i in range(2000)]
    out = []
    for i in range(200):  # some accounts with ages first
        out.append({"id": f"acc{i}", "kind": "account", "occurred_at": t0.isoformat(), "account_id": users[i],
                    "birth_year": rng.choice([1980, 1990, 2012, 2013, 2014])})
    for i in range(n):
        a, b = rng.sample(users[:400], 2)
        text = rng.choice(LINES) + (" " + _word(i) if unique_texts else "")
        out.append({"id": f"msg{i}", "kind": "message", "occurred_at": (t0 + timedelta(seconds=i)).isoformat(),
                    "sender_id": a, "recipient_ids": [b], "channel": "dm", "text": text})
    return [orjson.dumps(e) for e in out]


def _word(i: int) -> str:
    """A made-up lowercase word for number ``i`` (no digits: numbers are read as ages)."""
    letters = "bcdfghjklmnpqrstvwxz"
    out = "zo"
    while True:
        i, r = divmod(i, len(letters))
        out += letters[r]
        if not i:
            return out


async def post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes, key: str) -> int:
    writer.write(
        b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    )
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return int(status_line.split()[1])


class _GcPauses:
    """The load generator's own garbage-collection pauses (``gc.callbacks``): a pause here delays sends and
    reads, and counts as latency of the server."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))


async def load(port: int, key: str, bodies: list[bytes], rate: float, connections: int,
               client_gc: bool = False) -> dict[str, Any]:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    send_lags: list[float] = []  # how late the client's loop started each request (its own stalls, not the server)
    errors = 0
    pauses = _GcPauses()
    gc.callbacks.append(pauses)
    # Every request's task, coroutine and answer stay alive until the end, so the generator's full collections
    # walk more objects as a run goes on: hundreds of milliseconds late in a run, on the client, counted as the
    # server's latency. The client does not collect during the run unless asked to (``--client-gc``).
    if not client_gc:
        gc.disable()
    start = time.perf_counter()

    async def one(body: bytes, scheduled: float) -> None:
        nonlocal errors
        conn = await pool.get()
        try:
            status = await post(*conn, body, key)
            if status != 200:
                errors += 1
        finally:
            pool.put_nowait(conn)
        # latency from the scheduled send time: queueing in the client counts against the server
        latencies.append(time.perf_counter() - scheduled)
        by_second.setdefault(int(scheduled - start), []).append(latencies[-1])

    by_second: dict[int, list[float]] = {}
    tasks = []
    for i, body in enumerate(bodies):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        send_lags.append(time.perf_counter() - scheduled)
        tasks.append(asyncio.create_task(one(body, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    gc.enable()
    gc.callbacks.remove(pauses)
    latencies.sort()
    send_lags.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"requests": len(bodies), "seconds": elapsed, "rate": len(bodies) / elapsed, "errors": errors,
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": latencies[-1] * 1000,
            # where the slow requests were: the seconds of the run (by send time) with the slowest requests
            "worst_seconds": sorted(((sec, max(v) * 1000) for sec, v in by_second.items()), key=lambda t: -t[1])[:3],
            # the client's share: how late its loop started requests (its own stalls) and its GC pauses
            "send_p99_ms": send_lags[min(len(send_lags) - 1, int(0.99 * len(send_lags)))] * 1000,
            "send_max_ms": send_lags[-1] * 1000,
            "gc_pauses": len(pauses.pauses), "gc_max_ms": max((d for _, d in pauses.pauses), default=0.0) * 1000,
            "gc_full": sum(1 for g, _ in pauses.pauses if g == 2)}


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time of a process and its threads (Linux ``/proc``), zeros where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _run_queue_seconds(pid: int) -> float:
    """Seconds the process's threads were ready to run but waited for a CPU (``/proc/PID/task/*/schedstat``):
    other programs on the server's CPU. 0.0 where unavailable."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    except OSError:
        return 0.0
    return total / 1e9


def _transactions(port: int, key: str) -> tuple[float, float]:
    """Transactions the engine ran so far and their total seconds (``waakhond_batch_seconds`` in ``/metrics``)."""
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"X-API-Key": key})
    count = total = 0.0
    with urllib.request.urlopen(request, timeout=30) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("waakhond_batch_seconds_count"):
                count = float(line.split()[-1])
            elif line.startswith("waakhond_batch_seconds_sum"):
                total = float(line.split()[-1])
    return count, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=500, help="events per second to offer")
    ap.add_argument("--seconds", type=float, default=20, help="how long to offer load")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--batch", type=int, default=1, help="events per request (1: one event a request)")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    ap.add_argument("--unique-texts", action="store_true", help="give every message a text of its own")
    ap.add_argument("--client-gc", action="store_true",
                    help="let the load generator collect garbage during the run (as before: its pauses count)")
    ap.add_argument("--server-cpu", type=int, default=0,
                    help="CPU the server is pinned to (the client runs on the others); -1: no pinning")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="waakhond-bench-"))
    env = {**os.environ, "WAAKHOND_DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db"}
    bin_dir = Path(sys.executable).parent
    key = orjson.loads(subprocess.run([str(bin_dir / "waakhond"), "apikey", "create", "bench", "--json"],
                                      env=env, check=True, capture_output=True).stdout)["key"]
    port = free_port()
    pin: list[str] = []
    if args.server_cpu >= 0 and hasattr(os, "sched_setaffinity"):
        others = os.sched_getaffinity(0) - {args.server_cpu}
        if others:  # one worker on one CPU, the load generator on the rest: they do not compete
            pin = ["taskset", "-c", str(args.server_cpu)]
            os.sched_setaffinity(0, others)
    server = subprocess.Popen([*pin, str(bin_dir / "waakhond"), "serve", "--port", str(port), "--log-level",
                               "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120  # start-up loads the text model and migrates: slow on a busy machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}")
                time.sleep(0.1)
        n = int(args.rate * args.seconds)
        bodies = make_events(n, unique_texts=args.unique_texts)
        warm, bodies = bodies[:300], bodies[300:]
        asyncio.run(load(port, key, warm, 300, 8))  # accounts + warm-up
        events = len(bodies)
        if args.batch > 1:
            bodies = [b"[" + b",".join(bodies[i : i + args.batch]) + b"]" for i in range(0, len(bodies), args.batch)]
        cpu_before, batches_before = _cpu_seconds(server.pid), _transactions(port, key)
        waited_before = _run_queue_seconds(server.pid)
        r = asyncio.run(load(port, key, bodies, args.rate / args.batch, args.connections, args.client_gc))
        user, system = (a - b for a, b in zip(_cpu_seconds(server.pid), cpu_before, strict=True))
        waited = _run_queue_seconds(server.pid) - waited_before
        batches, batch_seconds = (a - b for a, b in zip(_transactions(port, key), batches_before, strict=True))
        server_cpu = user + system
        what = "single-event requests" if args.batch == 1 else f"requests of {args.batch} events"
        what += ", every text its own" if args.unique_texts else ""
        print(f"API load, one worker, {what} on loopback ({args.database_url or 'SQLite'}):")
        print(f"  offered {args.rate:.0f} events/s for {args.seconds:.0f}s: {r['requests']} requests in "
              f"{r['seconds']:.1f}s = {r['rate'] * args.batch:.0f} events/s, errors {r['errors']}")
        print(f"  latency p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
              f"max {r['max_ms']:.1f} ms")
        print("  slowest seconds of the run (by send time): "
              + ", ".join(f"{sec} s: {ms:.0f} ms" for sec, ms in r["worst_seconds"]))
        print(f"  client: started requests p99 {r['send_p99_ms']:.1f} ms, at most {r['send_max_ms']:.1f} ms late; "
              f"its GC {'on' if args.client_gc else 'off'}: {r['gc_pauses']} collections "
              f"({r['gc_full']} full), longest {r['gc_max_ms']:.1f} ms")
        print(f"  server CPU {server_cpu:.1f} s = {server_cpu / events * 1000:.2f} ms per event "
              f"({user / events * 1000:.2f} user, {system / events * 1000:.2f} system; "
              f"{server_cpu / r['seconds'] * 100:.0f} % of one core); it waited {waited:.2f} s for its CPU "
              f"({waited / r['seconds'] * 100:.0f} % of the run: other programs on it)")
        if batches:  # group commit: how many requests shared a transaction, and how long one took
            print(f"  {batches:.0f} transactions, {events / batches:.1f} events each on average, "
                  f"{batch_seconds / batches * 1000:.1f} ms each (wall-clock); load average {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
