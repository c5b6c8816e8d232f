# ruff: noqa: E501  (frame lines are data; splitting them hurts reading more than it helps)
"""Benign frames: words that give a tactic-like line an everyday purpose (all four languages).

"send a pic of ur dog", "keep it a secret, it's a surprise party", "one more round pls", "can we move the group
chat to WhatsApp", "I'll pick you up after practice, love mum": each reads like a tactic on its own words, and
the purpose in the same line says it is not one. ``FRAMES`` maps a frame to the tactics it explains away; a line
with a frame loses those tactics, from the rules and from the learned tier alike
(:func:`waakhond.detectors.text.tactics.benign_frames`), unless the line also shows sexual content or a threat
(no frame explains those away).

Written from the taxonomy and everyday chat between friends, families, classmates and teams (same pattern
syntax as the lexicons, see :mod:`waakhond.detectors.text.lexicon.common`). A frame must be specific: a person's
outfit, room or body is never an everyday object here, and a stranger's "it's for a school project" is not a
frame (only a group, a class or a team is), nor does a stated purpose clear an age question. A frame counts in
a chat line of up to ``tactics.FRAME_MAX_CHARS`` characters only.
"""

from __future__ import annotations

_OBJECT = (
    r"(?:dog|doggo|puppy|pup|cat|kitten|kitty|hamster|rabbit|bunny|horse|pony|pet|fish|bird|parrot|guinea pig|"
    r"hond|hondje|kat|katje|poes|poesje|konijn|paard|cavia|huisdier|hund|hundchen|welpe|katze|katzchen|kaninchen|"
    r"hase|pferd|meerschweinchen|haustier|chien|chiot|chat|chaton|lapin|cheval|poney|homework|hw|page|worksheet|"
    r"assignment|notes|board|whiteboard|timetable|schedule|test|exam|answers|exercise|book|huiswerk|bladzijde|blz|"
    r"pagina|opdracht|werkblad|aantekeningen|bord|rooster|toets|antwoorden|oefening|boek|hausaufgaben|hausi|seite|"
    r"aufgabe|arbeitsblatt|tafel|tafelbild|stundenplan|arbeit|antworten|ubung|buch|devoirs|exercice|exo|tableau|"
    r"cours|emploi du temps|controle|reponses|livre|fiche|drawing|painting|cake|bike|garden|trip|concert|recital|"
    r"match|tekening|schilderij|taart|fiets|tuin|schoolreis|zeichnung|kuchen|torte|fahrrad|garten|klassenfahrt|"
    r"ausflug|dessin|peinture|gateau|velo|jardin|sortie|voyage)"
)
_FAMILY_SIGN = (
    r"(?:love|luv|lots of love|xx+|xo+|kisses|hugs|bisous|gros bisous|bises|kusjes|dikke kus|liefs|groetjes|groeten|"
    r"gruss|grusse|gruesse|lg|hdl|kuss|kussi|bussi)"
)
_FAMILY = (
    r"(?:mum|mom|mommy|mama|mam|maman|mutti|mami|dad|papa|pap|grandma|grandpa|nan|nana|granny|gran|grandad|oma|opa|"
    r"omi|opi|mamie|papy|papi|auntie|aunt|uncle|tante|oom|onkel|tata|tonton|your sister|je zus|deine schwester|ta soeur)"
)
_GROUP = (
    r"(?:group chat|groupchat|class chat|team chat|the group|our group|the class|our class|the team|our team|"
    r"groepsapp|groepschat|klassenapp|klassenchat|de groep|onze groep|de klas|onze klas|het team|ons team|de ploeg|"
    r"gruppenchat|klassenchat|die gruppe|unsere gruppe|die klasse|unsere klasse|das team|unser team|die mannschaft|"
    r"groupe de classe|le groupe|notre groupe|la classe|notre classe|l equipe|notre equipe)"
)

