"""CPU cost of the engine path per event, in process: the figure behind the API's throughput.

    .venv/bin/python bench/engine_cost.py                       # groups of 1, 8 and 32 events
    .venv/bin/python bench/engine_cost.py --groups 32 --profile  # plus the top of a cProfile

Feeds the same events as ``bench/api_load.py`` (DM messages between random pairs of 400 accounts, nearly every
one a first contact) through :meth:`waakhond.pipeline.Engine.process_groups` on a fresh SQLite file, in groups
of the size a busy API worker sees (group commit shares one transaction among concurrent requests), and prints
CPU time (``time.process_time``) per event: parsing, detectors, memory, policy, the writes and the commit. CPU
time, not wall-clock time, so the figure holds on a machine shared with other work; pin it with
``taskset -c 0`` for steadier figures. The HTTP layer comes on top.

The load generator's chat lines come from a list of 15, so a group holds the same line more than once, and the
tactic detector reads each distinct line of a group once. ``--unique-texts`` gives every message its own text
(a made-up word appended), as real traffic mostly has; it is the fairer figure.

For a figure that does not move with the machine's load, count instructions with valgrind at two sizes:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/engine_cost.py --groups 8 --events 96
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/engine_cost.py --groups 8 --events 352

and divide the difference of the two "refs" totals by 256 (start-up and warm-up cancel out). Quicker, and the
same figure within half a percent: count only the measured groups (``--callgrind`` switches callgrind's
instrumentation on after the warm-up and off after the last group; start-up runs uninstrumented, several times
faster) and divide the "Collected" total by the number of events printed:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \
        python bench/engine_cost.py --groups 8 --events 512 --callgrind
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from api_load import make_events

from waakhond.events import parse_event
from waakhond.pipeline import Engine
from waakhond.store.database import Database


def _callgrind(on: bool) -> None:
    """Switch callgrind's instrumentation of this process on or off (``callgrind_control``)."""
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True,
                   capture_output=True)


def run(group: int, n: int, profile: bool, unique: bool = False, callgrind: bool = False) -> float:
    """CPU ms per event for ``n`` message events in groups of ``group``, after accounts and a warm-up."""
    bodies = [orjson.loads(b) for b in make_events(n + 300, unique_texts=unique)]
    with tempfile.TemporaryDirectory(prefix="waakhond-cost-") as tmp:
        engine = Engine(Database.connect(f"sqlite:///{Path(tmp) / 'cost.db'}"))
        warm, rest = bodies[:300], bodies[300:]
        for i in range(0, len(warm), 8):  # accounts + warm-up (loads the learned tier, fills caches)
            engine.process_groups([[parse_event(v)] for v in warm[i : i + 8]])
        profiler = cProfile.Profile() if profile else None
        if callgrind:
            _callgrind(True)
        start = time.process_time()
        if profiler:
            profiler.enable()
        for i in range(0, len(rest), group):
            engine.process_groups([[parse_event(v)] for v in rest[i : i + group]])
        if profiler:
            profiler.disable()
        cpu = time.process_time() - start
        if callgrind:
            _callgrind(False)
            print(f"  callgrind: {len(rest)} events measured")
        engine.db.close()
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return cpu / len(rest) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=3000, help="message events per group size")
    ap.add_argument("--groups", type=int, nargs="+", default=[1, 8, 32], help="requests per transaction")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the last group size")
    ap.add_argument("--unique-texts", action="store_true", help="give every message a text of its own")
    ap.add_argument("--callgrind", action="store_true",
                    help="under valgrind --instr-atstart=no: instrument only the measured groups")
    args = ap.parse_args()
    texts = "every message its own text" if args.unique_texts else "the load generator's 15 lines"
    print(f"Engine CPU per event (parse + detectors + memory + policy + writes + commit), SQLite file, {texts}:")
    for k, g in enumerate(args.groups):
        ms = run(g, args.events, args.profile and k == len(args.groups) - 1, args.unique_texts, args.callgrind)
        print(f"  groups of {g:>3} single-event requests: {ms:.3f} ms CPU per event ({1000 / ms:,.0f} events per "
              f"CPU-second)")


if __name__ == "__main__":
    main()
