"""Text normalisation for the rule tier: one canonical spelling for the many ways chat writes a word.

The lexicons are written against *normalised* text, so they stay short: ``Sn@p``, ``S N A P``, ``snaaap`` and
``👻`` all become ``snap``/``snapchat``; ``Wie alt bisst du`` becomes ``wie alt bist du``. Evidence must point into
the text the user wrote, so :func:`normalize` keeps a way back: :meth:`Normalized.to_original` maps a span of the
normalised text to the span of the original that produced it.

Speed matters more than elegance here (the classifier must read thousands of messages per second): the
normalised text is built with C-level ``str`` methods and a handful of regular expressions, and the offset map
is only built when a span is asked for (most messages have no finding, so most never need it).

    >>> n = normalize("Hoe oud bn je? Add me op T E L E G R A M 🤫")
    >>> n.text
    'hoe oud ben je? add me op telegram shhemoji '
    >>> start = n.text.index("telegram")
    >>> n.to_original(start, start + len("telegram"))
    (25, 40)

Steps, in order (each is also applied, with offsets, by the tracked path):

1. fold: lower case; accents stripped (é→e, ü→u, ß→ss, æ→ae); look-alike letters (Cyrillic а, fullwidth Ａ,
   mathematical 𝐬) to ASCII; zero-width characters dropped; curly apostrophes to ``'``; tactic emoji to words.
2. leetspeak inside words only: ``sn@p``→snap, ``t3l3gr4m``→telegram, ``$nap``→snap, ``h0t``→hot; numbers stay
   numbers (``13``, ``14f``, ``2day`` and ``age13`` are left alone).
3. spaced-out words: ``t e l e g r a m``, ``s.n.a.p``, ``k-i-k`` → ``telegram``, ``snap``, ``kik``.
4. letter runs of three or more shrink to two: ``sooo``→``soo``, ``pleaseeee``→``pleasee`` (lexicons allow
   ``e+``); real double letters (``cool``, ``foto's``) survive.
5. chat-speak to full words where unambiguous: ``wanna``→``want to``, ``hbu``→``how about you``, ``hoeoud``→
   ``hoe oud``, ``bn``→``ben``, ``ff``→``even``, ``bisst``→``bist``, ``t'as``→``tu as``, ``slt``→``salut`` …
6. apostrophes and hyphens become spaces (``t'as`` → ``t as``, ``as-tu`` → ``as tu``, ``don't`` → ``don t``),
   white space collapses to one space.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from waakhond.detectors.text.lexicon.common import CHAT_SPEAK, EMOJI

# --------------------------------------------------------------------------------------------------- fold table


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    ranges = [
        (0x00C0, 0x0250),  # Latin-1 supplement and Latin extended A/B
        (0x1E00, 0x1F00),  # Latin extended additional (ạ, ẞ …)
        (0xFF01, 0xFF5F),  # fullwidth ASCII
        (0x1D400, 0x1D800),  # mathematical alphanumerics (𝐬𝐧𝐚𝐩, 𝓽𝓰)
        (0x24B6, 0x24EA),  # circled letters Ⓐ ⓐ
        (0x2070, 0x20A0),  # super/subscripts
    ]
    for lo, hi in ranges:
        for cp in range(lo, hi):
            ch = chr(cp)
            decomposed = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            decomposed = decomposed.lower()
            if decomposed and decomposed != ch and decomposed.isascii():
                table[cp] = decomposed
    for cp in range(0x0300, 0x0370):  # combining accents left over after lower() ("İ" → "i̇")
        table[cp] = None
    specials = {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "þ": "th",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "ʼ": "'",
        "′": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        # Cyrillic and Greek look-alikes used to dodge filters ("ѕnар")
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "і": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "т": "t",
        "в": "b",
        "н": "h",
        "ο": "o",
        "α": "a",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "τ": "t",
        "υ": "u",
        "ρ": "p",
    }
    for src, dst in specials.items():
        table[ord(src)] = dst
    for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0xFE0E, 0xFE0F, 0x180E):  # invisible characters
        table[cp] = None
    for cp in range(0x1F3FB, 0x1F400):  # skin-tone modifiers
        table[cp] = None
    for emoji, word in EMOJI.items():
        table[ord(emoji)] = f" {word} "
    return table


_FOLD = _build_fold_table()

# ------------------------------------------------------------------------------------------------- regex steps

_LEET_CHARS = "0134579@$!|€"
_LEET_MAP = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "€": "e",
}
_LEET_ANY = re.compile(r"[a-z][0134579@$!|€]|[0134579@$!|€][a-z]")
_LEET_TOKEN = re.compile(r"[a-z0-9@$!|€]*[a-z][a-z0-9@$!|€]*")
_DIGITS = "0123456789"


def _leet_token(m: re.Match[str]) -> str:
    tok = m.group(0)
    letters = sum(1 for c in tok if "a" <= c <= "z")
    if letters < 2 or not any(c in _LEET_MAP for c in tok):
        return tok
    chars = list(tok)
    n = len(chars)
    for i, c in enumerate(tok):
        if c not in _LEET_MAP:
            continue
        left = tok[i - 1] if i > 0 else ""
        right = tok[i + 1] if i + 1 < n else ""
        if c in _DIGITS:
            # A digit next to another digit is a number ("age13", "14f"), unless the run sits between letters
            # ("b00bs"): only then is it spelling.
            j = i
            while j > 0 and tok[j - 1] in _DIGITS:
                j -= 1
            k = i
            while k + 1 < n and tok[k + 1] in _DIGITS:
                k += 1
            run_left = tok[j - 1] if j > 0 else ""
            run_right = tok[k + 1] if k + 1 < n else ""
            if k > j and not (run_left.isalpha() and run_right.isalpha()):
                continue
            if c == "9" and not (run_left.isalpha() and run_right.isalpha()):
                continue  # "9" is spelling only between letters
            if not (run_left.isalpha() or run_right.isalpha()):
                continue
        elif c in "@!|":
            if not (left and right and (left.isalpha() or left in _LEET_MAP) and right.isalpha()):
                continue  # "@name" is a mention, "hi!" is an exclamation
        elif c == "$" and not right.isalpha():
            continue
        chars[i] = _LEET_MAP[c]
    return "".join(chars)


# Single letters separated by spaces (4 or more letters: "s n a p"), or by dots, dashes, slashes, stars or
# underscores (3 or more: "k.i.k", "a/s/l"). Fewer would eat chat-speak such as "r u".
_SPACED = re.compile(
    r"(?<![a-z0-9])(?:[a-z] {1,2}){3,}[a-z](?![a-z0-9])"
    r"|(?<![a-z0-9])(?:[a-z] ?[._\-*/•·+] ?){2,}[a-z](?![a-z0-9])"
)
_NOT_LETTER = re.compile(r"[^a-z]+")
_RUNS = re.compile(r"([a-z])\1{2,}")
_SPACE = re.compile(r"[\s'\-_]+")


def _collapse_spaced(m: re.Match[str]) -> str:
    return _NOT_LETTER.sub("", m.group(0))


def _shrink_run(m: re.Match[str]) -> str:
    return m.group(1) * 2


_CHAT = re.compile(r"[a-z0-9']+")
_CHAT_KEYS = frozenset(CHAT_SPEAK)


def _chat_speak(m: re.Match[str]) -> str:
    word = m.group(0)
    return CHAT_SPEAK.get(word, word)


def _space(m: re.Match[str]) -> str:
    return " "


def _has_chat_speak(s: str) -> bool:
    return not _CHAT_KEYS.isdisjoint(_CHAT.findall(s))


def _maybe_spaced(s: str) -> bool:
    return _SPACED_GUARD.search(s) is not None


_SPACED_GUARD = re.compile(r"[a-z][ ._\-*/•·+]{1,3}[a-z][ ._\-*/•·+]{1,3}[a-z](?![a-z0-9])")

_Sub = tuple[re.Pattern[str], Callable[[re.Match[str]], str], Callable[[str], bool] | None]
# (pattern, replacement, cheap guard: the step is skipped when the guard says there is nothing to do)
_STEPS: tuple[_Sub, ...] = (
    (_SPACED, _collapse_spaced, _maybe_spaced),
    (_RUNS, _shrink_run, None),
    (_CHAT, _chat_speak, _has_chat_speak),
    (_SPACE, _space, None),
)

# ------------------------------------------------------------------------------------------------- public API


@dataclass(slots=True)
class Normalized:
    """Normalised text plus a lazily built map back to the original."""

    original: str
    text: str
    _starts: list[int] | None = field(default=None, repr=False)
    _ends: list[int] | None = field(default=None, repr=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` for the normalised span ``start:end`` (``end`` exclusive)."""
        if self._starts is None:
            self._build()
        starts, ends = self._starts, self._ends
        assert starts is not None and ends is not None
        n = len(starts)
        if n == 0:
            return (0, 0)
        start = min(max(start, 0), n - 1)
        end = min(max(end, start + 1), n)
        # Skip spaces the normalisation inserted at the edges (emoji words are padded with spaces).
        while start < end - 1 and self.text[start] == " ":
            start += 1
        while end - 1 > start and self.text[end - 1] == " ":
            end -= 1
        return (starts[start], ends[end - 1])

    def _build(self) -> None:
        text, starts, ends = _normalize_tracked(self.original)
        if text != self.text:  # pragma: no cover - the two paths share every step; this guards regressions
            raise AssertionError("tracked normalisation diverged from the fast path")
        self._starts, self._ends = starts, ends