FRAMES: list[tuple[tuple[str, ...], str]] = [
    # a picture or video of a pet, a page, homework or an event, not of a person
    (("image_request", "compliment"), rf"(?:pic|pics|picture|photo|photos|foto|fotos|fotootje|bild|bilder|selfie|video|vid|videos|filmpje|snap|vidéo) (?:of|from|van|vom|von|de|du|des|d) (?:the |your |ur |my |our |je |jouw |mijn |de |het |dein |deinem |deiner |der |dem |meinem |ton |ta |tes |le |la |l |mon |ma )?(?:new |nieuwe |neue |neuen |nouveau |nouvelle )?{_OBJECT}"),
    (("image_request",), r"(?:zet|doe) ~ (?:camera|cam) ~ (?:teams|zoom|de les|online les|de klas)|(?:camera|cam|kamera|camera) ~ (?:for|voor|fur|pour) (?:the |de |den |le |la )?(?:class|lesson|les|klas|unterricht|cours|visio|zoom|teams)"),
    # a relative signs the line, or a parent's request is passed on
    (("meeting", "risk_check", "image_request", "reward_offer", "personal_info", "compliment", "age_probe", "pressure"), rf"(?:{_FAMILY_SIGN} ?,? ?{_FAMILY}|, {_FAMILY})\W*$"),
    (("risk_check", "meeting", "personal_info"), r"^\W*(?:my |mijn |mn |meine |ma |mon )?(?:mum|mom|mama|maman|mutti|mami|dad|papa|oma|opa|mamie|papy|grandma|grandpa) (?:asks|asked|says|said|wants|vraagt|vroeg|zegt|zei|wil|fragt|sagt|meint|will|demande|dit|veut)"),
    (("risk_check", "meeting", "personal_info"), r"(?:mum|mom|mama|maman|mutti|mami|dad|papa|oma|opa|mamie|papy|grandma|grandpa) (?:asks|asked|wants to know|vraagt|vroeg|fragt|will wissen|demande|veut savoir) (?:if|whether|of|ob|si)"),
    # a group, class or team
    (("off_platform", "personal_info"), rf"(?:move|moving|switch|put|verplaatsen|verhuizen|zetten|verlegen|umziehen|wechseln|passer|passe|mettre|bouger) ~ {_GROUP}|{_GROUP} ~ (?:to|naar|auf|zu|sur|vers|on) (?:whatsapp|telegram|discord|signal|snap|insta|teams)"),
    (("off_platform", "personal_info"), rf"(?:for|voor|fur|für|pour) (?:the |our |de |het |onze |die |das |den |unsere |unser |le |la |notre |l )?(?:group project|project|groepsproject|werkstuk|spreekbeurt|referat|projekt|gruppenarbeit|expose|projet|presentation|presentatie|prasentation|{_GROUP}|team|ploeg|mannschaft|equipe|club|vereniging|verein|inschrijving|anmeldung|inscription|registration|signup|sign up|tournament|toernooi|turnier|tournoi)"),
    (("off_platform", "personal_info", "image_request"), r"(?:the teacher|my teacher|our teacher|the coach|coach|mr \w+|mrs \w+|ms \w+|miss \w+|de juf|de meester|juf \w+|meester \w+|mevrouw \w+|meneer \w+|de trainer|de coach|frau \w+|herr \w+|der lehrer|die lehrerin|der trainer|die trainerin|la prof|le prof|la maitresse|le maitre|madame \w+|monsieur \w+|l entraineur|le coach) (?:said|says|asked|asks|wants|told us|zei|zegt|vroeg|vraagt|wil|sagt|meinte|hat gesagt|fragt|will|a dit|dit|demande|veut)"),
    # a game round, a dare among friends about food or a game
    (("pressure",), r"(?:one more|another|1 more|just one more|nog een|nog één|nog 1|nog eentje|noch eine|noch ein|noch 1|nur noch eine|encore une|encore un|une derniere|un dernier) (?:game|round|match|level|try|go|potje|rondje|spelletje|partijtje|level|runde|spiel|partie|match|manche|niveau|essai)"),
    # a surprise, a present or a spoiler
    (("secrecy",), r"(?:surprise party|verrassingsfeest|uberraschungsparty|fete surprise|(?:surprise|present|gift|verrassing|cadeau|cadeautje|uberraschung|ueberraschung|geschenk) (?:for|voor|fur|pour) (?!(?:you|u|ya|je|jou|jij|dich|dir|toi|te)(?![a-z]))[a-z]+|spoiler|spoil|the ending|het einde|de afloop|das ende|la fin du|la fin de|magic trick|goocheltruc|zaubertrick|tour de magie)"),
    # the age someone was, not is
    (("age_probe",), r"(?:how old were (?:you|u|ya)|hoe oud was (?:je|jij)|wie alt warst (?:du|u)|quel age (?:tu avais|t avais|avais tu))(?: (?:when|toen|als|quand))"),
    # the writer's own account was hacked: "my snap got hacked, don't click my links". Only hacked: "my insta is
    # buggy, text me on telegram" is how a stranger moves a child elsewhere too.
    (("off_platform",), r"(?:my|mijn|mn|mein|meine|mon|ma) (?:snap|snapchat|insta|instagram|whatsapp|discord|telegram|tiktok|account|acc|compte|profiel|konto) ~ (?:got hacked|was hacked|is hacked|hacked|gehackt|gehacked|a ete pirate|pirate|s est fait pirater)"),
    # a bet among friends: "u owe me 100 coins from that bet"
    (("pressure", "reward_offer"), r"(?:from|for|of|van|voor|von|vom|fur|aus|de|du|pour) (?:that |the |our |this |die |de |onze |deze |der |die |unsere |dieser |ce |le |notre |la )?(?:bet|wager|weddenschap|wedje|wette|pari)|(?:lost|won|verloren|gewonnen|perdu|gagne) (?:the |that |our |de |die |onze |le |ce |notre )?(?:bet|wager|weddenschap|wedje|wette|pari)"),
    # a trade in a game
    (("reward_offer",), r"(?:trade|swap|ruil|ruilen|tausch|tauschen|echange|echanger) (?:me |mij |mir |moi )?(?:for |voor |gegen |contre )?(?:your|ur|je|jouw|dein|deine|deinen|ton|ta|tes)"),
]
