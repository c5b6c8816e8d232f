"""Conversations in four languages made from the independent line set: does the conversation model treat Dutch,
German and French as it treats English?

    .venv/bin/python bench/eval_cross_lingual.py [--rules-only] [--per-language 60] [--seed 7]

The kit has grooming chat in English only, so there is no real Dutch, German or French grooming conversation to
measure on. This builds the same synthetic conversations in each language from ``bench/data/tactic_lines.jsonl``
(written independently of the training lines, the exemplars and the rules) and scores them through
``waakhond.detectors.conversation.score_conversation``, the ``classify --kind conversation`` path:

- *grooming*: 40 lines between two people; one of them writes 8 tactic lines of different tactics in the order
  of a grooming arc (contact and trust first, isolation next, escalation last), spread over the chat; every
  other line is an ordinary line of that language;
- *ordinary*: 40 ordinary lines of that language between two people.

In half of each kind the second person states an age under 18 (a line of our own per language), so a stated age
alone tells the kinds apart in neither. The lines are short written chat, not real conversations: what counts is
the difference between languages, not the level.

With ``--kit DIR`` (the research kit) it also measures the length trap per language: the kit's ordinary English
chit-chat, Dutch and German sentences of the calibrate and test splits (never trained on), shuffled and strung
into two-person chats of 60, 200 and 400 lines, 30 of each; it prints how many are flagged.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from collections import defaultdict
from pathlib import Path

import orjson

#: Grooming arc: a conversation takes one tactic from each stage it reaches, in this order.
ARC = (
    ("compliment", "age_probe"),
    ("personal_info", "risk_check", "reward_offer"),
    ("secrecy", "off_platform"),
    ("image_request", "pressure", "meeting"),
    ("sexual_content", "sextortion"),
)
#: A child's age, stated in each language (our own lines).
AGE_LINE = {"en": "im 13 btw", "nl": "ik ben 13 hoor", "de": "bin 13 übrigens", "fr": "j'ai 13 ans"}
LENGTH = 40
TACTIC_LINES = 8


def conversations(rows: list[dict], lang: str, n: int, rng: random.Random) -> list[tuple[int, list[dict]]]:
    tactic: dict[str, list[str]] = defaultdict(list)
    ordinary: list[str] = []
    for r in rows:
        if r["lang"] != lang:
            continue
        if r["tactics"]:
            tactic[r["tactics"][0]].append(r["text"])
        else:
            ordinary.append(r["text"])
    out: list[tuple[int, list[dict]]] = []
    for k in range(2 * n):
        grooming = k % 2 == 0
        lines = rng.sample(ordinary, LENGTH)
        msgs = [{"text": t, "sender": "ab"[i % 2]} for i, t in enumerate(lines)]
        if grooming:
            chosen: list[str] = []
            for stage in ARC:
                chosen += rng.sample([t for t in stage if tactic[t]], min(2, len(stage)))
            chosen = chosen[:TACTIC_LINES]
            slots = sorted(rng.sample(range(0, LENGTH, 2), len(chosen)))  # the adult ("a") writes even lines
            for slot, t in zip(slots, chosen, strict=True):
                msgs[slot] = {"text": rng.choice(tactic[t]), "sender": "a"}
        if (k // 2) % 2 == 0:
            msgs[1 + 2 * rng.randrange(3, LENGTH // 2 - 1)] = {"text": AGE_LINE[lang], "sender": "b"}
        out.append((int(grooming), msgs))
    return out


def long_chats(kit: Path, seed: int, count: int = 30, lengths: tuple[int, ...] = (60, 200, 400)) -> None:
    from waakhond.detectors.conversation import score_conversation
    from waakhond.training.kit import kit_conversations

    held_out = [c for c in kit_conversations(kit, ("chitchat", "chatterbot", "tatoeba"))
                if c.label == 0 and c.split_for(seed) != "train"]
    print(f"\nlong ordinary chats from the kit (calibrate and test splits), flagged of {count}:")
    print(f"{'lang':<5} " + " ".join(f"{n:>5} lines" for n in lengths))
    for lang in ("en", "nl", "de"):
        rng = random.Random(f"{seed}:{lang}:long")
        texts = [m["text"] for c in held_out if c.lang == lang and (lang != "en" or c.source.startswith("chitchat"))
                 for m in c.messages if m["text"]]
        rng.shuffle(texts)
        cells = []
        for n in lengths:
            flagged = 0
            for k in range(count):
                start = (k * n) % max(1, len(texts) - n)
                chat = [{"text": t, "sender": "ab"[i % 2]} for i, t in enumerate(texts[start : start + n])]
                flagged += score_conversation(chat).flagged
            cells.append(f"{flagged:>11}")
        print(f"{lang:<5} " + " ".join(cells))


def roc_auc(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, default=Path(__file__).with_name("data") / "tactic_lines.jsonl")
    ap.add_argument("--per-language", type=int, default=60, help="conversations of each kind per language")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--kit", type=Path, help="the research kit: also measure long ordinary chats per language")
    args = ap.parse_args()
    if args.rules_only:
        os.environ["WAAKHOND_LEARNED"] = "0"
    from waakhond.detectors.conversation import score_conversation

    rows = [orjson.loads(line) for line in args.file.read_bytes().splitlines() if line.strip()]
    print(f"{'lang':<5} {'grooming flagged':>17} {'ordinary flagged':>17} {'ROC-AUC':>8} {'median alert':>13}")
    for lang in ("en", "nl", "de", "fr"):
        rng = random.Random(f"{args.seed}:{lang}")
        scores, labels, alerts = [], [], []
        flagged = {0: 0, 1: 0}
        for label, msgs in conversations(rows, lang, args.per_language, rng):
            s = score_conversation(msgs)
            scores.append(s.peak_risk)
            labels.append(label)
            flagged[label] += s.flagged
            if label and s.alert_at is not None:
                alerts.append((s.alert_at + 1) / len(msgs))
        n = args.per_language
        median = f"{statistics.median(alerts):.0%} read" if alerts else "-"
        print(f"{lang:<5} {flagged[1]:>10} of {n:<4} {flagged[0]:>10} of {n:<4} {roc_auc(scores, labels):>8.3f} "
              f"{median:>13}")
    if args.kit:
        long_chats(args.kit, args.seed)


if __name__ == "__main__":
    main()
