"""Conversation risk: tactics accumulate along the grooming arc, with decay and account facts. Pure functions.

Sentinel style: no I/O, no storage. The engine keeps a :class:`ConversationState` per conversation (it is
JSON-serialisable and bounded in size however long the conversation grows) and calls
:func:`update_conversation` for each message; :func:`score_conversation` replays a whole conversation.

The model, in words (every constant below has a name and a comment):

- Each sender has, per tactic, an *evidence mass*: the sum of the tactic's confidences in that sender's
  messages, decayed over time (half-life :data:`HALF_LIFE_DAYS`, only when timestamps exist) and slowly over
  messages (:data:`MESSAGE_HALF_LIFE`). A tactic's presence is ``1 - exp(-mass)``: repeating one tactic has
  diminishing returns (one hit ≈ 0.6, two ≈ 0.8, three ≈ 0.9).
- A sender's risk is a logistic score: a small weight per tactic present, plus *interaction* terms along the
  arc (trust/isolation × escalation, probing × escalation, moving elsewhere × sexual requests), plus a strong
  term when a **minor cue** (a stated age under 18 from the other side, or the fact ``recipient_is_minor``)
  meets escalation, plus account facts (adult → minor, age gap, stranger, first contact; unknown ages count
  moderately). Without a minor cue and without risk checks or secrecy the score stays below the threshold
  even when everything else is present: that is adult flirting.
- The conversation risk is the largest sender risk, so two classmates who each say one odd thing do not add
  up, and the most responsible sender is named (``groomer``).

    >>> from datetime import datetime, timedelta
    >>> t0 = datetime(2026, 1, 1)
    >>> msgs = [
    ...     {"sender": "a", "text": "hey how old r u?", "sent_at": t0.isoformat()},
    ...     {"sender": "b", "text": "im 12", "sent_at": (t0 + timedelta(minutes=1)).isoformat()},
    ...     {"sender": "a", "text": "are your parents home? dont tell them about me",
    ...      "sent_at": (t0 + timedelta(days=1)).isoformat()},
    ...     {"sender": "a", "text": "send me a pic of you, add me on snap",
    ...      "sent_at": (t0 + timedelta(days=2)).isoformat()},
    ... ]
    >>> s = score_conversation(msgs)
    >>> s.flagged, s.alert_at, s.groomer
    (True, 3, 'a')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from waakhond.detectors.text.normalize import fold
from waakhond.detectors.text.tactics import TacticHit
from waakhond.detectors.text.tactics import stated_ages as find_stated_ages

#: Shipped default threshold behind ``flagged`` / ``conversation_alert``. Chosen for precision: on the research
#: kit (see docs/models/conversation-risk.md) none of 1,559 benign conversations (chit-chat, PAN12 negatives
#: with IRC and adult chat) crosses it; 0.5 already lets the first one through.
ALERT_THRESHOLD: float = 0.6

#: Evidence halves after this many days without reinforcement (only when messages carry timestamps).
HALF_LIFE_DAYS: float = 10.0
#: Evidence also fades slowly with the number of messages, so a stray line early in a long benign chat is
#: forgotten; a grooming arc of a few hundred lines still holds together.
MESSAGE_HALF_LIFE: float = 300.0
#: Bounds that keep a state small for a 100k-message conversation.
MAX_SENDERS = 32
MAX_EVIDENCE = 10

#: Learned tier: lines per sender added to the denominator of the grooming-line rate, so three lines cannot
#: make a rate; the share of the learned evidence that counts without any minor cue; its largest contribution
#: in logit units (language alone never decides a conversation).
RATE_PRIOR = 50.0
LEARNED_GATE_FLOOR = 0.35
LEARNED_CAP = 4.0
#: What a tactic found by the learned tier alone adds to its sender's tactic mass, relative to its score, when the
#: model's conversation weights set no ``learned_hit_weight`` (older models: as much as a rule hit). Learned hits
#: are less precise than the rules' (they fire on a few percent of ordinary lines, a rule on about one in fifty),
#: and over hundreds of ordinary lines they add up to the breadth of tactics a grooming arc shows.
LEARNED_HIT_WEIGHT = 1.0
#: Evidence a tactic gathers by chance, per line a sender writes (same units as the mass: summed confidences).
#: Ordinary chat trips each tactic now and then (about 1 to 4 lines in 1,000 of English chit-chat); over hundreds
#: of lines those chance hits add up to the breadth of a grooming arc. A sender's mass counts only above what their
#: (decayed) number of lines would gather by chance, so evidence must be *dense* to count. A learned model stores
#: its own per-tactic figures, measured on benign chat at training time (``chance`` in its conversation weights).
#: These defaults, for the rule tier alone, are the rules' hit rates on the research kit's English chit-chat
#: (``bench/eval_rules_on_kit.py``), rounded up; :data:`CHANCE_RATE` for a tactic not named.
CHANCE_RATE = 0.001
RULE_CHANCE_RATES: dict[str, float] = {"age_probe": 0.004, "risk_check": 0.0025, "sexual_content": 0.0025}

_BIAS = -5.0
#: What each tactic adds on its own (logit units) when fully present.
_WEIGHTS: dict[str, float] = {
    "age_probe": 0.8,
    "personal_info": 0.6,
    "risk_check": 1.1,
    "secrecy": 1.3,
    "off_platform": 0.5,
    "compliment": 0.4,
    "reward_offer": 0.6,
    "image_request": 0.8,
    "sexual_content": 0.6,
    "pressure": 0.5,
    "meeting": 0.7,
    "sextortion": 3.5,
}
_TRUST_X_ESCALATION = 1.6  # risk check / secrecy together with sexual requests, meeting or threats
_PROBE_X_ESCALATION = 0.9  # age or identity questions together with escalation
_PROBE_X_TRUST = 0.6
_MOVE_X_SEXUAL = 0.5  # moving elsewhere together with image requests or sexual talk
_MINOR_X_ESCALATION = 4.0  # a minor in the conversation and sexual talk, image requests or a meeting
_MINOR_X_TRUST = 0.9
_MINOR_PRESENT = 0.4
_ADULT_SAYS_SO = 0.8  # the sender states an adult age while a minor is present


_NOT_UNIT = (
    r"(?! ?(?:min|mins|minutes|minuten|h|hr|hrs|hours|uur|uhr|stunden|heures|km|miles|euro|euros|dollars|"
    r"points|punten|punkte|%|times|keer|mal|fois|o clock|pm|am|th|st|nd|rd)\b)"
)
#: Words that put a minor in the conversation without anyone stating an age: an age attributed to "you"
#: ("ur only 13"), or talk of being too young, school and parents. Weaker than a stated age; bounded by
#: MINOR_CONTEXT_CAP so ordinary talk about homework cannot make a conversation look like grooming alone.
_MINOR_CONTEXT = re.compile(
    r"\b(?:(?:you re|youre|ur|u r|you are|u are|since you re|since ur|je bent|jij bent|du bist|tu as|t as|tas)"
    r" (?:only |just |still |like |nog maar |pas |maar |erst |noch |que |seulement )?(?:1[0-7]|[89])"
    + _NOT_UNIT
    + r"|too young|so young|underage|under age|jailbait|jail bait|go to jail|get in trouble for|your age|ur age|"
    r"girls? your age|when i was your age|little girl|schoolgirl|"
    r"your (?:mom|mum|dad|parents)|ur (?:mom|mum|dad|parents)|grounded|te jong|minderjarig|"
    r"jouw leeftijd|je (?:ouders|moeder|vader|mama|papa)|zu jung|minderjahrig|deinem alter|"
    r"deine (?:eltern|mutter|mama)|dein (?:vater|papa)|trop jeune|mineure|ton age|"
    r"tes parents|ta mere|ton pere)\b"
)
#: School words count half: students of any age have homework ("college" counts only in its French sense).
_MINOR_CONTEXT_WEAK = re.compile(
    r"\b(?:middle school|junior high|homework|bedtime|curfew|huiswerk|brugklas|hausaufgaben|devoirs|"
    r"(?:au|en|mon|ton|du) college)\b"
)
_WEAK_CONTEXT = 0.5
MINOR_CONTEXT_CAP = 0.7


def _minor_context(text: str) -> float:
    """How much one line puts a minor in the conversation: 1 for a strong cue, :data:`_WEAK_CONTEXT` for school
    words, else 0."""
    folded = fold(text[:20_000])
    if _MINOR_CONTEXT.search(folded):
        return 1.0
    return _WEAK_CONTEXT if _MINOR_CONTEXT_WEAK.search(folded) else 0.0


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class ConversationState:
    """Everything the engine stores about one conversation (bounded; JSON via :meth:`to_dict`)."""

    risk: float = 0.0
    message_count: int = 0
    last_at: datetime | None = None
    tactic_counts: dict[str, int] = field(default_factory=dict)
    sender_tactics: dict[str, dict[str, int]] = field(default_factory=dict)
    alerted: bool = False
    alert_index: int | None = None
    alert_event_id: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    #: sender → tactic → decayed evidence mass
    mass: dict[str, dict[str, float]] = field(default_factory=dict)
    #: sender → youngest age that sender stated about themselves
    stated_ages: dict[str, int] = field(default_factory=dict)
    #: sender → logit contribution of the account facts last seen for that sender
    fact_terms: dict[str, float] = field(default_factory=dict)
    #: sender → the facts said the recipient is a minor
    minor_recipient: dict[str, bool] = field(default_factory=dict)
    sender_risk: dict[str, float] = field(default_factory=dict)
    #: decayed count of lines that put a minor in the conversation (see ``_MINOR_CONTEXT``)
    minor_context: float = 0.0
    peak_risk: float = 0.0
    last_index: int = -1
    #: learned tier, per sender: decayed mass of grooming-line evidence
    groom_mass: dict[str, float] = field(default_factory=dict)
    #: sender → decayed number of lines written: the denominator of evidence density (:data:`CHANCE_RATE`) and of
    #: the grooming-line rate
    lines: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk,
            "message_count": self.message_count,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "tactic_counts": dict(self.tactic_counts),
            "sender_tactics": {s: dict(c) for s, c in self.sender_tactics.items()},
            "alerted": self.alerted,
            "alert_index": self.alert_index,
            "alert_event_id": self.alert_event_id,
            "evidence": [dict(e) for e in self.evidence],
            "mass": {s: dict(m) for s, m in self.mass.items()},
            "stated_ages": dict(self.stated_ages),
            "fact_terms": dict(self.fact_terms),
            "minor_recipient": dict(self.minor_recipient),
            "sender_risk": dict(self.sender_risk),
            "minor_context": self.minor_context,
            "peak_risk": self.peak_risk,
            "last_index": self.last_index,
            "groom_mass": dict(self.groom_mass),
            "lines": dict(self.lines),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ConversationState:
        last_at = d.get("last_at")
        return cls(
            risk=float(d.get("risk", 0.0)),
            message_count=int(d.get("message_count", 0)),
            last_at=_parse_time(last_at) if last_at else None,
            tactic_counts={k: int(v) for k, v in d.get("tactic_counts", {}).items()},
            sender_tactics={s: {k: int(v) for k, v in c.items()} for s, c in d.get("sender_tactics", {}).items()},
            alerted=bool(d.get("alerted", False)),
            alert_index=d.get("alert_index"),
            alert_event_id=d.get("alert_event_id"),
            evidence=[dict(e) for e in d.get("evidence", [])],
            mass={s: {k: float(v) for k, v in m.items()} for s, m in d.get("mass", {}).items()},
            stated_ages={s: int(a) for s, a in d.get("stated_ages", {}).items()},
            fact_terms={s: float(v) for s, v in d.get("fact_terms", {}).items()},
            minor_recipient={s: bool(v) for s, v in d.get("minor_recipient", {}).items()},
            sender_risk={s: float(v) for s, v in d.get("sender_risk", {}).items()},
            minor_context=float(d.get("minor_context", 0.0)),
            peak_risk=float(d.get("peak_risk", 0.0)),
            last_index=int(d.get("last_index", -1)),
            groom_mass={k: float(v) for k, v in d.get("groom_mass", {}).items()},
            # states stored before evidence had to be dense counted lines for the learned tier alone
            # ("groom_lines"); rule-tier states had none, and their evidence counts whole until lines arrive
            lines={k: float(v) for k, v in d.get("lines", d.get("groom_lines", {})).items()},
        )


def _parse_time(value: str | datetime) -> datetime:
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _fact_term(facts: Mapping[str, Any]) -> float:
    """Logit contribution of account facts (``waakhond.memory.facts`` names). Unknown ages count moderately."""
    if not facts:
        return 0.0
    term = 0.0
    adult = facts.get("sender_is_adult")
    minor_recipient = facts.get("recipient_is_minor")
    gap = facts.get("age_gap")
    if minor_recipient is True:
        if adult is True:
            term += 1.5
        elif adult is None or facts.get("sender_age_unknown"):
            term += 0.7
        elif facts.get("sender_is_minor") is True and isinstance(gap, int | float) and gap < 4:
            term -= 0.8  # peers
    elif minor_recipient is False and adult is True:
        term -= 1.5  # adults among themselves
    if isinstance(gap, int | float) and minor_recipient:
        term += 0.5 if gap >= 10 else 0.25 if gap >= 5 else 0.0
    if facts.get("sender_age_unknown") is True:
        term += 0.3
    if facts.get("is_stranger") is True:
        term += 0.3
    if facts.get("is_first_contact") is True:
        term += 0.2
    return term


def _sender_risk(state: ConversationState, sender: str, combiner: Mapping[str, Any] | None = None) -> float:
    z = _rule_logit(state, sender, combiner.get("chance") if combiner else None)
    if combiner:
        mass, rate = learned_features(state, sender, combiner.get("rate_prior", RATE_PRIOR),
                                      combiner.get("groom_chance", 0.0))
        learned = min(combiner["mass"] * mass + combiner["rate"] * rate, combiner.get("cap", LEARNED_CAP))
        combined = combiner["bias"] + combiner["rule"] * z + learned
        # The rule tier keeps its own say: where it alone crosses its threshold, the conversation crosses the
        # learned model's threshold too (the learned tier adds recall; it never takes away what rules find in a
        # language the learned tier reads less well).
        shift = _logit(combiner.get("threshold", ALERT_THRESHOLD)) - _logit(ALERT_THRESHOLD)
        z = max(combined, z + shift)
    return _sigmoid(z)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _minor_cue(state: ConversationState, sender: str) -> tuple[bool, float]:
    """``(stated, strength)``: whether another participant (or an unnamed one) said they are under 18 or the facts
    say the recipient is a minor (strength 1), else how much the words put a minor in the conversation."""
    stated = state.minor_recipient.get(sender, False) or any(
        age < 18 for other, age in state.stated_ages.items() if other != sender or sender == "?"
    )
    return stated, 1.0 if stated else MINOR_CONTEXT_CAP * (1.0 - math.exp(-0.7 * state.minor_context))


def learned_features(state: ConversationState, sender: str, rate_prior: float = RATE_PRIOR,
                     groom_chance: float = 0.0) -> tuple[float, float]:
    """The learned tier's evidence for ``sender``, gated by the minor cue: ``(gate·log(1 + mass), gate·rate)``.

    ``mass`` is the sender's grooming-line mass above what their number of lines gathers by chance
    (``groom_chance`` per line, measured on benign chat at training time; see :data:`CHANCE_RATE`).
    Offender-like language without any sign of a child (adult flirting, stranger chat between adults) counts
    for only :data:`LEARNED_GATE_FLOOR` of its weight; with a stated minor age or the fact, fully."""
    lines = state.lines.get(sender, 0.0)
    mass = max(0.0, state.groom_mass.get(sender, 0.0) - groom_chance * lines)
    rate = mass / (lines + rate_prior)
    gate = LEARNED_GATE_FLOOR + (1.0 - LEARNED_GATE_FLOOR) * _minor_cue(state, sender)[1]
    return gate * math.log1p(mass), gate * rate


def dense_mass(state: ConversationState, sender: str, chance: Mapping[str, float] | None = None) -> dict[str, float]:
    """``sender``'s evidence mass per tactic above what their number of lines gathers by chance (never below 0).

    ``chance``: per-tactic rates (a model's; without it :data:`RULE_CHANCE_RATES`); tactics it does not name use
    :data:`CHANCE_RATE`."""
    lines = state.lines.get(sender, 0.0)
    rates = RULE_CHANCE_RATES if chance is None else chance
    return {t: max(0.0, m - rates.get(t, CHANCE_RATE) * lines) for t, m in state.mass.get(sender, {}).items()}


def _rule_logit(state: ConversationState, sender: str, chance: Mapping[str, float] | None = None) -> float:
    """The rule tier's logit for ``sender``: dense tactic evidence, the grooming arc, minor cues and account facts."""
    present = {t: 1.0 - math.exp(-m) for t, m in dense_mass(state, sender, chance).items()}
    z = _BIAS + sum(_WEIGHTS.get(t, 0.5) * p for t, p in present.items())
    probe = max(present.get("age_probe", 0.0), present.get("personal_info", 0.0))
    trust = max(present.get("risk_check", 0.0), present.get("secrecy", 0.0))
    sexual = max(present.get("sexual_content", 0.0), present.get("image_request", 0.0))
    escalation = max(sexual, present.get("meeting", 0.0), present.get("sextortion", 0.0))
    z += _TRUST_X_ESCALATION * trust * escalation
    z += _PROBE_X_ESCALATION * probe * escalation
    z += _PROBE_X_TRUST * probe * trust
    z += _MOVE_X_SEXUAL * present.get("off_platform", 0.0) * sexual
    # A minor cue: another participant (or an unnamed one) said they are under 18, or the facts say so.
    stated, minor = _minor_cue(state, sender)
    if minor > 0.0:
        z += minor * (_MINOR_PRESENT + _MINOR_X_ESCALATION * escalation + _MINOR_X_TRUST * trust)
        own = state.stated_ages.get(sender)
        if stated and own is not None and own >= 18:
            z += _ADULT_SAYS_SO
    z += state.fact_terms.get(sender, 0.0)
    return z


def update_conversation(
    state: ConversationState,
    *,
    hits: Mapping[str, TacticHit],
    index: int,
    at: datetime | None,
    sender: str | None,
    facts: Mapping[str, Any],
    event_id: str | None = None,
    stated_ages: Sequence[int] = (),
    text: str | None = None,
    groom: float | None = None,
    combiner: Mapping[str, Any] | None = None,
    threshold: float = ALERT_THRESHOLD,
) -> tuple[ConversationState, bool]:
    """Fold one message into ``state``; returns the new state (the input is not changed) and whether the alert
    fired at this message (first crossing of :data:`ALERT_THRESHOLD` only). Bounded work per message.

    ``text`` (optional) lets the model see words that place a minor in the conversation ("ur only 13",
    "homework", "your mom"); without it only stated ages and facts do. ``groom`` is the learned tier's
    grooming-line logit for this message and ``combiner`` the learned conversation weights (see
    :mod:`waakhond.detectors.text.learned`); without them the rule tier scores alone."""
    key = sender if sender else "?"
    mass = {s: dict(m) for s, m in state.mass.items()}
    # Decay: over time (when both messages have timestamps) and, gently, over messages.
    steps = max(1, index - state.last_index) if state.last_index >= 0 else 1
    factor = 0.5 ** (steps / MESSAGE_HALF_LIFE)
    at_utc = _parse_time(at) if at is not None else None
    if at_utc is not None and state.last_at is not None:
        days = max(0.0, (at_utc - state.last_at).total_seconds() / 86400.0)
        factor *= 0.5 ** (days / HALF_LIFE_DAYS)
    if factor < 1.0:
        for m in mass.values():
            for t in m:
                m[t] *= factor
    tactic_counts = dict(state.tactic_counts)
    sender_tactics = {s: dict(c) for s, c in state.sender_tactics.items()}
    ages = dict(state.stated_ages)
    fact_terms = dict(state.fact_terms)
    minor_recipient = dict(state.minor_recipient)
    if hits:
        own = mass.setdefault(key, {})
        counts = sender_tactics.setdefault(key, {})
        learned_weight = combiner.get("learned_hit_weight", LEARNED_HIT_WEIGHT) if combiner else LEARNED_HIT_WEIGHT
        for label, hit in hits.items():
            # a rule hit always carries its evidence spans; a tactic the learned tier adds has none
            own[label] = own.get(label, 0.0) + (hit.score if hit.spans else hit.score * learned_weight)
            tactic_counts[label] = tactic_counts.get(label, 0) + 1
            counts[label] = counts.get(label, 0) + 1
    for age in stated_ages:
        if key not in ages or age < ages[key]:
            ages[key] = age
    if facts:
        fact_terms[key] = _fact_term(facts)
        if facts.get("recipient_is_minor") is not None:
            minor_recipient[key] = bool(facts.get("recipient_is_minor"))

    new = replace(
        state,
        message_count=state.message_count + 1,
        last_at=at_utc if at_utc is not None else state.last_at,
        tactic_counts=tactic_counts,
        sender_tactics=sender_tactics,
        mass=mass,
        stated_ages=ages,
        fact_terms=fact_terms,
        minor_recipient=minor_recipient,
        evidence=list(state.evidence),
        lines={s: v * factor for s, v in state.lines.items()},
        last_index=index,
        minor_context=state.minor_context * factor + (_minor_context(text) if text else 0.0),
    )
    new.lines[key] = new.lines.get(key, 0.0) + 1.0
    if combiner:
        floor = combiner.get("floor", 0.0)
        new.groom_mass = {s: v * factor for s, v in state.groom_mass.items()}
        if groom is not None and groom > floor:
            new.groom_mass[key] = new.groom_mass.get(key, 0.0) + (groom - floor)
    _bound_senders(new)
    # in a fixed order: the stored state (and which sender wins a tie) must not depend on Python's set order,
    # which changes from one process to the next
    senders = sorted(set(new.mass) | set(new.groom_mass) | {key})
    sender_risk = {s: _sender_risk(new, s, combiner) for s in senders}
    new.sender_risk = {s: round(r, 6) for s, r in sender_risk.items()}
    risk = max(sender_risk.values()) if sender_risk else 0.0
    new.risk = round(risk, 6)
    new.peak_risk = max(state.peak_risk, new.risk)

    contribution = sender_risk.get(key, 0.0) - state.sender_risk.get(key, _sigmoid(_BIAS))
    # a line counts as evidence for its tactics, or (learned tier) when it reads clearly like an offender's
    telling = groom is not None and combiner is not None and groom > combiner.get("floor", 0.0) + 1.0
    if (hits or telling) and contribution > 0.002:
        new.evidence.append(
            {
                "index": index,
                "event_id": event_id,
                "sender": sender,
                "tactics": sorted(hits),
                "contribution": round(contribution, 4),
            }
        )
        if len(new.evidence) > MAX_EVIDENCE:
            weakest = min(range(len(new.evidence)), key=lambda i: new.evidence[i]["contribution"])
            new.evidence.pop(weakest)

    fired = False
    if not state.alerted and risk >= threshold:
        new.alerted, new.alert_index, new.alert_event_id = True, index, event_id
        fired = True
    return new, fired


def _bound_senders(state: ConversationState) -> None:
    """Keep at most :data:`MAX_SENDERS` senders (a busy group chat): forget the ones with the least evidence."""
    if len(state.lines) > 4 * MAX_SENDERS:
        # senders with tactic evidence keep their line counts; of the others those with the most learned evidence
        keep_groom = set(sorted(state.lines, key=lambda s: (-state.groom_mass.get(s, 0.0), s))[:MAX_SENDERS])
        state.groom_mass = {s: v for s, v in state.groom_mass.items() if s in keep_groom}
        state.lines = {s: v for s, v in state.lines.items() if s in keep_groom or s in state.mass}
    if len(state.mass) <= MAX_SENDERS:
        return
    keep = sorted(state.mass, key=lambda s: -sum(state.mass[s].values()))[:MAX_SENDERS]
    keep_set = set(keep)
    state.mass = {s: state.mass[s] for s in keep}
    state.sender_tactics = {s: c for s, c in state.sender_tactics.items() if s in keep_set}
    state.fact_terms = {s: v for s, v in state.fact_terms.items() if s in keep_set}
    state.minor_recipient = {s: v for s, v in state.minor_recipient.items() if s in keep_set}
    state.groom_mass = {s: v for s, v in state.groom_mass.items() if s in keep_set}
    state.lines = {s: v for s, v in state.lines.items() if s in keep_set}
    if len(state.stated_ages) > MAX_SENDERS:
        state.stated_ages = dict(sorted(state.stated_ages.items(), key=lambda kv: kv[1])[:MAX_SENDERS])


@dataclass(frozen=True)
class ConversationScore:
    """Result of :func:`score_conversation`. ``risk`` is the risk after the last message (decay included),
    ``peak_risk`` the highest it reached; ``flagged`` says whether it ever crossed the threshold."""

    risk: float
    flagged: bool
    alert_at: int | None
    tactics: dict[str, int]
    evidence: list[dict[str, Any]]
    groomer: str | None
    peak_risk: float = 0.0


def alert_threshold(model: Any = True) -> float:
    """The shipped alert threshold: the learned model's (chosen for precision at calibration) or the rule tier's."""
    if model is True:
        from waakhond.detectors.text.learned.tier import active

        model = active()
    if model is not None and model is not False and "threshold" in model.conversation:
        return float(model.conversation["threshold"])
    return ALERT_THRESHOLD


def _chunks(items: Iterable[Mapping[str, Any]], size: int) -> Iterable[list[Mapping[str, Any]]]:
    chunk: list[Mapping[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _participant_facts(sender: str | None, participants: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    age = participants.get(sender or "", {}).get("age") if sender else None
    others = [p.get("age") for s, p in participants.items() if s != sender]
    known = [a for a in others if isinstance(a, int)]
    youngest = min(known) if known else None
    facts: dict[str, Any] = {
        "sender_is_adult": (age >= 18) if isinstance(age, int) else None,
        "sender_is_minor": (age < 18) if isinstance(age, int) else None,
        "sender_age_unknown": not isinstance(age, int),
        "recipient_is_minor": (youngest < 18) if youngest is not None else None,
    }
    if isinstance(age, int) and youngest is not None:
        facts["age_gap"] = age - youngest
    return facts


def score_conversation(
    messages: Iterable[Mapping[str, Any]],
    participants: Mapping[str, Mapping[str, Any]] | None = None,
    threshold: float | None = None,
    model: Any = True,
) -> ConversationScore:
    """Replay a conversation in order (streaming over ``messages``) and score it.

    ``messages``: ``{"text", "sender"?, "sent_at"? (ISO string)}``; ``participants``: ``{sender: {"age"?: int}}``.
    ``model``: ``True`` for the shipped learned tier (when enabled), ``None``/``False`` for the rule tier alone,
    or a :class:`~waakhond.detectors.text.learned.model.TextModel`. ``threshold`` defaults to the model's.
    Messages are read in chunks, so a conversation never has to sit in memory whole.
    """
    from waakhond.detectors.text.learned.tier import active, read_lines

    learned = active() if model is True else (model or None)
    combiner = learned.conversation if learned is not None else None
    if threshold is None:
        threshold = alert_threshold(learned)
    state = ConversationState()
    alert_at: int | None = None
    i = -1
    for chunk in _chunks(messages, 256):
        texts = [str(msg.get("text") or "") for msg in chunk]
        results = read_lines(texts, model=learned if learned is not None else False)
        for msg, text, res in zip(chunk, texts, results, strict=True):
            i += 1
            sender = msg.get("sender")
            sent_at = msg.get("sent_at")
            at = _parse_time(sent_at) if sent_at else None
            facts = _participant_facts(sender, participants) if participants else {}
            ages = find_stated_ages(text) if text else []
            state, _fired = update_conversation(
                state, hits=res.hits, index=i, at=at, sender=sender, facts=facts, stated_ages=ages, text=text,
                groom=res.groom, combiner=combiner, threshold=threshold,
            )
            if alert_at is None and state.risk >= threshold:
                alert_at = i
    groomer = None
    if state.sender_risk:
        top = max(state.sender_risk, key=lambda s: state.sender_risk[s])
        if state.sender_tactics.get(top) and top != "?":
            groomer = top
    return ConversationScore(
        risk=state.risk,
        flagged=alert_at is not None,
        alert_at=alert_at,
        tactics=dict(state.tactic_counts),
        evidence=sorted(state.evidence, key=lambda e: e["index"]),
        groomer=groomer,
        peak_risk=state.peak_risk,
    )


__all__ = [
    "ALERT_THRESHOLD",
    "HALF_LIFE_DAYS",
    "ConversationScore",
    "ConversationState",
    "score_conversation",
    "update_conversation",
]