def normalize(text: str) -> Normalized:
    """Normalise ``text`` (see the module docstring for the steps). Offsets are computed on demand."""
    return Normalized(text, _normalize_fast(text))


def fold(text: str) -> str:
    """Step 1 only (case, accents, look-alikes, emoji): the light normalisation used for ages and numbers."""
    low = text.lower()
    return low if low.isascii() else low.translate(_FOLD)


def _leet(s: str) -> str:
    if _LEET_ANY.search(s) is None:
        return s
    return _LEET_TOKEN.sub(_leet_token, s)


#: Lines up to this length are cached by :func:`_normalize_fast` (1,024 of them: a few MB at most); a longer one
#: (up to a megabyte in a message) is normalised each time, so the cache cannot hold hundreds of megabytes.
CACHED_CHARS = 2_000


def _normalize_fast(text: str) -> str:
    """The normalised text alone. Cached for ordinary lines: the engine normalises each line twice (the rule tier,
    then the learned tier's plain register), and the result depends on the text only."""
    return _normalize_cached(text) if len(text) <= CACHED_CHARS else _normalize_steps(text)


@functools.lru_cache(maxsize=1024)
def _normalize_cached(text: str) -> str:
    return _normalize_steps(text)


def _normalize_steps(text: str) -> str:
    s = fold(text)
    s = _leet(s)
    for pattern, repl, guard in _STEPS:
        if guard is None or guard(s):
            s = pattern.sub(repl, s)
    return s


