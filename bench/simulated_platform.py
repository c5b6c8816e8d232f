"""A simulated platform, scored end to end: precision and recall of offender accounts at the default settings.

    .venv/bin/python bench/simulated_platform.py            # ~4,000 accounts, ~300,000 events
    .venv/bin/python bench/simulated_platform.py --small    # a quick run (~20,000 events)

Generates a month of non-graphic events for a platform where children and adults meet (schools of friends who
follow, message, comment, stream and gift each other; parents; coaches who follow a whole new team in a day;
adult streamers and their fans; children who report and block each other; spam accounts that get banned and
share a family device), plants offenders who follow the patterns of issue 6, runs everything through
:class:`~waakhond.pipeline.Engine` with the shipped default policy on a temporary SQLite store, and prints:

- precision and recall of offender accounts, where an account counts as *alerted* when a decision on one of
  its own events carries an enforced action beyond a nudge (a case, a hold, a block, a restriction, a
  suspension). Report-driven cases are left out: they measure the children, not the detectors;
- recall per offender pattern and the benign groups that were alerted (false positives);
- time to first alert: the offender's own events (and minors reached) up to and including the first alert.

Offender lines show tactics in plain words (an age question, a secrecy request, a move to Telegram, a points
offer, an order like "turn on the other cam"); nothing here is sexual.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from waakhond.events import parse_event
from waakhond.pipeline import Engine
from waakhond.store.database import Database

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
DAYS = 30
LANGS = ("nl", "en", "de", "fr")

KID_DM = [
    "did you finish the homework?", "lol same", "see you at school tomorrow", "that level was so hard",
    "can you send me the notes from maths", "what time is practice?", "happy birthday!! 🎉", "gg",
    "did you watch the new episode", "my mom says hi", "haha no way", "are you coming to the party saturday",
    "ok", "brb dinner", "which song are you doing for the talent show", "i got a 7 on the test",
]
ADULT_DM = [
    "are we still on for friday?", "thanks for the invite", "can you pick up bread on the way home",
    "meeting moved to 3pm", "great game last night", "did you see the email from the school",
]
PARENT_DM = ["dinner at 6, dont forget", "did you take your keys?", "proud of you!", "call me after practice"]
COACH_DM = ["training moved to 5pm", "well played today", "bring your water bottle tomorrow"]
STREAM_OK = ["great song!", "sing the next one pls", "love this", "hi from the netherlands", "your cat is so cute lol",
             "play despacito next", "so good", "🔥🔥🔥", "encore!"]
COMMENT_OK = ["so cool!", "haha love it", "teach me this dance", "you did great", "wow", "nice one"]
HASHTAGS = ["dancechallenge", "slimechallenge", "karaokefriday", "skatetrick", "drawwithme", "bookclub"]

GROOM_ARC = [
    "hi, you seem really nice", "how old are you?", "what school do you go to?",
    "are your parents home right now?", "this is just between us ok, don't tell anyone",
    "add me on telegram, its easier there", "send me a pic of you",
]
FIRST_LINES = ["hi, how old are you?", "hey, you seem nice", "heyy how old r u", "hi cutie, where do you live?"]
STREAM_ORDERS = ["turn on the other cam", "stand up and show your room", "come closer to the camera",
                 "500 coins if you turn around", "show me your room on cam"]
ADS = ["join my telegram for free points t.me/freepoints", "free coins in my group, dm me",
       "check my bio for a group chat"]
# A distinctive way of writing for offenders who come back under a new name (style links).
PERSONA = ["heyyy hun :)) how r u todayy~~", "omg hun ur so sweet :)) xoxo", "hun u can tell me anything :))~~",
           "heyyy :)) did u have a good day~~ xoxo"]


@dataclass
class World:
    rng: random.Random
    events: list[dict[str, Any]] = field(default_factory=list)
    group: dict[str, str] = field(default_factory=dict)  # account → "offender:<pattern>" or "benign:<kind>"
    n: int = 0

    def add(self, kind: str, when: datetime, **fields: Any) -> str:
        self.n += 1
        eid = f"{kind[:2]}{self.n}"
        self.events.append({"id": eid, "kind": kind, "occurred_at": when.isoformat(), **fields})
        return eid

    def account(self, aid: str, group: str, birth_year: int | None, created: datetime, *, photo: bool = True,
                lang: str = "en", following: int = 40, posts: int = 20, **extra: Any) -> None:
        self.group[aid] = group
        e: dict[str, Any] = {"account_id": aid, "created_at": created.isoformat(), "language": lang,
                             "counts": {"followers": max(3, following // 2), "following": following, "posts": posts}}
        if birth_year is not None:
            e["birth_year"] = birth_year
        if photo:
            e["profile_photo"] = {"media_id": f"ph-{aid}", "md5": f"{self.rng.getrandbits(128):032x}"}
        e.update(extra)
        self.add("account", created, **e)

    def dm(self, a: str, b: str, when: datetime, text: str) -> str:
        return self.add("message", when, sender_id=a, recipient_ids=[b], channel="dm", text=text)

    def contact(self, a: str, b: str, when: datetime, action: str = "follow", hashtag: str | None = None) -> str:
        extra = {"hashtag": hashtag} if hashtag else {}
        return self.add("contact", when, actor_id=a, target_id=b, action=action, **extra)

    def live(self, viewer: str, streamer: str, when: datetime, text: str) -> str:
        return self.add("message", when, sender_id=viewer, channel="livestream", room_id=f"room-{streamer}",
                        recipient_ids=[streamer], text=text)

    def comment(self, who: str, owner: str, content: str, when: datetime, text: str) -> str:
        return self.add("message", when, sender_id=who, channel="comment", content_id=content,
                        content_owner_id=owner, text=text)

    def gift(self, a: str, b: str, when: datetime, amount: int, note: str | None = None,
             room: str | None = None) -> str:
        extra: dict[str, Any] = {}
        if note:
            extra["note"] = note
        if room:
            extra["room_id"] = room
        return self.add("gift", when, sender_id=a, recipient_id=b, amount=amount, currency="points", **extra)


def t(rng: random.Random, day_from: float = 0, day_to: float = DAYS) -> datetime:
    return T0 + timedelta(days=rng.uniform(day_from, day_to))


def generate(scale: float, seed: int = 7) -> World:
    rng = random.Random(seed)
    w = World(rng)
    n_kids, n_adults, n_unknown = int(2400 * scale), int(1400 * scale), int(200 * scale)
    kids = [f"k{i}" for i in range(n_kids)]
    adults = [f"a{i}" for i in range(n_adults)]
    unknown = [f"x{i}" for i in range(n_unknown)]
    for k in kids:
        w.account(k, "benign:child", rng.randint(2009, 2015), T0 - timedelta(days=rng.randint(30, 900)),
                  lang=rng.choice(LANGS), photo=rng.random() < 0.8, following=rng.randint(20, 300),
                  posts=rng.randint(0, 80))
    parents = adults[: len(adults) // 2]
    coaches = adults[len(adults) // 2 : len(adults) // 2 + max(3, len(adults) // 70)]
    streamers = adults[len(adults) // 2 + len(coaches) : len(adults) // 2 + len(coaches) + max(3, len(adults) // 35)]
    spammers = adults[-max(3, len(adults) // 70) :]
    for a in adults:
        kind = ("parent" if a in parents else "coach" if a in coaches else "adult_streamer" if a in streamers
                else "spam" if a in spammers else "adult")
        w.account(a, f"benign:{kind}", rng.randint(1960, 2004), T0 - timedelta(days=rng.randint(60, 2000)),
                  lang=rng.choice(LANGS), photo=rng.random() < 0.9, following=rng.randint(50, 600),
                  posts=rng.randint(0, 300), device_hash=f"dev-{a}", email_hash=f"mail-{a}")
    for x in unknown:
        w.account(x, "benign:unknown_age", None, T0 - timedelta(days=rng.randint(10, 600)), photo=rng.random() < 0.6)

    # schools: friends follow each other, message, comment with hashtags, stream and gift
    schools = [kids[i : i + 30] for i in range(0, len(kids), 30)]
    for school in schools:
        for k in school:
            friends = rng.sample([f for f in school if f != k], min(8, len(school) - 1))
            for f in friends:
                when = t(rng, 0, 3)
                w.contact(k, f, when)
                w.contact(f, k, when + timedelta(minutes=rng.randint(1, 600)))
            for f in friends[:4]:
                for _ in range(rng.randint(4, 16)):
                    w.dm(k, f, t(rng, 2), rng.choice(KID_DM))
            if rng.random() < 0.5:
                vid, tag = f"v-{k}-{rng.randint(0, 9)}", rng.choice(HASHTAGS)
                when = t(rng, 1)
                w.comment(k, k, vid, when, f"my try at the #{tag} 😅")
                for f in friends[: rng.randint(1, 6)]:
                    w.comment(f, k, vid, when + timedelta(minutes=rng.randint(5, 300)), rng.choice(COMMENT_OK))
            if rng.random() < 0.1:
                w.contact(k, rng.choice(school), t(rng, 3), action="block")
            if rng.random() < 0.05:
                w.add("report", t(rng, 3), reporter_id=k, subject_account_id=rng.choice(school), category="harassment")
            if rng.random() < 0.3:
                w.gift(k, rng.choice(friends), t(rng, 3), rng.randint(5, 50), note=rng.choice([None, "gg", "for you"]))
    # parents: follow their children and are followed back, messages and birthday gifts
    for p in parents:
        for k in rng.sample(kids, rng.randint(1, 2)):
            when = t(rng, 0, 2)
            w.contact(k, p, when)
            w.contact(p, k, when + timedelta(hours=1))
            for _ in range(rng.randint(3, 12)):
                w.dm(p, k, t(rng, 2), rng.choice(PARENT_DM))
                w.dm(k, p, t(rng, 2), rng.choice(["ok", "yes", "love you", "on my way"]))
            if rng.random() < 0.3:
                w.gift(p, k, t(rng, 2), 100, note="for your birthday")
        for _ in range(rng.randint(2, 15)):
            other = rng.choice(adults)
            if other != p:
                w.dm(p, other, t(rng), rng.choice(ADULT_DM))
    # coaches: follow a whole new team in one afternoon (a hard negative), then team messages
    for c in coaches:
        team = rng.sample(kids, rng.randint(8, 16))
        start = t(rng, 2, 20)
        for i, k in enumerate(team):
            w.contact(c, k, start + timedelta(minutes=5 * i))
            w.contact(k, c, start + timedelta(minutes=5 * i + rng.randint(10, 600)))
            for _ in range(rng.randint(1, 3)):
                w.dm(c, k, start + timedelta(days=rng.uniform(1, 8)), rng.choice(COACH_DM))
    # adults talk among themselves; unknown-age accounts too
    for a in adults + unknown:
        for _ in range(rng.randint(5, 30)):
            b = rng.choice(adults)
            if b != a:
                w.dm(a, b, t(rng), rng.choice(ADULT_DM))
    # streams: children stream to classmates, a parent and a few adult fans; adults stream to adults
    kid_streamers = rng.sample(kids, max(5, len(kids) // 16))
    for s in kid_streamers:
        audience = rng.sample(kids, 8) + rng.sample(parents, 1) + rng.sample(adults, 2)
        for _ in range(rng.randint(1, 4)):
            start = t(rng, 1)
            for v in audience:
                w.contact(v, s, start, action="join_stream")
                for _j in range(rng.randint(1, 6)):
                    w.live(v, s, start + timedelta(minutes=rng.uniform(0, 60)), rng.choice(STREAM_OK))
                if rng.random() < 0.15:
                    w.gift(v, s, start + timedelta(minutes=rng.uniform(0, 60)), rng.randint(5, 100),
                           room=f"room-{s}")
    for s in streamers:
        fans = rng.sample(adults + unknown, min(40, len(adults)))
        for _ in range(rng.randint(2, 6)):
            start = t(rng, 1)
            for v in fans:
                for _j in range(rng.randint(1, 5)):
                    w.live(v, s, start + timedelta(minutes=rng.uniform(0, 90)),
                           rng.choice([*STREAM_OK, "turn around and show the crowd", "500 coins if you play it again"]))
    # spam accounts (selling followers to adults) get banned; a child on the family tablet shares the device
    for sp in spammers:
        for a in rng.sample(adults, 3):
            w.comment(sp, a, f"v-{a}-spam", t(rng, 1, 10), "cheap followers at example dot shop")
        w.add("moderation", t(rng, 10, 12), actor_id="mod1", actor_role="platform_moderator", action="ban",
              target_id=sp)
        sibling = f"sib-{sp}"
        w.account(sibling, "benign:sibling_on_banned_device", 2012, t(rng, 13, 14), device_hash=f"dev-{sp}")
        for f in rng.sample(kids, 3):
            w.dm(sibling, f, t(rng, 14), rng.choice(KID_DM))

    plant_offenders(w, kids, kid_streamers, scale)
    w.events.sort(key=lambda e: e["occurred_at"])
    return w


def plant_offenders(w: World, kids: list[str], kid_streamers: list[str], scale: float) -> None:
    rng = w.rng
    per_pattern = max(2, int(8 * scale))
    hashtag_users: list[tuple[str, str, datetime]] = [
        (e["sender_id"], e["text"].split("#")[1].split()[0], datetime.fromisoformat(e["occurred_at"]))
        for e in w.events if e["kind"] == "message" and "#" in e["text"] and e["sender_id"] in set(kids)
    ]

    def new_offender(oid: str, pattern: str, start: datetime, *, photo: bool = True, **extra: Any) -> None:
        w.account(oid, f"offender:{pattern}", rng.choice([rng.randint(1970, 2000), None]),
                  start - timedelta(days=rng.uniform(0.1, 5)), photo=photo, lang=rng.choice(LANGS), **extra)

    def block_sometimes(oid: str, k: str, when: datetime) -> None:
        if rng.random() < 0.15:
            w.contact(k, oid, when + timedelta(minutes=rng.randint(5, 600)), action="block")
        elif rng.random() < 0.05:
            w.add("report", when + timedelta(minutes=rng.randint(5, 600)), reporter_id=k, subject_account_id=oid,
                  category="grooming")

    for i in range(per_pattern):
        # 1. mass follower: "following 847, 1 post", 12-40 minors in a day or two, a first line to some
        oid, start = f"o-mass{i}", t(rng, 1, 25)
        new_offender(oid, "mass_contact", start, following=847, posts=1)
        for j, k in enumerate(rng.sample(kids, rng.randint(12, 40))):
            when = start + timedelta(minutes=rng.uniform(0, 2_000))
            w.contact(oid, k, when, action=rng.choice(["follow", "follow", "dm_request"]))
            if j % 3 == 0:
                w.dm(oid, k, when + timedelta(minutes=2), rng.choice(FIRST_LINES))
            block_sometimes(oid, k, when)
        # 2. hashtag trawler: follows children 10-90 minutes after they used a hashtag
        oid, picks = f"o-tag{i}", rng.sample(hashtag_users, min(len(hashtag_users), rng.randint(3, 7)))
        new_offender(oid, "hashtag", min(p[2] for p in picks))
        for k, tag, used in picks:
            when = used + timedelta(minutes=rng.uniform(10, 90))
            w.contact(oid, k, when, hashtag=tag)
            w.dm(oid, k, when + timedelta(minutes=3), "hey, you seem nice")
            block_sometimes(oid, k, when)
        # 3. faceless new account writing to a few minors
        oid, start = f"o-blank{i}", t(rng, 1, 25)
        new_offender(oid, "faceless", start, photo=False, following=rng.randint(0, 20), posts=0)
        for k in rng.sample(kids, rng.randint(3, 6)):
            when = start + timedelta(hours=rng.uniform(0, 48))
            w.dm(oid, k, when, rng.choice(FIRST_LINES))
            block_sometimes(oid, k, when)
        # 4. gifts after a request
        oid, start = f"o-gift{i}", t(rng, 1, 25)
        new_offender(oid, "gift_after_request", start)
        for k in rng.sample(kids, rng.randint(1, 3)):
            when = start + timedelta(hours=rng.uniform(0, 72))
            w.dm(oid, k, when, "hey, you seem nice")
            w.dm(oid, k, when + timedelta(hours=1), rng.choice(["send me a pic of you", "show me your room on cam"]))
            w.gift(oid, k, when + timedelta(hours=2), rng.choice([200, 500, 1000]))
        # 5. stream orderer in children's streams
        oid, start = f"o-stream{i}", t(rng, 1, 25)
        new_offender(oid, "stream_orders", start)
        for s in rng.sample(kid_streamers, min(len(kid_streamers), rng.randint(1, 3))):
            when = start + timedelta(hours=rng.uniform(0, 100))
            w.contact(oid, s, when, action="join_stream")
            w.live(oid, s, when + timedelta(minutes=1), rng.choice(STREAM_OK))
            for m in range(rng.randint(1, 3)):
                w.live(oid, s, when + timedelta(minutes=3 + m), rng.choice(STREAM_ORDERS))
        # 6. comment spam: channel ads under children's videos
        oid, start = f"o-ads{i}", t(rng, 1, 25)
        new_offender(oid, "channel_ads", start)
        for k in rng.sample(kids, rng.randint(5, 15)):
            when = start + timedelta(hours=rng.uniform(0, 48))
            w.comment(oid, k, f"v-{k}-{rng.randint(0, 9)}", when, rng.choice(ADS))
        # 7. classic groomer: one or two conversations along the arc over days
        oid, start = f"o-groom{i}", t(rng, 1, 20)
        new_offender(oid, "groomer", start)
        for k in rng.sample(kids, rng.randint(1, 2)):
            for m, line in enumerate(GROOM_ARC):
                w.dm(oid, k, start + timedelta(days=m * 0.7, minutes=rng.uniform(0, 60)), line)
                w.dm(k, oid, start + timedelta(days=m * 0.7, minutes=61), rng.choice(["hi", "ok", "why", "lol"]))
        # 8. ban evasion: writes in a persona, is banned, comes back (same device/e-mail/photo, or only the style)
        old, new, start = f"o-evade{i}", f"o-evade{i}-again", t(rng, 1, 12)
        how = rng.choice(["device", "email", "photo", "style"])
        photo_md5 = f"{rng.getrandbits(128):032x}"
        new_offender(old, "banned_by_moderators", start, device_hash=f"dev-{old}", email_hash=f"mail-{old}",
                     profile_photo={"media_id": f"ph-{old}", "md5": photo_md5})
        victims = rng.sample(kids, 8)
        for m, k in enumerate(victims[:4]):
            for j in range(4):
                w.dm(old, k, start + timedelta(hours=m * 3 + j), PERSONA[(m + j) % 4])
        banned_at = start + timedelta(days=2)
        w.add("moderation", banned_at, actor_id="mod1", actor_role="platform_moderator", action="ban", target_id=old)
        again = banned_at + timedelta(days=rng.uniform(1, 5))
        ids: dict[str, Any] = {"device_hash": f"dev-{new}", "email_hash": f"mail-{new}",
                               "profile_photo": {"media_id": f"ph-{new}", "md5": f"{rng.getrandbits(128):032x}"}}
        if how == "device":
            ids["device_hash"] = f"dev-{old}"
        elif how == "email":
            ids["email_hash"] = f"mail-{old}"
        elif how == "photo":
            ids["profile_photo"] = {"media_id": f"ph-{new}", "md5": photo_md5}
        w.account(new, f"offender:ban_evasion_by_{how}", None, again, lang="en", **ids)
        for m, k in enumerate(victims[4:]):
            for j in range(5):
                w.dm(new, k, again + timedelta(hours=m * 3 + j, minutes=10), PERSONA[(m + j + 1) % 4])


ALERT_ACTIONS = {"queue_case", "hold_message", "block_delivery", "restrict_contact", "suspend_pending_review"}


def score(w: World, engine: Engine, batch: int) -> dict[str, Any]:
    own_events: Counter[str] = Counter()
    minors_reached: dict[str, set[str]] = defaultdict(set)
    first_alert: dict[str, tuple[int, int, str]] = {}
    kid_ids = {a for a, g in w.group.items() if g == "benign:child"}
    signal_counts: Counter[str] = Counter()
    rule_counts: Counter[str] = Counter()
    started = time.perf_counter()
    for i in range(0, len(w.events), batch):
        chunk = [parse_event(e) for e in w.events[i : i + batch]]
        for raw, decision in zip(w.events[i : i + batch], engine.process(chunk), strict=True):
            actor = raw.get("sender_id") or raw.get("actor_id") or raw.get("account_id")
            if raw["kind"] in ("report", "moderation") or actor is None:
                continue
            own_events[actor] += 1
            target = raw.get("target_id") or raw.get("recipient_id") or (raw.get("recipient_ids") or [None])[0]
            if target in kid_ids:
                minors_reached[actor].add(target)
            for s in decision.signals:
                signal_counts[s.name] += 1
            for h in decision.rules:
                rule_counts[h.rule + (" (shadow)" if h.shadow else "")] += 1
            if actor not in first_alert and any(a.type.value in ALERT_ACTIONS for a in decision.actions):
                rule = next(a.rule for a in decision.actions if a.type.value in ALERT_ACTIONS)
                first_alert[actor] = (own_events[actor], len(minors_reached[actor]), rule)
        done = min(i + batch, len(w.events))
        if done % (batch * 100) == 0 or done == len(w.events):
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>8,} / {len(w.events):,} events  ({rate:,.0f}/s)", file=sys.stderr)
    seconds = time.perf_counter() - started
    # Accounts the moderators banned themselves are known to the platform already: scored apart.
    banned = {a for a, g in w.group.items() if g == "offender:banned_by_moderators"}
    offenders = {a for a, g in w.group.items() if g.startswith("offender:")} - banned
    alerted = set(first_alert) - banned
    tp, fp = alerted & offenders, alerted - offenders
    per_pattern: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in offenders:
        per_pattern[w.group[a].split(":", 1)[1]][1] += 1
        if a in tp:
            per_pattern[w.group[a].split(":", 1)[1]][0] += 1
    fp_groups = Counter(w.group.get(a, "benign:unlisted") for a in fp)
    alert_rules_tp = Counter(first_alert[a][2] for a in tp)
    alert_rules_fp = Counter(first_alert[a][2] for a in fp)
    delays = [first_alert[a][0] for a in tp]
    reached = [first_alert[a][1] for a in tp]
    return {
        "events": len(w.events), "seconds": seconds, "accounts": len(w.group), "offenders": len(offenders),
        "alerted": len(alerted), "precision": len(tp) / len(alerted) if alerted else 0.0,
        "recall": len(tp) / len(offenders) if offenders else 0.0,
        "per_pattern": dict(sorted(per_pattern.items())),
        "banned_alerted_before_ban": f"{len(set(first_alert) & banned)}/{len(banned)}", "fp_groups": dict(fp_groups),
        "alert_rules_tp": dict(alert_rules_tp.most_common()), "alert_rules_fp": dict(alert_rules_fp.most_common()),
        "events_to_alert": _summary(delays), "minors_before_alert": _summary(reached),
        "signals": dict(signal_counts.most_common()), "rules": dict(rule_counts.most_common()),
    }


def _summary(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)
    return {"median": statistics.median(values), "p90": values[min(len(values) - 1, int(0.9 * len(values)))],
            "max": values[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a quick run at a tenth of the size")
    parser.add_argument("--scale", type=float, default=None, help="size factor (1.0: ~4,000 accounts)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=500, help="events per Engine.process call")
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else (0.1 if args.small else 1.0)
    t0 = time.perf_counter()
    world = generate(scale, args.seed)
    kinds = Counter(e["kind"] for e in world.events)
    print(f"generated {len(world.events):,} events in {time.perf_counter() - t0:.1f}s: "
          + ", ".join(f"{k} {v:,}" for k, v in kinds.most_common()), file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="waakhond-sim-") as tmp:
        db = Database.connect(f"sqlite:///{Path(tmp) / 'sim.db'}")
        result = score(world, Engine(db), args.batch)
        db.close()
    r = result
    print(f"\nsimulated platform: {r['accounts']:,} accounts, {r['events']:,} events, "
          f"{r['offenders']} planted offenders")
    print(f"engine: {r['seconds']:.0f}s, {r['events'] / r['seconds']:,.0f} events/s (SQLite, batches of {args.batch})")
    print(f"alerted accounts: {r['alerted']}  precision {r['precision']:.3f}  recall {r['recall']:.3f}")
    print("recall per pattern: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in r["per_pattern"].items()))
    print(f"false positives by group: {r['fp_groups'] or 'none'}")
    print(f"(accounts later banned by moderators, alerted before their ban: {r['banned_alerted_before_ban']})")
    print(f"first alert rule (offenders): {r['alert_rules_tp']}")
    print(f"first alert rule (false positives): {r['alert_rules_fp'] or 'none'}")
    print(f"offender events up to the first alert: {r['events_to_alert']}")
    print(f"minors reached before the first alert: {r['minors_before_alert']}")
    behaviour = {k: v for k, v in r["signals"].items() if k not in ("conversation_risk",) and "_" in k}
    print(f"signals: {behaviour}")
    print(f"rule hits: {r['rules']}")


if __name__ == "__main__":
    main()
