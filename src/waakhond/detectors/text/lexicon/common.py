"""Shared vocabulary: chat-speak, tactic emoji, app names, links and numbers (all languages).

How a lexicon is written (this module and ``en``/``nl``/``de``/``fr``): ``RULES`` maps a tactic label to
``(score, pattern)`` pairs. Patterns are regular expressions over *normalised* text (lower case, no accents, see
:mod:`waakhond.detectors.text.normalize`) with three conveniences:

- a space means "one or more non-word characters" (``how old`` also matches ``how, old``);
- `` ~ `` means "up to three words in between" (``send ~ pic`` matches ``send me a cute pic``);
- ``<NAME>`` inserts the macro ``NAME`` (``<YOU>`` is ``you``/``u``/``ya`` …) from ``MACROS``.

Each pattern is wrapped in word boundaries. Rules need no keyword list: the words every match must contain are
derived from the pattern itself (see ``tactics._anchors``), and a rule only runs when one of them occurs.

Scores: ~0.9 an unambiguous phrasing, ~0.75 clear in most contexts, ~0.6 a weaker cue.
"""

from __future__ import annotations

#: Chat-speak and contractions written out (normalised spelling on the left). Only forms with one meaning in
#: all four languages: ``u`` and ``ur`` stay (Dutch ``u`` is formal "you"); the lexicons list them instead.
CHAT_SPEAK: dict[str, str] = {
    # English
    "wanna": "want to", "wana": "want to", "gonna": "going to", "gona": "going to", "gotta": "got to",
    "hafta": "have to", "lemme": "let me", "gimme": "give me", "kinda": "kind of", "dunno": "don t know",
    "wyd": "what you doing", "wud": "what you doing", "hbu": "how about you", "wbu": "what about you",
    "rn": "right now", "atm": "at the moment", "pls": "please", "plz": "please", "plis": "please",
    "pleas": "please", "plss": "please", "plzz": "please", "pleez": "please", "pleaz": "please",
    "plez": "please", "plox": "please", "bc": "because", "bcuz": "because", "cuz": "because", "coz": "because",
    "ppl": "people", "msg": "message", "msgs": "messages", "txt": "text", "bday": "birthday", "b4": "before",
    "2day": "today", "2nite": "tonight", "2night": "tonight", "tonite": "tonight", "2moro": "tomorrow",
    "2morrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow", "wut": "what", "wot": "what",
    "whr": "where", "wher": "where", "hw": "how", "howold": "how old",
    "hwo": "how", "abt": "about", "smth": "something", "sth": "something", "nuthin": "nothing",
    "nothin": "nothing", "somethin": "something", "vid": "video", "vids": "videos", "addy": "address",
    "thx": "thanks", "ty": "thank you", "wht": "what", "yh": "yeah", "ya'll": "you all",
    "yall": "you all", "luv": "love", "bby": "baby", "bb": "baby", "gf": "girlfriend", "bf": "boyfriend",
    "prolly": "probably", "gurl": "girl", "grl": "girl", "bout": "about", "rly": "really", "rlly": "really",
    "srsly": "seriously", "sum": "some", "iam": "i am",
    "ive": "i ve", "ill": "i ll", "cant": "can t", "dont": "don t", "wont": "won t", "didnt": "didn t",
    "doesnt": "doesn t", "isnt": "isn t", "whats": "what s", "wats": "what s", "wuts": "what s",
    "thats": "that s", "lets": "let s", "its": "it s", "youre": "you re", "urself": "yourself",
    "yourslf": "yourself", "ureself": "yourself", "pix": "pics",
    "pik": "pic", "piks": "pics", "picz": "pics", "pict": "pic", "picc": "pic", "piccy": "pic",
    "piccies": "pics", "nudez": "nudes", "noodz": "nudes", "noods": "nudes", "nudess": "nudes",
    "bak": "back", "hmu": "hit me up", "ttyl": "talk to you later", "idk": "i don t know", "nvm": "never mind",
    # Dutch
    "hoeoud": "hoe oud", "bn": "ben", "bnt": "bent", "kben": "ik ben", "kbn": "ik ben",
    "kheb": "ik heb", "khad": "ik had", "kwil": "ik wil", "kga": "ik ga", "kzal": "ik zal", "kweet": "ik weet",
    "kmoet": "ik moet", "kkan": "ik kan", "kvind": "ik vind", "kzit": "ik zit", "kstuur": "ik stuur",
    "ff": "even", "effe": "even", "efkes": "even", "w8": "wacht", "mss": "misschien", "wnr": "wanneer",
    "wrm": "waarom", "wt": "wat", "hb": "heb", "gwn": "gewoon", "tog": "toch", "m'n": "mijn", "mn": "mijn",
    "z'n": "zijn", "zn": "zijn", "'t": "het", "d'r": "haar", "jou'n": "jouw", "jouwe": "jouw", "fto": "foto",
    "ftos": "fotos", "foto's": "fotos", "fotootje": "foto", "fotootjes": "fotos", "nmr": "nummer",
    "tel.nr": "telefoonnummer", "telnr": "telefoonnummer", "telnummer": "telefoonnummer", "aub": "alsjeblieft",
    "ajb": "alsjeblieft", "alsjeblief": "alsjeblieft", "asjeblieft": "alsjeblieft", "asjeblief": "alsjeblieft",
    "sws": "sowieso", "wil'k": "wil ik", "mag'k": "mag ik", "kan'k": "kan ik", "tis": "het is",
     "jaa": "ja", "snapje": "snap je",
    # German
    "bisst": "bist", "bis du": "bist du", "bisu": "bist du", "bistu": "bist du", "biste": "bist du",
    "bischt": "bist", "haste": "hast du", "hasse": "hast du", "hastu": "hast du", "willste": "willst du",
    "kannste": "kannst du", "machste": "machst du", "schickste": "schickst du", "wohnste": "wohnst du",
    "kommste": "kommst du", "gehste": "gehst du", "magste": "magst du", "siehste": "siehst du",
    "weisste": "weisst du", "nich": "nicht", "nid": "nicht", "nit": "nicht", "grad": "gerade",
    "gerad": "gerade", "bidde": "bitte", "biddee": "bitte", "bitee": "bitte", "nen": "einen",
    "hab": "habe", "mädel": "madel", "dir's": "dir es", "gibts": "gibt es", "wies": "wie es", "schick's": "schick es",
    # French
    "slt": "salut", "cc": "coucou", "stp": "s il te plait", "svp": "s il vous plait", "steuplait": "s il te plait",
    "stplait": "s il te plait", "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "pourkoi": "pourquoi",
    "qd": "quand", "qnd": "quand", "jsp": "je sais pas", "tkt": "t inquiete", "bcp": "beaucoup", "ki": "qui",
    "koi": "quoi", "ke": "que", "kel": "quel", "kelle": "quelle", "keske": "qu est ce que", "ds": "dans",
    "chui": "je suis", "chuis": "je suis", "jsuis": "je suis", "j'suis": "je suis", "chu": "je suis",
    "jte": "je te", "j'te": "je te", "jvais": "je vais", "j'vais": "je vais", "jveux": "je veux",
    "j'veux": "je veux", "jveu": "je veux", "jpeux": "je peux", "j'peux": "je peux", "t'as": "tu as",
    "tas": "tu as", "t'es": "tu es", "t'a": "tu as", "t'habites": "tu habites", "t'habite": "tu habites",
    "jai": "j ai", "j'ai": "j ai", "vrmt": "vraiment", "vrm": "vraiment", "dac": "d accord",
    "dak": "d accord", "qqn": "quelqu un", "qqun": "quelqu un", "kelkun": "quelqu un", "qq1": "quelqu un",
    "tjrs": "toujours", "tjs": "toujours", "mtn": "maintenant", "mnt": "maintenant", "pr": "pour",
    "tof": "photo", "tofs": "photos", "toff": "photo", "cmt": "comment",
    "ptn": "putain", "jss": "je suis", "jme": "je me", "j'me": "je me",
    "tinquiete": "t inquiete",
}

