"""Throughput of the rule tier on one core: ``classify_text`` alone, and with JSON in and out.

    .venv/bin/python bench/bench_classify.py [--lines 60000]

The corpus is generated from templates written here (ordinary chat in four languages, with a few tactic lines
mixed in), not from any research data. Prints figures only.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import orjson

from waakhond.detectors.conversation import score_conversation
from waakhond.detectors.text.tactics import classify_text

_SUBJECTS = ["i", "we", "my brother", "ik", "wij", "ich", "wir", "je", "on", "lol i", "omg we", "u"]
_VERBS = ["finished", "forgot", "played", "watched", "hebben", "haben", "ai fini", "loved", "hated", "need"]
_OBJECTS = [
    "the math homework",
    "minecraft with tom",
    "the new episode",
    "het huiswerk",
    "de toets",
    "die hausaufgaben",
    "das spiel",
    "les devoirs",
    "le match",
    "practice today",
    "the bus again",
    "my lunch",
    "that song",
]
_TAILS = ["", " lol", " haha", " tomorrow?", "!!", " 😂", " right now", " ff", " oder?", " mdr", " brb", " :)"]
_TACTICS = [
    "how old r u?",
    "add me on snap",
    "dont tell anyone ok",
    "send me a pic",
    "r u home alone",
    "hoe oud ben je",
    "heb je telegram?",
    "wie alt bist du",
    "schick mir ein bild",
    "t'as quel âge ?",
    "envoie moi une photo",
    "ur so pretty",
    "i'll give you 500 robux",
    "we should meet irl",
]


def corpus(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.05:
            out.append(rng.choice(_TACTICS))
        else:
            out.append(f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_TAILS)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=60_000)
    args = ap.parse_args(argv)
    lines = corpus(args.lines)
    classify_text("warm up")

    start = time.perf_counter()
    found = 0
    for line in lines:
        found += bool(classify_text(line))
    dt = time.perf_counter() - start
    print(
        f"classify_text: {len(lines) / dt:,.0f} messages/s ({dt / len(lines) * 1e6:.1f} µs each, "
        f"{found / len(lines):.1%} with a tactic)"
    )

    # Same work as `waakhond classify --kind message`: parse a JSON line, classify, write a JSON line.
    payloads = [orjson.dumps({"id": f"m{i}", "text": t}) for i, t in enumerate(lines)]
    start = time.perf_counter()
    out = []
    for raw in payloads:
        obj = orjson.loads(raw)
        hits = classify_text(obj["text"])
        out.append(orjson.dumps({"id": obj["id"], "tactics": {k: v.as_dict() for k, v in hits.items()}}))
    dt = time.perf_counter() - start
    print(f"JSON in → classify → JSON out: {len(payloads) / dt:,.0f} messages/s")

    start = time.perf_counter()
    convs = [lines[i : i + 500] for i in range(0, min(len(lines), 10_000), 500)]
    for conv in convs:
        score_conversation({"text": t, "sender": str(j % 2)} for j, t in enumerate(conv))
    dt = time.perf_counter() - start
    n = sum(len(c) for c in convs)
    print(f"score_conversation (500-message conversations): {n / dt:,.0f} messages/s")
    long_text = ("see you at practice tomorrow, bring the ball. " * 900)[:40_000]
    start = time.perf_counter()
    classify_text(long_text)
    print(f"one 40,000-character message: {(time.perf_counter() - start) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
