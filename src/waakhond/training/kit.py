"""Labelled conversations from the research kit (or from ``classify``-format files with a ``label``).

The kit's offender logs lost their turn order (one file per speaker), so a conversation is rebuilt by merging the
offender's and the decoy's lines by their relative position in each file: line *i* of *n* sits at *i / n* of the
way through. That keeps each side's order and spreads the two sides evenly, which is the best guess the data
allows; the evaluation reports earliness on these rebuilt conversations and says so.

Splits are by conversation (a hash of its id with the seed), never by line, so no conversation is in two splits.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from waakhond.training.corpus import kit_files, records

GROOMER = "groomer"
CHILD = "child"


@dataclass
class Conversation:
    id: str
    source: str
    lang: str
    label: int  # 1 = contains grooming, 0 = does not
    messages: list[dict[str, Any]] = field(default_factory=list)  # {"text", "sender", "role"}
    split: str | None = None  # set for derived conversations that must stay in their parts' split

    def split_for(self, seed: int = 7) -> str:
        return self.split or split_of(self.id, seed)

    def as_classify(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label,
                "messages": [{"text": m["text"], "sender": m["sender"]} for m in self.messages]}


def split_of(conversation_id: str, seed: int = 7) -> str:
    """``train`` (70 %), ``calibrate`` (15 %) or ``test`` (15 %), stable for a conversation id and seed."""
    h = int.from_bytes(hashlib.sha256(f"{seed}:{conversation_id}".encode()).digest()[:4], "big") % 100
    return "train" if h < 70 else "calibrate" if h < 85 else "test"


def _merge(sides: dict[str, list[str]]) -> list[dict[str, Any]]:
    tagged = []
    for role, lines in sides.items():
        n = len(lines)
        for i, text in enumerate(lines):
            tagged.append(((i + 0.5) / n, role, text))
    tagged.sort(key=lambda t: t[0])
    return [{"text": text, "sender": GROOMER if role == "predator" else CHILD if role == "decoy" else role,
             "role": role} for _, role, text in tagged]


def kit_conversations(kit: Path, sources: tuple[str, ...] = ("pj", "pan12", "chitchat", "chatterbot", "tatoeba"),
                      ) -> Iterator[Conversation]:
    """Every labelled conversation of the kit, rebuilt (see the module docstring). Unlabelled ones are skipped."""
    files = kit_files(kit)
    for name in sources:
        if name not in files:
            continue
        convs: dict[str, dict[str, Any]] = {}
        for r in records(files[name]):
            cid = r["conversation_id"]
            c = convs.setdefault(cid, {"source": r["source"], "lang": r.get("lang", "en"), "label": r.get("label"),
                                       "lines": defaultdict(list), "authors": {}})
            if r.get("label") is not None:
                c["label"] = r["label"]
            role = r.get("author_role") or "unknown"
            key = role if name == "pj" else str(r.get("author_id") or role)
            c["lines"][key].append((r.get("msg_idx", 0), r.get("text") or ""))
            c["authors"][key] = role
        for cid, c in convs.items():
            if c["label"] is None:
                continue
            if name == "pj":
                msgs = _merge({k: [t for _, t in sorted(v)] for k, v in c["lines"].items()})
            else:
                rows = sorted((i, k, t) for k, v in c["lines"].items() for i, t in v)
                letters = {k: f"p{j}" for j, k in enumerate(dict.fromkeys(k for _, k, _ in rows))}
                msgs = [{"text": t, "sender": letters[k], "role": c["authors"][k]} for _, k, t in rows]
            yield Conversation(cid, c["source"], c["lang"], int(c["label"]), msgs)


def classify_format_conversations(path: Path) -> Iterator[Conversation]:
    """Conversations in ``classify --kind conversation`` input format, each with an integer ``label``."""
    for k, r in enumerate(records(path)):
        if "label" not in r:
            raise ValueError(f"line {k + 1}: missing 'label' (0 or 1)")
        msgs = [{"text": str(m.get("text", "")), "sender": m.get("sender") or "?", "role": None}
                for m in r.get("messages", [])]
        yield Conversation(str(r.get("id", k)), "file", str(r.get("lang", "")), int(r["label"]), msgs)


def long_benign(conversations: list[Conversation], seed: int = 7, size: tuple[int, int] = (8, 30),
                ) -> list[Conversation]:
    """Hard negatives for length: benign chats of one split strung together into long two-person chats, so
    the conversation model cannot learn "long ⇒ grooming" from the kit's short benign chats."""
    import random

    rng = random.Random(seed)
    out: list[Conversation] = []
    for split in ("train", "calibrate", "test"):
        pool = [c for c in conversations if c.label == 0 and c.source.startswith("chitchat")
                and split_of(c.id, seed) == split]
        rng.shuffle(pool)
        i = 0
        while i < len(pool):
            block = pool[i : i + rng.randint(*size)]
            i += len(block)
            msgs = [m for c in block for m in c.messages]
            # the id starts with the first block member's id so split_of keeps it in the same split
            out.append(Conversation(f"long:{block[0].id}", "chitchat_long", "en", 0, msgs, split=split))
    return out