#: Emoji that carry a tactic, as words the lexicons can use (others are left as they are).
EMOJI: dict[str, str] = {
    "📸": "photo", "📷": "photo", "🤳": "selfie", "📹": "video", "🎥": "video", "📼": "video",
    "🤫": "shhemoji", "🤐": "shhemoji", "🎁": "gift", "💰": "money", "💵": "money", "💸": "money",
    "💶": "money", "💷": "money", "💴": "money", "🤑": "money", "💎": "diamonds", "🪙": "coins",
    "👻": "snapchat", "📞": "phone", "☎": "phone", "📱": "phone", "📲": "phone", "✉": "message",
    "🍆": "sexemoji", "🍑": "sexemoji", "💦": "sexemoji", "👅": "sexemoji", "🔞": "nsfw", "👙": "bikini",
    "🩲": "underwear", "👄": "lips", "🚗": "car", "🏨": "hotel", "🔪": "knife",
}

#: Messaging apps and private channels. ``APP`` includes short forms that only count in a "move" context.
APP_STRONG = (
    r"(?:telegram+|telegrm|te[li]egram|telgram|telegam|snapchat|snap ?chat|snapchats|snapcht|whats ?app+|whatsap|"
    r"whatapp|watsap+|wats ?app|whatsaap|kik|kik ?messenger|wickr|viber|threema|wechat|skype|instagram|"
    r"omegle|facetime|imessage|hangouts|discord|signal app|session app|line app|kakao ?talk|yubo|wizz)"
)
APP = (
    r"(?:" + APP_STRONG[3:-1] + r"|snap|sc|tg|tele|tlgrm|tlg|insta|ig|gram|dc|disc|discrd|fb|messenger|"
    r"signal|ft|whatsapp|whats|wa|app|sms|email|mail|gmail|msn|teams|zoom|twitter|tiktok|tik tok|private|dm|dms|"
    r"pm|pms|mp|pv|prive|privat|pn)"
)
#: A user name after an app name ("snap: lisa_x") or a phone number.
HANDLE = r"(?:@?[a-z][a-z0-9_.]{2,}|\+?\d[\d ]{6,}\d)"

