"""Measure the rule tier on the research kit (read at run time; nothing from it is written anywhere).

    .venv/bin/python bench/eval_rules_on_kit.py --kit /work/shared/data/grooming-kit

Prints, never stores: per-tactic hit rates on offender lines vs benign lines, the fraction of benign lines with
any tactic, and conversation-level ROC-AUC / precision / recall / F0.5 at ALERT_THRESHOLD.

How the conversations are built (the kit's PJ files lost the turn order between offender and decoy):
- positives: each PJ offender's own lines, in order, cut into windows of ``--window`` lines (default 150; at
  most ``--max-windows`` per offender so prolific offenders do not dominate); plus PAN12 label-1 conversations
  (both sides, in order).
- negatives: BYU chit-chat conversations (1:1 volunteer chats) and PAN12 label-0 conversations (IRC, adult chat).
- ``--facts``: also score with the facts a platform would give (the PJ recipient is a minor; chit-chat and PAN12
  recipients' ages unknown), to show what account facts add.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from waakhond.detectors.conversation import ALERT_THRESHOLD, score_conversation
from waakhond.detectors.text.labels import LABELS
from waakhond.detectors.text.tactics import classify_text


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _roc_auc(pos: list[float], neg: list[float]) -> float:
    scored = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum = 0.0
    i = 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        avg = (i + j + 1) / 2.0
        rank_sum += avg * sum(1 for k in range(i, j) if scored[k][1] == 1)
        i = j
    n_pos, n_neg = len(pos), len(neg)
    if not n_pos or not n_neg:
        return float("nan")
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def _line_rates(name: str, lines: list[str]) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    any_hit = 0
    for text in lines:
        hits = classify_text(text)
        if hits:
            any_hit += 1
        counts.update(hits.keys())
    return counts, any_hit


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kit", type=Path, required=True)
    ap.add_argument("--window", type=int, default=150)
    ap.add_argument("--max-windows", type=int, default=4)
    ap.add_argument("--line-sample", type=int, default=40000, help="lines sampled per group for line rates")
    ap.add_argument("--chitchat-convs", type=int, default=3000)
    ap.add_argument("--facts", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    kit: Path = args.kit

    # ---------------------------------------------------------------- load
    pj_off: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in _read(kit / "pj.jsonl.gz"):
        if r.get("author_role") == "predator":
            pj_off[r["conversation_id"]].append((int(r["msg_idx"]), r["text"]))
    pan: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _read(kit / "pan12.jsonl.gz"):
        if r.get("label") in (0, 1):
            pan[r["conversation_id"]].append(r)
    chit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _read(kit / "chitchat.jsonl.gz"):
        chit[r["conversation_id"]].append(r)
    chatterbot = [r["text"] for r in _read(kit / "chatterbot.jsonl.gz")]
    tatoeba: dict[str, list[str]] = defaultdict(list)
    for r in _read(kit / "tatoeba.jsonl.gz"):
        tatoeba[r["lang"]].append(r["text"])

    def sample(xs: list[str]) -> list[str]:
        return xs if len(xs) <= args.line_sample else rng.sample(xs, args.line_sample)

    # ---------------------------------------------------------------- line level
    offender_lines = sample([t for lines in pj_off.values() for _, t in lines])
    groups: dict[str, list[str]] = {
        "pj offender": offender_lines,
        "pan12 predator": [r["text"] for rs in pan.values() for r in rs if r["author_role"] == "predator"],
        "chitchat": sample([r["text"] for rs in chit.values() for r in rs]),
        "chatterbot": chatterbot,
        "tatoeba nl": sample(tatoeba["nl"]),
        "tatoeba de": sample(tatoeba["de"]),
        "pan12 label 0": [r["text"] for rs in pan.values() for r in rs if r["label"] == 0],
    }
    print("## line level: fraction of lines with each tactic\n")
    header = "| tactic | " + " | ".join(groups) + " |"
    print(header)
    print("|" + "---|" * (len(groups) + 1))
    rates: dict[str, tuple[Counter[str], int]] = {}
    t0 = time.perf_counter()
    n_lines = 0
    for name, lines in groups.items():
        rates[name] = _line_rates(name, lines)
        n_lines += len(lines)
    dt = time.perf_counter() - t0
    for label in LABELS:
        cells = [f"{rates[g][0][label] / max(1, len(groups[g])):.4f}" for g in groups]
        print(f"| {label} | " + " | ".join(cells) + " |")
    cells = [f"**{rates[g][1] / max(1, len(groups[g])):.4f}**" for g in groups]
    print("| **any tactic** | " + " | ".join(cells) + " |")
    print("| lines | " + " | ".join(str(len(groups[g])) for g in groups) + " |")
    benign_names = ["chitchat", "chatterbot", "tatoeba nl", "tatoeba de", "pan12 label 0"]
    b_any = sum(rates[g][1] for g in benign_names)
    b_n = sum(len(groups[g]) for g in benign_names)
    print(f"\nbenign lines with any tactic: {b_any}/{b_n} = {b_any / b_n:.4f}")
    print(f"classify_text over {n_lines} kit lines: {n_lines / dt:,.0f} lines/s")

    # ---------------------------------------------------------------- conversation level
    def run(with_facts: bool) -> None:
        pos: list[float] = []
        neg: list[float] = []
        pos_flag = neg_flag = 0
        alert_pos: list[float] = []
        for _cid, lines in pj_off.items():
            lines.sort()
            texts = [t for _, t in lines]
            windows = [texts[i : i + args.window] for i in range(0, len(texts), args.window)]
            windows = [w for w in windows if len(w) >= 20][: args.max_windows]
            for w in windows:
                parts = {"offender": {}, "child": {"age": 13}} if with_facts else None
                s = score_conversation(({"text": t, "sender": "offender"} for t in w), parts)
                pos.append(s.peak_risk)
                if s.flagged:
                    pos_flag += 1
                    alert_pos.append((s.alert_at or 0) / len(w))
        for rs in pan.values():
            rs.sort(key=lambda r: r["msg_idx"])
            msgs = [{"text": r["text"], "sender": str(r.get("author_id") or r["author_role"])} for r in rs]
            parts = None
            if with_facts and rs[0]["label"] == 1:
                parts = {m["sender"]: {} for m in msgs}
                for r in rs:
                    if r["author_role"] == "decoy":
                        parts[str(r.get("author_id") or r["author_role"])] = {"age": 13}
            s = score_conversation(msgs, parts)
            if rs[0]["label"] == 1:
                pos.append(s.peak_risk)
                pos_flag += s.flagged
            else:
                neg.append(s.peak_risk)
                neg_flag += s.flagged
        keys = sorted(chit)
        for cid in rng.sample(keys, min(args.chitchat_convs, len(keys))):
            rs = sorted(chit[cid], key=lambda r: r["msg_idx"])
            msgs = [{"text": r["text"], "sender": str(r.get("author_id") or "")} for r in rs]
            s = score_conversation(msgs)
            neg.append(s.peak_risk)
            neg_flag += s.flagged
        tp, fp, fn = pos_flag, neg_flag, len(pos) - pos_flag
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / len(pos) if pos else float("nan")
        f05 = (1.25 * prec * rec / (0.25 * prec + rec)) if prec and rec and tp else 0.0
        what = "with facts (PJ/PAN12 recipient is 13)" if with_facts else "text only"
        print(f"\n## conversation level, {what}\n")
        print(f"positives {len(pos)} (PJ windows + PAN12 label 1), negatives {len(neg)} (chit-chat + PAN12 label 0)")
        print(f"ROC-AUC (peak risk) {_roc_auc(pos, neg):.4f}")
        print(
            f"at ALERT_THRESHOLD={ALERT_THRESHOLD}: precision {prec:.4f}  recall {rec:.4f}  F0.5 {f05:.4f}  "
            f"(tp {tp}, fp {fp}, fn {fn})"
        )
        for th in (0.5, 0.6, 0.7, 0.8, 0.9):
            tpx = sum(1 for p in pos if p >= th)
            fpx = sum(1 for n in neg if n >= th)
            px = tpx / (tpx + fpx) if tpx + fpx else float("nan")
            print(
                f"  threshold {th:.1f}: recall {tpx / len(pos):.4f}  false-positive rate {fpx / len(neg):.4f}  "
                f"precision {px:.4f}"
            )
        if alert_pos:
            alert_pos.sort()
            mid = alert_pos[len(alert_pos) // 2]
            print(f"median alert position inside flagged PJ windows: {mid:.2f} of the window")

    run(False)
    if args.facts:
        run(True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
