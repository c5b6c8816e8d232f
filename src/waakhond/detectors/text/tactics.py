"""Grooming tactics in one message: the rule tier (en, nl, de, fr), fast and explainable.

Every tactic label of :data:`waakhond.detectors.text.labels.TACTICS` has hand-written patterns in each language
(see :mod:`waakhond.detectors.text.lexicon`), compiled once into one regular expression per tactic over the
normalised text (:mod:`waakhond.detectors.text.normalize`). All languages are always tried: chat mixes
languages and a language hint is often wrong, and trying them all costs little because a keyword prefilter skips
the tactics whose vocabulary is absent from the message.

    >>> hits = classify_text("hoe oud bn je? en zijn je ouders thuis")
    >>> sorted(hits)
    ['age_probe', 'risk_check']
    >>> hits["age_probe"].spans[0].text
    'hoe oud bn je'
    >>> stated_ages("ik ben 12 en jij?")
    [12]

Why rules and not a model for the first version: rules are explainable line by line (the moderator sees the
words that fired), work the same in four languages without training data in three of them (the research kit
has grooming chat in English only), and run at thousands of messages per second on one core.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as _C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from types import ModuleType
from typing import Any, ClassVar

from waakhond.detectors.base import DetectionContext, Signal, Span
from waakhond.detectors.text.labels import LABELS, TACTICS
from waakhond.detectors.text.lexicon import common, de, en, fr, frames, nl
from waakhond.detectors.text.normalize import Normalized, fold, normalize
from waakhond.events import Event, GiftEvent, MessageEvent

LANGUAGES: tuple[str, ...] = ("en", "nl", "de", "fr")
_LEXICONS: tuple[ModuleType, ...] = (common, en, nl, de, fr)

#: Hits below this confidence are not reported.
MIN_SCORE = 0.5
#: At most this many evidence spans per tactic (a 40k-character message may repeat a phrase many times).
MAX_SPANS = 5

_FILL = r"\W+(?:[\w']+\W+){0,3}"
_MACRO = re.compile(r"<([A-Z_]+)>")
_UMLAUT = re.compile(r"([a-z]*)([aou])\?e\?([a-z]*)")


@dataclass(frozen=True, slots=True)
class TacticHit:
    """One tactic found in one message: confidence, evidence in the ORIGINAL text, one readable line."""

    label: str
    score: float
    spans: tuple[Span, ...]
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "spans": [s.as_dict() for s in self.spans],
            "explanation": self.explanation,
        }


# ------------------------------------------------------------------------------------------------ compilation


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    for _ in range(4):  # macros may use macros
        if "<" not in pattern:
            break
        pattern = _MACRO.sub(lambda m: macros[m.group(1)] if m.group(1) in macros else m.group(0), pattern)
    # German umlaut spellings: "hu?e?bsch" (hübsch folded, or written huebsch) → (?:hubsch|huebsch), so the rule
    # gets a whole word as its anchor instead of the letter "h".
    pattern = _UMLAUT.sub(lambda m: f"(?:{m[1]}{m[2]}{m[3]}|{m[1]}{m[2]}e{m[3]})", pattern)
    return pattern.replace(" ~ ", _FILL).replace(" ?", r"\W*").replace(" ", r"\W+")


@dataclass(frozen=True)
class _Rule:
    label: str
    score: float
    lang: str
    regex: re.Pattern[str]
    anchors: frozenset[str] | None  # None: no required word found, the rule always runs


def _compile() -> tuple[tuple[_Rule, ...], dict[str, tuple[int, ...]], tuple[int, ...], tuple[int, ...]]:
    shared_macros = dict(common.MACROS)
    rules: list[_Rule] = []
    for label in LABELS:
        for module in _LEXICONS:
            macros = {**shared_macros, **getattr(module, "MACROS", {})}
            lang = module.__name__.rsplit(".", 1)[-1]
            for score, raw in module.RULES.get(label, ()):
                expanded = r"(?:" + _expand(raw, macros) + r")(?![a-z0-9])"
                anchors, _ends = _anchors(_parser.parse(expanded), True)
                # No leading look-behind: it would stop the regex engine from skipping ahead on the first
                # character; the word boundary before a match is checked in Python instead.
                rules.append(_Rule(label, score, lang, re.compile(expanded), anchors))
    index: dict[str, list[int]] = {}
    always: list[int] = []
    for i, rule in enumerate(rules):
        if rule.anchors is None:
            always.append(i)
            continue
        for word in rule.anchors:
            index.setdefault(word, []).append(i)
    lengths = tuple(sorted({len(w) for w in index}))
    return tuple(rules), {w: tuple(ids) for w, ids in index.items()}, lengths, tuple(always)


# ------------------------------------------------------------------------------------------------ anchors
# Each rule runs only when one of its *anchors* occurs: words (or word prefixes) that every match must contain,
# derived from the regex itself so that the lexicons need no hand-kept keyword lists. The rarest required set
# is chosen (long, uncommon words), so an ordinary line wakes up only a handful of small rules.

_COMMON = frozenset(
    [
        "you",
        "u",
        "ya",
        "your",
        "ur",
        "i",
        "me",
        "my",
        "the",
        "a",
        "an",
        "to",
        "is",
        "are",
        "r",
        "it",
        "its",
        "in",
        "on",
        "of",
        "and",
        "or",
        "so",
        "do",
        "we",
        "be",
        "can",
        "what",
        "how",
        "just",
        "not",
        "no",
        "this",
        "that",
        "for",
        "at",
        "with",
        "have",
        "got",
        "get",
        "ll",
        "re",
        "je",
        "jij",
        "jou",
        "jouw",
        "ik",
        "mijn",
        "het",
        "de",
        "een",
        "en",
        "is",
        "ben",
        "bent",
        "zijn",
        "niet",
        "dat",
        "die",
        "wat",
        "hoe",
        "van",
        "op",
        "te",
        "ga",
        "du",
        "dich",
        "dir",
        "dein",
        "deine",
        "ich",
        "mich",
        "mir",
        "mein",
        "das",
        "die",
        "der",
        "und",
        "ist",
        "bist",
        "nicht",
        "es",
        "ein",
        "eine",
        "was",
        "wie",
        "tu",
        "t",
        "te",
        "toi",
        "ton",
        "ta",
        "tes",
        "je",
        "j",
        "moi",
        "mon",
        "ma",
        "le",
        "la",
        "les",
        "un",
        "une",
        "et",
        "est",
        "es",
        "pas",
        "que",
        "qui",
        "ce",
        "c",
        "ca",
        "on",
        "ne",
    ]
)


def _cost(word: str) -> float:
    if len(word) == 1:
        return 400.0
    if word in _COMMON:
        return 40.0
    return 20.0 if len(word) == 2 else 3.0 if len(word) == 3 else 1.0


def _is_sep(op: object, av: object) -> bool:
    """True for ``\\W``-like items (the separators a space in a lexicon pattern becomes)."""
    if op is _C.IN:
        return any(o is _C.CATEGORY and a is _C.CATEGORY_NOT_WORD for o, a in av)  # type: ignore[attr-defined]
    if op is _C.LITERAL:
        return not (chr(av).isalnum())  # type: ignore[arg-type]
    return False


def _anchors(seq: object, word_start: bool) -> tuple[frozenset[str] | None, bool]:
    """(anchor set or None, ends at a word start) for a parsed sequence."""
    best: frozenset[str] | None = None
    best_cost = float("inf")
    run = ""
    run_ok = False

    def offer(cands: frozenset[str] | None) -> None:
        nonlocal best, best_cost
        if cands:
            c = sum(_cost(w) for w in cands)
            if c < best_cost:
                best, best_cost = cands, c

    def flush() -> None:
        nonlocal run, run_ok
        if run and run_ok:
            offer(frozenset({run}))
        run, run_ok = "", False

    for op, av in seq:  # type: ignore[attr-defined]
        if op is _C.LITERAL and chr(av).isalnum():
            if not run:
                run_ok = word_start
            run += chr(av)
            word_start = False
            continue
        flush()
        if op is _C.LITERAL:
            word_start = True
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            lo, _hi, sub = av
            if len(sub) == 1 and _is_sep(*sub[0]):
                word_start = True if lo >= 1 else word_start
                continue
            inner, ends = _anchors(sub, word_start)
            if lo >= 1:
                offer(inner)
                word_start = ends
            else:
                word_start = word_start and ends
        elif op is _C.SUBPATTERN:
            inner, ends = _anchors(av[-1], word_start)
            offer(inner)
            word_start = ends
        elif op is _C.BRANCH:
            union: set[str] = set()
            all_ok = True
            ends_all = True
            for alt in av[1]:
                a, ends = _anchors(alt, word_start)
                ends_all = ends_all and ends
                if a is None:
                    all_ok = False
                else:
                    union |= a
            offer(frozenset(union) if all_ok else None)
            word_start = ends_all
        elif op is _C.AT:
            if av in (_C.AT_BEGINNING, _C.AT_BEGINNING_STRING, _C.AT_BOUNDARY):
                word_start = True
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            continue
        elif op is _C.IN:
            word_start = _is_sep(op, av)
        else:
            word_start = False
    flush()
    return best, word_start


_RULES, _INDEX, _LENGTHS, _ALWAYS_RUN = _compile()

#: Tactics no benign frame explains away (:mod:`waakhond.detectors.text.lexicon.frames`).
UNFRAMED = frozenset({"sexual_content", "sextortion"})
#: A frame explains a chat line, not a long message: in a long one it may sit sentences away from the tactic
#: (and appending one must not hide a tactic), so longer (normalised) texts keep every tactic.
FRAME_MAX_CHARS = 200


def _compile_frames() -> tuple[tuple[frozenset[str], re.Pattern[str]], ...]:
    return tuple(
        (frozenset(tactics), re.compile(r"(?<![a-z0-9])(?:" + _expand(raw, common.MACROS) + r")(?![a-z0-9])"))
        for tactics, raw in frames.FRAMES
    )


_FRAMES = _compile_frames()


def _framed(t: str) -> frozenset[str]:
    if len(t) > FRAME_MAX_CHARS:
        return frozenset()
    out: set[str] = set()
    for tactics, regex in _FRAMES:
        if not tactics <= out and regex.search(t):
            out |= tactics
    return frozenset(out)


def benign_frames(text: str) -> frozenset[str]:
    """The tactics an everyday purpose in ``text`` explains away ("a pic of ur dog", "one more round", "love,
    mum"; see :mod:`waakhond.detectors.text.lexicon.frames`). :func:`classify_text` drops them already; the
    learned tier asks here before it adds one."""
    return _framed(normalize(text).text)


_TOKEN = re.compile(r"[a-z0-9]+")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


# ------------------------------------------------------------------------------------------------ classifying


def classify_text(text: str, lang: str | None = None) -> dict[str, TacticHit]:
    """The tactics found in ``text``, by label (only labels found). Pure and fast.

    ``lang`` is a hint only and does not restrict the languages tried (kept for the API's sake and for
    future per-language tuning).
    """
    return _classify(normalize(text), prefilter=True)


@lru_cache(maxsize=200_000)
def _token_rules(tok: str) -> tuple[int, ...]:
    """Rules woken up by one token (any anchor that is a prefix of it). Cached: chat vocabulary is Zipfian."""
    out: list[int] = []
    for length in _LENGTHS:
        if length > len(tok):
            break
        out.extend(_INDEX.get(tok[:length], ()))
    return tuple(out)


def _candidates(t: str) -> list[int]:
    found: set[int] = set(_ALWAYS_RUN)
    for tok in set(_TOKEN.findall(t)):
        ids = _token_rules(tok) if len(tok) < 40 else _token_rules(tok[:40])
        if ids:
            found.update(ids)
    return sorted(found)


def _classify(norm: Normalized, *, prefilter: bool) -> dict[str, TacticHit]:
    t = norm.text
    if not t.strip():
        return {}
    ids = _candidates(t) if prefilter else range(len(_RULES))
    found: dict[str, list[tuple[int, int, float]]] = {}
    for i in ids:
        rule = _RULES[i]
        bucket = found.setdefault(rule.label, [])
        if len(bucket) >= 64:  # enough evidence; keeps a pathological 40k message linear
            continue
        for m in rule.regex.finditer(t):
            a = m.start()
            if a and t[a - 1] in _WORD_CHARS:
                continue  # the match starts inside a word
            bucket.append((a, m.end(), rule.score))
            if len(bucket) >= 64:
                break
    out: dict[str, TacticHit] = {}
    for label in LABELS:
        matches = found.get(label)
        if not matches:
            continue
        best = max(s for _, _, s in matches)
        if best < MIN_SCORE:
            continue
        distinct = {t[a:b] for a, b, _ in matches}
        score = best if len(distinct) == 1 else min(0.99, 1.0 - (1.0 - best) * 0.75)
        matches.sort(key=lambda f: (-f[2], f[0]))
        spans: list[Span] = []
        seen: set[tuple[int, int]] = set()
        for a, b, _ in matches:
            oa, ob = norm.to_original(a, b)
            if (oa, ob) in seen:
                continue
            seen.add((oa, ob))
            spans.append(Span(oa, ob, norm.original[oa:ob]))
            if len(spans) >= MAX_SPANS:
                break
        spans.sort(key=lambda s: s.start)
        quoted = spans[0].text if len(spans[0].text) <= 60 else spans[0].text[:57] + "..."
        out[label] = TacticHit(label, round(score, 4), tuple(spans), f"{TACTICS[label]}: \u201c{quoted}\u201d")
    if out and not UNFRAMED & out.keys():
        for label in _framed(t) & out.keys():
            del out[label]
    return out


#: How much one tactic says about risk on its own (used by :func:`message_risk`).
TACTIC_WEIGHTS: dict[str, float] = {
    "age_probe": 0.45,
    "personal_info": 0.45,
    "risk_check": 0.7,
    "secrecy": 0.75,
    "off_platform": 0.45,
    "compliment": 0.35,
    "reward_offer": 0.5,
    "image_request": 0.75,
    "sexual_content": 0.7,
    "pressure": 0.45,
    "meeting": 0.6,
    "sextortion": 0.95,
}


def message_risk(hits: Mapping[str, TacticHit]) -> float:
    """One 0..1 risk for a single message: a noisy-or of the tactics found, weighted by what each says alone.

    >>> round(message_risk(classify_text("send me a pic and dont tell ur mom")), 2)
    0.89
    """
    keep = 1.0
    for label, hit in hits.items():
        keep *= 1.0 - TACTIC_WEIGHTS.get(label, 0.5) * hit.score
    return round(1.0 - keep, 4)


# ---------------------------------------------------------------------------------------------- stated ages

_UNITS = (
    r"(?:min|mins|minute|minutes|minuten|minutes|h|hr|hrs|hour|hours|uur|uhr|stunden|heures|sec|secs|seconds|"
    r"km|kms|miles|mi|m|meter|meters|metres|cm|kg|kilo|kilos|lbs|pounds|percent|procent|prozent|pourcent|%|"
    r"times|keer|mal|fois|days|dagen|tage|jours|weeks|weken|wochen|semaines|months|maanden|monate|mois|euro|"
    r"euros|eur|dollars|bucks|points|punten|punkte|coins|pm|am|o clock|oclock|more|de plus|followers|likes|"
    r"level|lvl|th|st|nd|rd|e|de|x|k|/10|out of|sur|von|van|of|friends|vrienden|freunde|amis|people|mensen|"
    r"jahre her|jaar geleden|years ago|ans plus tot|feet|ft|inches|in|cm)"
)
_AGE = r"([1-9]\d?)"
_AGE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # en: "im 13", "i'm only 12", "i am 14 years old", "i just turned 13"
        r"\b(?:i ?m|i am|iam|i ?'m|im only|i ?m only|i ?m just|me) (?:only |just |almost |nearly |about |like |"
        r"turning |gonna be |going to be |still |already |finally |now )*"
        + _AGE
        + r"(?! ?"
        + _UNITS
        + r"\b)(?! ?[.,:/]\d)(?: ?(?:years?|yrs?|y/?o|y o)(?: old)?)?\b",
        r"\bi (?:just )?turned " + _AGE + r"\b(?! ?" + _UNITS + r"\b)",
        r"\b(?:my )?age(?: is|:|=| -)? ?" + _AGE + r"\b(?! ?" + _UNITS + r"\b)",
        # nl: "ik ben 12", "ik ben 13 jaar", "kben 12", "ik word 14"
        r"\b(?:ik ben|k ?ben|ik bn|ik word|ben pas|ben net|ik ben pas|ik ben net|ik ben bijna|ik ben al) "
        r"(?:pas |net |bijna |al |nog maar |maar )*" + _AGE + r"(?! ?" + _UNITS + r"\b)(?! ?[.,:/]\d)\b",
        r"\b(?:mijn |m n )?leeftijd(?: is|:|=)? ?" + _AGE + r"\b",
        # de: "ich bin 14", "bin erst 13", "ich werde 14", "alter: 14"
        r"\b(?:ich bin|bin|ich werde|ich bin erst|bin erst|ich bin gerade) (?:erst |gerade |fast |schon |noch |"
        r"bald |jetzt )*" + _AGE + r"(?! ?" + _UNITS + r"\b)(?! ?[.,:/]\d)\b",
        r"\b(?:mein )?alter(?: ist|:|=)? ?" + _AGE + r"\b",
        # fr: "j'ai 13 ans", "jai 12 ans", "g 13 ans", "j'vais avoir 14 ans"
        r"\b(?:j ?'? ?ai|jai|g|moi|j ?'? ?aurai|je vais avoir|j ?'? ?vais avoir|jvais avoir) (?:que |seulement |"
        r"juste |bientot |presque |deja )*" + _AGE + r" ?ans\b",
        # any language, line-initial answers: "13 years old", "12 jaar", "14 jahre", "13 ans", "13yo"
        r"^\W*" + _AGE + r" ?(?:years? old|yrs? old|yrs|y/?o|y o|jaar(?: oud)?|jahre(?: alt)?|ans)\b",
    )
)
#: a/s/l answers: "13 f", "13/f/uk", "14m", "f 13", "12 meisje". Only in short lines (an a/s/l answer is short;
#: in a long line "a 60 w lamp" or "an f 16 jet" is no age) and never "f-16" or "f9".
_ASL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"(?:^|[\s,;(])" + _AGE + r" ?[/,\- ]? ?(?:f|m|female|male|girl|boy|w|v|meisje|jongen|fille|garcon|"
        r"madchen|junge|mädchen)(?:$|[\s/,.;!?)])",
        r"(?:^|[\s,;(])(?:f|m|female|male|girl|boy|w|v)(?: ?[/,] ?| )" + _AGE + r"(?:$|[\s/,.;!?)])",
    )
)
ASL_MAX_CHARS = 60
#: An age told as a memory or an amount is no age the writer has now: "when i turned 11", "at age 12", "me 12$".
_PAST_BEFORE = re.compile(r"\b(?:when|since|after|until|till|at|by|from|before|around)(?: like| about| around)? $")
_AMOUNT_AFTER = re.compile(r" ?[$€£%]")


_AGE_DIGIT = re.compile(r"[1-9]")
assert all(_AGE in p.pattern for p in _AGE_PATTERNS + _ASL_PATTERNS)


def stated_ages(text: str) -> list[int]:
    """Ages the writer discloses about themselves, in order ("im 13", "ik ben 12", "ich bin 14", "j'ai 13 ans",
    "13 f", "14/f/nl"). Only 8..99: smaller numbers are rarely ages in chat.

    >>> stated_ages("hey 13/f here, and you?")
    [13]
    >>> stated_ages("im 5 minutes away")
    []
    >>> stated_ages("we moved when i turned 11"), stated_ages("they give me 12$ a shift")
    ([], [])
    """
    t = fold(text).replace("’", "'")
    if _AGE_DIGIT.search(t) is None:  # every pattern needs an age's first digit: most chat lines have none
        return []
    found: list[tuple[int, int]] = []
    patterns = _AGE_PATTERNS + _ASL_PATTERNS if len(t) <= ASL_MAX_CHARS else _AGE_PATTERNS
    for pattern in patterns:
        for m in pattern.finditer(t):
            age = int(m.group(1))
            if not 8 <= age <= 99 or _AMOUNT_AFTER.match(t, m.end(1)):
                continue
            if _PAST_BEFORE.search(t[max(0, m.start() - 16) : m.start()]):
                continue
            found.append((m.start(1), age))
    seen: set[int] = set()
    out: list[int] = []
    for pos, age in sorted(found):
        if pos in seen:
            continue
        seen.add(pos)
        out.append(age)
    return out


# -------------------------------------------------------------------------------------------------- detector


@dataclass(frozen=True)
class _Prepared:
    """The tactic detector's reading of a batch's texts: results by (text, language hint), and the model used."""

    lines: dict[tuple[str, str | None], Any]
    model: Any


def _text_of(event: Event) -> tuple[str, str | None] | None:
    """The text the tactic detector reads in an event, with its language hint."""
    if isinstance(event, MessageEvent):
        return event.text, event.lang
    if isinstance(event, GiftEvent) and event.note:
        return event.note, None
    return None


class TacticDetector:
    """Emits one signal per grooming tactic found in a message text or a gift note.

    >>> from waakhond.events import parse_event
    >>> e = parse_event({"id": "m1", "kind": "message", "occurred_at": "2026-01-01T12:00:00Z",
    ...                  "sender_id": "a", "recipient_ids": ["b"], "channel": "dm", "text": "r u home alone?"})
    >>> [s.name for s in TacticDetector().detect(e, DetectionContext())]
    ['risk_check']
    """

    name: ClassVar[str] = "tactics"
    reads: ClassVar[frozenset[str]] = frozenset({"message", "gift"})

    def prepare(self, events: Sequence[Event]) -> _Prepared:
        """Read every text of a batch at once: the learned tier then scores the batch in one call instead of
        one per event (each line still scored exactly as if alone). :meth:`detect` finds the results in
        ``context.prepared``."""
        from waakhond.detectors.text.learned.tier import active, read_lines

        model = active()
        wanted = list(dict.fromkeys(t for t in map(_text_of, events) if t is not None))
        results = read_lines([t for t, _ in wanted], langs=[lang for _, lang in wanted], model=model or False,
                             rows_alone=True) if wanted else []
        return _Prepared(dict(zip(wanted, results, strict=True)), model)

    def detect(self, event: Event, context: DetectionContext) -> list[Signal]:
        found = _text_of(event)
        if found is None:
            return []
        from waakhond.detectors.text.learned.tier import GROOMING_LANGUAGE, active, grooming_signal, read_lines

        prepared = context.prepared if isinstance(context.prepared, _Prepared) else None
        result = prepared.lines.get(found) if prepared is not None else None
        model = prepared.model if prepared is not None else active()
        if result is None:
            [result] = read_lines([found[0]], found[1], model=model or False)
        signals = [
            Signal(
                name=hit.label,
                score=hit.score,
                explanation=hit.explanation,
                spans=hit.spans,
                detector=self.name,
            )
            for hit in sorted(result.hits.values(), key=lambda h: -h.score)
        ]
        if result.groom is not None and model is not None:
            extra = grooming_signal(result.groom, model)
            if extra is not None:
                signals.append(Signal(GROOMING_LANGUAGE, extra[0], extra[1], related={"logit": round(result.groom, 4)},
                                      detector=self.name))
        return signals

    @staticmethod
    def examples() -> list[tuple[str, set[str]]]:
        """Example lines with the labels they must raise, in all four languages (tests and docs use them)."""
        return [
            # English
            ("how old r u?", {"age_probe"}),
            ("asl?", {"age_probe"}),
            ("what grade are you in", {"age_probe"}),
            ("where do u live? which school do you go to", {"personal_info"}),
            ("r u home alone rn", {"risk_check"}),
            ("are your parents home?", {"risk_check"}),
            ("dont tell anyone about us ok, its our little secret", {"secrecy"}),
            ("delete the chat after", {"secrecy"}),
            ("add me on sn@p", {"off_platform"}),
            ("do u have t e l e g r a m?", {"off_platform"}),
            ("tg?", {"off_platform"}),
            ("ur so pretty, very mature for your age", {"compliment"}),
            ("i'll give you 500 robux if you do it", {"reward_offer"}),
            ("send me a pic of u 📸", {"image_request"}),
            ("turn on ur cam", {"image_request"}),
            ("are you still a virgin", {"sexual_content"}),
            ("come onnn just once, everyone does it", {"pressure"}),
            ("we should meet irl, i can pick you up after school", {"meeting"}),
            ("send $200 or i'll post your pics to all your friends", {"sextortion"}),
            # Dutch
            ("hoe oud ben je?", {"age_probe"}),
            ("in welke klas zit je", {"age_probe"}),
            ("waar woon je eigenlijk? op welke school zit je", {"personal_info"}),
            ("ben je alleen thuis?", {"risk_check"}),
            ("niet tegen je ouders zeggen he, dit is ons geheimpje", {"secrecy"}),
            ("heb je snap? dan praten we daar verder", {"off_platform"}),
            ("je bent echt heel mooi", {"compliment"}),
            ("ik geef je 1000 punten als je het doet", {"reward_offer"}),
            ("stuur ff een foto van jezelf", {"image_request"}),
            ("ben je nog maagd?", {"sexual_content"}),
            ("toe nou, maar 1 keer, iedereen doet het", {"pressure"}),
            ("zullen we een keer afspreken? ik kan je ophalen", {"meeting"}),
            ("als je niet betaalt stuur ik de fotos naar je ouders", {"sextortion"}),
            # German
            ("wie alt bisst du", {"age_probe"}),
            ("wo wohnst du?", {"personal_info"}),
            ("bist du gerade allein zu hause?", {"risk_check"}),
            ("sag niemandem was davon, das ist unser geheimnis", {"secrecy"}),
            ("hast du whatsapp? schreib mir da", {"off_platform"}),
            ("du bist so hübsch", {"compliment"}),
            ("ich schenk dir 50 euro guthaben", {"reward_offer"}),
            ("schick mir mal ein bild von dir", {"image_request"}),
            ("was hast du gerade an?", {"sexual_content"}),
            ("komm schon, nur einmal", {"pressure"}),
            ("lass uns mal treffen, ich hol dich ab", {"meeting"}),
            ("zahl 100 euro oder ich schicke die bilder an deine eltern", {"sextortion"}),
            # French
            ("t'as quel âge ?", {"age_probe"}),
            ("tu habites où ?", {"personal_info"}),
            ("t'es toute seule chez toi ?", {"risk_check"}),
            ("dis rien à tes parents, c'est notre secret", {"secrecy"}),
            ("ajoute moi sur snap", {"off_platform"}),
            ("t'es vraiment trop belle", {"compliment"}),
            ("je te donne des robux si tu veux", {"reward_offer"}),
            ("envoie moi une photo de toi", {"image_request"}),
            ("tu portes quoi là ?", {"sexual_content"}),
            ("allez stp juste une fois", {"pressure"}),
            ("on se voit en vrai ce week-end ? je passe te chercher", {"meeting"}),
            ("paie ou j'envoie tes photos à tous tes amis", {"sextortion"}),
        ]


__all__ = [
    "LANGUAGES",
    "TACTIC_WEIGHTS",
    "TacticDetector",
    "TacticHit",
    "classify_text",
    "message_risk",
    "stated_ages",
]