MACROS: dict[str, str] = {"APP": APP, "APPS": APP_STRONG, "HANDLE": HANDLE}

RULES: dict[str, list[tuple[float, str]]] = {
    "off_platform": [
        # invitation links of messaging apps
        (0.9, r"(?:t|telegram|wa|kik|signal|snapchat|discord) ?\. ?(?:me|gg|com/add|com/invite|group)"),
        (0.9, r"chat ?\. ?whatsapp ?\. ?com"),
        (0.9, r"discord(?:app)? ?\. ?(?:gg|com/invite)"),
        (0.75, r"<APPS>\b ?(?::|=|->|-|is) ?<HANDLE>"),
        (0.75, r"(?:snap|sc|tg|insta|ig|kik|telegram|whatsapp|discord|dc)\b ?[:=] ?<HANDLE>"),
        (0.85, r"^\W*(?:add me )?(?:on )?(?:snap|sc|kik|tg|tele|telegram|insta|ig|discord|whatsapp|wa|signal|snapchat|"
               r"viber|wickr|skype|line)\W*\?"),
    ],
    "secrecy": [
        (0.7, r"(?:^\W*|(?:our|ons|onze|unser|notre|keep|between|tell|niet|nicht|pas|parents|niemand|personne|"
              r"niemandem|nobody|no one|anyone) ~ )shhemoji"),
    ],
    "sexual_content": [
        (0.75, r"sexemoji sexemoji"),
        (0.7, r"(?:your|ur|you|u|je|jouw|dein|deine|ton|ta|tes|me|my|mijn) sexemoji"),
        (0.6, r"nsfw"),
    ],
    "image_request": [
        (0.7, r"(?:send|stuur|schick|envoie|envoi|show|zeig|montre|laat|more|meer|mehr|plus|another|nog|noch) ~ "
              r"(?:photo|selfie|video)(?: (?:please|pls|alsjeblieft|bitte|stp))?"),
    ],
}
