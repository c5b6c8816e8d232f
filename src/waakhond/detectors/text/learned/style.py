"""Style normalisation for the learned tier: make chat-speak and clean prose look alike before a model reads them.

The research kit's benign chat is clean and punctuated while offenders write chat-speak, so a model that sees
raw text learns "lol / u / ur ⇒ offender" (the issue calls it the known trap). Everything the learned tier
reads, at training and at run time, goes through :func:`plain` first:

- the rule tier's normalisation (case, accents, look-alikes, leetspeak, spaced-out words, common chat-speak);
- the short forms that carry no meaning of their own spelled out (``u → you``, ``r → are``, ``ur → your``,
  ``im → i am``, ``pls → please``, Dutch/German/French equivalents);
- laughter, emoticons, repeated letters and every punctuation mark removed; whitespace collapsed.

What is left is words, in one register, so the model has to read meaning to tell lines apart.

    >>> plain("Hey U R sooo CUTE!!! lol :) wanna add me on sn@p??")
    'hey you are so cute want to add me on snap'
    >>> plain("Hey, you are so cute. Do you want to add me on Snap?")
    'hey you are so cute do you want to add me on snap'
"""

from __future__ import annotations

import re

from waakhond.detectors.text.normalize import normalize

#: Short forms spelled out (whole words only). Kept to forms whose meaning is unambiguous in chat.
_EXPAND: dict[str, str] = {
    "u": "you", "ya": "you", "yu": "you", "r": "are", "ur": "your", "urs": "yours", "yr": "your",
    "im": "i am", "ive": "i have", "id": "i would", "ill": "i will", "dont": "do not", "cant": "can not",
    "wont": "will not", "youre": "you are", "theyre": "they are", "its": "it is", "hes": "he is",
    "shes": "she is", "lets": "let us", "youll": "you will", "youve": "you have", "didnt": "did not",
    "doesnt": "does not", "isnt": "is not", "arent": "are not",
    "wasnt": "was not", "havent": "have not", "whats": "what is", "thats": "that is", "theres": "there is",
    "pls": "please", "plz": "please", "thx": "thanks", "ty": "thank you",
    "k": "ok", "kk": "ok", "okay": "ok", "bc": "because", "cuz": "because", "cos": "because",
    "coz": "because", "rn": "right now", "tmrw": "tomorrow", "tmr": "tomorrow", "2day": "today",
    "2nite": "tonight", "tonite": "tonight", "ppl": "people", "msg": "message", "pic": "picture",
    "pics": "pictures", "pix": "pictures", "gf": "girlfriend", "bf": "boyfriend", "bday": "birthday",
    "yrs": "years", "b4": "before", "gr8": "great", "l8r": "later",
    "m8": "mate", "sum1": "someone", "some1": "someone", "any1": "anyone", "no1": "no one", "wat": "what",
    "wut": "what", "soo": "so", "noo": "no", "yess": "yes", "sooo": "so", "wht": "what", "hw": "how",
    "abt": "about", "bout": "about",
    # Dutch, German, French
    "ff": "even", "idd": "inderdaad", "mss": "misschien", "wss": "waarschijnlijk", "nie": "niet",
    "nd": "und", "vllt": "vielleicht", "hdl": "hab dich lieb", "bb": "bis bald", "kp": "keine ahnung",
    "stp": "s il te plait", "svp": "s il vous plait", "slt": "salut", "bjr": "bonjour", "pk": "pourquoi",
    "pq": "pourquoi", "jsp": "je sais pas", "tkt": "t inquiete", "mdr": "", "ptdr": "",
}
_LAUGH = re.compile(
    r"\b(?:l+o+l+(?:o+l+)*z?|lmf?ao+|rofl+|ha(?:ha)+h?|he(?:he)+|hi(?:hi)+|xd+|jaja(?:ja)*|hihi+|mdr+|ptdr+)\b"
)
_EMOTICON = re.compile(r"(?:[:;=8][\-o*']?[)(\]\[dpo/\\|3*]+|<3+|\^_*\^|-_+-|o_o)", re.IGNORECASE)
#: "13 yo", "13yo", "13 y/o" (but "yo" alone is a greeting)
_YEARS_OLD = re.compile(r"\b(\d{1,2}) ?(?:yo|y/o|y\.o|y o|yrs old|yr old)\b")
#: English contractions split by the apostrophe ("don t", "what s", "you re") joined back for _EXPAND
_CONTRACTION = re.compile(r"\b([a-z]+) (s|t|m|re|ll|ve|d)\b")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^\w]+")
_WORD = re.compile(r"\w+")


def _expand(m: re.Match[str]) -> str:
    word = m.group(0)
    return _EXPAND.get(word, word)


def plain(text: str, limit: int = 4_000) -> str:
    """``text`` in one plain register (see the module docstring). Reads at most ``limit`` characters."""
    s = normalize(text[:limit]).text
    s = _YEARS_OLD.sub(r"\1 years old", s)
    s = _EMOTICON.sub(" ", s)
    s = _LAUGH.sub(" ", s)
    s = _REPEAT.sub(r"\1", s)
    s = _NON_WORD.sub(" ", s).replace("_", " ")
    s = _CONTRACTION.sub(r"\1\2", s)
    s = _WORD.sub(_expand, s)
    return " ".join(s.split())
