"""The learned tier's speed and size: model load time, resident memory, and conversation scoring with the
learned tier on one core (target: load < 3 s, RSS < 1 GB, ≥ 1,000 messages/s).

    taskset -c 0 .venv/bin/python bench/bench_learned.py [--messages 20000]

Uses the generated corpus of bench_classify.py (no research data). Prints figures only.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_classify import corpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    from waakhond.detectors.text.learned.model import shipped

    model = shipped()
    load = time.perf_counter() - start
    if model is None:
        print("no learned model installed")
        return 1
    from waakhond.detectors.conversation import score_conversation
    from waakhond.detectors.text.tactics import classify_text

    classify_text("warm up")
    print(f"model load (weights, tokenizer, exemplar index; rule tier excluded): {load:.2f} s")
    lines = corpus(args.messages)
    convs = [lines[i : i + 200] for i in range(0, len(lines), 200)]
    for learned in (False, True):
        start = time.perf_counter()
        for conv in convs:
            score_conversation(({"text": t, "sender": str(j % 2)} for j, t in enumerate(conv)),
                               model=learned)
        dt = time.perf_counter() - start
        name = "rules + learned tier" if learned else "rule tier alone    "
        print(f"score_conversation, {name} (200-message conversations): {len(lines) / dt:,.0f} messages/s")
    start = time.perf_counter()
    model.score_plain(["how old are you"] * 1)
    n = 2000
    for i in range(n):
        model.score_plain([lines[i]])
    dt = time.perf_counter() - start
    print(f"learned tier alone, one line at a time (engine path): {n / dt:,.0f} lines/s")
    import io

    import orjson

    from waakhond.cli.classify import run

    payload = [orjson.dumps({"id": str(i), "text": t}) for i, t in enumerate(lines)]
    start = time.perf_counter()
    run("message", payload, io.BytesIO())
    dt = time.perf_counter() - start
    print(f"classify --kind message path (JSON in/out, rules + learned, chunks of 256): {len(lines) / dt:,.0f} lines/s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {rss:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