def _normalize_tracked(text: str) -> tuple[str, list[int], list[int]]:
    # lower(): usually length-preserving; when not ("İ"), map each output char to its source char.
    low = text.lower()
    if len(low) == len(text):
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    else:
        starts, ends = [], []
        for i, ch in enumerate(text):
            k = len(ch.lower())
            starts.extend([i] * k)
            ends.extend([i + 1] * k)
    s = low
    if not s.isascii():
        out: list[str] = []
        ns: list[int] = []
        ne: list[int] = []
        get = _FOLD.get
        for i, ch in enumerate(s):
            rep = get(ord(ch), ch)
            if rep is None:
                continue
            out.append(rep)
            if len(rep) == 1:
                ns.append(starts[i])
                ne.append(ends[i])
            else:
                ns.extend([starts[i]] * len(rep))
                ne.extend([ends[i]] * len(rep))
        s, starts, ends = "".join(out), ns, ne
    s = _leet(s)  # same length: offsets unchanged
    for pattern, repl, guard in _STEPS:
        if guard is None or guard(s):
            s, starts, ends = _sub_tracked(pattern, repl, s, starts, ends)
    return s, starts, ends


def _sub_tracked(
    pattern: re.Pattern[str],
    repl: Callable[[re.Match[str]], str],
    s: str,
    starts: list[int],
    ends: list[int],
) -> tuple[str, list[int], list[int]]:
    """``pattern.sub(repl, s)`` that also carries the offset map: replaced text maps to the matched source."""
    pieces: list[str] = []
    ns: list[int] = []
    ne: list[int] = []
    pos = 0
    for m in pattern.finditer(s):
        a, b = m.span()
        if a > pos:
            pieces.append(s[pos:a])
            ns.extend(starts[pos:a])
            ne.extend(ends[pos:a])
        r = repl(m)
        if r == s[a:b]:
            pieces.append(r)
            ns.extend(starts[a:b])
            ne.extend(ends[a:b])
        elif r:
            pieces.append(r)
            ns.extend([starts[a]] * len(r))
            ne.extend([ends[b - 1]] * len(r))
        pos = b
    if pos == 0:
        return s, starts, ends
    pieces.append(s[pos:])
    ns.extend(starts[pos:])
    ne.extend(ends[pos:])
    return "".join(pieces), ns, ne


__all__ = ["Normalized", "fold", "normalize"]