#: Languages of the kit's benign sentences (Tatoeba, ChatterBot) strung into long chats by :func:`long_sentences`.
SENTENCE_LANGS = ("nl", "de")


def long_sentences(conversations: list[Conversation], seed: int = 7, size: tuple[int, int] = (100, 400),
                   ) -> list[Conversation]:
    """Hard negatives for length outside English: the kit's benign Dutch and German sentences (Tatoeba, ChatterBot)
    of one split, shuffled and strung into long two-person chats of ``size`` lines, the speakers taking turns.

    The kit has no Dutch or German chat at all, so these are the only long ordinary conversations in those
    languages. They are not real chats (independent sentences, clean prose), but what the length trap needs is
    lines that are ordinary in that language: a model that reads Dutch as slightly more offender-like than English
    builds up evidence over hundreds of such lines."""
    import random

    rng = random.Random(seed)
    out: list[Conversation] = []
    for lang in SENTENCE_LANGS:
        for split in ("train", "calibrate", "test"):
            pool = [c for c in conversations if c.label == 0 and c.lang == lang and split_of(c.id, seed) == split
                    and not c.source.endswith(("_long", "_one_sided"))]
            if not pool:
                continue
            first = pool[0].id
            texts = [m["text"] for c in pool for m in c.messages if m["text"]]
            rng.shuffle(texts)
            i = 0
            while len(texts) - i >= size[0]:
                n = rng.randint(*size)
                part = texts[i : i + n]
                msgs = [{"text": t, "sender": f"p{k % 2}", "role": "benign"} for k, t in enumerate(part)]
                out.append(Conversation(f"long:{lang}:{first}:{i}", f"sentences_long_{lang}", lang, 0, msgs,
                                        split=split))
                i += n
    return out


def one_sided(conversations: list[Conversation], seed: int = 7, window: int = 150, per_conversation: int = 2,
              ) -> list[Conversation]:
    """Each offender's own lines alone, in windows: what a platform sees when the child's replies are missing
    (deleted, another channel, or a report that quotes one side). Kept in their parent's split. Benign chats
    get the same treatment, one speaker at a time, so "one-sided" is no cue in itself."""
    import random

    rng = random.Random(seed)
    out: list[Conversation] = []
    for c in conversations:
        if c.source == "pj":
            own = [m for m in c.messages if m.get("role") == "predator"]
        elif c.source.startswith("chitchat") and rng.random() < 0.3:
            first = c.messages[0]["sender"] if c.messages else None
            own = [m for m in c.messages if m["sender"] == first]
        else:
            continue
        starts = list(range(0, max(1, len(own) - window // 2), window))
        for k, start in enumerate(rng.sample(starts, min(per_conversation, len(starts)))):
            part = own[start : start + window]
            if len(part) >= 10:
                out.append(Conversation(f"{c.id}#own{k}", f"{c.source}_one_sided", c.lang, c.label, part,
                                        split=c.split_for(seed)))
    return out
